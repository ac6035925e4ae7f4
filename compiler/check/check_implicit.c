// Check step 4, implicit arguments: builds each routine's IR argument list in C-parameter order,
// adding the implicit arguments right after their parent in Apple's order (arg, Poly, Cnt,
// Dealloc) and the reply's RetCode first; decides how each argument travels (header, inline,
// descriptor, trailer, mach_msg) and its C view on each side.
#include <string.h>

#include "check/check.h"
#include "support/arena.h"

struct implicit_types {
    const struct ir_type *count, *poly, *dealloc, *retcode;
};

static enum ir_carrier data_carrier(const struct ir_type *t) {
    if (t->is_out_of_line)
        return t->is_port ? IR_CARRY_OOL_PORTS_DESC : IR_CARRY_OOL_DESC;
    if (t->is_port)
        return IR_CARRY_PORT_DESC;
    return IR_CARRY_INLINE;
}

static bool passes_as_array(const struct ir_type *t) {
    return (t->shape == IR_SHAPE_ARRAY && !t->is_out_of_line) || t->shape == IR_SHAPE_C_STRING;
}

static bool has_count(const struct ir_type *t) {
    return t->bound == IR_BOUND_VARIABLE || t->bound == IR_BOUND_UNBOUNDED;
}

static bool sends(enum ir_arg_dir d) { return d == IR_DIR_IN || d == IR_DIR_INOUT; }
static bool returns(enum ir_arg_dir d) { return d == IR_DIR_OUT || d == IR_DIR_INOUT; }

// Ports and data get a <arg>Poly when polymorphic (for the request and reply ports the value
// travels in msgh_bits).
static bool has_poly_arg(enum ir_arg_role role) {
    return role == IR_ROLE_DATA || role == IR_ROLE_REQUEST_PORT || role == IR_ROLE_REPLY_PORT;
}

static size_t ir_arg_count(const struct check_routine *cr) {
    size_t n = cr->ir->kind == IR_KIND_ROUTINE ? 1 : 0; // RetCode
    for (size_t i = 0; i < cr->n_args; i++) {
        const struct check_arg *ca = &cr->args[i];
        n++;
        if (!ca->type)
            continue;
        n += ca->type->is_polymorphic && has_poly_arg(ca->role);
        if (ca->role != IR_ROLE_DATA)
            continue;
        n += has_count(ca->type) && !ca->flags.samecount;
        n += ca->flags.dealloc == IR_DEALLOC_MAYBE;
    }
    return n;
}

static struct ir_arg *add_implicit(struct check_ctx *cx, struct ir_routine *rt, size_t *n,
                                   struct ir_arg *parent, enum ir_arg_role role,
                                   const char *suffix, const struct ir_type *type) {
    struct ir_arg *a = &rt->args[(*n)++];
    a->name = check_cat(cx, parent->name, suffix, "");
    a->line = parent->line;
    a->column = parent->column;
    a->role = role;
    a->dir = parent->dir;
    a->is_implicit = true;
    a->type = type;
    a->user_c_type = a->server_c_type = a->msg_c_type = type->user_type;
    a->maybe_parent = parent;
    return a;
}

// <arg>Poly: which side chooses or sees the disposition (Apple's rtAddPolyArg rule).
static void add_poly(struct check_ctx *cx, struct ir_routine *rt, size_t *n, struct ir_arg *p,
                     const struct implicit_types *it) {
    struct ir_arg *a = add_implicit(cx, rt, n, p, IR_ROLE_POLY, "Poly", it->poly);
    bool in_poly = p->type->in_name.number == -1, out_poly = p->type->out_name.number == -1;
    bool kserver = cx->ir->kernel_server;
    if (sends(p->dir)) {
        a->on_user_side |= in_poly;
        a->on_server_side |= out_poly;
    }
    if (returns(p->dir)) {
        a->on_server_side |= (in_poly && !kserver) || (out_poly && kserver);
        a->on_user_side |= out_poly;
        a->user_by_reference = a->on_user_side;
        a->server_by_reference = a->on_server_side;
    }
    a->on_user_side &= p->on_user_side;
    a->on_server_side &= p->on_server_side;
    p->maybe_poly = a;
}

static void add_count(struct check_ctx *cx, struct ir_routine *rt, size_t *n, struct ir_arg *p,
                      const struct implicit_types *it) {
    struct ir_arg *a = add_implicit(cx, rt, n, p, IR_ROLE_COUNT, "Cnt", it->count);
    bool string = p->type->is_string;
    a->on_user_side = a->on_server_side = !string;
    if (p->flags.countinout)
        a->dir = IR_DIR_INOUT;
    a->user_by_reference = a->server_by_reference = returns(a->dir) && !string;
    a->request_carrier = sends(a->dir) ? IR_CARRY_INLINE : IR_CARRY_NONE;
    a->reply_carrier = returns(p->dir) ? IR_CARRY_INLINE : IR_CARRY_NONE;
    p->maybe_count = a;
}

static void add_dealloc(struct check_ctx *cx, struct ir_routine *rt, size_t *n, struct ir_arg *p,
                        const struct implicit_types *it) {
    struct ir_arg *a = add_implicit(cx, rt, n, p, IR_ROLE_DEALLOC, "Dealloc", it->dealloc);
    a->on_user_side = sends(p->dir);
    a->on_server_side = returns(p->dir);
    a->server_by_reference = returns(p->dir);
    p->maybe_dealloc_arg = a;
}

static void fill_written(struct ir_routine *rt, struct ir_arg *a, const struct check_arg *ca) {
    const struct ir_type *t = ca->type;
    a->name = ca->ast->name.name;
    a->line = ca->ast->name.span.begin.line;
    a->column = ca->ast->name.span.begin.col;
    a->role = ca->role;
    a->dir = ca->dir;
    a->type = t;
    a->flags = ca->flags;
    a->on_user_side = ca->on_user_side;
    a->on_server_side = ca->on_server_side;
    a->user_c_type = t->user_type;
    a->server_c_type = t->trans_type;
    a->msg_c_type = t->server_type;
    a->c_const = ca->c_const;
    bool native_ptr = t->native == IR_NATIVE_POINTER_TO || t->native == IR_NATIVE_POINTER_TO_IF_NOT;
    switch (ca->role) {
    case IR_ROLE_REQUEST_PORT:
        a->request_carrier = IR_CARRY_HEADER_REMOTE;
        rt->request_port = a;
        break;
    case IR_ROLE_REPLY_PORT:
        a->request_carrier = IR_CARRY_HEADER_LOCAL;
        rt->maybe_reply_port = a;
        rt->reply_port_kind = !a->on_server_side ? IR_REPLY_PORT_USER
                              : !a->on_user_side ? IR_REPLY_PORT_SERVER
                                                 : IR_REPLY_PORT_BOTH;
        break;
    case IR_ROLE_WAITTIME:
    case IR_ROLE_SENDTIME:
    case IR_ROLE_MSGOPTION: {
        a->request_carrier = IR_CARRY_MACH_MSG;
        struct ir_setting *s = ca->role == IR_ROLE_WAITTIME   ? &rt->waittime
                               : ca->role == IR_ROLE_SENDTIME ? &rt->sendtime
                                                              : &rt->msgoption;
        *s = (struct ir_setting){IR_SETTING_ARGUMENT, NULL, a};
        break;
    }
    case IR_ROLE_MSGSEQNO:
    case IR_ROLE_SEC_TOKEN:
    case IR_ROLE_AUDIT_TOKEN:
    case IR_ROLE_CONTEXT_TOKEN: {
        a->trailer = ca->role == IR_ROLE_MSGSEQNO    ? IR_TRAILER_SEQNO
                     : ca->role == IR_ROLE_SEC_TOKEN ? IR_TRAILER_SENDER
                     : ca->role == IR_ROLE_AUDIT_TOKEN ? IR_TRAILER_AUDIT
                                                       : IR_TRAILER_CONTEXT;
        if (a->on_user_side) {
            a->reply_carrier = IR_CARRY_TRAILER;
            a->user_by_reference = true;
            rt->user_wants_sender |= a->trailer == IR_TRAILER_SENDER;
            rt->user_wants_audit |= a->trailer == IR_TRAILER_AUDIT;
            if (a->trailer > rt->user_trailer_max)
                rt->user_trailer_max = a->trailer;
        } else {
            a->request_carrier = IR_CARRY_TRAILER;
            rt->server_wants_seqno |= a->trailer == IR_TRAILER_SEQNO;
            rt->server_wants_sender |= a->trailer == IR_TRAILER_SENDER;
            rt->server_wants_audit |= a->trailer == IR_TRAILER_AUDIT;
            rt->server_wants_context |= a->trailer == IR_TRAILER_CONTEXT;
            if (a->trailer > rt->server_trailer_max)
                rt->server_trailer_max = a->trailer;
        }
        break;
    }
    case IR_ROLE_DATA:
        if (sends(a->dir))
            a->request_carrier = data_carrier(t);
        if (returns(a->dir))
            a->reply_carrier = data_carrier(t);
        a->is_out_of_line = t->is_out_of_line;
        a->port_desc_count = !t->is_port ? 0 : t->is_out_of_line ? 1 : t->count;
        if (t->is_out_of_line && !t->is_port)
            a->port_desc_count = 0;
        a->user_by_reference = a->server_by_reference =
            native_ptr || (returns(a->dir) && !passes_as_array(t));
        rt->has_overwrite |= ca->flags.overwrite;
        break;
    default: break;
    }
    if (native_ptr)
        a->user_by_reference = a->server_by_reference = true;
}

static void build_routine(struct check_ctx *cx, struct check_routine *cr,
                          const struct implicit_types *it) {
    struct ir_routine *rt = cr->ir;
    rt->args = arena_array(cx->arena, ir_arg_count(cr), sizeof *rt->args);
    size_t n = 0;
    rt->reply_port_kind = rt->kind == IR_KIND_ROUTINE ? IR_REPLY_PORT_MIG : IR_REPLY_PORT_NONE;
    struct ir_arg *retcode = NULL;
    if (rt->kind == IR_KIND_ROUTINE) {
        retcode = &rt->args[n++];
        retcode->name = "RetCode";
        retcode->role = IR_ROLE_RETURN_CODE;
        retcode->dir = IR_DIR_OUT;
        retcode->is_implicit = true;
        retcode->type = it->retcode;
        retcode->user_c_type = retcode->server_c_type = retcode->msg_c_type = "kern_return_t";
        retcode->line = cr->stmt->span.begin.line;
        rt->maybe_return_code = retcode;
    }
    struct ir_arg *prev_data = NULL;
    for (size_t i = 0; i < cr->n_args; i++) {
        const struct check_arg *ca = &cr->args[i];
        struct ir_arg *a = &rt->args[n++];
        fill_written(rt, a, ca);
        if (ca->flags.retcode)
            rt->maybe_return_code = a;
        if (ca->type->is_polymorphic && has_poly_arg(ca->role))
            add_poly(cx, rt, &n, a, it);
        if (ca->role == IR_ROLE_DATA) {
            if (has_count(ca->type) && !ca->flags.samecount)
                add_count(cx, rt, &n, a, it);
            if (ca->flags.samecount && prev_data) {
                a->maybe_samecount_with = prev_data;
                a->maybe_count = prev_data->maybe_count;
            }
            if (ca->flags.dealloc == IR_DEALLOC_MAYBE)
                add_dealloc(cx, rt, &n, a, it);
            prev_data = a;
        }
    }
    rt->arg_count = n;
    // Is the reply complex? Then it carries no RetCode (errors go back as mig_reply_error_t).
    bool complex_reply = false;
    for (size_t i = 0; i < n; i++) {
        enum ir_carrier c = rt->args[i].reply_carrier;
        complex_reply |= c == IR_CARRY_PORT_DESC || c == IR_CARRY_OOL_DESC ||
                         c == IR_CARRY_OOL_PORTS_DESC;
    }
    if (retcode)
        retcode->reply_carrier = complex_reply ? IR_CARRY_NONE : IR_CARRY_INLINE;
    for (size_t i = 0; i < n; i++) {
        rt->user_arg_count += rt->args[i].on_user_side;
        rt->server_arg_count += rt->args[i].on_server_side;
        rt->args[i].index = (unsigned)i;
    }
    rt->argc = rt->server_arg_count;
    rt->uses_special_reply_port = cx->ir->use_special_reply_port && rt->kind == IR_KIND_ROUTINE &&
                                  (rt->reply_port_kind == IR_REPLY_PORT_MIG ||
                                   rt->reply_port_kind == IR_REPLY_PORT_SERVER);
}

bool check_implicit(struct check_ctx *cx) {
    unsigned errors = check_error_count(cx);
    struct implicit_types it = {
        .count = check_implicit_scalar(cx, "mach_msg_type_number_t", 4),
        .poly = check_implicit_scalar(cx, "mach_msg_type_name_t", 4),
        .dealloc = check_implicit_scalar(cx, "boolean_t", 4),
        .retcode = check_implicit_scalar(cx, "kern_return_t", 4),
    };
    for (size_t r = 0; r < cx->routine_count; r++)
        if (cx->routines[r].ir->kind != IR_KIND_SKIP)
            build_routine(cx, &cx->routines[r], &it);
    return check_error_count(cx) == errors;
}
