// The entry point of the C emitters: picks the emitter for one output file. Each emitter reads
// only the IR; the text goes to a strbuf so that a failed run writes nothing.
#include "emit/emit.h"

#include "emit/emitter.h"
#include "emit/emitters.h"
#include "support/strbuf.h"

static int emit_kind_to(struct emitter *e, const struct ir_module *ir, enum emit_kind kind);

int emit_file(const struct ir_module *ir, enum emit_kind kind, const char *output_name,
              struct strbuf *out) {
    return emit_file_to(ir, kind, output_name, out, NULL, NULL);
}

int emit_file_to(const struct ir_module *ir, enum emit_kind kind, const char *output_name,
                 struct strbuf *buf, emit_sink_fn sink, void *ctx) {
    (void)output_name; // include guards follow Apple's names (_<subsys>_user_ ...)
    struct emitter e;
    em_init(&e, buf);
    em_set_sink(&e, sink, ctx);
    int status = emit_kind_to(&e, ir, kind);
    em_flush(&e);
    return status;
}

static int emit_kind_to(struct emitter *e, const struct ir_module *ir, enum emit_kind kind) {
    switch (kind) {
    case EMIT_USER_HEADER:
        emit_user_header(e, ir);
        return 0;
    case EMIT_USER_SOURCE:
        emit_user_source(e, ir);
        return 0;
    case EMIT_SERVER_HEADER:
        emit_server_header(e, ir);
        return 0;
    case EMIT_SERVER_SOURCE:
        emit_server_source(e, ir);
        return 0;
    case EMIT_INTERNAL_HEADER:
        emit_internal_header(e, ir);
        return 0;
    case EMIT_DEFINES_HEADER:
        emit_defines_header(e, ir);
        return 0;
    }
    return -1;
}
