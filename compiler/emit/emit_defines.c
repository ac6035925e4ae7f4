// The two small headers: -dheader (MACH_ID_<ROUTINE> and _REPLY message ids, and the name map)
// and -iheader (KernelServer: each work function renamed to <name>_external).
#include "emit/emit_common.h"
#include "emit/emitters.h"

void emit_defines_header(struct emitter *e, const struct ir_module *ir) {
    emit_banner(e, ir, "Message ids (defines header)");
    em_pp(e, "#ifndef\t_%s_defines_", ir->subsystem);
    em_pp(e, "#define\t_%s_defines_", ir->subsystem);
    em_blank(e);
    for (size_t i = 0; i < ir->routine_count; i++) {
        const struct ir_routine *rt = &ir->routines[i];
        if (!emit_routine_is_real(rt))
            continue;
        em_pp(e, "#define %s %d", rt->define_id_name, (int)rt->request_id);
        em_pp(e, "#define %s %d", rt->define_reply_id_name, (int)rt->reply_id);
    }
    em_blank(e);
    emit_name_map(e, ir);
    em_pp(e, "#endif\t /* _%s_defines_ */", ir->subsystem);
}

void emit_internal_header(struct emitter *e, const struct ir_module *ir) {
    emit_banner(e, ir, "Internal names (KernelServer internal header)");
    em_pp(e, "#ifndef\t_%s_internal_", ir->subsystem);
    em_pp(e, "#define\t_%s_internal_", ir->subsystem);
    em_blank(e);
    for (size_t i = 0; i < ir->routine_count; i++) {
        const struct ir_routine *rt = &ir->routines[i];
        if (emit_routine_is_real(rt))
            em_pp(e, "#define %s %s_external", rt->server_name, rt->server_name);
    }
    em_blank(e);
    em_pp(e, "#endif\t /* _%s_internal_ */", ir->subsystem);
}
