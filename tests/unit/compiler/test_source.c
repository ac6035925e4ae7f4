// Unit tests of source positions and the cpp line-marker map (compiler/support/source.h).
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "support/arena.h"
#include "support/source.h"

static struct arena *arena;

static int setup(void **state) {
    (void)state;
    arena = arena_create();
    return 0;
}

static int teardown(void **state) {
    (void)state;
    arena_destroy(arena);
    return 0;
}

static struct src_file *make(const char *text) {
    return src_file_create(arena, "buf.defs", text, strlen(text));
}

static void assert_loc(struct src_loc loc, const char *file, unsigned line, unsigned col) {
    assert_string_equal(loc.file, file);
    assert_int_equal(loc.line, line);
    assert_int_equal(loc.col, col);
}

static void source_maps_offsets_to_lines_and_byte_columns(void **state) {
    (void)state;
    struct src_file *src = make("ab\n\tcd\n\nxyz");
    assert_int_equal(src->n_lines, 4);
    assert_loc(src_file_loc(src, 0), "buf.defs", 1, 1);
    assert_loc(src_file_loc(src, 2), "buf.defs", 1, 3); // the newline itself
    assert_loc(src_file_loc(src, 3), "buf.defs", 2, 1);
    assert_loc(src_file_loc(src, 5), "buf.defs", 2, 3); // a tab counts as one byte
    assert_loc(src_file_loc(src, 7), "buf.defs", 3, 1);
    assert_loc(src_file_loc(src, 10), "buf.defs", 4, 3);
    assert_loc(src_file_loc(src, 11), "buf.defs", 4, 4); // end of buffer
    assert_loc(src_file_loc(src, 999), "buf.defs", 4, 4); // clamped
    assert_int_equal(src_file_loc(src, 10).offset, 10);
}

static void source_gives_line_text_without_newline(void **state) {
    (void)state;
    struct src_file *src = make("first\r\nsecond\nlast");
    size_t len;
    const char *t = src_file_line_text(src, 3, &len);
    assert_int_equal(len, 5);
    assert_memory_equal(t, "first", 5);
    t = src_file_line_text(src, 9, &len);
    assert_int_equal(len, 6);
    assert_memory_equal(t, "second", 6);
    t = src_file_line_text(src, 16, &len);
    assert_int_equal(len, 4);
    assert_memory_equal(t, "last", 4);
}

static void source_follows_gcc_line_markers(void **state) {
    (void)state;
    const char *text = "# 1 \"echo.defs\"\n"        // line 1
                       "a\n"                        // echo.defs:1
                       "# 1 \"/usr/std.defs\" 1 3\n" // line 3
                       "b\n"                        // std.defs:1
                       "c\n"                        // std.defs:2
                       "# 12 \"echo.defs\" 2\n"     // line 6
                       "d\n";                       // echo.defs:12
    struct src_file *src = make(text);
    size_t off = 0;
    for (int line = 1; line <= 6; line++) {
        const char *nl = strchr(text + off, '\n');
        size_t len = (size_t)(nl - (text + off));
        if (text[off] == '#')
            assert_int_equal(src_file_parse_directive(src, off, text + off, len),
                             SRC_DIRECTIVE_MARKER);
        off += len + 1;
    }
    const char *a = strchr(text, 'a'), *b = strstr(text, "\nb") + 1, *c = strstr(text, "\nc") + 1,
               *d = strstr(text, "\nd") + 1;
    assert_loc(src_file_loc(src, (size_t)(a - text)), "echo.defs", 1, 1);
    assert_loc(src_file_loc(src, (size_t)(b - text)), "/usr/std.defs", 1, 1);
    assert_loc(src_file_loc(src, (size_t)(c - text)), "/usr/std.defs", 2, 1);
    assert_loc(src_file_loc(src, (size_t)(d - text)), "echo.defs", 12, 1);
    // Names are interned: both echo.defs locations share one string.
    assert_ptr_equal(src_file_loc(src, (size_t)(a - text)).file,
                     src_file_loc(src, (size_t)(d - text)).file);
}

static void source_accepts_line_directives_and_bare_markers(void **state) {
    (void)state;
    const char *text = "#line 40 \"x.defs\"\nA\n#  7\nB\n  #line 100\nC\n";
    struct src_file *src = make(text);
    assert_int_equal(src_file_parse_directive(src, 0, text, 17), SRC_DIRECTIVE_MARKER);
    assert_loc(src_file_loc(src, 18), "x.defs", 40, 1);
    assert_int_equal(src_file_parse_directive(src, 20, text + 20, 4), SRC_DIRECTIVE_MARKER);
    assert_loc(src_file_loc(src, 25), "x.defs", 7, 1); // no name: the file stays
    assert_int_equal(src_file_parse_directive(src, 27, text + 27, 11), SRC_DIRECTIVE_MARKER);
    assert_loc(src_file_loc(src, 39), "x.defs", 100, 1);
}

static void source_unescapes_marker_file_names(void **state) {
    (void)state;
    const char *text = "# 3 \"dir\\\\sub\\\"q.defs\"\nX\n";
    struct src_file *src = make(text);
    size_t len = (size_t)(strchr(text, '\n') - text);
    assert_int_equal(src_file_parse_directive(src, 0, text, len), SRC_DIRECTIVE_MARKER);
    assert_loc(src_file_loc(src, len + 1), "dir\\sub\"q.defs", 3, 1);
}

static void source_classifies_other_and_bad_directives(void **state) {
    (void)state;
    struct src_file *src = make("x\n");
    const char *cases_other[] = {"#pragma once", "#include <a.h>", "#", "#define X 1", "plain"};
    for (size_t i = 0; i < sizeof cases_other / sizeof *cases_other; i++)
        assert_int_equal(src_file_parse_directive(src, 0, cases_other[i], strlen(cases_other[i])),
                         SRC_DIRECTIVE_OTHER);
    const char *cases_bad[] = {"# 99999999999 \"a\"", "# 12 \"unterminated", "#line", "#line x",
                               "# 12x"};
    for (size_t i = 0; i < sizeof cases_bad / sizeof *cases_bad; i++)
        assert_int_equal(src_file_parse_directive(src, 0, cases_bad[i], strlen(cases_bad[i])),
                         SRC_DIRECTIVE_BAD_MARKER);
    // None of them changed the map.
    assert_loc(src_file_loc(src, 0), "buf.defs", 1, 1);
}

static void source_spans_join_and_none_is_invalid(void **state) {
    (void)state;
    struct src_file *src = make("routine foo;");
    struct src_span a = src_file_span(src, 0, 7), b = src_file_span(src, 8, 11);
    struct src_span j = src_span_join(a, b);
    assert_int_equal(j.begin.col, 1);
    assert_int_equal(j.end.col, 12);
    assert_true(src_span_is_valid(j));
    assert_false(src_span_is_valid(SRC_SPAN_NONE));
}

static void source_keeps_nul_bytes(void **state) {
    (void)state;
    struct src_file *src = src_file_create(arena, "n.defs", "a\0b\nc", 5);
    assert_int_equal(src->len, 5);
    assert_int_equal(src->n_lines, 2);
    assert_loc(src_file_loc(src, 2), "n.defs", 1, 3);
    assert_loc(src_file_loc(src, 4), "n.defs", 2, 1);
}

// "\r\n", "\n" and a lone "\r" (old Mac files) each end one line, for positions and line text.
static void source_counts_crlf_lf_and_lone_cr_as_one_line_break_each(void **state) {
    (void)state;
    struct src_file *src = make("a\rb\r\nc\nd\r\re");
    assert_int_equal(src->n_lines, 6);
    assert_loc(src_file_loc(src, 1), "buf.defs", 1, 2); // the lone \r itself
    assert_loc(src_file_loc(src, 2), "buf.defs", 2, 1);
    assert_loc(src_file_loc(src, 5), "buf.defs", 3, 1); // after \r\n: one break, not two
    assert_loc(src_file_loc(src, 7), "buf.defs", 4, 1);
    assert_loc(src_file_loc(src, 10), "buf.defs", 6, 1);
    const char *expected[] = {"a", "b", "c", "d", "", "e"};
    for (size_t line = 0; line < 6; line++) {
        size_t len;
        const char *t = src_file_line_text(src, src->line_starts[line], &len);
        assert_int_equal(len, strlen(expected[line]));
        assert_memory_equal(t, expected[line], len);
    }
    assert_int_equal(src_line_break_length("\r\nx", 3), 2);
    assert_int_equal(src_line_break_length("\r", 1), 1);
    assert_int_equal(src_line_break_length("\n\r", 2), 1);
    assert_int_equal(src_line_break_length("x\n", 2), 0);
}

// A line marker ended by a lone \r names the line after that \r.
static void source_markers_before_a_lone_cr(void **state) {
    (void)state;
    const char *text = "# 40 \"x.defs\"\rA\rB";
    struct src_file *src = make(text);
    assert_int_equal(src_file_parse_directive(src, 0, text, 13), SRC_DIRECTIVE_MARKER);
    assert_loc(src_file_loc(src, 14), "x.defs", 40, 1);
    assert_loc(src_file_loc(src, 16), "x.defs", 41, 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(source_maps_offsets_to_lines_and_byte_columns, setup, teardown),
        cmocka_unit_test_setup_teardown(source_gives_line_text_without_newline, setup, teardown),
        cmocka_unit_test_setup_teardown(source_follows_gcc_line_markers, setup, teardown),
        cmocka_unit_test_setup_teardown(source_accepts_line_directives_and_bare_markers, setup, teardown),
        cmocka_unit_test_setup_teardown(source_unescapes_marker_file_names, setup, teardown),
        cmocka_unit_test_setup_teardown(source_classifies_other_and_bad_directives, setup, teardown),
        cmocka_unit_test_setup_teardown(source_spans_join_and_none_is_invalid, setup, teardown),
        cmocka_unit_test_setup_teardown(source_keeps_nul_bytes, setup, teardown),
        cmocka_unit_test_setup_teardown(source_counts_crlf_lf_and_lone_cr_as_one_line_break_each,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(source_markers_before_a_lone_cr, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
