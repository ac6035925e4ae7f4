// libFuzzer target for the front end: raw bytes (as if preprocessed, line markers included) go
// through lexer, parser, every check step (migc_compile), then the JSON writer and every C
// emitter on the checked IR (emitters must accept any IR the checks let through). No cpp runs.
// Diagnostics are rendered (source line, caret) into /dev/null so the renderer is fuzzed too.
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "driver/pipeline.h"
#include "emit/emit.h"
#include "ir/ir.h"
#include "ir/ir_json.h"
#include "support/migc.h"
#include "support/strbuf.h"

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
        struct strbuf text = STRBUF_INIT;
        ir_json_write(ir, &text);
        static const enum emit_kind kinds[] = {EMIT_USER_HEADER,   EMIT_USER_SOURCE,
                                               EMIT_SERVER_HEADER, EMIT_SERVER_SOURCE,
                                               EMIT_INTERNAL_HEADER, EMIT_DEFINES_HEADER};
        for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
            strbuf_clear(&text);
            if (emit_file(ir, kinds[i], "fuzz.h", &text) != 0)
                abort(); // every kind is known
        }
        strbuf_fini(&text);
    }
    migc_finish(ctx);
    migc_destroy(ctx);
    return 0;
}
