// libFuzzer target for the front end: raw bytes (as if preprocessed, line markers included) go
// through lexer, parser, every check step and the JSON writer via migc_compile(). No cpp runs.
// Diagnostics are rendered (source line, caret) into /dev/null so the renderer is fuzzed too.
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "ir.h"
#include "ir_json.h"
#include "migc.h"
#include "strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static FILE *sink;
    if (!sink && !(sink = fopen("/dev/null", "w")))
        abort();
    struct migc_options options = {0};
    options.error_limit = 50;
    struct migc *ctx = migc_create(&options, sink);
    const struct ir_module *ir = NULL;
    bool ok = migc_compile(ctx, "fuzz.defs", (const char *)data, size, &ir);
    if (ok != (ir != NULL))
        abort(); // the contract of migc_compile
    if (ir) {
        struct strbuf json = STRBUF_INIT;
        ir_json_write(ir, &json);
        strbuf_fini(&json);
    }
    migc_finish(ctx);
    migc_destroy(ctx);
    return 0;
}
