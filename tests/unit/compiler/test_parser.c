// Unit tests of the parser (compiler/parse/parser.y): every statement, type form, argument kind and
// flag of the Apple dialect (plus GNU spellings) parses into the expected AST; syntax errors give
// one diagnostic at the right place, recovery keeps the rest, and hostile input cannot crash it.
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "parse/ast.h"
#include "support/diag.h"
#include "support/strbuf.h"
#include "test_compile.h"

// Parses `text`, expects no diagnostic and the dump `want`.
static void assert_parses_to(const char *text, const char *want) {
    struct test_parse *tp = test_parse_string(text, NULL);
    const char *got = test_parse_dump(tp);
    if (test_parse_errors(tp) != 0 || strcmp(got, want) != 0)
        fail_msg("input:\n%s\nwant:\n%s\ngot:\n%s\ndiagnostics:\n%s", text, want, got,
                 test_parse_output(tp));
    assert_int_equal(tp->ast->syntax_errors, 0);
    test_parse_free(tp);
}

// Parses `text` and expects exactly one error (notes allowed), id `id` at line:col.
static void assert_one_error(const char *text, unsigned id, unsigned line, unsigned col) {
    struct test_parse *tp = test_parse_string(text, NULL);
    if (test_parse_errors(tp) != 1 || !test_parse_diag_is(tp, 0, id, line, col))
        fail_msg("input:\n%s\nexpected one E%04u at %u:%u, got %u error(s):\n%s", text, id, line,
                 col, test_parse_errors(tp), test_parse_output(tp));
    assert_int_equal(tp->ast->syntax_errors, 1);
    test_parse_free(tp);
}

static void parser_accepts_every_statement(void **state) {
    (void)state;
    assert_parses_to(
        "subsystem KernelUser KernelServer test 1000;\n"
        "serverprefix S_; userprefix U_; serverdemux my_demux;\n"
        "import \"a.h\"; uimport <b/c.h>; simport \"s.h\"; dimport \"d.h\"; iimport <i.h>;\n"
        "rcsid \"$Id: x $\";\n"
        "waittime 100; waittime \"MY_TIMEOUT\"; nowaittime;\n"
        "sendtime SEND_T; nosendtime;\n"
        "msgoption MACH_SEND_INTERRUPT | MACH_RCV_INTERRUPT;\n"
        "error my_error;\n"
        "UseSpecialReplyPort 1; ConsumeOnSendError Timeout;\n"
        "UserTypeLimit 64; OnStackLimit 1024;\n"
        ";;\n"
        "skip; skip 3;\n"
        "routine r(p : mach_port_t);\n"
        "simpleroutine s(p : mach_port_t);\n",
        "(subsystem KernelUser KernelServer test 1000)\n"
        "(serverprefix S_)\n(userprefix U_)\n(serverdemux my_demux)\n"
        "(import import \"a.h\")\n(import uimport <b/c.h>)\n(import simport \"s.h\")\n"
        "(import dimport \"d.h\")\n(import iimport <i.h>)\n"
        "(rcsid string \"$Id: x $\")\n"
        "(waittime \"100\")\n(waittime string \"MY_TIMEOUT\")\n(nowaittime)\n"
        "(sendtime \"SEND_T\")\n(nosendtime)\n"
        "(msgoption \"MACH_SEND_INTERRUPT | MACH_RCV_INTERRUPT\")\n"
        "(error my_error)\n"
        "(UseSpecialReplyPort 1)\n(ConsumeOnSendError Timeout)\n"
        "(UserTypeLimit 64)\n(OnStackLimit 1024)\n"
        "(skip)\n(skip 3 gnu)\n"
        "(routine r (- p mach_port_t))\n"
        "(simpleroutine s (- p mach_port_t))\n");
}

static void parser_accepts_every_type_form(void **state) {
    (void)state;
    assert_parses_to(
        "type a = MACH_MSG_TYPE_INTEGER_32;\n"
        "type b = MACH_MSG_TYPE_COPY_SEND | MACH_MSG_TYPE_PORT_SEND;\n"
        "type c = polymorphic;\n"
        "type d = array[10] of int;\n"
        "type e = array[*:(4+4)*2 - 6/3] of int;\n"
        "type f = array[] of int;\n"
        "type g = array[*] of int;\n"
        "type h = ^array[] of int;\n"
        "type i = ^array[8] of int;\n"
        "type j = ^int;\n"
        "type k = struct[4] of int;\n"
        "type l = c_string[64];\n"
        "type m = c_string[*:1024];\n"
        "type n = PointerTo(struct foo);\n"
        "type o = ValueOf(unsigned long);\n"
        "type p = PointerToIfNot(const char *, -1);\n"
        "type q = (MACH_MSG_TYPE_INTEGER_32, 32, IsLong, dealloc);\n"
        "type r = (MACH_MSG_TYPE_MOVE_SEND | MACH_MSG_TYPE_PORT_SEND, 32);\n"
        "type s = struct { int a; char b; };\n"
        "type t = 2;\n"
        "type u = 2 | 3;\n"
        "type v = array[2] of array[*:3] of ^int;\n"
        "type w = polymorphic|MACH_MSG_TYPE_MAKE_SEND_ONCE;\n",
        "(type a MACH_MSG_TYPE_INTEGER_32)\n"
        "(type b (| MACH_MSG_TYPE_COPY_SEND MACH_MSG_TYPE_PORT_SEND))\n"
        "(type c polymorphic)\n"
        "(type d (array[10] int))\n"
        "(type e (array[*:(- (* (+ 4 4) 2) (/ 6 3))] int))\n"
        "(type f (array[] int))\n"
        "(type g (array[*] int))\n"
        "(type h (^ (array[] int)))\n"
        "(type i (^ (array[8] int)))\n"
        "(type j (^ int))\n"
        "(type k (struct[4] int))\n"
        "(type l (c_string[64]))\n"
        "(type m (c_string[*:1024]))\n"
        "(type n (PointerTo \"struct foo\"))\n"
        "(type o (ValueOf \"unsigned long\"))\n"
        "(type p (PointerToIfNot \"const char *\" \"-1\"))\n"
        "(type q (long MACH_MSG_TYPE_INTEGER_32 32 IsLong dealloc))\n"
        "(type r (long (| MACH_MSG_TYPE_MOVE_SEND MACH_MSG_TYPE_PORT_SEND) 32))\n"
        "(type s (struct-gnu (int a) (char b)))\n"
        "(type t 2)\n"
        "(type u (| 2 3))\n"
        "(type v (array[2] (array[*:3] (^ int))))\n"
        "(type w (| polymorphic MACH_MSG_TYPE_MAKE_SEND_ONCE))\n");
}

static void parser_accepts_translation_clauses(void **state) {
    (void)state;
    assert_parses_to("type task_t = mach_port_t\n"
                     "    ctype: mach_port_t\n"
                     "    cusertype: struct task *\n"
                     "    cservertype: const char *\n"
                     "    intran: task_t convert_port_to_task(mach_port_t)\n"
                     "    outtran: mach_port_t convert_task_to_port(task_t)\n"
                     "    destructor: task_deallocate(task_t)\n"
                     "    intranpayload: task_t payload_to_task;\n",
                     "(type task_t mach_port_t (ctype \"mach_port_t\") (cusertype \"struct task *\") "
                     "(cservertype \"const char *\") (intran \"task_t\" convert_port_to_task "
                     "\"mach_port_t\") (outtran \"mach_port_t\" convert_task_to_port \"task_t\") "
                     "(destructor task_deallocate \"task_t\") (intranpayload \"task_t\" "
                     "payload_to_task))\n");
    // The same clauses after an inline argument type (xnu's vm_map.defs), then the flags.
    assert_parses_to("routine r(t : mach_port_t;\n"
                     "    out o : memory_object_name_t = MACH_MSG_TYPE_MOVE_SEND ctype: mach_port_t;\n"
                     "    p : p_t = int intran: q_t f(int) destructor: g(q_t), const);\n",
                     "(routine r (- t mach_port_t) (out o (= memory_object_name_t "
                     "MACH_MSG_TYPE_MOVE_SEND (ctype \"mach_port_t\"))) (- p (= p_t int (intran "
                     "\"q_t\" f \"int\") (destructor g \"q_t\")) const))\n");
}

static void parser_accepts_every_argument_kind_and_flag(void **state) {
    (void)state;
    assert_parses_to(
        "routine r(server : mach_port_t; in a : int; out b : int; inout c : int;\n"
        " requestport rp : mach_port_t; replyport rep : mach_port_make_send_once_t;\n"
        " ureplyport ur : mach_port_t; sreplyport sr : mach_port_t;\n"
        " waittime wt : natural_t; sendtime st : natural_t; msgoption mo : int;\n"
        " msgseqno seq : mach_port_seqno_t; SecToken t1 : security_token_t;\n"
        " ServerSecToken t2 : security_token_t; UserSecToken t3 : security_token_t;\n"
        " AuditToken t4 : audit_token_t; ServerAuditToken t5 : audit_token_t;\n"
        " UserAuditToken t6 : audit_token_t; ServerContextToken t7 : natural_t;\n"
        " ServerImpl t8 : natural_t; UserImpl t9 : natural_t);\n"
        "routine f(server : mach_port_t;\n"
        " out d : ool_t = ^array[] of int, dealloc, physicalcopy, overwrite;\n"
        " in e : ool_t, dealloc[], auto, const, notdealloc;\n"
        " out f : a2, countinout, samecount;\n"
        " in g : PointerTo(struct foo);\n"
        " in h : a3, servercopy, sametype;\n"
        " in i : ValueOf(int), retcode);\n",
        "(routine r (- server mach_port_t) (in a int) (out b int) (inout c int) "
        "(RequestPort rp mach_port_t) (ReplyPort rep mach_port_make_send_once_t) "
        "(UReplyPort ur mach_port_t) (SReplyPort sr mach_port_t) (WaitTime wt natural_t) "
        "(SendTime st natural_t) (MsgOption mo int) (MsgSeqno seq mach_port_seqno_t) "
        "(SecToken t1 security_token_t) (ServerSecToken t2 security_token_t) "
        "(UserSecToken t3 security_token_t) (AuditToken t4 audit_token_t) "
        "(ServerAuditToken t5 audit_token_t) (UserAuditToken t6 audit_token_t) "
        "(ServerContextToken t7 natural_t) (ServerImpl t8 natural_t) (UserImpl t9 natural_t))\n"
        "(routine f (- server mach_port_t) (out d (= ool_t (^ (array[] int))) dealloc "
        "PhysicalCopy Overwrite) (in e ool_t dealloc[] auto const notdealloc) "
        "(out f a2 CountInOut SameCount) (in g (PointerTo \"struct foo\")) "
        "(in h a3 servercopy sametype) (in i (ValueOf \"int\") RetCode))\n");
}

static void parser_keywords_ignore_case_and_args_may_be_empty(void **state) {
    (void)state;
    assert_parses_to("SUBSYSTEM KERNELUSER x 1; Routine a(); SimpleRoutine b(p : t;);\n"
                     "TYPE t = ARRAY[] OF Int; Skip;\n",
                     "(subsystem KernelUser x 1)\n(routine a)\n(simpleroutine b (- p t))\n"
                     "(type t (array[] Int))\n(skip)\n");
    assert_parses_to("", "");
    assert_parses_to("/* only a comment */\n", "");
}

static void parser_records_dialects_and_kinds(void **state) {
    (void)state;
    struct test_parse *tp = test_parse_string(
        "skip 2; type s = struct { int a; };\n"
        "routine r(p : t; in x : y, servercopy, dealloc[], samecount, dealloc);\n",
        NULL);
    assert_int_equal(test_parse_errors(tp), 0);
    const struct ast_stmt *skip = tp->ast->stmts;
    assert_int_equal(skip->kind, AST_SKIP);
    assert_int_equal(skip->dialect, AST_DIALECT_GNU);
    const struct ast_stmt *type = skip->next;
    assert_int_equal(type->u.type.spec->dialect, AST_DIALECT_GNU);
    assert_int_equal(type->u.type.spec->u.gnu_struct.n_members, 1);
    const struct ast_stmt *r = type->next;
    assert_int_equal(r->kind, AST_ROUTINE);
    assert_int_equal(r->u.routine.n_args, 2);
    const struct ast_arg *x = r->u.routine.args->next;
    assert_int_equal(x->kind, AST_ARG_IN);
    assert_int_equal(x->n_flags, 4);
    const struct ast_flag *f = x->flags;
    assert_int_equal(f->kind, AST_FLAG_SERVERCOPY);
    assert_int_equal(f->dialect, AST_DIALECT_GNU);
    f = f->next;
    assert_int_equal(f->kind, AST_FLAG_DEALLOC);
    assert_true(f->has_brackets);
    assert_int_equal(f->dialect, AST_DIALECT_COMMON);
    assert_int_equal(f->next->dialect, AST_DIALECT_APPLE);
    assert_false(f->next->next->has_brackets);
    assert_int_equal(tp->ast->n_stmts, 3);
    test_parse_free(tp);

    tp = test_parse_string("sendtime 5; import \"a.h\"; iimport \"b.h\"; msgoption X;", NULL);
    const struct ast_stmt *st = tp->ast->stmts;
    assert_int_equal(st->dialect, AST_DIALECT_APPLE);
    assert_int_equal(st->next->dialect, AST_DIALECT_COMMON);
    assert_int_equal(st->next->next->dialect, AST_DIALECT_APPLE);
    assert_int_equal(st->next->next->next->dialect, AST_DIALECT_COMMON);
    test_parse_free(tp);
}

static void parser_gives_every_node_a_span(void **state) {
    (void)state;
    struct test_parse *tp = test_parse_string("subsystem test 100;\n"
                                              "routine add(\n"
                                              "\tserver : mach_port_t;\n"
                                              "\tout sum : ints, dealloc);\n",
                                              NULL);
    assert_int_equal(test_parse_errors(tp), 0);
    const struct ast_stmt *sub = tp->ast->stmts;
    assert_int_equal(sub->span.begin.line, 1);
    assert_int_equal(sub->span.end.col, 20); // after the ';'
    assert_int_equal(sub->keyword_span.end.col, 10);
    assert_int_equal(sub->u.subsystem->name.span.begin.col, 11);
    assert_int_equal(sub->u.subsystem->base->span.begin.col, 16);
    const struct ast_stmt *r = sub->next;
    assert_int_equal(r->span.begin.line, 2);
    assert_int_equal(r->span.end.line, 4);
    assert_int_equal(r->u.routine.name.span.begin.col, 9);
    const struct ast_arg *sum = r->u.routine.args->next;
    assert_int_equal(sum->span.begin.line, 4);
    assert_int_equal(sum->span.begin.col, 2);
    assert_int_equal(sum->kind_span.begin.col, 2);
    assert_int_equal(sum->name.span.begin.col, 6);
    assert_string_equal(sum->type_name.name, "ints");
    assert_int_equal(sum->type_name.span.begin.col, 12);
    assert_int_equal(sum->flags->span.begin.col, 18);
    assert_int_equal(sum->span.end.col, 25);
    test_parse_free(tp);
}

static void parser_maps_positions_through_line_markers(void **state) {
    (void)state;
    struct test_parse *tp = test_parse_string("# 1 \"echo.defs\"\n"
                                              "# 1 \"/defs/std.defs\" 1\n"
                                              "type int = MACH_MSG_TYPE_INTEGER_32;\n"
                                              "# 5 \"echo.defs\" 2\n"
                                              "subsystem echo 100\n"
                                              "routine e(p : int);\n",
                                              NULL);
    assert_int_equal(tp->ast->stmts->span.begin.line, 1);
    assert_string_equal(tp->ast->stmts->span.begin.file, "/defs/std.defs");
    assert_true(test_parse_diag_is(tp, 0, DIAG_MISSING_SEMICOLON, 5, 19));
    assert_string_equal(diag_record_get(tp->ctx->diags, 0)->span.begin.file, "echo.defs");
    test_parse_free(tp);
}

static void parser_reports_one_error_per_mistake(void **state) {
    (void)state;
    assert_one_error("subsystem foo 100\nroutine bar(p : t);\n", DIAG_MISSING_SEMICOLON, 1, 18);
    assert_one_error("subsystem foo 100 200;\n", DIAG_EXPECTED_BEFORE, 1, 19);
    assert_one_error("foo bar;\nroutine x(p : t);\n", DIAG_EXPECTED_STATEMENT, 1, 1);
    assert_one_error("routine r(p : t; in type : int);", DIAG_KEYWORD_AS_NAME, 1, 21);
    assert_one_error("routine r(in : int);", DIAG_KEYWORD_AS_NAME, 1, 11);
    assert_one_error("type Array = int;", DIAG_KEYWORD_AS_NAME, 1, 6);
    assert_one_error("routine r(p : t; out z : ^array[] of int);", DIAG_ANONYMOUS_ARG_TYPE, 1, 26);
    assert_one_error("routine r(p : t; in z : c_string[10]);", DIAG_ANONYMOUS_ARG_TYPE, 1, 25);
    assert_one_error("type t = ;", DIAG_EXPECTED_TYPE, 1, 10);
    assert_one_error("routine r(p : t, bogus);", DIAG_EXPECTED_FLAG, 1, 18);
    assert_one_error("routine r(p : t; x int; y : t);\nroutine s(p : t);", DIAG_EXPECTED_BEFORE, 1, 20);
    assert_one_error("routine r(p : t;\nroutine s(p : t);", DIAG_EXPECTED_BEFORE, 2, 1);
    assert_one_error("routine r(p : t", DIAG_EXPECTED_BEFORE, 1, 16);
    assert_one_error("type t = array[10 of int;\ntype u = int;", DIAG_EXPECTED_BEFORE, 1, 19);
    assert_one_error("import \"unterminated;\nsubsystem x 1;", DIAG_UNTERMINATED_STRING, 1, 8);
    assert_one_error("subsystem x 1; /* open\nroutine r(p : t);", DIAG_UNTERMINATED_COMMENT, 1, 16);
    assert_one_error("routine @r(p : t);", DIAG_UNEXPECTED_CHAR, 1, 9);
    assert_one_error("subsystem x 123456789012345678901234567890;", DIAG_NUMBER_TOO_LARGE, 1, 13);
    assert_one_error("routine r(p : t; 5);", DIAG_UNEXPECTED_TOKEN, 1, 18);
    assert_one_error("type t = PointerTo();", DIAG_EXPECTED_BEFORE, 1, 20);
    assert_one_error("routine a p : t);\nroutine b(p : t);", DIAG_EXPECTED_BEFORE, 1, 11);
    assert_one_error("routine a(p : t));\nroutine b(p : t);", DIAG_EXPECTED_BEFORE, 1, 17);
    assert_one_error("type t = int intran: foo(bar);", DIAG_EXPECTED_BEFORE, 1, 25);
    assert_one_error("routine r(p : t, dealloc[);", DIAG_EXPECTED_BEFORE, 1, 26);
}

static void parser_gives_a_fix_it_for_anonymous_types(void **state) {
    (void)state;
    struct test_parse *tp =
        test_parse_string("routine r(p : t; out z : ^array[] of int, dealloc);", NULL);
    assert_int_equal(test_parse_diag_count(tp), 2);
    const struct diag_record *note = diag_record_get(tp->ctx->diags, 1);
    assert_int_equal(note->severity, DIAG_NOTE);
    assert_string_equal(note->message, "name it inline, 'z : z_t = ^array[] of int', or declare "
                                       "it with a 'type' statement");
    test_parse_free(tp);
}

static void parser_recovers_and_keeps_later_statements(void **state) {
    (void)state;
    struct test_parse *tp = test_parse_string("subsystem foo 100\n"
                                              "routine a(p : t);\n"
                                              "type bad = ;\n"
                                              "routine b(p : t; in x int);\n"
                                              "routine c(p : t);\n",
                                              NULL);
    assert_int_equal(test_parse_errors(tp), 3);
    assert_true(test_parse_diag_is(tp, 0, DIAG_MISSING_SEMICOLON, 1, 18));
    assert_true(test_parse_diag_is(tp, 1, DIAG_EXPECTED_TYPE, 3, 12));
    assert_true(test_parse_diag_is(tp, 2, DIAG_EXPECTED_BEFORE, 4, 23));
    assert_string_equal(test_parse_dump(tp), "(subsystem foo 100)\n"
                                             "(routine a (- p t))\n"
                                             "(routine b (- p t))\n"
                                             "(routine c (- p t))\n");
    assert_non_null(strstr(test_parse_output(tp), "3 errors generated.\n"));
    test_parse_free(tp);
}

static void parser_refuses_deep_nesting_without_crashing(void **state) {
    (void)state;
    struct strbuf sb = STRBUF_INIT;
    strbuf_puts(&sb, "type t = array[1");
    for (int i = 0; i < 5000; i++)
        strbuf_puts(&sb, "+1");
    strbuf_puts(&sb, "] of int;\ntype u = ");
    for (int i = 0; i < 5000; i++)
        strbuf_putc(&sb, '^');
    strbuf_puts(&sb, "int;\ntype v = array[");
    for (int i = 0; i < 50000; i++)
        strbuf_putc(&sb, '(');
    strbuf_puts(&sb, "1];\n");
    struct test_parse *tp = test_parse_string(strbuf_cstr(&sb), NULL);
    assert_true(test_parse_errors(tp) >= 1);
    assert_true(test_parse_diag_is(tp, 0, DIAG_NESTING_TOO_DEEP, 1, 16));
    for (const struct ast_stmt *s = tp->ast->stmts; s; s = s->next)
        if (s->kind == AST_TYPE_DECL)
            assert_true(s->u.type.spec->depth <= AST_MAX_DEPTH);
    struct strbuf dump = STRBUF_INIT;
    ast_dump(tp->ast, true, &dump); // bounded recursion
    strbuf_fini(&dump);
    test_parse_free(tp);
    strbuf_fini(&sb);
}

static void parser_stops_after_the_error_limit(void **state) {
    (void)state;
    struct strbuf sb = STRBUF_INIT;
    for (int i = 0; i < 200; i++)
        strbuf_printf(&sb, "routine r%d(p : t; @);\n", i);
    struct test_parse *tp = test_parse_string(strbuf_cstr(&sb), NULL);
    assert_int_equal(test_parse_diag_count(tp), 21);
    assert_true(test_parse_diag_is(tp, 20, DIAG_TOO_MANY_ERRORS, 21, 20));
    test_parse_free(tp);
    strbuf_fini(&sb);
}

// A small deterministic generator, so failures reproduce.
static uint32_t next_random(uint32_t *s) {
    *s = *s * 1664525u + 1013904223u;
    return *s >> 8;
}

// A text the lexer cannot hold (flex counts in int) is refused whole, never cut short: the text
// is not even read (a 1-byte buffer with a huge length: ASan would catch a read past it).
static void parser_refuses_input_too_large_for_the_lexer(void **state) {
    (void)state;
    static const char one_byte[1] = {'x'};
    struct test_parse *tp = test_parse_bytes(one_byte, MIGC_MAX_INPUT_BYTES + 1, NULL);
    assert_int_equal(test_parse_errors(tp), 1);
    assert_int_equal(tp->ast->syntax_errors, 1);
    assert_null(tp->ast->stmts);
    const char *out = test_parse_output(tp);
    assert_non_null(strstr(out, "mig: error: cannot open 'test.defs': it is 2147483646 bytes, "
                                "more than the 2147483645 bytes mig can read [E0408]"));
    test_parse_free(tp);

    const struct ir_module *ir = (const struct ir_module *)1;
    struct migc *ctx = migc_create(NULL, NULL);
    assert_false(migc_compile(ctx, "big.defs", one_byte, (size_t)3 << 30, &ir));
    assert_null(ir);
    assert_int_equal(migc_error_count(ctx), 1);
    migc_destroy(ctx);
}

static void parser_survives_random_and_mutated_input(void **state) {
    (void)state;
    static const char valid[] =
        "# 1 \"x.defs\"\nsubsystem KernelServer x 100;\n"
        "type t = array[*:(4+4)*2] of ^struct[3] of c_string[*:8] ctype: struct t * intran: t f(u);\n"
        "routine r(p : t; out z : y = ^array[] of int, dealloc[]; in q : PointerTo(struct s));\n"
        "import <a.h>; waittime \"x\"; skip 2; /* c */ type g = struct { int a; };\n";
    static const char alphabet[] = "abt;:,=()[]{}^|*+-/<>\"#\n \t0123456789x@\0\x80\xff";
    uint32_t seed = 12345;
    char buf[sizeof valid + 64];
    for (int round = 0; round < 3000; round++) {
        size_t len;
        if (round % 2) {
            memcpy(buf, valid, sizeof valid - 1);
            len = sizeof valid - 1;
            for (int k = 0; k < 4; k++) {
                size_t at = next_random(&seed) % len;
                buf[at] = alphabet[next_random(&seed) % (sizeof alphabet - 1)];
            }
            len = next_random(&seed) % (len + 1);
        } else {
            len = next_random(&seed) % 64;
            for (size_t i = 0; i < len; i++)
                buf[i] = alphabet[next_random(&seed) % (sizeof alphabet - 1)];
        }
        struct test_parse *tp = test_parse_bytes(buf, len, NULL);
        assert_non_null(tp->ast);
        assert_true(tp->ast->syntax_errors == 0 || test_parse_errors(tp) > 0);
        test_parse_output(tp);
        test_parse_free(tp);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parser_accepts_every_statement),
        cmocka_unit_test(parser_accepts_every_type_form),
        cmocka_unit_test(parser_accepts_translation_clauses),
        cmocka_unit_test(parser_accepts_every_argument_kind_and_flag),
        cmocka_unit_test(parser_keywords_ignore_case_and_args_may_be_empty),
        cmocka_unit_test(parser_records_dialects_and_kinds),
        cmocka_unit_test(parser_gives_every_node_a_span),
        cmocka_unit_test(parser_maps_positions_through_line_markers),
        cmocka_unit_test(parser_reports_one_error_per_mistake),
        cmocka_unit_test(parser_gives_a_fix_it_for_anonymous_types),
        cmocka_unit_test(parser_recovers_and_keeps_later_statements),
        cmocka_unit_test(parser_refuses_deep_nesting_without_crashing),
        cmocka_unit_test(parser_stops_after_the_error_limit),
        cmocka_unit_test(parser_refuses_input_too_large_for_the_lexer),
        cmocka_unit_test(parser_survives_random_and_mutated_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
