// Unit tests of the driver's file modules (compiler/driver/): dependency files (depfile.c), atomic
// output (output.c) and the preprocessor runner (cpp.c).
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>
#include <fcntl.h>

#include <cmocka.h>

#include "driver/cpp.h"
#include "driver/cpp_arch.h"
#include "driver/depfile.h"
#include "driver/output.h"

static void test_depfile_collect(void **state) {
    (void)state;
    const char text[] = "# 0 \"a b.defs\"\n# 0 \"<built-in>\"\n# 0 \"<command-line>\"\n"
                        "# 1 \"a b.defs\"\nsubsystem x 1;\n#line 3 \"inc/q\\\\\\\"uote.defs\"\n"
                        "# 7 \"/abs/std.defs\" 1 3\n  # 9 \"not-a-marker-indented-is-ok\"\n"
                        "#pragma once\n# 2 \"a b.defs\" 2\n# 4 \"unterminated\n";
    struct dep_list deps;
    assert_true(depfile_collect(text, sizeof text - 1, &deps));
    assert_int_equal(deps.count, 3);
    assert_string_equal(deps.files[0], "a b.defs");
    assert_string_equal(deps.files[1], "inc/q\\\"uote.defs");
    assert_string_equal(deps.files[2], "/abs/std.defs");
    depfile_free(&deps);
}

// Markers in a preprocessor output with old Mac (lone \r) or DOS line ends are found too.
static void test_depfile_collect_after_lone_cr(void **state) {
    (void)state;
    const char text[] = "# 1 \"a.defs\"\rx\r# 1 \"b.defs\" 1\r\ny\r# 3 \"a.defs\" 2";
    struct dep_list deps;
    assert_true(depfile_collect(text, sizeof text - 1, &deps));
    assert_int_equal(deps.count, 2);
    assert_string_equal(deps.files[0], "a.defs");
    assert_string_equal(deps.files[1], "b.defs");
    depfile_free(&deps);
}

static void test_depfile_write_escapes(void **state) {
    (void)state;
    char *files[] = {"my dir/a.defs", "$HOME#x.defs"};
    struct dep_list deps = {files, 2};
    const char *targets[] = {"out/aUser.c", "out/a.h"};
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    depfile_write(mem, targets, 2, &deps);
    fclose(mem);
    assert_string_equal(text, "out/aUser.c out/a.h: \\\n  my\\ dir/a.defs \\\n  $$HOME\\#x.defs\n"
                              "\n$$HOME\\#x.defs:\n");
    free(text);
}

// A fresh directory under TMPDIR for one test.
static char *make_temp_dir(void) {
    const char *tmp = getenv("TMPDIR");
    char *dir = malloc(4096);
    snprintf(dir, 4096, "%s/migtest.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    assert_non_null(mkdtemp(dir));
    return dir;
}

static size_t count_entries(const char *dir) {
    DIR *d = opendir(dir);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += e->d_name[0] != '.' || (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."));
    closedir(d);
    return n;
}

static char *slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = calloc(1, 1 << 16);
    size_t n = fread(buf, 1, (1 << 16) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void test_output_commit_all(void **state) {
    (void)state;
    char *dir = make_temp_dir();
    char a[4200], b[4200];
    snprintf(a, sizeof a, "%s/a.h", dir);
    snprintf(b, sizeof b, "%s/b.c", dir);
    struct output_set set = {0};
    assert_true(output_add(&set, a, "alpha\n", 6));
    assert_true(output_add(&set, "/dev/null", "ignored", 7));
    assert_true(output_add(&set, b, "", 0));
    assert_int_equal(set.count, 2);
    const char *failed = NULL;
    int err = 0;
    assert_true(output_commit(&set, &failed, &err));
    output_free(&set);
    char *got = slurp(a);
    assert_string_equal(got, "alpha\n");
    free(got);
    got = slurp(b);
    assert_string_equal(got, "");
    free(got);
    assert_int_equal(count_entries(dir), 2); // no temporaries left
    unlink(a);
    unlink(b);
    rmdir(dir);
    free(dir);
}

// An output that exists is replaced (exchanged with its temporary, then the old one unlinked,
// where the kernel can): the new text is in place, nothing else is left behind.
static void test_output_replaces_existing(void **state) {
    (void)state;
    char *dir = make_temp_dir();
    char a[4200];
    snprintf(a, sizeof a, "%s/a.h", dir);
    FILE *f = fopen(a, "w");
    fputs("previous run\n", f);
    fclose(f);
    for (int round = 0; round < 2; round++) {
        struct output_set set = {0};
        assert_true(output_add(&set, a, round ? "second\n" : "first\n", round ? 7 : 6));
        const char *failed = NULL;
        int err = 0;
        assert_true(output_commit(&set, &failed, &err));
        output_free(&set);
        char *got = slurp(a);
        assert_string_equal(got, round ? "second\n" : "first\n");
        free(got);
        assert_int_equal(count_entries(dir), 1); // neither the temporary nor the old file
    }
    unlink(a);
    rmdir(dir);
    free(dir);
}

// Writes `text` to `path` and dates it back to 2001, so that a rewrite or a touch shows.
static void write_old_file(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    struct timespec times[2] = {{1000000000, 0}, {1000000000, 0}};
    assert_int_equal(utimensat(AT_FDCWD, path, times, 0), 0);
}

// Streams `pieces` (NULL-terminated) to `path` as the emitters do and commits.
static void commit_pieces(const char *path, const char *const *pieces) {
    struct output_set set = {0};
    size_t index = output_begin(&set, path);
    for (size_t i = 0; pieces[i]; i++)
        output_write(&set, index, pieces[i], strlen(pieces[i]));
    output_end(&set, index);
    const char *failed = NULL;
    int err = 0;
    assert_true(output_commit(&set, &failed, &err));
    output_free(&set);
}

// An output equal to its destination leaves the file in place (same inode), only newer.
static void test_output_unchanged_kept(void **state) {
    (void)state;
    char *dir = make_temp_dir();
    char a[4200];
    snprintf(a, sizeof a, "%s/a.h", dir);
    write_old_file(a, "same text\n");
    struct stat before, after;
    assert_int_equal(stat(a, &before), 0);
    commit_pieces(a, (const char *const[]){"same ", "text\n", NULL});
    assert_int_equal(stat(a, &after), 0);
    assert_true(after.st_ino == before.st_ino);
    assert_true(after.st_mtime > before.st_mtime);
    char *got = slurp(a);
    assert_string_equal(got, "same text\n");
    free(got);
    assert_int_equal(count_entries(dir), 1);
    unlink(a);
    rmdir(dir);
    free(dir);
}

// An output that differs from its destination anywhere (a shorter one, a longer one, one that
// differs inside a piece after an equal piece) replaces it whole, with nothing left behind.
static void test_output_differs_replaced(void **state) {
    (void)state;
    static const char *const cases[][4] = {
        {"same ", "text", NULL},         {"same ", "text\n", "and more\n", NULL},
        {"same ", "TEXT\n", NULL},       {"SAME ", "text\n", NULL},
        {"same text\n", "\n", NULL},    {"", NULL},
    };
    char *dir = make_temp_dir();
    char a[4200];
    snprintf(a, sizeof a, "%s/a.h", dir);
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        write_old_file(a, "same text\n");
        commit_pieces(a, cases[c]);
        char expected[64] = "";
        for (size_t i = 0; cases[c][i]; i++)
            strcat(expected, cases[c][i]);
        char *got = slurp(a);
        assert_string_equal(got, expected);
        free(got);
        struct stat st;
        assert_int_equal(stat(a, &st), 0);
        assert_true(st.st_mtime > 1000000000);
        assert_int_equal(count_entries(dir), 1);
    }
    unlink(a);
    rmdir(dir);
    free(dir);
}

static void test_output_failure_touches_nothing(void **state) {
    (void)state;
    char *dir = make_temp_dir();
    char existing[4200], blocked[4200], same[4200];
    snprintf(existing, sizeof existing, "%s/keep.h", dir);
    snprintf(same, sizeof same, "%s/same.h", dir);
    write_old_file(same, "unchanged\n"); // not even touched
    snprintf(blocked, sizeof blocked, "%s/sub", dir);
    FILE *f = fopen(existing, "w");
    fputs("old contents\n", f);
    fclose(f);
    assert_int_equal(mkdir(blocked, 0755), 0); // a directory where a file should go
    struct output_set set = {0};
    assert_true(output_add(&set, same, "unchanged\n", 10));
    assert_true(output_add(&set, existing, "new\n", 4));
    assert_true(output_add(&set, blocked, "x", 1));
    const char *failed = NULL;
    int err = 0;
    assert_false(output_commit(&set, &failed, &err));
    assert_string_equal(failed, blocked);
    assert_int_not_equal(err, 0);
    output_free(&set);
    char *got = slurp(existing);
    assert_string_equal(got, "old contents\n");
    free(got);
    struct stat st;
    assert_int_equal(stat(same, &st), 0);
    assert_true(st.st_mtime == 1000000000);
    assert_int_equal(count_entries(dir), 3); // keep.h, same.h and sub only
    unlink(same);
    unlink(existing);
    rmdir(blocked);
    rmdir(dir);
    free(dir);
}

static void test_output_device_written_in_place(void **state) {
    (void)state;
    char *dir = make_temp_dir();
    char a[4200];
    snprintf(a, sizeof a, "%s/a.json", dir);
    struct output_set set = {0};
    assert_true(output_add(&set, "/dev/zero", "to a device\n", 12)); // accepts writes
    assert_true(output_add(&set, a, "{}\n", 3));
    const char *failed = NULL;
    int err = 0;
    assert_true(output_commit(&set, &failed, &err));
    output_free(&set);
    struct stat st;
    assert_int_equal(stat("/dev/zero", &st), 0);
    assert_true(S_ISCHR(st.st_mode)); // not replaced by a regular file
    char *got = slurp(a);
    assert_string_equal(got, "{}\n");
    free(got);
    assert_int_equal(count_entries(dir), 1);
    unlink(a);
    rmdir(dir);
    free(dir);
}

static void test_cpp_choose_and_argv(void **state) {
    (void)state;
    assert_string_equal(cpp_choose_compiler(NULL, NULL, NULL), "cc");
    assert_string_equal(cpp_choose_compiler(NULL, "", "gcc"), "gcc");
    assert_string_equal(cpp_choose_compiler(NULL, "clang", "gcc"), "clang");
    assert_string_equal(cpp_choose_compiler("x-cc", "clang", "gcc"), "x-cc");

    const char *user[] = {"-DA", "-I", "inc"};
    struct cpp_request req = {.compiler = "ccache  gcc", .defs_file = "dir/x.defs",
                              .user_args = user, .user_arg_count = 3, .arch = "arm64",
                              .isysroot = "/sdk", .defs_dir = "/defs"};
    // gcc cannot target Apple: the host's arch/OS macros are undefined and arm64's defined,
    // right after -E so that the user's -D/-U come later and win.
    assert_int_equal(cpp_arch_mode(&req), CPP_ARCH_MACROS);
    char **argv = cpp_build_argv(&req);
    const char *const *macros = cpp_arch_macro_options("arm64", 5);
    assert_non_null(macros);
    size_t n_macros = 0;
    while (macros[n_macros])
        n_macros++;
    const char *want_head[] = {"ccache", "gcc", "-E"};
    const char *want_tail[] = {"-isysroot", "/sdk", "-D__MACH30__", "-DA", "-I", "inc", "-Idir",
                               "-idirafter", "/defs", "-x", "c", "dir/x.defs", NULL};
    for (size_t i = 0; i < 3; i++)
        assert_string_equal(argv[i], want_head[i]);
    for (size_t i = 0; i < n_macros; i++)
        assert_string_equal(argv[3 + i], macros[i]);
    for (size_t i = 0; want_tail[i]; i++)
        assert_string_equal(argv[3 + n_macros + i], want_tail[i]);
    assert_null(argv[3 + n_macros + sizeof want_tail / sizeof want_tail[0] - 1]);
    cpp_free_argv(argv);

    req.arch = NULL; // no target: the host's macros, nothing added
    assert_int_equal(cpp_arch_mode(&req), CPP_ARCH_NONE);
    argv = cpp_build_argv(&req);
    assert_string_equal(argv[3], "-isysroot");
    cpp_free_argv(argv);
    req.arch = "ppc64"; // no macro list: ignored (the driver warns)
    assert_int_equal(cpp_arch_mode(&req), CPP_ARCH_IGNORED);
    argv = cpp_build_argv(&req);
    assert_string_equal(argv[3], "-isysroot");
    cpp_free_argv(argv);
    req.target = "x86_64-unknown-linux-gnu"; // not an Apple triple: ignored too
    assert_int_equal(cpp_arch_mode(&req), CPP_ARCH_IGNORED);
    req.target = "arm64e-apple-ios14"; // -target's architecture wins over -arch
    assert_int_equal(cpp_arch_mode(&req), CPP_ARCH_MACROS);
    argv = cpp_build_argv(&req);
    bool arm64e = false;
    for (char **a = argv; *a; a++)
        arm64e |= strcmp(*a, "-D__arm64e__=1") == 0;
    assert_true(arm64e);
    cpp_free_argv(argv);
    req.target = NULL;
    req.arch = "arm64";

    req.compiler = "/usr/bin/clang-14"; // clang on Linux: -arch becomes -target
    req.defs_file = "x.defs";
    assert_int_equal(cpp_arch_mode(&req), CPP_ARCH_TARGET);
    argv = cpp_build_argv(&req);
    assert_string_equal(argv[2], "-target");
    assert_string_equal(argv[3], "arm64-apple-darwin");
    cpp_free_argv(argv);

    req.apple_host = true;
    argv = cpp_build_argv(&req);
    assert_string_equal(argv[2], "-arch");
    assert_string_equal(argv[3], "arm64");
    cpp_free_argv(argv);
}

static void test_cpp_run_statuses(void **state) {
    (void)state;
    struct cpp_output out;
    char *ok[] = {"sh", "-c", "printf 'hello\\n'; echo warn >&2", NULL};
    assert_int_equal(cpp_run(ok, 6, &out), CPP_OK);
    assert_string_equal(out.text, "hello\n");
    assert_int_equal(out.len, 6);
    free(out.text);

    char *fails[] = {"sh", "-c", "echo partial; exit 3", NULL};
    assert_int_equal(cpp_run(fails, 1000, &out), CPP_FAILED);
    assert_null(out.text);
    assert_string_equal(out.detail, "exit status 3");

    // More than max_len: read to the end (the program exits normally), counted, nothing kept.
    char *big[] = {"sh", "-c", "head -c 300000 /dev/zero", NULL};
    assert_int_equal(cpp_run(big, 100000, &out), CPP_TOO_LARGE);
    assert_null(out.text);
    assert_int_equal(out.len, 300000);
    assert_int_equal(cpp_run(big, 300000, &out), CPP_OK); // exactly the limit is fine
    assert_int_equal(out.len, 300000);
    free(out.text);

    char *missing[] = {"/nonexistent/openmig-cpp", NULL};
    assert_int_equal(cpp_run(missing, 1000, &out), CPP_NOT_RUN);
    assert_null(out.text);
    assert_true(strlen(out.detail) > 0);
}

static bool env_has(char **env, const char *entry) {
    for (char **p = env; *p; p++)
        if (strcmp(*p, entry) == 0)
            return true;
    return false;
}

// The preprocessor's environment, as Apple's mig.sh makes it.
static void test_cpp_env_trace_headers(void **state) {
    (void)state;
    char *parent[] = {"PATH=/bin", "CC_PRINT_HEADERS_FORMAT=textual",
                      "CC_PRINT_HEADERS_FILE=/old", "CC_PRINT_HEADERS_FILTERING=none", NULL};
    // MIG_TRACE_HEADERS unset: CC_PRINT_HEADERS_FORMAT removed (mig.sh: env -u), the rest kept.
    char **env = cpp_build_env(parent, NULL);
    assert_non_null(env);
    assert_true(env_has(env, "PATH=/bin"));
    assert_false(env_has(env, "CC_PRINT_HEADERS_FORMAT=textual"));
    assert_true(env_has(env, "CC_PRINT_HEADERS_FILE=/old"));
    cpp_free_argv(env);
    // Set: clang's JSON header trace of the direct system includes, into that file.
    env = cpp_build_env(parent, "/tmp/trace.json");
    assert_non_null(env);
    assert_true(env_has(env, "PATH=/bin"));
    assert_true(env_has(env, "CC_PRINT_HEADERS_FORMAT=json"));
    assert_true(env_has(env, "CC_PRINT_HEADERS_FILTERING=only-direct-system"));
    assert_true(env_has(env, "CC_PRINT_HEADERS_FILE=/tmp/trace.json"));
    assert_false(env_has(env, "CC_PRINT_HEADERS_FILE=/old"));
    assert_false(env_has(env, "CC_PRINT_HEADERS_FORMAT=textual"));
    cpp_free_argv(env);
    char *none[] = {NULL};
    env = cpp_build_env(none, NULL);
    assert_non_null(env);
    assert_null(env[0]);
    cpp_free_argv(env);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cpp_env_trace_headers),
        cmocka_unit_test(test_depfile_collect),
        cmocka_unit_test(test_depfile_collect_after_lone_cr),
        cmocka_unit_test(test_depfile_write_escapes),
        cmocka_unit_test(test_output_commit_all),
        cmocka_unit_test(test_output_replaces_existing),
        cmocka_unit_test(test_output_unchanged_kept),
        cmocka_unit_test(test_output_differs_replaced),
        cmocka_unit_test(test_output_failure_touches_nothing),
        cmocka_unit_test(test_output_device_written_in_place),
        cmocka_unit_test(test_cpp_choose_and_argv),
        cmocka_unit_test(test_cpp_run_statuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
