// `-s`: the symbol table Apple's MIG appends to the server file, `mig_symtab_t
// _<subsys>SymTab[]` (one { name, msgh_id, stub } per slot, a skip as { "", 0, 0 }) and the id
// range _<subsys>SymTabBase / _<subsys>SymTabEnd, so a debugger or tracer can name a message.
#include "emit/emit_common.h"

void emit_symtab(struct emitter *e, const struct ir_module *ir) {
    em_blank(e);
    em_line(e, "mig_symtab_t _%sSymTab[] = {", ir->subsystem);
    em_indent(e, 1);
    for (size_t i = 0; i < ir->routine_count; i++) {
        const struct ir_routine *rt = &ir->routines[i];
        // The stub has its own type; void (*)(void) is the table's generic function pointer.
        if (emit_routine_is_real(rt))
            em_line(e, "{ (char *)\"%s\", %d, (void (*)(void))%s },", rt->name,
                    (int)rt->request_id, rt->server_stub_name);
        else
            em_line(e, "{ (char *)\"\", 0, 0 },");
    }
    if (ir->routine_count == 0)
        em_line(e, "{ (char *)\"\", 0, 0 },");
    em_indent(e, -1);
    em_line(e, "};");
    em_line(e, "int _%sSymTabBase = %d;", ir->subsystem, (int)ir->base);
    em_line(e, "int _%sSymTabEnd = %d;", ir->subsystem,
            (int)(ir->base + (int32_t)ir->routine_count));
}
