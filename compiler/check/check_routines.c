// Check step 3, routines: the role and direction of every written argument, the rules on
// request/reply ports, special arguments (waittime, msgoption, trailer tokens), flags
// (dealloc, countinout, samecount, physicalcopy, overwrite, retcode, auto, GNU flags) and names
// (duplicate routines and arguments, C keywords).
#include <string.h>

#include "check/check.h"
#include "ir/target.h"
#include "support/arena.h"

// A request or reply port: one inline send or send-once right, or polymorphic (as received).
static bool is_send_port(const struct ir_type *t) {
    int32_t out = t->out_name.number;
    return t->shape == IR_SHAPE_PORT && !t->is_out_of_line &&
           (out == 17 || out == 18 || out == -1); // PORT_SEND, PORT_SEND_ONCE, POLYMORPHIC
}

// waittime, sendtime, msgoption, msgseqno: a MACH_MSG_TYPE_INTEGER_32 both ways.
static bool is_integer32(const struct ir_type *t) {
    return t->shape == IR_SHAPE_SCALAR && t->size == 4 && t->in_name.number == 2 &&
           t->out_name.number == 2;
}

static bool is_int32(const struct ir_type *t) {
    return t->shape == IR_SHAPE_SCALAR && t->size == 4 && !t->is_port;
}

static bool is_inline_variable(const struct ir_type *t) {
    return !t->is_out_of_line && t->bound == IR_BOUND_VARIABLE;
}

// True when the argument's data has an element count of its own (a Cnt).
static bool has_count(const struct ir_type *t) {
    return t->bound == IR_BOUND_VARIABLE || t->bound == IR_BOUND_UNBOUNDED;
}

static bool is_port_like(const struct ir_type *t) { return t->is_port; }

static const char *kind_word(const struct ast_arg *a) { return ast_arg_kind_name(a->kind); }

// Decides role, direction and C sides from the written kind.
static void assign_role(struct check_ctx *cx, struct check_routine *cr, size_t i,
                        const struct check_arg **request_port, const struct check_arg **reply_port) {
    struct check_arg *ca = &cr->args[i];
    const struct ast_arg *a = ca->ast;
    const char *rt_name = cr->ir->name;
    ca->on_user_side = ca->on_server_side = true;
    ca->dir = IR_DIR_IN;
    ca->role = IR_ROLE_DATA;
    switch (a->kind) {
    case AST_ARG_DEFAULT:
        if (i == 0)
            ca->role = IR_ROLE_REQUEST_PORT;
        break;
    case AST_ARG_IN: break;
    case AST_ARG_OUT: ca->dir = IR_DIR_OUT; break;
    case AST_ARG_INOUT: ca->dir = IR_DIR_INOUT; break;
    case AST_ARG_REQUESTPORT: ca->role = IR_ROLE_REQUEST_PORT; break;
    case AST_ARG_REPLYPORT: ca->role = IR_ROLE_REPLY_PORT; break;
    case AST_ARG_UREPLYPORT: ca->role = IR_ROLE_REPLY_PORT; ca->on_server_side = false; break;
    case AST_ARG_SREPLYPORT: ca->role = IR_ROLE_REPLY_PORT; ca->on_user_side = false; break;
    case AST_ARG_WAITTIME: ca->role = IR_ROLE_WAITTIME; break;
    case AST_ARG_SENDTIME: ca->role = IR_ROLE_SENDTIME; break;
    case AST_ARG_MSGOPTION: ca->role = IR_ROLE_MSGOPTION; break;
    case AST_ARG_MSGSEQNO: ca->role = IR_ROLE_MSGSEQNO; break;
    case AST_ARG_SECTOKEN:
    case AST_ARG_SERVERSECTOKEN:
    case AST_ARG_USERSECTOKEN: ca->role = IR_ROLE_SEC_TOKEN; break;
    case AST_ARG_AUDITTOKEN:
    case AST_ARG_SERVERAUDITTOKEN:
    case AST_ARG_USERAUDITTOKEN: ca->role = IR_ROLE_AUDIT_TOKEN; break;
    case AST_ARG_SERVERCONTEXTTOKEN: ca->role = IR_ROLE_CONTEXT_TOKEN; break;
    case AST_ARG_SERVERIMPL:
    case AST_ARG_USERIMPL:
        diag_report(cx->diags, DIAG_IMPL_ARG_UNSUPPORTED, a->kind_span, kind_word(a));
        ca->role = IR_ROLE_MSGSEQNO; // placeholder; the step fails
        break;
    }
    switch (ca->role) {
    case IR_ROLE_WAITTIME:
    case IR_ROLE_SENDTIME:
    case IR_ROLE_MSGOPTION:
        ca->on_server_side = false;
        ca->dir = IR_DIR_NONE;
        break;
    case IR_ROLE_MSGSEQNO:
    case IR_ROLE_SEC_TOKEN:
    case IR_ROLE_AUDIT_TOKEN:
    case IR_ROLE_CONTEXT_TOKEN: {
        bool user = a->kind == AST_ARG_USERSECTOKEN || a->kind == AST_ARG_USERAUDITTOKEN;
        ca->on_user_side = user;
        ca->on_server_side = !user;
        ca->dir = IR_DIR_NONE;
        break;
    }
    default: break;
    }
    if (ca->role == IR_ROLE_REQUEST_PORT) {
        if (*request_port)
            diag_report(cx->diags, DIAG_DUPLICATE_REQUEST_PORT, a->name.span, rt_name,
                        a->name.name);
        else
            *request_port = ca;
    }
    if (ca->role == IR_ROLE_REPLY_PORT) {
        if (*reply_port)
            diag_report(cx->diags, DIAG_DUPLICATE_REPLY_PORT, a->name.span, rt_name, a->name.name);
        else
            *reply_port = ca;
    }
}

// A server type that differs from the translated type needs the conversion for each direction
// the value travels (Apple's MIG warns the same; the server would get the wrong C type).
static void check_translations(struct check_ctx *cx, const struct check_arg *ca) {
    const struct ir_type *t = ca->type;
    if (strcmp(t->server_type, t->trans_type) == 0)
        return;
    const char *name = ca->ast->name.name;
    if ((ca->dir == IR_DIR_IN || ca->dir == IR_DIR_INOUT) && !t->maybe_intran)
        diag_report(cx->diags, DIAG_TRANSLATION_MISSING, ca->ast->name.span, name, t->trans_type,
                    t->server_type, "intran");
    if ((ca->dir == IR_DIR_OUT || ca->dir == IR_DIR_INOUT) && !t->maybe_outtran)
        diag_report(cx->diags, DIAG_TRANSLATION_MISSING, ca->ast->name.span, name, t->trans_type,
                    t->server_type, "outtran");
}

// Checks the argument's type against its role.
static void check_role_type(struct check_ctx *cx, struct check_routine *cr, struct check_arg *ca) {
    const struct ast_arg *a = ca->ast;
    const struct ir_type *t = ca->type;
    const struct ir_module *ir = cx->ir;
    const char *name = a->name.name;
    bool simple = cr->ir->kind == IR_KIND_SIMPLEROUTINE;
    if (ca->role == IR_ROLE_DATA && ca->dir != IR_DIR_IN && simple)
        diag_report(cx->diags, DIAG_OUT_IN_SIMPLEROUTINE, a->span, cr->ir->name, name);
    bool token = ca->role == IR_ROLE_SEC_TOKEN || ca->role == IR_ROLE_AUDIT_TOKEN ||
                 ca->role == IR_ROLE_CONTEXT_TOKEN;
    // Trailer data is refused only on the side that runs in the kernel: a KernelUser subsystem
    // may still have its (user space) server receive an audit token, as Apple's mig allows.
    bool user_kernel = ir->kernel_user && ca->on_user_side;
    bool server_kernel = ir->kernel_server && ca->on_server_side;
    if (token && (user_kernel || server_kernel))
        diag_report(cx->diags, DIAG_TOKEN_KERNEL, a->kind_span, name,
                    user_kernel ? "KernelUser" : "KernelServer");
    if (token && ca->on_user_side && simple)
        diag_report(cx->diags, DIAG_USER_TOKEN_NO_REPLY, a->kind_span, kind_word(a), cr->ir->name);
    if (!t)
        return;
    struct src_span tspan = a->type_name.name ? a->type_name.span : a->name.span;
    switch (ca->role) {
    case IR_ROLE_REQUEST_PORT:
        if (!is_send_port(t))
            diag_report(cx->diags, DIAG_REQUEST_PORT_NOT_PORT, tspan, name, t->name);
        break;
    case IR_ROLE_REPLY_PORT:
        if (!is_send_port(t))
            diag_report(cx->diags, DIAG_REPLY_PORT_NOT_PORT, tspan, name, t->name);
        break;
    case IR_ROLE_WAITTIME:
    case IR_ROLE_SENDTIME:
    case IR_ROLE_MSGOPTION:
        if (!is_integer32(t))
            diag_report(cx->diags, DIAG_INTEGER_ARG_REQUIRED, tspan, kind_word(a), name);
        break;
    case IR_ROLE_MSGSEQNO:
        if (!is_integer32(t))
            diag_report(cx->diags, DIAG_TOKEN_BAD_TYPE, tspan, kind_word(a), name, "4",
                        "integer (mach_port_seqno_t)");
        break;
    case IR_ROLE_SEC_TOKEN:
    case IR_ROLE_AUDIT_TOKEN:
    case IR_ROLE_CONTEXT_TOKEN: {
        const struct target_abi *abi = cx->target;
        uint32_t want = ca->role == IR_ROLE_SEC_TOKEN     ? abi->security_token_size
                        : ca->role == IR_ROLE_AUDIT_TOKEN ? abi->audit_token_size
                                                          : abi->context_size;
        const char *what = ca->role == IR_ROLE_SEC_TOKEN     ? "security_token_t"
                           : ca->role == IR_ROLE_AUDIT_TOKEN ? "audit_token_t"
                                                             : "mach_port_context_t";
        if (t->size != want || t->is_port || t->is_out_of_line || t->is_variable ||
            t->shape == IR_SHAPE_NATIVE)
            diag_report(cx->diags, DIAG_TOKEN_BAD_TYPE, tspan, kind_word(a), name,
                        check_num(cx, want), what);
        break;
    }
    case IR_ROLE_DATA:
        check_translations(cx, ca);
        if (t->native == IR_NATIVE_VALUE_OF && ca->dir != IR_DIR_IN)
            diag_report(cx->diags, DIAG_VALUEOF_NOT_IN, a->name.span, name);
        if (ca->dir == IR_DIR_INOUT && is_inline_variable(t))
            diag_report(cx->diags, DIAG_INOUT_VARIABLE, a->name.span, name);
        break;
    default: break;
    }
}

// Processes the flags of one argument into ca->flags.
static void check_flags(struct check_ctx *cx, struct check_routine *cr, size_t i,
                        unsigned *retcodes) {
    struct check_arg *ca = &cr->args[i];
    const struct ast_arg *a = ca->ast;
    const struct ir_type *t = ca->type;
    const char *name = a->name.name;
    bool seen[AST_FLAG_ISNOTLONG + 1] = {false};
    bool dealloc = false, notdealloc = false;
    for (const struct ast_flag *f = a->flags; f; f = f->next) {
        const char *fname = ast_flag_kind_name(f->kind);
        if (seen[f->kind])
            diag_report(cx->diags, DIAG_DUPLICATE_FLAG, f->span, fname);
        seen[f->kind] = true;
        if (f->has_brackets && f->kind != AST_FLAG_DEALLOC) {
            diag_report(cx->diags, DIAG_BRACKETS_NOT_ALLOWED, f->span, fname);
            continue;
        }
        bool data_role = ca->role == IR_ROLE_DATA || ca->role == IR_ROLE_REQUEST_PORT ||
                         ca->role == IR_ROLE_REPLY_PORT;
        if (!data_role && f->kind != AST_FLAG_CONST) {
            diag_report(cx->diags, DIAG_FLAG_NOT_APPLICABLE, f->span, fname, name);
            continue;
        }
        if (!t)
            continue;
        bool ool = t->is_out_of_line;
        switch (f->kind) {
        case AST_FLAG_DEALLOC:
        case AST_FLAG_NOTDEALLOC:
            if (f->has_brackets && !ool) {
                diag_report(cx->diags, DIAG_DEALLOC_BRACKETS_BAD, f->span, name);
                break;
            }
            if (!ool && !is_port_like(t)) {
                diag_report(cx->diags, DIAG_DEALLOC_IGNORED, f->span, fname, name);
                break;
            }
            if (f->kind == AST_FLAG_NOTDEALLOC) {
                notdealloc = true;
                ca->flags.dealloc = IR_DEALLOC_NO;
            } else {
                dealloc = true;
                ca->flags.dealloc = f->has_brackets ? IR_DEALLOC_MAYBE : IR_DEALLOC_YES;
            }
            break;
        case AST_FLAG_COUNTINOUT:
            if (ca->dir != IR_DIR_OUT || !is_inline_variable(t) || t->is_string)
                diag_report(cx->diags, DIAG_COUNTINOUT_BAD, f->span, name);
            else
                ca->flags.countinout = true;
            break;
        case AST_FLAG_SAMECOUNT: {
            const struct check_arg *prev = i > 0 ? &cr->args[i - 1] : NULL;
            bool ok = prev && prev->type && prev->role == IR_ROLE_DATA && prev->dir == ca->dir &&
                      has_count(t) && has_count(prev->type) && !t->is_string &&
                      !prev->type->is_string && t->is_out_of_line == prev->type->is_out_of_line;
            if (!ok)
                diag_report(cx->diags, DIAG_SAMECOUNT_BAD, f->span, name);
            else
                ca->flags.samecount = true;
            break;
        }
        case AST_FLAG_PHYSICALCOPY:
            if (!ool || t->is_port)
                diag_report(cx->diags, DIAG_PHYSICALCOPY_IGNORED, f->span, name);
            else
                ca->flags.physicalcopy = true;
            break;
        case AST_FLAG_OVERWRITE:
            if (!ool || ca->dir != IR_DIR_OUT)
                diag_report(cx->diags, DIAG_OVERWRITE_BAD, f->span, name);
            else if (cx->ir->kernel_user)
                diag_report(cx->diags, DIAG_OVERWRITE_KERNEL_USER, f->span, name);
            else
                ca->flags.overwrite = true;
            break;
        case AST_FLAG_RETCODE:
            (*retcodes)++;
            if (cr->ir->kind != IR_KIND_SIMPLEROUTINE)
                diag_report(cx->diags, DIAG_RETCODE_NOT_SIMPLE, f->span, name);
            else if (*retcodes > 1)
                diag_report(cx->diags, DIAG_RETCODE_TWICE, f->span, cr->ir->name);
            else if (!is_int32(t) || ca->role != IR_ROLE_DATA || ca->dir != IR_DIR_IN)
                diag_report(cx->diags, DIAG_RETCODE_BAD_TYPE, f->span, name);
            else
                ca->flags.retcode = true;
            break;
        case AST_FLAG_AUTO:
            if (!ool || ca->dir != IR_DIR_IN || t->is_port)
                diag_report(cx->diags, DIAG_AUTO_BAD, f->span, name);
            else
                ca->flags.is_auto = true;
            break;
        case AST_FLAG_CONST: {
            // Apple's rule: `const T` on a c_string or on inline variable-sized data. Not on an
            // argument written back (out, inout): the stub fills it, so const would not compile.
            ca->flags.is_const = true;
            bool inline_variable_data =
                t->bound == IR_BOUND_VARIABLE && !t->is_out_of_line && !t->is_port;
            if (!inline_variable_data && !t->is_string)
                break;
            if (ca->dir == IR_DIR_IN)
                ca->c_const = true;
            else if (ca->dir == IR_DIR_OUT || ca->dir == IR_DIR_INOUT)
                diag_report(cx->diags, DIAG_CONST_ON_RETURNED, f->span, name);
            break;
        }
        case AST_FLAG_SERVERCOPY:
            diag_report(cx->diags, DIAG_GNU_FLAG_IGNORED, f->span, fname);
            ca->flags.servercopy = true;
            break;
        case AST_FLAG_ISLONG:
        case AST_FLAG_ISNOTLONG: diag_report(cx->diags, DIAG_GNU_FLAG_IGNORED, f->span, fname); break;
        case AST_FLAG_SAMETYPE: diag_report(cx->diags, DIAG_FLAG_UNSUPPORTED, f->span, fname); break;
        }
    }
    if (dealloc && notdealloc)
        diag_report(cx->diags, DIAG_DEALLOC_CONFLICT, a->name.span, name);
}

static void check_names(struct check_ctx *cx, struct check_routine *cr, struct symtab *routines) {
    const struct ast_routine *r = &cr->stmt->u.routine;
    const char *rname = cr->ir->name;
    const struct ast_stmt *prev = symtab_put(routines, rname, (void *)cr->stmt);
    if (prev) {
        diag_report(cx->diags, DIAG_DUPLICATE_ROUTINE, r->name.span, rname);
        diag_report(cx->diags, DIAG_NOTE_PREVIOUS, prev->u.routine.name.span, rname);
    }
    // A routine may be called `register` (libdispatch's firehose.defs, launchd's bootstrap):
    // only the client stub and the server function are named by it alone, and a prefix makes
    // them valid; every other generated name has the routine name inside it (_Xregister).
    if (check_is_c_keyword(cr->ir->user_name)) {
        diag_report(cx->diags, DIAG_ROUTINE_IDENT_C_KEYWORD, r->name.span, rname, "client stub",
                    cr->ir->user_name);
        diag_report(cx->diags, DIAG_NOTE_ADD_PREFIX, r->name.span, "userprefix");
    }
    if (check_is_c_keyword(cr->ir->server_name)) {
        diag_report(cx->diags, DIAG_ROUTINE_IDENT_C_KEYWORD, r->name.span, rname,
                    "server function", cr->ir->server_name);
        diag_report(cx->diags, DIAG_NOTE_ADD_PREFIX, r->name.span, "serverprefix");
    }
    struct symtab args;
    symtab_init(&args);
    for (size_t i = 0; i < cr->n_args; i++) {
        const struct ast_arg *a = cr->args[i].ast;
        if (!a->name.name)
            continue;
        const struct ast_arg *dup = symtab_put(&args, a->name.name, (void *)a);
        if (dup) {
            diag_report(cx->diags, DIAG_DUPLICATE_ARG, a->name.span, a->name.name, rname);
            diag_report(cx->diags, DIAG_NOTE_PREVIOUS, dup->name.span, a->name.name);
        }
        if (check_is_c_keyword(a->name.name))
            diag_report(cx->diags, DIAG_C_KEYWORD_NAME, a->name.span, "argument", a->name.name);
    }
    symtab_fini(&args);
}

bool check_routines(struct check_ctx *cx) {
    unsigned errors = check_error_count(cx);
    struct symtab routines;
    symtab_init(&routines);
    for (size_t r = 0; r < cx->routine_count; r++) {
        struct check_routine *cr = &cx->routines[r];
        if (cr->ir->kind == IR_KIND_SKIP)
            continue;
        check_names(cx, cr, &routines);
        const struct check_arg *request_port = NULL, *reply_port = NULL;
        unsigned retcodes = 0;
        for (size_t i = 0; i < cr->n_args; i++) {
            assign_role(cx, cr, i, &request_port, &reply_port);
            check_role_type(cx, cr, &cr->args[i]);
            check_flags(cx, cr, i, &retcodes);
        }
        // Special arguments may appear once each (per side for the tokens).
        bool seen[IR_ROLE_CONTEXT_TOKEN + 1][2] = {{false}};
        for (size_t i = 0; i < cr->n_args; i++) {
            const struct check_arg *ca = &cr->args[i];
            bool once = ca->role >= IR_ROLE_WAITTIME && ca->role <= IR_ROLE_CONTEXT_TOKEN;
            if (!once)
                continue;
            if (seen[ca->role][ca->on_user_side])
                diag_report(cx->diags, DIAG_DUPLICATE_SPECIAL_ARG, ca->ast->kind_span,
                            cr->ir->name, kind_word(ca->ast));
            seen[ca->role][ca->on_user_side] = true;
        }
        if (!request_port)
            diag_report(cx->diags, DIAG_NO_REQUEST_PORT, cr->stmt->u.routine.name.span,
                        cr->ir->name);
    }
    symtab_fini(&routines);
    return check_error_count(cx) == errors;
}
