// The user header (-header, <subsys>.h): client stub prototypes, the request/reply typedefs and
// unions a client needs to size buffers, and the routine name map.
#include "emit/emit_common.h"
#include "emit/emitters.h"

void emit_user_header(struct emitter *e, const struct ir_module *ir) {
    emit_header_top(e, ir, "user", "Client interface (user header)");
    emit_hook(e, "__BeforeMigUserHeader");
    emit_imports(e, ir,
                 EMIT_IMPORTS(IR_IMPORT) | EMIT_IMPORTS(IR_UIMPORT) | EMIT_IMPORTS(IR_DIMPORT));
    em_blank(e);
    emit_extern_c_begin(e);
    for (size_t i = 0; i < ir->routine_count; i++) {
        const struct ir_routine *rt = &ir->routines[i];
        if (emit_routine_is_real(rt))
            emit_routine_declaration(e, rt, EMIT_SIDE_USER);
    }
    emit_header_messages(e, ir, EMIT_SIDE_USER);
    emit_extern_c_end(e);
    emit_hook(e, "__AfterMigUserHeader");
    em_pp(e, "#endif\t /* _%s_user_ */", ir->subsystem);
}
