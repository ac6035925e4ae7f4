// Check step 7, verify: limits on descriptors (-max_descrs, -max_reply_descrs) and collisions
// between generated C identifiers (implicit argument names, server functions, stubs, the demux
// and the subsystem object), which would otherwise only fail in the C compiler.
#include "check/check.h"
#include "support/arena.h"

static void check_descriptor_limit(struct check_ctx *cx, const struct ir_routine *rt,
                                   const struct ir_layout *l, unsigned long limit,
                                   const char *what) {
    if (limit && l->descriptor_count > limit)
        diag_report(cx->diags, DIAG_TOO_MANY_DESCRIPTORS, cx->routines[rt->index].stmt->span,
                    what, rt->name, check_num(cx, l->descriptor_count), check_num(cx, limit));
}

// The argument names of a routine, implicit ones included, are C parameter names.
static void check_arg_names(struct check_ctx *cx, const struct ir_routine *rt) {
    struct symtab names;
    symtab_init(&names);
    for (size_t i = 0; i < rt->arg_count; i++) {
        const struct ir_arg *a = &rt->args[i];
        if (a->role == IR_ROLE_RETURN_CODE)
            continue;
        const struct ir_arg *other = symtab_put(&names, a->name, (void *)a);
        if (other && (a->is_implicit || other->is_implicit)) {
            const struct ir_arg *implicit = a->is_implicit ? a : other;
            const struct ir_arg *written = a->is_implicit ? other : a;
            diag_report(cx->diags, DIAG_NAME_COLLISION, cx->routines[rt->index].stmt->span,
                        implicit->name,
                        arena_printf(cx->arena, "implicit argument of '%s'", rt->name),
                        arena_printf(cx->arena, "argument '%s'", written->name));
        }
    }
    symtab_fini(&names);
}

// Names that share the server's C name space. The table maps each name to the routine it was
// generated for, or to the module (the demux, its lookup and the subsystem object).
static void claim(struct check_ctx *cx, struct symtab *t, const char *name, const char *what,
                  const struct ir_routine *maybe_rt) {
    static const char module_tag[] = "module";
    void *owner = maybe_rt ? (void *)maybe_rt : (void *)module_tag;
    const void *prev = symtab_put(t, name, owner);
    if (!prev)
        return;
    const char *prev_what =
        prev == (const void *)module_tag
            ? "a name of the server module"
            : check_cat(cx, "a name generated for '", ((const struct ir_routine *)prev)->name, "'");
    const char *this_what = maybe_rt ? check_cat(cx, what, maybe_rt->name, "'") : what;
    struct src_span span = maybe_rt ? cx->routines[maybe_rt->index].stmt->span : cx->subsystem_span;
    diag_report(cx->diags, DIAG_NAME_COLLISION, span, name, this_what, prev_what);
}

bool check_verify(struct check_ctx *cx) {
    unsigned errors = check_error_count(cx);
    const struct ir_module *ir = cx->ir;
    struct symtab server;
    symtab_init(&server);
    claim(cx, &server, ir->names.server_demux, "the server demux", NULL);
    claim(cx, &server, ir->names.server_routine, "the server routine lookup", NULL);
    claim(cx, &server, ir->names.subsystem_struct, "the subsystem object", NULL);
    for (size_t i = 0; i < ir->routine_count; i++) {
        const struct ir_routine *rt = &ir->routines[i];
        if (rt->kind == IR_KIND_SKIP)
            continue;
        check_descriptor_limit(cx, rt, &rt->request, ir->options.max_descrs, "request");
        check_descriptor_limit(cx, rt, &rt->reply, ir->options.max_reply_descrs, "reply");
        check_arg_names(cx, rt);
        claim(cx, &server, rt->server_name, "the server function of '", rt);
        claim(cx, &server, rt->server_stub_name, "the server stub of '", rt);
    }
    symtab_fini(&server);
    return check_error_count(cx) == errors;
}
