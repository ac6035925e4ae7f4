// Unit tests of the diagnostics engine and table (compiler/support/diag.h, diag.def): rendering
// (caret, tabs, notes, summary, colour, JSON), -q, -Werror, the error limit, and the table's own
// rules.
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "support/arena.h"
#include "support/diag.h"
#include "support/source.h"
#include "support/xalloc.h"

struct fixture {
    struct arena *arena;
    struct src_file *src;
    struct diag_engine *d;
    FILE *out;
    char *text;
    size_t len;
};

static struct fixture *fixture_create(const char *source, struct diag_options options) {
    struct fixture *f = xcalloc(1, sizeof *f);
    f->arena = arena_create();
    f->src = src_file_create(f->arena, "echo.defs", source, strlen(source));
    f->out = open_memstream(&f->text, &f->len);
    f->d = diag_engine_create(&options, f->out);
    diag_engine_set_source(f->d, f->src);
    return f;
}

static const char *fixture_output(struct fixture *f) {
    diag_engine_finish(f->d);
    fflush(f->out);
    return f->text;
}

static void fixture_destroy(struct fixture *f) {
    diag_engine_destroy(f->d);
    fclose(f->out);
    free(f->text);
    arena_destroy(f->arena);
    free(f);
}

// Offset of the n-th occurrence (0-based) of `needle` in the fixture's source.
static size_t at(struct fixture *f, const char *needle) {
    const char *p = strstr(f->src->text, needle);
    assert_non_null(p);
    return (size_t)(p - f->src->text);
}

static struct src_span span_of(struct fixture *f, const char *needle) {
    size_t b = at(f, needle);
    return src_file_span(f->src, b, b + strlen(needle));
}

static void diag_renders_location_id_line_and_caret(void **state) {
    (void)state;
    struct fixture *f =
        fixture_create("subsystem echo 100;\nroutine add(server : mach_port_t; a : int65);\n",
                       (struct diag_options){0});
    diag_report(f->d, DIAG_KEYWORD_AS_NAME, span_of(f, "int65"), "int65");
    assert_string_equal(fixture_output(f),
                        "echo.defs:2:39: error: 'int65' is a keyword and cannot be used as a name "
                        "[E0014]\n"
                        "routine add(server : mach_port_t; a : int65);\n"
                        "                                      ^~~~~\n"
                        "1 error generated.\n");
    assert_int_equal(diag_error_count(f->d), 1);
    fixture_destroy(f);
}

static void diag_keeps_tabs_in_the_caret_line(void **state) {
    (void)state;
    struct fixture *f = fixture_create("\troutine\t@x;\n", (struct diag_options){0});
    diag_report(f->d, DIAG_UNEXPECTED_CHAR, span_of(f, "@"), "'@'");
    assert_string_equal(fixture_output(f), "echo.defs:1:10: error: unexpected character '@' [E0001]\n"
                                           "\troutine\t@x;\n"
                                           "\t       \t^\n"
                                           "1 error generated.\n");
    fixture_destroy(f);
}

// An old Mac file (lone \r line ends): the excerpt is the one line, not the whole file.
static void diag_excerpt_stops_at_a_lone_cr(void **state) {
    (void)state;
    struct fixture *f = fixture_create("subsystem x 1;\rroutine @r;\rroutine s;\r", (struct diag_options){0});
    diag_report(f->d, DIAG_UNEXPECTED_CHAR, span_of(f, "@"), "'@'");
    assert_string_equal(fixture_output(f), "echo.defs:2:9: error: unexpected character '@' [E0001]\n"
                                           "routine @r;\n"
                                           "        ^\n"
                                           "1 error generated.\n");
    fixture_destroy(f);
}

static void diag_attaches_notes_and_counts_warnings_and_errors(void **state) {
    (void)state;
    struct fixture *f = fixture_create("routine r(z : ^array[] of int);\n", (struct diag_options){0});
    struct src_span type = span_of(f, "^array[] of int");
    diag_report(f->d, DIAG_ANONYMOUS_ARG_TYPE, type, "z");
    diag_report(f->d, DIAG_NOTE_NAME_THE_TYPE, span_of(f, "routine"), "z", "z_t = ^array[] of int");
    const char *out = fixture_output(f);
    assert_non_null(strstr(out, "echo.defs:1:15: error: the type of argument 'z' must have a name [E0015]\n"
                                "routine r(z : ^array[] of int);\n"
                                "              ^~~~~~~~~~~~~~~\n"
                                "echo.defs:1:1: note: name it inline, 'z : z_t = ^array[] of int', "
                                "or declare it with a 'type' statement\n"
                                "routine r(z : ^array[] of int);\n"
                                "^~~~~~~\n"));
    assert_non_null(strstr(out, "\n1 error generated.\n"));
    assert_int_equal(diag_record_count(f->d), 2);
    assert_int_equal(diag_record_get(f->d, 0)->note_count, 1);
    assert_int_equal(diag_record_get(f->d, 1)->severity, DIAG_NOTE);
    fixture_destroy(f);
}

static void diag_note_at_the_same_place_does_not_repeat_the_line(void **state) {
    (void)state;
    struct fixture *f = fixture_create("type type = int;\n", (struct diag_options){0});
    struct src_span s = src_file_span(f->src, 5, 9);
    diag_report(f->d, DIAG_KEYWORD_AS_NAME, s, "type");
    diag_report(f->d, DIAG_NOTE_KEYWORD_RENAME, s);
    assert_string_equal(fixture_output(f),
                        "echo.defs:1:6: error: 'type' is a keyword and cannot be used as a name [E0014]\n"
                        "type type = int;\n"
                        "     ^~~~\n"
                        "echo.defs:1:6: note: keywords are case-insensitive; choose another name\n"
                        "1 error generated.\n");
    fixture_destroy(f);
}

static void diag_shows_a_fixit_under_the_caret(void **state) {
    (void)state;
    struct fixture *f = fixture_create("\tsubsystem test 100\n", (struct diag_options){0});
    struct src_span after = src_file_span(f->src, 19, 19);
    diag_report_fixit(f->d, DIAG_MISSING_SEMICOLON, after, ";", "'100'");
    assert_string_equal(fixture_output(f), "echo.defs:1:20: error: expected ';' after '100' [E0013]\n"
                                           "\tsubsystem test 100\n"
                                           "\t                  ^\n"
                                           "\t                  ;\n"
                                           "1 error generated.\n");
    assert_string_equal(diag_record_get(f->d, 0)->maybe_fixit, ";");
    fixture_destroy(f);

    f = fixture_create("x\n", (struct diag_options){.json = true});
    diag_report_fixit(f->d, DIAG_MISSING_SEMICOLON, src_file_span(f->src, 1, 1), ";", "'x'");
    assert_non_null(strstr(fixture_output(f), ", \"fixit\": {\"insert\": \";\", \"line\": 1, "
                                              "\"column\": 2}, \"notes\": []}"));
    fixture_destroy(f);
}

static void diag_without_position_names_the_program(void **state) {
    (void)state;
    struct fixture *f = fixture_create("", (struct diag_options){0});
    diag_report(f->d, DIAG_UNTERMINATED_COMMENT, SRC_SPAN_NONE);
    assert_string_equal(fixture_output(f),
                        "mig: error: unterminated /* comment [E0003]\n1 error generated.\n");
    fixture_destroy(f);
}

static void diag_summary_follows_clang(void **state) {
    (void)state;
    struct fixture *f = fixture_create("x\n", (struct diag_options){0});
    assert_string_equal(fixture_output(f), ""); // nothing reported, nothing printed
    fixture_destroy(f);

    f = fixture_create("x y\n", (struct diag_options){0});
    diag_report(f->d, DIAG_UNTERMINATED_COMMENT, span_of(f, "x"));
    diag_report(f->d, DIAG_UNTERMINATED_COMMENT, span_of(f, "y"));
    const char *out = fixture_output(f);
    assert_non_null(strstr(out, "\n2 errors generated.\n"));
    fixture_destroy(f);
}

static void diag_json_lists_every_diagnostic_with_notes(void **state) {
    (void)state;
    struct fixture *f = fixture_create("type type = \"q\";\n", (struct diag_options){.json = true});
    struct src_span s = src_file_span(f->src, 5, 9);
    diag_report(f->d, DIAG_KEYWORD_AS_NAME, s, "type");
    diag_report(f->d, DIAG_NOTE_KEYWORD_RENAME, s);
    diag_report(f->d, DIAG_UNEXPECTED_CHAR, span_of(f, "\"q\""), "'\"q\"\\'");
    assert_string_equal(
        fixture_output(f),
        "[\n"
        "  {\"id\": \"E0014\", \"severity\": \"error\", \"message\": \"'type' is a keyword and cannot "
        "be used as a name\", \"file\": \"echo.defs\", \"line\": 1, \"column\": 6, \"end_line\": 1, "
        "\"end_column\": 10, \"notes\": [{\"id\": \"E0017\", \"severity\": \"note\", \"message\": "
        "\"keywords are case-insensitive; choose another name\", \"file\": \"echo.defs\", \"line\": 1, "
        "\"column\": 6, \"end_line\": 1, \"end_column\": 10}]},\n"
        "  {\"id\": \"E0001\", \"severity\": \"error\", \"message\": \"unexpected character "
        "'\\\"q\\\"\\\\'\", \"file\": \"echo.defs\", \"line\": 1, \"column\": 13, \"end_line\": 1, "
        "\"end_column\": 16, \"notes\": []}\n"
        "]\n");
    fixture_destroy(f);

    f = fixture_create("", (struct diag_options){.json = true});
    assert_string_equal(fixture_output(f), "[]\n");
    fixture_destroy(f);
}

// Finds a warning in the table (other owners add them; the syntax area has none yet).
static const struct diag_info *some_warning(void) {
    size_t n;
    const struct diag_info *t = diag_info_table(&n);
    for (size_t i = 0; i < n; i++)
        if (t[i].severity == DIAG_WARNING && t[i].arity == 0)
            return &t[i];
    for (size_t i = 0; i < n; i++)
        if (t[i].severity == DIAG_WARNING)
            return &t[i];
    return NULL;
}

static void report_with_arity(struct diag_engine *d, const struct diag_info *info, struct src_span s) {
    const char *args[8] = {"a", "b", "c", "d", "e", "f", "g", "h"};
    diag_report_args(d, info->id, s, info->arity, args);
}

static void diag_quiet_drops_warnings_and_werror_promotes_them(void **state) {
    (void)state;
    const struct diag_info *w = some_warning();
    if (!w) {
        skip(); // no warning in the table yet: nothing to test
        return;
    }
    struct fixture *f = fixture_create("x\n", (struct diag_options){.quiet = true});
    report_with_arity(f->d, w, span_of(f, "x"));
    diag_report(f->d, DIAG_NOTE_KEYWORD_RENAME, span_of(f, "x")); // its note goes too
    assert_string_equal(fixture_output(f), "");
    assert_int_equal(diag_warning_count(f->d), 0);
    assert_int_equal(diag_record_count(f->d), 0);
    fixture_destroy(f);

    f = fixture_create("x\n", (struct diag_options){0});
    report_with_arity(f->d, w, span_of(f, "x"));
    assert_non_null(strstr(fixture_output(f), ": warning: "));
    assert_non_null(strstr(f->text, "1 warning generated.\n"));
    assert_int_equal(diag_warning_count(f->d), 1);
    assert_int_equal(diag_error_count(f->d), 0);
    fixture_destroy(f);

    f = fixture_create("x\n", (struct diag_options){.werror = true, .quiet = true});
    report_with_arity(f->d, w, span_of(f, "x"));
    assert_non_null(strstr(fixture_output(f), ": error: "));
    assert_int_equal(diag_error_count(f->d), 1);
    assert_int_equal(diag_record_get(f->d, 0)->severity, DIAG_ERROR);
    fixture_destroy(f);
}

static void diag_stops_at_the_error_limit(void **state) {
    (void)state;
    struct fixture *f = fixture_create("x\n", (struct diag_options){.error_limit = 3});
    for (int i = 0; i < 10; i++)
        diag_report(f->d, DIAG_UNTERMINATED_COMMENT, span_of(f, "x"));
    assert_true(diag_limit_reached(f->d));
    assert_int_equal(diag_record_count(f->d), 4);
    assert_int_equal(diag_record_get(f->d, 3)->id, DIAG_TOO_MANY_ERRORS);
    assert_non_null(strstr(fixture_output(f), "too many errors emitted, stopping now [E0009]"));
    assert_non_null(strstr(f->text, "4 errors generated.\n"));
    fixture_destroy(f);
}

static void diag_colours_only_when_asked(void **state) {
    (void)state;
    struct fixture *f = fixture_create("x\n", (struct diag_options){.color = true});
    diag_report(f->d, DIAG_UNTERMINATED_COMMENT, span_of(f, "x"));
    const char *out = fixture_output(f);
    assert_non_null(strstr(out, "\033[1;31merror: "));
    assert_non_null(strstr(out, "\033[1;32m^"));
    fixture_destroy(f);
    f = fixture_create("x\n", (struct diag_options){0});
    diag_report(f->d, DIAG_UNTERMINATED_COMMENT, span_of(f, "x"));
    assert_null(strchr(fixture_output(f), '\033'));
    fixture_destroy(f);
}

static void diag_shows_unprintable_source_bytes_safely(void **state) {
    (void)state;
    struct fixture *f = fixture_create("a\x01\x1b[31mb\n", (struct diag_options){0});
    diag_report(f->d, DIAG_UNTERMINATED_COMMENT, span_of(f, "b"));
    const char *out = fixture_output(f);
    assert_null(strchr(out, '\033'));
    assert_non_null(strstr(out, "a??[31mb\n"));
    fixture_destroy(f);
}

// Counts "%s" in a message and fails on any other conversion.
static unsigned count_conversions(const char *msg, bool *other) {
    unsigned n = 0;
    *other = false;
    for (const char *p = msg; *p; p++) {
        if (*p != '%')
            continue;
        if (p[1] == 's') {
            n++;
            p++;
        } else {
            *other = true;
        }
    }
    return n;
}

static void diag_table_messages_match_their_arity(void **state) {
    (void)state;
    size_t n;
    const struct diag_info *t = diag_info_table(&n);
    assert_true(n > 0);
    for (size_t i = 0; i < n; i++) {
        bool other;
        unsigned count = count_conversions(t[i].message, &other);
        if (count != t[i].arity || other)
            fail_msg("E%04u %s: arity %u but message \"%s\" has %u %%s%s", (unsigned)t[i].id,
                     t[i].name, t[i].arity, t[i].message, count,
                     other ? " and another conversion" : "");
        assert_ptr_equal(diag_info_get((unsigned)t[i].id), &t[i]);
        assert_true(t[i].message[0] != '\0');
    }
    assert_null(diag_info_get(0));
    assert_null(diag_info_get(100000));
}

// Each area file keeps to its id range.
struct range_entry {
    unsigned id;
    const char *name;
};

static const struct range_entry syntax_ids[] = {
#define DIAG(name, id, sev, arity, msg) {id, #name},
#define RETIRED(id) {id, "retired"},
#include "support/diag_syntax.def"
    {0, NULL}};
static const struct range_entry check_ids[] = {
#include "support/diag_check.def"
    {0, NULL}};
static const struct range_entry driver_ids[] = {
#include "support/diag_driver.def"
#undef DIAG
#undef RETIRED
    {0, NULL}};

static void check_range(const struct range_entry *e, unsigned lo, unsigned hi, const char *file) {
    for (; e->name; e++)
        if (e->id < lo || e->id > hi)
            fail_msg("%s: %s has id %u outside %u-%u", file, e->name, e->id, lo, hi);
}

static void diag_table_ids_stay_in_their_area_ranges(void **state) {
    (void)state;
    check_range(syntax_ids, 1, 99, "diag_syntax.def");
    check_range(check_ids, 100, 399, "diag_check.def");
    check_range(driver_ids, 400, 499, "diag_driver.def");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(diag_renders_location_id_line_and_caret),
        cmocka_unit_test(diag_keeps_tabs_in_the_caret_line),
        cmocka_unit_test(diag_excerpt_stops_at_a_lone_cr),
        cmocka_unit_test(diag_attaches_notes_and_counts_warnings_and_errors),
        cmocka_unit_test(diag_note_at_the_same_place_does_not_repeat_the_line),
        cmocka_unit_test(diag_shows_a_fixit_under_the_caret),
        cmocka_unit_test(diag_without_position_names_the_program),
        cmocka_unit_test(diag_summary_follows_clang),
        cmocka_unit_test(diag_json_lists_every_diagnostic_with_notes),
        cmocka_unit_test(diag_quiet_drops_warnings_and_werror_promotes_them),
        cmocka_unit_test(diag_stops_at_the_error_limit),
        cmocka_unit_test(diag_colours_only_when_asked),
        cmocka_unit_test(diag_shows_unprintable_source_bytes_safely),
        cmocka_unit_test(diag_table_messages_match_their_arity),
        cmocka_unit_test(diag_table_ids_stay_in_their_area_ranges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
