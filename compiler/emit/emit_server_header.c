// The server header (-sheader): the work functions a server implements (marked
// MIG_SERVER_ROUTINE), the demux entry points, the subsystem table and the message typedefs.
#include "emit/emit_common.h"
#include "emit/emitters.h"

void emit_server_header(struct emitter *e, const struct ir_module *ir) {
    emit_header_top(e, ir, "server", "Server interface (server header)");
    emit_hook(e, "__BeforeMigServerHeader");
    emit_imports(e, ir,
                 EMIT_IMPORTS(IR_IMPORT) | EMIT_IMPORTS(IR_SIMPORT) | EMIT_IMPORTS(IR_DIMPORT));
    em_blank(e);
    em_pp(e, "#ifndef MIG_SERVER_ROUTINE");
    em_pp(e, "#define MIG_SERVER_ROUTINE");
    em_pp(e, "#endif");
    em_blank(e);
    emit_extern_c_begin(e);
    for (size_t i = 0; i < ir->routine_count; i++) {
        const struct ir_routine *rt = &ir->routines[i];
        if (emit_routine_is_real(rt))
            emit_routine_declaration(e, rt, EMIT_SIDE_SERVER);
    }
    emit_demux_declarations(e, ir);
    emit_subsystem_declaration(e, ir);
    emit_header_messages(e, ir, EMIT_SIDE_SERVER);
    emit_extern_c_end(e);
    emit_hook(e, "__AfterMigServerHeader");
    em_pp(e, "#endif\t /* _%s_server_ */", ir->subsystem);
}
