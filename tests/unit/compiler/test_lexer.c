// Unit tests of the lexer (compiler/parse/lexer.l, keywords.def): tokens, spans, numbers, strings,
// comments, cpp line markers, lexical errors, and the keyword table itself.
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "parse/parser.h" // before lexer.h: the scanner's prototypes use YYSTYPE and YYLTYPE
#include "parse/lexer.h"
#include "support/arena.h"
#include "support/diag.h"
#include "support/source.h"
#include "support/xalloc.h"

struct tok {
    int token;
    YYSTYPE val;
    struct src_span span;
};

struct lexed {
    struct arena *arena;
    struct diag_engine *diags;
    struct parse_ctx pc;
    struct tok toks[256];
    size_t n;
    FILE *out;
    char *text;
    size_t len;
};

static struct lexed *lex_bytes(const char *text, size_t len) {
    struct lexed *l = xcalloc(1, sizeof *l);
    l->arena = arena_create();
    l->out = open_memstream(&l->text, &l->len);
    l->diags = diag_engine_create(&(struct diag_options){0}, l->out);
    l->pc.arena = l->arena;
    l->pc.diags = l->diags;
    l->pc.src = src_file_create(l->arena, "lex.defs", text, len);
    keyword_index_init(&l->pc.keywords); // as parse_source does
    diag_engine_set_source(l->diags, l->pc.src);
    yyscan_t scanner;
    assert_int_equal(yylex_init_extra(&l->pc, &scanner), 0);
    YY_BUFFER_STATE b = yy_scan_bytes(l->pc.src->text, (int)l->pc.src->len, scanner);
    for (;;) {
        struct tok *t = &l->toks[l->n];
        t->token = yylex(&t->val, &t->span, scanner);
        if (t->token == END || l->n == 255)
            break;
        l->n++;
    }
    yy_delete_buffer(b, scanner);
    yylex_destroy(scanner);
    return l;
}

static struct lexed *lex(const char *text) { return lex_bytes(text, strlen(text)); }

static void lexed_free(struct lexed *l) {
    diag_engine_destroy(l->diags);
    fclose(l->out);
    free(l->text);
    arena_destroy(l->arena);
    free(l);
}

static void assert_tok(const struct lexed *l, size_t i, int token, unsigned line, unsigned col,
                       unsigned end_col) {
    assert_true(i < l->n);
    assert_int_equal(l->toks[i].token, token);
    assert_int_equal(l->toks[i].span.begin.line, line);
    assert_int_equal(l->toks[i].span.begin.col, col);
    assert_int_equal(l->toks[i].span.end.col, end_col);
}

static void assert_diag(const struct lexed *l, size_t i, enum diag_id id, unsigned line, unsigned col) {
    const struct diag_record *r = diag_record_get(l->diags, i);
    assert_non_null(r);
    assert_int_equal(r->id, id);
    assert_int_equal(r->span.begin.line, line);
    assert_int_equal(r->span.begin.col, col);
}

static void lexer_keyword_table_is_sorted_and_lower_case(void **state) {
    (void)state;
    const char *prev = "";
    int token;
    size_t n = 0;
    for (const char *kw; (kw = lex_keyword_spelling(n, &token)) != NULL; n++) {
        if (strcmp(prev, kw) >= 0)
            fail_msg("keywords.def is not sorted at '%s' (after '%s')", kw, prev);
        for (const char *p = kw; *p; p++)
            assert_false(*p >= 'A' && *p <= 'Z');
        assert_int_equal(lex_keyword_lookup(kw, strlen(kw)), token);
        prev = kw;
    }
    assert_true(n >= 70);
}

static void lexer_keywords_are_case_insensitive(void **state) {
    (void)state;
    assert_int_equal(lex_keyword_lookup("Routine", 7), KW_ROUTINE);
    assert_int_equal(lex_keyword_lookup("SIMPLEROUTINE", 13), KW_SIMPLEROUTINE);
    assert_int_equal(lex_keyword_lookup("ServerContextToken", 18), KW_SERVERCONTEXTTOKEN);
    assert_int_equal(lex_keyword_lookup("UseSpecialReplyPort", 19), KW_USESPECIALREPLYPORT);
    assert_int_equal(lex_keyword_lookup("routines", 8), 0);
    assert_int_equal(lex_keyword_lookup("MACH_MSG_TYPE_INTEGER_32", 24), 0);
    assert_int_equal(lex_keyword_lookup("averyveryveryverylongidentifiernamehere", 39), 0);
    struct lexed *l = lex("TYPE Type type tYpE");
    assert_int_equal(l->n, 4);
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(l->toks[i].token, KW_TYPE);
    lexed_free(l);
}

static void lexer_gives_tokens_with_spans(void **state) {
    (void)state;
    struct lexed *l = lex("routine foo(a : int);\n\tskip;");
    assert_int_equal(l->n, 10);
    assert_tok(l, 0, KW_ROUTINE, 1, 1, 8);
    assert_tok(l, 1, IDENT, 1, 9, 12);
    assert_string_equal(l->toks[1].val.str, "foo");
    assert_tok(l, 2, '(', 1, 12, 13);
    assert_tok(l, 3, IDENT, 1, 13, 14);
    assert_tok(l, 4, ':', 1, 15, 16);
    assert_tok(l, 5, IDENT, 1, 17, 20);
    assert_tok(l, 6, ')', 1, 20, 21);
    assert_tok(l, 7, ';', 1, 21, 22);
    assert_tok(l, 8, KW_SKIP, 2, 2, 6);
    assert_tok(l, 9, ';', 2, 6, 7);
    assert_int_equal(diag_record_count(l->diags), 0);
    lexed_free(l);
}

static void lexer_reads_decimal_and_hex_numbers(void **state) {
    (void)state;
    struct lexed *l = lex("10 010 0x1F 0XfF 18446744073709551615 0");
    assert_int_equal(l->n, 6);
    uint64_t want[] = {10, 10, 31, 255, UINT64_MAX, 0};
    for (size_t i = 0; i < 6; i++) {
        assert_int_equal(l->toks[i].token, NUMBER);
        assert_true(l->toks[i].val.number == want[i]);
    }
    assert_int_equal(diag_record_count(l->diags), 0);
    lexed_free(l);
}

static void lexer_reports_bad_and_huge_numbers_once(void **state) {
    (void)state;
    struct lexed *l = lex("18446744073709551616 12ab 0x 0xZZ 7");
    assert_int_equal(l->n, 5);
    assert_int_equal(diag_record_count(l->diags), 4);
    assert_diag(l, 0, DIAG_NUMBER_TOO_LARGE, 1, 1);
    assert_diag(l, 1, DIAG_INVALID_NUMBER, 1, 22);
    assert_diag(l, 2, DIAG_INVALID_NUMBER, 1, 27);
    assert_diag(l, 3, DIAG_INVALID_NUMBER, 1, 30);
    assert_int_equal(l->pc.errors, 4);
    assert_true(l->toks[4].val.number == 7);
    lexed_free(l);
}

static void lexer_reads_strings_and_file_names(void **state) {
    (void)state;
    struct lexed *l = lex("\"a b.h\" <mach/std.h> \"\"");
    assert_int_equal(l->n, 3);
    assert_tok(l, 0, STRING, 1, 1, 8);
    assert_string_equal(l->toks[0].val.str, "a b.h");
    assert_tok(l, 1, SYSFILE, 1, 9, 21);
    assert_string_equal(l->toks[1].val.str, "mach/std.h");
    assert_string_equal(l->toks[2].val.str, "");
    lexed_free(l);
}

static void lexer_recovers_from_unterminated_strings(void **state) {
    (void)state;
    struct lexed *l = lex("import \"abc;\nimport <def;\nx");
    assert_int_equal(l->n, 5);
    assert_int_equal(l->toks[1].token, STRING);
    assert_string_equal(l->toks[1].val.str, "abc;");
    assert_int_equal(l->toks[3].token, SYSFILE);
    assert_string_equal(l->toks[3].val.str, "def;");
    assert_tok(l, 4, IDENT, 3, 1, 2);
    assert_int_equal(diag_record_count(l->diags), 2);
    assert_diag(l, 0, DIAG_UNTERMINATED_STRING, 1, 8);
    assert_diag(l, 1, DIAG_UNTERMINATED_STRING, 2, 8);
    lexed_free(l);
}

static void lexer_skips_comments(void **state) {
    (void)state;
    struct lexed *l = lex("a /* x\n * y **/ b // c ; d\n  d /***/ e");
    assert_int_equal(l->n, 4);
    assert_tok(l, 0, IDENT, 1, 1, 2);
    assert_tok(l, 1, IDENT, 2, 10, 11);
    assert_tok(l, 2, IDENT, 3, 3, 4);
    assert_tok(l, 3, IDENT, 3, 11, 12);
    assert_int_equal(diag_record_count(l->diags), 0);
    lexed_free(l);
}

static void lexer_stops_at_an_unterminated_comment(void **state) {
    (void)state;
    struct lexed *l = lex("a\n  /* never closed\nb c");
    assert_int_equal(l->n, 1);
    assert_true(l->pc.lexer_stopped);
    assert_int_equal(diag_record_count(l->diags), 1);
    assert_diag(l, 0, DIAG_UNTERMINATED_COMMENT, 2, 3);
    lexed_free(l);
}

static void lexer_keeps_line_from_cpp_marker(void **state) {
    (void)state;
    struct lexed *l = lex("# 1 \"<built-in>\"\n# 10 \"orig.defs\"\nfoo\n#pragma once\n#ident \"x\"\n bar\n"
                          "# 3 \"inc.defs\" 1 3\nbaz\n#line 7\nqux\n");
    assert_int_equal(l->n, 4);
    assert_string_equal(l->toks[0].span.begin.file, "orig.defs");
    assert_tok(l, 0, IDENT, 10, 1, 4);
    assert_string_equal(l->toks[1].span.begin.file, "orig.defs");
    assert_tok(l, 1, IDENT, 13, 2, 5);
    assert_string_equal(l->toks[2].span.begin.file, "inc.defs");
    assert_tok(l, 2, IDENT, 3, 1, 4);
    assert_string_equal(l->toks[3].span.begin.file, "inc.defs");
    assert_tok(l, 3, IDENT, 7, 1, 4);
    assert_int_equal(diag_record_count(l->diags), 0);
    lexed_free(l);
}

// Old Mac files end lines with a lone \r: comments, directives and strings stop there, and line
// numbers count it (as they count \n and \r\n, once each).
static void lexer_treats_a_lone_cr_as_a_line_break(void **state) {
    (void)state;
    struct lexed *l = lex("a // c\rb\r\n#pragma x\rc \"s\r d\r# 20 \"m.defs\"\re\r\r  f");
    assert_int_equal(l->n, 7);
    assert_tok(l, 0, IDENT, 1, 1, 2);
    assert_tok(l, 1, IDENT, 2, 1, 2);
    assert_tok(l, 2, IDENT, 4, 1, 2);
    assert_tok(l, 3, STRING, 4, 3, 5); // unterminated: the string stops at the \r
    assert_string_equal(l->toks[3].val.str, "s");
    assert_tok(l, 4, IDENT, 5, 2, 3);
    assert_string_equal(l->toks[5].span.begin.file, "m.defs");
    assert_tok(l, 5, IDENT, 20, 1, 2);
    assert_tok(l, 6, IDENT, 22, 3, 4);
    assert_int_equal(diag_record_count(l->diags), 1);
    assert_diag(l, 0, DIAG_UNTERMINATED_STRING, 4, 3);
    lexed_free(l);
}

static void lexer_rejects_directives_cpp_should_have_handled(void **state) {
    (void)state;
    struct lexed *l = lex("#include <a.h>\n  # define X\n# 12abc\n#\nok");
    assert_int_equal(l->n, 1);
    assert_int_equal(diag_record_count(l->diags), 3);
    assert_diag(l, 0, DIAG_UNEXPECTED_DIRECTIVE, 1, 1);
    assert_diag(l, 1, DIAG_UNEXPECTED_DIRECTIVE, 2, 3);
    assert_diag(l, 2, DIAG_BAD_LINE_MARKER, 3, 1);
    assert_string_equal(diag_record_get(l->diags, 1)->message,
                        "unexpected preprocessor directive '#define' (the input was not run through cpp)");
    lexed_free(l);
}

static void lexer_reports_a_run_of_bad_bytes_once(void **state) {
    (void)state;
    struct lexed *l = lex_bytes("a\0\x01\xc3\xa9 b @@ c # d", 16);
    assert_int_equal(l->n, 4);
    assert_int_equal(diag_record_count(l->diags), 3);
    assert_diag(l, 0, DIAG_UNEXPECTED_CHAR, 1, 2);
    assert_string_equal(diag_record_get(l->diags, 0)->message,
                        "unexpected character '\\x00\\x01\\xc3\\xa9'");
    assert_diag(l, 1, DIAG_UNEXPECTED_CHAR, 1, 9);
    assert_diag(l, 2, DIAG_UNEXPECTED_CHAR, 1, 14);
    lexed_free(l);
}

static void lexer_gives_every_punctuator(void **state) {
    (void)state;
    const char *p = ";,:=()[]{}^|*+-/";
    struct lexed *l = lex(p);
    assert_int_equal(l->n, strlen(p));
    for (size_t i = 0; i < l->n; i++)
        assert_int_equal(l->toks[i].token, p[i]);
    lexed_free(l);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lexer_keyword_table_is_sorted_and_lower_case),
        cmocka_unit_test(lexer_keywords_are_case_insensitive),
        cmocka_unit_test(lexer_gives_tokens_with_spans),
        cmocka_unit_test(lexer_reads_decimal_and_hex_numbers),
        cmocka_unit_test(lexer_reports_bad_and_huge_numbers_once),
        cmocka_unit_test(lexer_reads_strings_and_file_names),
        cmocka_unit_test(lexer_recovers_from_unterminated_strings),
        cmocka_unit_test(lexer_skips_comments),
        cmocka_unit_test(lexer_stops_at_an_unterminated_comment),
        cmocka_unit_test(lexer_keeps_line_from_cpp_marker),
        cmocka_unit_test(lexer_treats_a_lone_cr_as_a_line_break),
        cmocka_unit_test(lexer_rejects_directives_cpp_should_have_handled),
        cmocka_unit_test(lexer_reports_a_run_of_bad_bytes_once),
        cmocka_unit_test(lexer_gives_every_punctuator),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
