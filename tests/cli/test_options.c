// Unit tests of the mig command-line parser (compiler/driver/options.c): Apple's flags, separated
// and joined preprocessor options, options after the file, usage errors.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "driver/options.h"
#include "support/diag.h"

#define PARSE(opts, ...)                                                                  \
    do {                                                                                  \
        char *argv_[] = {"mig", __VA_ARGS__, NULL};                                       \
        assert_true(options_parse((int)(sizeof argv_ / sizeof argv_[0]) - 1, argv_, (opts))); \
    } while (0)

static void test_apple_outputs_and_file(void **state) {
    (void)state;
    struct driver_options o;
    PARSE(&o, "-user", "u.c", "-server", "/dev/null", "-header", "h.h", "-sheader", "s.h",
          "-iheader", "i.h", "-dheader", "d.h", "x.defs");
    assert_string_equal(o.outputs[EMIT_USER_SOURCE], "u.c");
    assert_string_equal(o.outputs[EMIT_SERVER_SOURCE], "/dev/null");
    assert_string_equal(o.outputs[EMIT_USER_HEADER], "h.h");
    assert_string_equal(o.outputs[EMIT_SERVER_HEADER], "s.h");
    assert_string_equal(o.outputs[EMIT_INTERNAL_HEADER], "i.h");
    assert_string_equal(o.outputs[EMIT_DEFINES_HEADER], "d.h");
    assert_int_equal(o.defs_file_count, 1);
    assert_string_equal(o.defs_files[0], "x.defs");
    assert_int_equal(o.problem_count, 0);
    assert_false(o.usage_error);
    options_free(&o);
}

static void test_every_switch_accepted(void **state) {
    (void)state;
    struct driver_options o;
    PARSE(&o, "-q", "-Q", "-v", "-V", "-r", "-R", "-s", "-S", "-l", "-L", "-k", "-K", "-n", "-N",
          "-b", "-B", "-T", "-X", "-novouchers", "-mach_msg2", "-split", "-MD", "-arch",
          "arm64", "-target", "arm64-apple-macos11", "-isysroot", "/sdk", "-cc", "clang",
          "-migcom", "/x/migcom", "-cpp", "ignored", "-maxonstack", "1024", "-max_descrs", "7",
          "-max_reply_descrs", "0x10", "-Werror", "--no-color", "--diagnostics-format=json",
          "--emit-json", "o.json", "-MF", "o.d", "x.defs");
    assert_int_equal(o.problem_count, 0);
    assert_false(o.usage_error);
    assert_false(o.compile.quiet);
    assert_false(o.verbose);
    assert_true(o.compile.rpc_separate);
    assert_false(o.compile.bounds_annotations);
    assert_true(o.compile.novouchers);
    assert_true(o.compile.mach_msg2);
    assert_true(o.compile.split);
    assert_true(o.make_deps);
    assert_true(o.compile.werror);
    assert_true(o.no_color);
    assert_true(o.compile.json_diagnostics);
    assert_int_equal(o.compile.maxonstack, 1024);
    assert_int_equal(o.compile.max_descrs, 7);
    assert_int_equal(o.compile.max_reply_descrs, 16);
    assert_string_equal(o.arch, "arm64");
    assert_string_equal(o.target, "arm64-apple-macos11");
    assert_string_equal(o.isysroot, "/sdk");
    assert_string_equal(o.cc, "clang");
    assert_string_equal(o.json_file, "o.json");
    assert_string_equal(o.depfile, "o.d");
    assert_int_equal(o.cpp_arg_count, 0);
    options_free(&o);
}

static void test_b_reaches_the_compiler(void **state) {
    (void)state;
    struct driver_options o;
    PARSE(&o, "-b", "-q", "-v", "-s", "-n", "x.defs");
    assert_true(o.compile.bounds_annotations); // Apple defect 8: mig.sh sent -b to cc
    assert_true(o.compile.quiet);
    assert_true(o.verbose);
    assert_true(o.compile.symtab);
    assert_true(o.compile.ndr_convert);
    assert_int_equal(o.cpp_arg_count, 0);
    options_free(&o);
}

static void test_cpp_joined_and_separated(void **state) {
    (void)state;
    struct driver_options o;
    PARSE(&o, "-DA=1", "-D", "B", "-Iinc", "-I", "inc2", "-U", "C", "-F", "fw", "-isystem", "sys",
          "-include", "pre.h", "-Wp,-w", "x.defs");
    const char *want[] = {"-DA=1", "-D", "B", "-Iinc", "-I", "inc2", "-U", "C", "-F", "fw",
                          "-isystem", "sys", "-include", "pre.h", "-Wp,-w"};
    assert_int_equal(o.cpp_arg_count, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < o.cpp_arg_count; i++)
        assert_string_equal(o.cpp_args[i], want[i]);
    assert_int_equal(o.defs_file_count, 1);
    assert_string_equal(o.defs_files[0], "x.defs");
    options_free(&o);
}

static void test_bare_include_before_option(void **state) {
    (void)state;
    struct driver_options o;
    PARSE(&o, "-Ia", "-I", "-Ib", "x.defs"); // ravynOS's stray "-I"
    assert_int_equal(o.cpp_arg_count, 2);
    assert_string_equal(o.cpp_args[0], "-Ia");
    assert_string_equal(o.cpp_args[1], "-Ib");
    assert_int_equal(o.problem_count, 1);
    assert_int_equal(o.problems[0].id, DIAG_BARE_INCLUDE_OPTION);
    assert_false(o.usage_error);
    options_free(&o);
}

static void test_options_after_file_warn(void **state) {
    (void)state;
    struct driver_options o;
    PARSE(&o, "x.defs", "-DLATE", "-user", "late.c");
    assert_int_equal(o.cpp_arg_count, 0);
    assert_null(o.outputs[EMIT_USER_SOURCE]);
    assert_int_equal(o.problem_count, 2);
    assert_int_equal(o.problems[0].id, DIAG_OPTION_AFTER_FILE);
    assert_string_equal(o.problems[0].args[0], "-DLATE");
    assert_int_equal(o.problems[1].id, DIAG_OPTION_AFTER_FILE); // with its value, as mig.sh
    assert_string_equal(o.problems[1].args[0], "-user late.c");
    assert_int_equal(o.defs_file_count, 1); // "late.c" is the value, not a second file
    assert_false(o.usage_error);
    options_free(&o);
}

static void test_several_files(void **state) {
    (void)state;
    struct driver_options o;
    PARSE(&o, "-DX", "a.defs", "b.defs", "-I", "dir", "c.defs", "-user");
    assert_int_equal(o.defs_file_count, 3);
    assert_string_equal(o.defs_files[0], "a.defs");
    assert_string_equal(o.defs_files[1], "b.defs");
    assert_string_equal(o.defs_files[2], "c.defs");
    assert_int_equal(o.cpp_arg_count, 1); // only the -DX before the first file counts
    assert_int_equal(o.problem_count, 2);
    // A separated preprocessor option after a file is refused (mig.sh would read "dir" as a
    // .defs file), and "dir" is not taken for one here either.
    assert_int_equal(o.problems[0].id, DIAG_CPP_OPTION_AFTER_FILE);
    assert_string_equal(o.problems[0].args[0], "-I");
    assert_string_equal(o.problems[0].args[1], "dir");
    assert_int_equal(o.problems[1].id, DIAG_OPTION_AFTER_FILE);
    assert_string_equal(o.problems[1].args[0], "-user"); // no value left: warned alone
    assert_true(o.usage_error);
    options_free(&o);

    PARSE(&o, "a.defs", "-D", "NAME", "b.defs");
    assert_int_equal(o.defs_file_count, 2);
    assert_int_equal(o.problems[0].id, DIAG_CPP_OPTION_AFTER_FILE);
    assert_string_equal(o.problems[0].args[1], "NAME");
    assert_true(o.usage_error);
    options_free(&o);
}

// Apple's migcom refuses -x (short-circuited RPCs); -X (the default) is accepted.
static void test_short_circuit_refused(void **state) {
    (void)state;
    struct driver_options o;
    PARSE(&o, "-x", "x.defs");
    assert_true(o.usage_error);
    assert_int_equal(o.problem_count, 1);
    assert_int_equal(o.problems[0].id, DIAG_UNSUPPORTED_OPTION);
    assert_string_equal(o.problems[0].args[0], "-x");
    options_free(&o);
    PARSE(&o, "-X", "x.defs");
    assert_false(o.usage_error);
    assert_int_equal(o.problem_count, 0);
    options_free(&o);
}

static void test_usage_errors(void **state) {
    (void)state;
    struct driver_options o;
    PARSE(&o, "-user");
    assert_true(o.usage_error);
    assert_int_equal(o.problems[0].id, DIAG_MISSING_OPTION_ARGUMENT);
    options_free(&o);

    PARSE(&o, "-user", "-header", "h.h", "x.defs"); // the file name was forgotten
    assert_true(o.usage_error);
    assert_int_equal(o.problems[0].id, DIAG_MISSING_OPTION_ARGUMENT);
    assert_string_equal(o.problems[0].args[0], "-user");
    options_free(&o);

    PARSE(&o, "-maxonstack", "lots", "x.defs");
    assert_true(o.usage_error);
    assert_int_equal(o.problems[0].id, DIAG_BAD_OPTION_NUMBER);
    assert_string_equal(o.problems[0].args[1], "lots");
    options_free(&o);

    PARSE(&o, "--frobnicate", "x.defs");
    assert_true(o.usage_error);
    assert_int_equal(o.problems[0].id, DIAG_UNKNOWN_OPTION);
    options_free(&o);

    PARSE(&o, "--diagnostics-format=xml", "x.defs");
    assert_true(o.usage_error);
    assert_int_equal(o.problems[0].id, DIAG_BAD_DIAGNOSTICS_FORMAT);
    options_free(&o);

    PARSE(&o, "-DX");
    assert_true(o.usage_error);
    assert_int_equal(o.problems[0].id, DIAG_NO_INPUT_FILE);
    options_free(&o);
}

static void test_version_help_t(void **state) {
    (void)state;
    struct driver_options o;
    PARSE(&o, "-version");
    assert_true(o.show_version);
    assert_false(o.usage_error);
    options_free(&o);
    PARSE(&o, "--help");
    assert_true(o.show_help);
    assert_false(o.usage_error);
    options_free(&o);
    PARSE(&o, "--emit-json", "-", "-D", "-DX", "x.defs"); // "-" is stdout; -D takes "-DX"
    assert_false(o.usage_error);
    assert_string_equal(o.json_file, "-");
    assert_int_equal(o.cpp_arg_count, 2);
    options_free(&o);
    PARSE(&o, "--error-limit=3", "x.defs");
    assert_int_equal(o.compile.error_limit, 3);
    assert_false(o.usage_error);
    options_free(&o);
    PARSE(&o, "--error-limit=lots", "x.defs");
    assert_true(o.usage_error);
    assert_int_equal(o.problems[0].id, DIAG_BAD_OPTION_NUMBER);
    options_free(&o);
    PARSE(&o, "-t", "--emit-json=a.json", "x.defs");
    assert_int_equal(o.problems[0].id, DIAG_IGNORED_OPTION);
    assert_string_equal(o.json_file, "a.json");
    assert_false(o.usage_error);
    options_free(&o);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_apple_outputs_and_file),
        cmocka_unit_test(test_every_switch_accepted),
        cmocka_unit_test(test_b_reaches_the_compiler),
        cmocka_unit_test(test_cpp_joined_and_separated),
        cmocka_unit_test(test_bare_include_before_option),
        cmocka_unit_test(test_options_after_file_warn),
        cmocka_unit_test(test_short_circuit_refused),
        cmocka_unit_test(test_several_files),
        cmocka_unit_test(test_usage_errors),
        cmocka_unit_test(test_version_help_t),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
