// Check step 1, collect: walks the statements in order, fills the module-level IR (subsystem,
// prefixes, demux, imports, rcsid, UseSpecialReplyPort, ConsumeOnSendError, limits), creates one
// slot per routine, simpleroutine and skip, and snapshots the waittime/sendtime/msgoption
// statements in force into each routine. Generated module and routine names are computed here.
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "check/check.h"
#include "ir/target.h"
#include "support/arena.h"
#include "support/xalloc.h"

struct collect_state {
    struct check_routine *slots; // heap while collecting
    size_t n_slots, cap;
    struct ir_import *imports;
    size_t n_imports, cap_imports;
    struct ir_setting waittime, sendtime, msgoption;
    const struct ast_stmt *special_reply_stmt;
    struct src_span kernel_user_span;
    bool have_subsystem;
};

static void add_slot(struct collect_state *st, const struct ast_stmt *stmt) {
    st->slots = xgrow(st->slots, &st->cap, st->n_slots + 1, sizeof *st->slots);
    struct check_routine *cr = &st->slots[st->n_slots++];
    memset(cr, 0, sizeof *cr);
    cr->stmt = stmt;
    cr->waittime = st->waittime;
    cr->sendtime = st->sendtime;
    cr->msgoption = st->msgoption;
}

static void collect_subsystem(struct check_ctx *cx, struct collect_state *st,
                              const struct ast_stmt *s) {
    struct ir_module *ir = cx->ir;
    if (st->have_subsystem) {
        diag_report(cx->diags, DIAG_SECOND_SUBSYSTEM, s->keyword_span, ir->subsystem);
        diag_report(cx->diags, DIAG_NOTE_PREVIOUS, cx->subsystem_span, ir->subsystem);
    }
    st->have_subsystem = true;
    cx->subsystem_span = s->u.subsystem->name.span;
    ir->subsystem = s->u.subsystem->name.name ? s->u.subsystem->name.name : "";
    ir->kernel_user = s->u.subsystem->is_kernel_user;
    st->kernel_user_span = s->u.subsystem->kernel_user_span;
    ir->kernel_server = s->u.subsystem->is_kernel_server;
    ir->base = 0;
    // The subsystem's name never stands alone in the generated C (register_server,
    // _register_user_, register_subsystem...): a C keyword is fine there, as with Apple's mig.
    uint32_t base;
    if (s->u.subsystem->base && check_eval_size(cx, s->u.subsystem->base, &base)) {
        if (base > INT32_MAX)
            diag_report(cx->diags, DIAG_BAD_SUBSYSTEM_BASE, s->u.subsystem->base->span,
                        check_num(cx, base));
        else
            ir->base = (int32_t)base;
    }
}

static void set_prefix(struct check_ctx *cx, const struct ast_stmt *s, const char **slot,
                       bool *seen) {
    const char *name = s->u.name.name ? s->u.name.name : "";
    if (*seen)
        diag_report(cx->diags, DIAG_DUPLICATE_PREFIX, s->keyword_span,
                    ast_stmt_kind_name(s->kind), name);
    *seen = true;
    *slot = name;
    // serverdemux names the demux function itself.
    if (s->kind == AST_SERVERDEMUX && check_is_c_keyword(name))
        diag_report(cx->diags, DIAG_C_KEYWORD_NAME, s->u.name.span, "serverdemux", name);
}

static void collect_import(struct check_ctx *cx, struct collect_state *st,
                           const struct ast_stmt *s) {
    static const enum ir_import_kind kinds[] = {
        [AST_IMPORT_BOTH] = IR_IMPORT,      [AST_IMPORT_USER] = IR_UIMPORT,
        [AST_IMPORT_SERVER] = IR_SIMPORT,   [AST_IMPORT_DEFINES] = IR_DIMPORT,
        [AST_IMPORT_IMPL] = IR_IIMPORT,
    };
    const char *file = s->u.import.file.text ? s->u.import.file.text : "";
    st->imports = xgrow(st->imports, &st->cap_imports, st->n_imports + 1, sizeof *st->imports);
    struct ir_import *imp = &st->imports[st->n_imports++];
    imp->kind = kinds[s->u.import.kind];
    imp->text = s->u.import.is_system ? arena_printf(cx->arena, "<%s>", file)
                                      : arena_printf(cx->arena, "\"%s\"", file);
    imp->line = s->span.begin.line;
}

static void collect_timeout(struct check_ctx *cx, const struct ast_stmt *s,
                            struct ir_setting *setting) {
    setting->source = IR_SETTING_STATEMENT;
    setting->expr = s->u.text.text ? s->u.text.text : "";
    setting->maybe_arg = NULL;
    if (cx->ir->consume_on_send_error == IR_CONSUME_NONE)
        diag_report(cx->diags, DIAG_TIMEOUT_MAY_LEAK, s->keyword_span,
                    ast_stmt_kind_name(s->kind));
}

static void collect_skip(struct check_ctx *cx, struct collect_state *st,
                         const struct ast_stmt *s) {
    uint32_t count = 1;
    if (s->u.skip.maybe_count) {
        if (!check_eval_size(cx, s->u.skip.maybe_count, &count))
            return;
        if (count < 1 || count > 100000) {
            diag_report(cx->diags, DIAG_BAD_SKIP_COUNT, s->u.skip.maybe_count->span,
                        check_num(cx, count));
            return;
        }
        diag_report(cx->diags, DIAG_GNU_SKIP_COUNT, s->keyword_span, check_num(cx, count));
    }
    for (uint32_t i = 0; i < count; i++)
        add_slot(st, s);
}

static void collect_statement(struct check_ctx *cx, struct collect_state *st,
                              const struct ast_stmt *s, bool seen[3]) {
    struct ir_module *ir = cx->ir;
    switch (s->kind) {
    case AST_SUBSYSTEM: collect_subsystem(cx, st, s); break;
    case AST_SERVERPREFIX: set_prefix(cx, s, &ir->server_prefix, &seen[0]); break;
    case AST_USERPREFIX: set_prefix(cx, s, &ir->user_prefix, &seen[1]); break;
    case AST_SERVERDEMUX: set_prefix(cx, s, &ir->names.server_demux, &seen[2]); break;
    case AST_IMPORT: collect_import(cx, st, s); break;
    case AST_RCSID: ir->maybe_rcsid = s->u.text.text ? s->u.text.text : ""; break;
    case AST_WAITTIME: collect_timeout(cx, s, &st->waittime); break;
    case AST_NOWAITTIME: st->waittime = (struct ir_setting){IR_SETTING_NONE, NULL, NULL}; break;
    case AST_SENDTIME: collect_timeout(cx, s, &st->sendtime); break;
    case AST_NOSENDTIME: st->sendtime = (struct ir_setting){IR_SETTING_NONE, NULL, NULL}; break;
    case AST_MSGOPTION:
        if (s->u.text.text && strcmp(s->u.text.text, "MACH_MSG_OPTION_NONE") == 0)
            st->msgoption = (struct ir_setting){IR_SETTING_NONE, NULL, NULL};
        else
            st->msgoption = (struct ir_setting){IR_SETTING_STATEMENT,
                                                s->u.text.text ? s->u.text.text : "", NULL};
        break;
    case AST_ERROR: diag_report(cx->diags, DIAG_ERROR_STATEMENT_IGNORED, s->keyword_span); break;
    case AST_USE_SPECIAL_REPLY_PORT: {
        uint32_t v;
        if (s->u.number && check_eval_size(cx, s->u.number, &v)) {
            if (v > 1)
                diag_report(cx->diags, DIAG_BAD_SPECIAL_REPLY_PORT, s->u.number->span,
                            check_num(cx, v));
            ir->use_special_reply_port = v == 1;
            st->special_reply_stmt = v == 1 ? s : NULL;
        }
        break;
    }
    case AST_CONSUME_ON_SEND_ERROR: {
        const char *v = s->u.name.name ? s->u.name.name : "";
        if (strcasecmp(v, "None") == 0)
            ir->consume_on_send_error = IR_CONSUME_NONE;
        else if (strcasecmp(v, "Timeout") == 0)
            ir->consume_on_send_error = IR_CONSUME_TIMEOUT;
        else if (strcasecmp(v, "Any") == 0)
            ir->consume_on_send_error = IR_CONSUME_ANY;
        else
            diag_report(cx->diags, DIAG_BAD_CONSUME_ON_SEND_ERROR, s->u.name.span, v);
        break;
    }
    case AST_USER_TYPE_LIMIT:
        if (s->u.number)
            check_eval_size(cx, s->u.number, &ir->user_type_limit);
        break;
    case AST_ON_STACK_LIMIT:
        if (s->u.number)
            check_eval_size(cx, s->u.number, &ir->on_stack_limit);
        break;
    case AST_TYPE_DECL: break; // check_types
    case AST_ROUTINE:
    case AST_SIMPLEROUTINE: add_slot(st, s); break;
    case AST_SKIP: collect_skip(cx, st, s); break;
    }
}

static void compute_module_names(struct check_ctx *cx) {
    struct ir_module *ir = cx->ir;
    struct ir_names *n = &ir->names;
    struct arena *a = cx->arena;
    const char *sub = ir->subsystem, *up = ir->user_prefix, *sp = ir->server_prefix;
    n->subsystem_struct = arena_printf(a, "%s%s_subsystem", sp, sub);
    if (!n->server_demux)
        n->server_demux = arena_printf(a, "%s_server", sub);
    n->server_routine = arena_printf(a, "%s_routine", n->server_demux);
    n->user_request_union = arena_printf(a, "__RequestUnion__%s%s_subsystem", up, sub);
    n->user_reply_union = arena_printf(a, "__ReplyUnion__%s%s_subsystem", up, sub);
    n->server_request_union = arena_printf(a, "__RequestUnion__%s%s_subsystem", sp, sub);
    n->server_reply_union = arena_printf(a, "__ReplyUnion__%s%s_subsystem", sp, sub);
    n->msg_count_macro = arena_printf(a, "%s_MSG_COUNT", sub);
    n->request_typedefs_guard = arena_printf(a, "__Request__%s_subsystem__defined", sub);
    n->reply_typedefs_guard = arena_printf(a, "__Reply__%s_subsystem__defined", sub);
    n->request_checkers_guard = arena_printf(a, "__MIG_check__Request__%s_subsystem__", sub);
    n->reply_checkers_guard = arena_printf(a, "__MIG_check__Reply__%s_subsystem__", sub);
    n->user_rcsid = arena_printf(a, "%s_user_rcsid", sub);
    n->server_rcsid = arena_printf(a, "%s_server_rcsid", sub);
    n->name_map = arena_printf(a, "subsystem_to_name_map_%s", sub);
}

static char *upper_copy(struct arena *a, const char *s) {
    char *u = arena_strdup(a, s);
    for (char *p = u; *p; p++)
        if (*p >= 'a' && *p <= 'z')
            *p = (char)(*p - 'a' + 'A');
    return u;
}

static void compute_routine_names(struct check_ctx *cx, struct ir_routine *rt) {
    const char *up = cx->ir->user_prefix, *sp = cx->ir->server_prefix, *name = rt->name;
    rt->user_name = check_cat(cx, up, name, "");
    rt->server_name = check_cat(cx, sp, name, "");
    rt->server_stub_name = check_cat(cx, "_X", name, "");
    rt->request_checker = check_cat(cx, "__MIG_check__Request__", name, "_t");
    rt->reply_checker = check_cat(cx, "__MIG_check__Reply__", name, "_t");
    rt->user_request_union_member = check_cat(cx, "Request_", rt->user_name, "");
    rt->user_reply_union_member = check_cat(cx, "Reply_", rt->user_name, "");
    rt->server_request_union_member = check_cat(cx, "Request_", name, "");
    rt->server_reply_union_member = check_cat(cx, "Reply_", name, "");
    const char *upper = upper_copy(cx->arena, name);
    rt->define_id_name = check_cat(cx, "MACH_ID_", upper, "");
    rt->define_reply_id_name = check_cat(cx, "MACH_ID_", upper, "_REPLY");
    rt->request.typedef_name = check_cat(cx, "__Request__", name, "_t");
    rt->reply.typedef_name = check_cat(cx, "__Reply__", name, "_t");
}

bool check_collect(struct check_ctx *cx) {
    unsigned errors = check_error_count(cx);
    struct ir_module *ir = cx->ir;
    struct collect_state st = {0};
    bool seen[3] = {false, false, false};
    ir->user_prefix = "";
    ir->server_prefix = "";
    ir->subsystem = "";
    for (const struct ast_stmt *s = cx->ast->stmts; s; s = s->next)
        collect_statement(cx, &st, s, seen);

    if (!st.have_subsystem) {
        // Point at the last statement: included files come first, so it is in the main file.
        struct src_span where = SRC_SPAN_NONE;
        for (const struct ast_stmt *s = cx->ast->stmts; s; s = s->next)
            where = s->keyword_span;
        diag_report(cx->diags, DIAG_NO_SUBSYSTEM, where);
    }
    if (st.special_reply_stmt && (ir->kernel_user || ir->kernel_server))
        diag_report(cx->diags, DIAG_SPECIAL_REPLY_PORT_KERNEL, st.special_reply_stmt->keyword_span,
                    ir->kernel_user ? "KernelUser" : "KernelServer");
    if (ir->kernel_user && cx->options->rpc_separate)
        diag_report(cx->diags, DIAG_KERNEL_USER_RPC, st.kernel_user_span);
    // -mach_msg2 (xnu's KernelServer builds) asks for Apple's newer kernel server form: a demux
    // taking header, data and trailer apart and a kern_routine_descriptor table. Not generated.
    if (ir->kernel_server && cx->options->mach_msg2)
        diag_report(cx->diags, DIAG_IGNORED_OPTION, SRC_SPAN_NONE, "-mach_msg2",
                    "the mach_msg2 kernel server (a demux taking header, data and trailer "
                    "apart, a kern_routine_descriptor table) is not generated; the classic "
                    "KernelServer code is written");
    ir->options = *cx->options;
    if (ir->kernel_user)
        ir->options.rpc_separate = false; // as Apple's MIG after E0114: one call all the same
    if (ir->on_stack_limit == 0 && cx->options->maxonstack <= UINT32_MAX)
        ir->on_stack_limit = (uint32_t)cx->options->maxonstack;
    compute_module_names(cx);

    ir->imports = arena_array(cx->arena, st.n_imports, sizeof *ir->imports);
    if (st.n_imports)
        memcpy(ir->imports, st.imports, st.n_imports * sizeof *ir->imports);
    ir->import_count = st.n_imports;
    free(st.imports);

    ir->routines = arena_array(cx->arena, st.n_slots, sizeof *ir->routines);
    ir->routine_count = st.n_slots;
    ir->msg_count = st.n_slots;
    cx->routines = arena_array(cx->arena, st.n_slots, sizeof *cx->routines);
    cx->routine_count = st.n_slots;
    if (st.n_slots)
        memcpy(cx->routines, st.slots, st.n_slots * sizeof *cx->routines);
    free(st.slots);
    for (size_t i = 0; i < cx->routine_count; i++) {
        struct check_routine *cr = &cx->routines[i];
        struct ir_routine *rt = &ir->routines[i];
        cr->ir = rt;
        rt->index = (unsigned)i;
        rt->line = cr->stmt->span.begin.line;
        if (cr->stmt->kind == AST_SKIP) {
            rt->kind = IR_KIND_SKIP;
            continue;
        }
        ir->real_routine_count++;
        rt->kind = cr->stmt->kind == AST_ROUTINE ? IR_KIND_ROUTINE : IR_KIND_SIMPLEROUTINE;
        rt->name = cr->stmt->u.routine.name.name ? cr->stmt->u.routine.name.name : "";
        compute_routine_names(cx, rt);
        rt->waittime = cr->waittime;
        rt->sendtime = cr->sendtime;
        rt->msgoption = cr->msgoption;
    }
    return check_error_count(cx) == errors;
}
