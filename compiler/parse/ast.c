// AST helpers (see ast.h): kind names and a deterministic S-expression dump for tests.
#include "parse/ast.h"

#include <inttypes.h>

#include "support/strbuf.h"

const char *ast_stmt_kind_name(enum ast_stmt_kind kind) {
    switch (kind) {
    case AST_SUBSYSTEM: return "subsystem";
    case AST_SERVERPREFIX: return "serverprefix";
    case AST_USERPREFIX: return "userprefix";
    case AST_SERVERDEMUX: return "serverdemux";
    case AST_IMPORT: return "import";
    case AST_RCSID: return "rcsid";
    case AST_WAITTIME: return "waittime";
    case AST_NOWAITTIME: return "nowaittime";
    case AST_SENDTIME: return "sendtime";
    case AST_NOSENDTIME: return "nosendtime";
    case AST_MSGOPTION: return "msgoption";
    case AST_ERROR: return "error";
    case AST_USE_SPECIAL_REPLY_PORT: return "UseSpecialReplyPort";
    case AST_CONSUME_ON_SEND_ERROR: return "ConsumeOnSendError";
    case AST_USER_TYPE_LIMIT: return "UserTypeLimit";
    case AST_ON_STACK_LIMIT: return "OnStackLimit";
    case AST_TYPE_DECL: return "type";
    case AST_ROUTINE: return "routine";
    case AST_SIMPLEROUTINE: return "simpleroutine";
    case AST_SKIP: return "skip";
    }
    return "?";
}

const char *ast_arg_kind_name(enum ast_arg_kind kind) {
    switch (kind) {
    case AST_ARG_DEFAULT: return "-";
    case AST_ARG_IN: return "in";
    case AST_ARG_OUT: return "out";
    case AST_ARG_INOUT: return "inout";
    case AST_ARG_REQUESTPORT: return "RequestPort";
    case AST_ARG_REPLYPORT: return "ReplyPort";
    case AST_ARG_UREPLYPORT: return "UReplyPort";
    case AST_ARG_SREPLYPORT: return "SReplyPort";
    case AST_ARG_WAITTIME: return "WaitTime";
    case AST_ARG_SENDTIME: return "SendTime";
    case AST_ARG_MSGOPTION: return "MsgOption";
    case AST_ARG_MSGSEQNO: return "MsgSeqno";
    case AST_ARG_SECTOKEN: return "SecToken";
    case AST_ARG_SERVERSECTOKEN: return "ServerSecToken";
    case AST_ARG_USERSECTOKEN: return "UserSecToken";
    case AST_ARG_AUDITTOKEN: return "AuditToken";
    case AST_ARG_SERVERAUDITTOKEN: return "ServerAuditToken";
    case AST_ARG_USERAUDITTOKEN: return "UserAuditToken";
    case AST_ARG_SERVERCONTEXTTOKEN: return "ServerContextToken";
    case AST_ARG_SERVERIMPL: return "ServerImpl";
    case AST_ARG_USERIMPL: return "UserImpl";
    }
    return "?";
}

const char *ast_flag_kind_name(enum ast_flag_kind kind) {
    switch (kind) {
    case AST_FLAG_DEALLOC: return "dealloc";
    case AST_FLAG_NOTDEALLOC: return "notdealloc";
    case AST_FLAG_COUNTINOUT: return "CountInOut";
    case AST_FLAG_SAMECOUNT: return "SameCount";
    case AST_FLAG_PHYSICALCOPY: return "PhysicalCopy";
    case AST_FLAG_OVERWRITE: return "Overwrite";
    case AST_FLAG_RETCODE: return "RetCode";
    case AST_FLAG_AUTO: return "auto";
    case AST_FLAG_CONST: return "const";
    case AST_FLAG_SERVERCOPY: return "servercopy";
    case AST_FLAG_SAMETYPE: return "sametype";
    case AST_FLAG_ISLONG: return "IsLong";
    case AST_FLAG_ISNOTLONG: return "IsNotLong";
    }
    return "?";
}

const char *ast_clause_kind_name(enum ast_clause_kind kind) {
    switch (kind) {
    case AST_CLAUSE_CTYPE: return "ctype";
    case AST_CLAUSE_CUSERTYPE: return "cusertype";
    case AST_CLAUSE_CSERVERTYPE: return "cservertype";
    case AST_CLAUSE_INTRAN: return "intran";
    case AST_CLAUSE_INTRANPAYLOAD: return "intranpayload";
    case AST_CLAUSE_OUTTRAN: return "outtran";
    case AST_CLAUSE_DESTRUCTOR: return "destructor";
    }
    return "?";
}

const char *ast_type_kind_name(enum ast_type_kind kind) {
    switch (kind) {
    case AST_TYPE_NAME: return "name";
    case AST_TYPE_NUMBER: return "number";
    case AST_TYPE_SPLIT: return "split";
    case AST_TYPE_POLYMORPHIC: return "polymorphic";
    case AST_TYPE_ARRAY: return "array";
    case AST_TYPE_POINTER: return "pointer";
    case AST_TYPE_STRUCT: return "struct";
    case AST_TYPE_CSTRING: return "c_string";
    case AST_TYPE_NATIVE: return "native";
    case AST_TYPE_LONG_FORM: return "long form";
    case AST_TYPE_GNU_STRUCT: return "struct {...}";
    }
    return "?";
}

const char *ast_import_kind_name(enum ast_import_kind kind) {
    switch (kind) {
    case AST_IMPORT_BOTH: return "import";
    case AST_IMPORT_USER: return "uimport";
    case AST_IMPORT_SERVER: return "simport";
    case AST_IMPORT_DEFINES: return "dimport";
    case AST_IMPORT_IMPL: return "iimport";
    }
    return "?";
}

static const char *native_kind_name(enum ast_native_kind kind) {
    switch (kind) {
    case AST_NATIVE_POINTER_TO: return "PointerTo";
    case AST_NATIVE_VALUE_OF: return "ValueOf";
    case AST_NATIVE_POINTER_TO_IF_NOT: return "PointerToIfNot";
    }
    return "?";
}

static void dump_text(const struct ast_text *t, struct strbuf *out) {
    strbuf_printf(out, "\"%s\"", t->text ? t->text : "");
}

void ast_dump_expr(const struct ast_expr *e, struct strbuf *out) {
    if (!e) {
        strbuf_puts(out, "?");
        return;
    }
    if (e->kind == AST_EXPR_NUMBER) {
        strbuf_printf(out, "%" PRIu64, e->u.number);
        return;
    }
    static const char ops[] = "+-*/";
    strbuf_printf(out, "(%c ", ops[e->u.binary.op]);
    ast_dump_expr(e->u.binary.lhs, out);
    strbuf_putc(out, ' ');
    ast_dump_expr(e->u.binary.rhs, out);
    strbuf_putc(out, ')');
}

static void dump_flags(const struct ast_flag *f, struct strbuf *out) {
    for (; f; f = f->next)
        strbuf_printf(out, " %s%s", ast_flag_kind_name(f->kind), f->has_brackets ? "[]" : "");
}

void ast_dump_type(const struct ast_type_expr *t, struct strbuf *out) {
    if (!t) {
        strbuf_puts(out, "?");
        return;
    }
    switch (t->kind) {
    case AST_TYPE_NAME:
        strbuf_puts(out, t->u.name.name);
        break;
    case AST_TYPE_NUMBER:
        ast_dump_expr(t->u.number, out);
        break;
    case AST_TYPE_SPLIT:
        strbuf_puts(out, "(| ");
        ast_dump_type(t->u.split.in, out);
        strbuf_putc(out, ' ');
        ast_dump_type(t->u.split.out, out);
        strbuf_putc(out, ')');
        break;
    case AST_TYPE_POLYMORPHIC:
        strbuf_puts(out, "polymorphic");
        break;
    case AST_TYPE_ARRAY:
        strbuf_puts(out, "(array[");
        if (t->u.array.kind == AST_ARRAY_BOUNDED)
            strbuf_puts(out, "*:");
        else if (t->u.array.star)
            strbuf_puts(out, "*");
        if (t->u.array.maybe_size)
            ast_dump_expr(t->u.array.maybe_size, out);
        strbuf_puts(out, "] ");
        ast_dump_type(t->u.array.element, out);
        strbuf_putc(out, ')');
        break;
    case AST_TYPE_POINTER:
        strbuf_puts(out, "(^ ");
        ast_dump_type(t->u.pointer.target, out);
        strbuf_putc(out, ')');
        break;
    case AST_TYPE_STRUCT:
        strbuf_puts(out, "(struct[");
        ast_dump_expr(t->u.struct_of.count, out);
        strbuf_puts(out, "] ");
        ast_dump_type(t->u.struct_of.element, out);
        strbuf_putc(out, ')');
        break;
    case AST_TYPE_CSTRING:
        strbuf_puts(out, t->u.cstring.is_variable ? "(c_string[*:" : "(c_string[");
        ast_dump_expr(t->u.cstring.size, out);
        strbuf_puts(out, "])");
        break;
    case AST_TYPE_NATIVE:
        strbuf_printf(out, "(%s ", native_kind_name(t->u.native->kind));
        dump_text(&t->u.native->ctype, out);
        if (t->u.native->maybe_bad_value.text) {
            strbuf_putc(out, ' ');
            dump_text(&t->u.native->maybe_bad_value, out);
        }
        strbuf_putc(out, ')');
        break;
    case AST_TYPE_LONG_FORM:
        strbuf_puts(out, "(long ");
        ast_dump_type(t->u.long_form.ipc_type, out);
        strbuf_putc(out, ' ');
        ast_dump_expr(t->u.long_form.maybe_size, out);
        dump_flags(t->u.long_form.flags, out);
        strbuf_putc(out, ')');
        break;
    case AST_TYPE_GNU_STRUCT:
        strbuf_puts(out, "(struct-gnu");
        for (const struct ast_member *m = t->u.gnu_struct.members; m; m = m->next)
            strbuf_printf(out, " (%s %s)", m->type_name.name, m->name.name);
        strbuf_putc(out, ')');
        break;
    }
}

static void dump_clause(const struct ast_clause *c, struct strbuf *out) {
    strbuf_printf(out, " (%s", ast_clause_kind_name(c->kind));
    if (c->ctype.text) {
        strbuf_putc(out, ' ');
        dump_text(&c->ctype, out);
    }
    if (c->function.name)
        strbuf_printf(out, " %s", c->function.name);
    if (c->param_type.text) {
        strbuf_putc(out, ' ');
        dump_text(&c->param_type, out);
    }
    strbuf_putc(out, ')');
}

static void dump_arg(const struct ast_arg *a, struct strbuf *out) {
    strbuf_printf(out, " (%s %s ", ast_arg_kind_name(a->kind), a->name.name);
    switch (a->type_form) {
    case AST_ARG_TYPE_NAMED:
        strbuf_puts(out, a->type_name.name);
        break;
    case AST_ARG_TYPE_INLINE:
        strbuf_printf(out, "(= %s ", a->type_name.name);
        ast_dump_type(a->maybe_type, out);
        for (const struct ast_clause *c = a->clauses; c; c = c->next)
            dump_clause(c, out);
        strbuf_putc(out, ')');
        break;
    case AST_ARG_TYPE_NATIVE:
        ast_dump_type(a->maybe_type, out);
        break;
    case AST_ARG_TYPE_ANONYMOUS:
        strbuf_puts(out, "(anonymous ");
        ast_dump_type(a->maybe_type, out);
        strbuf_putc(out, ')');
        break;
    }
    dump_flags(a->flags, out);
    strbuf_putc(out, ')');
}

static void dump_stmt(const struct ast_stmt *s, struct strbuf *out) {
    strbuf_printf(out, "(%s", ast_stmt_kind_name(s->kind));
    switch (s->kind) {
    case AST_SUBSYSTEM:
        if (s->u.subsystem->is_kernel_user)
            strbuf_puts(out, " KernelUser");
        if (s->u.subsystem->is_kernel_server)
            strbuf_puts(out, " KernelServer");
        strbuf_printf(out, " %s ", s->u.subsystem->name.name);
        ast_dump_expr(s->u.subsystem->base, out);
        break;
    case AST_SERVERPREFIX:
    case AST_USERPREFIX:
    case AST_SERVERDEMUX:
    case AST_ERROR:
    case AST_CONSUME_ON_SEND_ERROR:
        strbuf_printf(out, " %s", s->u.name.name);
        break;
    case AST_IMPORT:
        strbuf_printf(out, " %s ", ast_import_kind_name(s->u.import.kind));
        strbuf_printf(out, s->u.import.is_system ? "<%s>" : "\"%s\"", s->u.import.file.text);
        break;
    case AST_RCSID:
    case AST_WAITTIME:
    case AST_SENDTIME:
    case AST_MSGOPTION:
        strbuf_puts(out, s->u.text.is_string ? " string " : " ");
        dump_text(&s->u.text, out);
        break;
    case AST_NOWAITTIME:
    case AST_NOSENDTIME:
        break;
    case AST_USE_SPECIAL_REPLY_PORT:
    case AST_USER_TYPE_LIMIT:
    case AST_ON_STACK_LIMIT:
        strbuf_putc(out, ' ');
        ast_dump_expr(s->u.number, out);
        break;
    case AST_TYPE_DECL:
        strbuf_printf(out, " %s ", s->u.type.name.name);
        ast_dump_type(s->u.type.spec, out);
        for (const struct ast_clause *c = s->u.type.clauses; c; c = c->next)
            dump_clause(c, out);
        break;
    case AST_ROUTINE:
    case AST_SIMPLEROUTINE:
        strbuf_printf(out, " %s", s->u.routine.name.name);
        for (const struct ast_arg *a = s->u.routine.args; a; a = a->next)
            dump_arg(a, out);
        break;
    case AST_SKIP:
        if (s->u.skip.maybe_count) {
            strbuf_putc(out, ' ');
            ast_dump_expr(s->u.skip.maybe_count, out);
        }
        break;
    }
    if (s->dialect == AST_DIALECT_GNU)
        strbuf_puts(out, " gnu");
    strbuf_putc(out, ')');
}

void ast_dump(const struct ast_file *file, bool with_spans, struct strbuf *out) {
    for (const struct ast_stmt *s = file->stmts; s; s = s->next) {
        if (with_spans)
            strbuf_printf(out, "%" PRIu32 ":%" PRIu32 "-%" PRIu32 ":%" PRIu32 " ",
                          s->span.begin.line, s->span.begin.col, s->span.end.line,
                          s->span.end.col);
        dump_stmt(s, out);
        strbuf_putc(out, '\n');
    }
}
