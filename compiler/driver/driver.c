// The mig driver: for each .defs file in turn, options -> preprocessor -> migc_compile ->
// emitters and JSON in memory -> atomic write. Every problem is a diagnostic from
// diag_driver.def; a file's outputs are written only when that whole file succeeded, and the run
// stops at the first file that fails (as Apple's mig.sh), keeping the earlier files' outputs.
#define _POSIX_C_SOURCE 200809L
#include "driver/driver.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "driver/cpp.h"
#include "driver/depfile.h"
#include "driver/output.h"
#include "driver/pipeline.h"
#include "emit/emit.h"
#include "ir/ir.h"
#include "ir/ir_json.h"
#include "support/diag.h"
#include "support/migc.h"
#include "support/strbuf.h"

#ifndef OPENMIG_VERSION
#define OPENMIG_VERSION "0"
#endif

extern char **environ;

// Default file name suffixes after the subsystem name, by enum emit_kind (NULL: no default).
static const char *const default_suffix[DRIVER_OUTPUT_KINDS] = {
    [EMIT_USER_HEADER] = ".h",
    [EMIT_USER_SOURCE] = "User.c",
    [EMIT_SERVER_SOURCE] = "Server.c",
};

// The whole run: the options, one diagnostics context for every file, and what the files
// compiled so far wrote (no later file may write one of them again, E0419; the one -MF file
// names them all and all their dependencies).
struct driver {
    const struct driver_options *opts;
    struct migc *ctx;
    struct dep_list earlier_targets; // files written by the earlier .defs files
    struct dep_list earlier_deps;    // their dependencies
    bool trace_warned;               // E0422 said (once per run)
};

// One .defs file of the run.
struct run {
    const struct driver_options *opts;
    struct driver *driver;
    const char *defs_file;
    const char *paths[DRIVER_OUTPUT_KINDS]; // NULL or "/dev/null": not written
    char *default_paths[DRIVER_OUTPUT_KINDS];
    struct output_set outputs;
    struct dep_list deps;
};

static void report_to(struct driver *d, enum diag_id id, const char *a, const char *b) {
    const char *args[2] = {a, b};
    const struct diag_info *info = diag_info_get(id);
    diag_report_args(d->ctx->diags, id, SRC_SPAN_NONE, info ? info->arity : 0, args);
}

static void report(struct run *r, enum diag_id id, const char *a, const char *b) {
    report_to(r->driver, id, a, b);
}

static bool is_dir(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

// <directory of the running mig>/../share/mig/defs, for an installed tree that was moved
// (Linux: /proc/self/exe). Returns false when there is no such directory.
static bool relative_defs_dir(char *out, size_t cap) {
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return false;
    exe[n] = '\0';
    for (int up = 0; up < 2; up++) { // strip "/mig", then "/bin"
        char *slash = strrchr(exe, '/');
        if (!slash)
            return false;
        *slash = '\0';
    }
    int len = snprintf(out, cap, "%s/share/mig/defs", exe);
    if (len < 0 || (size_t)len + sizeof "/mach" > cap)
        return false;
    char probe[4200];
    snprintf(probe, sizeof probe, "%s/mach", out);
    return is_dir(probe);
}

const char *driver_defs_dir(char *buf, size_t cap) {
    const char *env = getenv("MIG_DEFS_DIR");
    if (env)
        return env;
    if (relative_defs_dir(buf, cap))
        return buf; // an installed mig: its own share/mig/defs
#ifdef OPENMIG_DEFS_SOURCE_DIR
    // A mig run from its build tree uses the tree's defs, never an older installed copy.
    if (is_dir(OPENMIG_DEFS_SOURCE_DIR "/mach"))
        return OPENMIG_DEFS_SOURCE_DIR;
#endif
#ifdef OPENMIG_DEFS_INSTALL_DIR
    return OPENMIG_DEFS_INSTALL_DIR;
#else
    return NULL;
#endif
}

static void print_version(void) {
    // One recognisable first line for configure scripts ("OpenMIG"; never the word "GNU").
    printf("mig (OpenMIG) %s\n", OPENMIG_VERSION);
    printf("Mach Interface Generator with Apple's command line and message layout.\n");
}

// -v: the interface as the checks saw it, one line per message id.
static void print_summary(const struct ir_module *ir) {
    printf("subsystem %s %d: %zu routines, ids %d-%d\n", ir->subsystem, (int)ir->base,
           ir->real_routine_count, (int)ir->base, (int)(ir->base + (int32_t)ir->routine_count) - 1);
    for (size_t i = 0; i < ir->routine_count; i++) {
        const struct ir_routine *rt = &ir->routines[i];
        int32_t id = ir->base + (int32_t)i;
        if (rt->kind == IR_KIND_SKIP) {
            printf("  %6d  skip\n", (int)id);
            continue;
        }
        size_t shown = 0;
        for (size_t a = 0; a < rt->arg_count; a++)
            shown += !rt->args[a].is_implicit;
        printf("  %6d  %-13s %s (%zu argument%s", (int)id, ir_routine_kind_name(rt->kind),
               rt->name, shown, shown == 1 ? "" : "s");
        if (rt->kind == IR_KIND_ROUTINE)
            printf(", reply %d", (int)rt->reply_id);
        printf(")\n");
    }
}

// Picks the path of every C output: given ones as they are, missing user/server/header ones
// named after the subsystem unless only --emit-json asked for output.
static void choose_paths(struct run *r, const struct ir_module *ir) {
    bool any_c = r->opts->split_prefix != NULL; // -i asks for C output too
    for (int k = 0; k < DRIVER_OUTPUT_KINDS; k++)
        any_c |= r->opts->outputs[k] != NULL;
    for (int k = 0; k < DRIVER_OUTPUT_KINDS; k++) {
        r->paths[k] = r->opts->outputs[k];
        if (r->paths[k] || !default_suffix[k] || (!any_c && r->opts->json_file))
            continue;
        size_t n = strlen(ir->subsystem) + strlen(default_suffix[k]) + 1;
        r->default_paths[k] = malloc(n);
        if (!r->default_paths[k])
            abort();
        snprintf(r->default_paths[k], n, "%s%s", ir->subsystem, default_suffix[k]);
        r->paths[k] = r->default_paths[k];
    }
}

static bool written(const char *path) {
    return path && !output_is_discarded(path);
}

// Two outputs with the same path would overwrite each other: refuse before doing any work.
static bool check_distinct(struct driver *d, const char *const *paths, size_t n) {
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (written(paths[i]) && written(paths[j]) && strcmp(paths[i], paths[j]) == 0) {
                report_to(d, DIAG_DUPLICATE_OUTPUT, paths[i], NULL);
                return false;
            }
    return true;
}

// check_distinct over the C outputs `paths` plus the JSON file and the -MF dependency file.
static bool check_outputs_distinct(struct driver *d, const char *const *paths) {
    const char *all[DRIVER_OUTPUT_KINDS + 2];
    memcpy(all, paths, DRIVER_OUTPUT_KINDS * sizeof *all);
    all[DRIVER_OUTPUT_KINDS] = d->opts->json_file;
    all[DRIVER_OUTPUT_KINDS + 1] = d->opts->depfile;
    return check_distinct(d, all, DRIVER_OUTPUT_KINDS + 2);
}

static const char *base_name(const char *path) {
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

// Writes one output as it is emitted (a programming error if the emitter refuses the kind).
static void add_emitted(struct run *r, const struct ir_module *ir, enum emit_kind kind,
                        const char *path) {
    struct output_stream out = {&r->outputs, output_begin(&r->outputs, path)};
    struct strbuf buf = STRBUF_INIT;
    if (emit_file_to(ir, kind, base_name(path), &buf, output_stream_write, &out) != 0)
        abort();
    output_end(&r->outputs, out.index);
    strbuf_fini(&buf);
}

// -i PREFIX: instead of one user file, <PREFIX><routine>.c per routine, each generated from a
// module holding only that routine (the user stubs are self-contained, so each file compiles
// on its own). Apple's mig writes no single user file then, and neither do we.
static void generate_split_user(struct run *r, const struct ir_module *ir) {
    for (size_t i = 0; i < ir->routine_count; i++) {
        const struct ir_routine *rt = &ir->routines[i];
        if (rt->kind == IR_KIND_SKIP)
            continue;
        struct ir_module one = *ir;
        one.routines = (struct ir_routine *)rt;
        one.routine_count = 1;
        one.real_routine_count = 1;
        struct strbuf path = STRBUF_INIT;
        strbuf_printf(&path, "%s%s.c", r->opts->split_prefix, rt->name);
        add_emitted(r, &one, EMIT_USER_SOURCE, strbuf_cstr(&path));
        strbuf_fini(&path);
    }
}

// Generates every C output and the JSON into r->outputs.
static void generate(struct run *r, const struct ir_module *ir) {
    for (int k = 0; k < DRIVER_OUTPUT_KINDS; k++) {
        if (k == EMIT_USER_SOURCE && r->opts->split_prefix) {
            generate_split_user(r, ir);
            continue;
        }
        if (!written(r->paths[k]))
            continue;
        if (k == EMIT_INTERNAL_HEADER && !ir->kernel_server)
            continue; // as Apple's mig: -iheader is written for KernelServer interfaces only
        add_emitted(r, ir, (enum emit_kind)k, r->paths[k]);
    }
    if (written(r->opts->json_file)) {
        struct strbuf json = STRBUF_INIT;
        ir_json_write(ir, &json);
        if (!output_add(&r->outputs, r->opts->json_file, strbuf_cstr(&json), json.len))
            abort();
        strbuf_fini(&json);
    }
}

static void add_depfile(struct run *r, const char *path, const char *const *targets, size_t n,
                        const struct dep_list *deps) {
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (!mem)
        abort();
    depfile_write(mem, targets, n, deps);
    if (fclose(mem) != 0 || !output_add(&r->outputs, path, text, len))
        abort();
    free(text);
}

// An output that a build system can track: written, not stdout ("-") and not a device.
static bool is_file_target(const char *path) {
    return written(path) && strcmp(path, "-") != 0 && strncmp(path, "/dev/", 5) != 0;
}

// The outputs queued so far that a build system can track (C outputs, -i files, JSON), in a
// malloc'd array of *count paths pointing into r->outputs.
static const char **queued_targets(const struct run *r, size_t *count) {
    const char **targets = malloc((r->outputs.count + 1) * sizeof *targets);
    if (!targets)
        abort();
    size_t n = 0;
    for (size_t i = 0; i < r->outputs.count; i++)
        if (is_file_target(r->outputs.files[i].path))
            targets[n++] = r->outputs.files[i].path;
    *count = n;
    return targets;
}

// E0419: a file an earlier .defs file of this run wrote would be written again (two files
// declaring the same subsystem, or the same routine under -i).
static bool check_not_written_earlier(struct run *r) {
    size_t n;
    const char **targets = queued_targets(r, &n);
    const char *again = NULL;
    for (size_t i = 0; i < n && !again; i++)
        if (depfile_contains(&r->driver->earlier_targets, targets[i]))
            again = targets[i];
    if (again)
        report(r, DIAG_OUTPUT_OF_TWO_INPUTS, again, r->defs_file);
    free(targets);
    return again == NULL;
}

// -MD: FILE.d next to every written output (Apple's mig.sh), naming this file's dependencies.
// -MF FILE: one file for the whole run: every output and every dependency of this file and of
// the earlier ones (it is rewritten with each file, so it always describes what was written).
static void generate_depfiles(struct run *r) {
    size_t n;
    const char **targets = queued_targets(r, &n);
    for (size_t i = 0; i < n && r->opts->make_deps; i++) {
        struct strbuf path = STRBUF_INIT;
        strbuf_printf(&path, "%s.d", targets[i]);
        add_depfile(r, strbuf_cstr(&path), &targets[i], 1, &r->deps);
        strbuf_fini(&path);
    }
    struct driver *d = r->driver;
    if (written(r->opts->depfile) && n + d->earlier_targets.count > 0) {
        struct dep_list all_targets = {0}, all_deps = {0};
        for (size_t i = 0; i < n; i++)
            if (!depfile_add(&all_targets, targets[i]))
                abort();
        if (!depfile_merge(&all_targets, &d->earlier_targets) ||
            !depfile_merge(&all_deps, &d->earlier_deps) || !depfile_merge(&all_deps, &r->deps))
            abort();
        add_depfile(r, r->opts->depfile, (const char *const *)all_targets.files, all_targets.count,
                    &all_deps);
        depfile_free(&all_targets);
        depfile_free(&all_deps);
    }
    free(targets);
}

// After a file's outputs were written: remember them (and its dependencies) for the next files.
static void remember_written(struct run *r) {
    size_t n;
    const char **targets = queued_targets(r, &n);
    for (size_t i = 0; i < n; i++)
        if (!depfile_add(&r->driver->earlier_targets, targets[i]))
            abort();
    if (!depfile_merge(&r->driver->earlier_deps, &r->deps))
        abort();
    free(targets);
}

// E0412 for an -arch / -target that a non-clang preprocessor cannot be made to honour.
static void warn_arch_ignored(struct run *r, const struct cpp_request *req) {
    struct strbuf option = STRBUF_INIT, reason = STRBUF_INIT;
    strbuf_printf(&option, "%s %s", req->target ? "-target" : "-arch",
                  req->target ? req->target : req->arch);
    strbuf_printf(&reason,
                  "the preprocessor '%s' is not clang and mig knows the predefined macros of "
                  "Apple's x86_64, x86_64h, arm64 and arm64e only, so the host's are used "
                  "(set MIGCC=clang)",
                  req->compiler);
    report(r, DIAG_IGNORED_OPTION, strbuf_cstr(&option), strbuf_cstr(&reason));
    strbuf_fini(&option);
    strbuf_fini(&reason);
}

// Runs the preprocessor; on success the text is in *out (malloc'd).
static bool preprocess(struct run *r, struct cpp_output *out) {
    const struct driver_options *o = r->opts;
    const char *file = r->defs_file;
    if (access(file, R_OK) != 0 || is_dir(file)) {
        report(r, DIAG_CANNOT_OPEN_INPUT, file, is_dir(file) ? strerror(EISDIR) : strerror(errno));
        return false;
    }
    // A file the lexer could not read whole is refused before running the preprocessor on it.
    struct stat st;
    if (stat(file, &st) == 0 && S_ISREG(st.st_mode) &&
        (uint64_t)st.st_size > MIGC_MAX_INPUT_BYTES) {
        migc_report_too_large(r->driver->ctx, file, "it is", (uint64_t)st.st_size);
        return false;
    }
    const char *sdkroot = getenv("SDKROOT");
    char defs_buf[4096];
    struct cpp_request req = {
        .compiler = cpp_choose_compiler(o->cc, getenv("MIGCC"), getenv("CC")),
        .defs_file = file,
        .user_args = o->cpp_args,
        .user_arg_count = o->cpp_arg_count,
        .arch = o->arch,
        .target = o->target,
        .isysroot = o->isysroot ? o->isysroot : (sdkroot && *sdkroot ? sdkroot : NULL),
        .defs_dir = driver_defs_dir(defs_buf, sizeof defs_buf),
#ifdef __APPLE__
        .apple_host = true,
#endif
    };
    if (cpp_arch_mode(&req) == CPP_ARCH_IGNORED)
        warn_arch_ignored(r, &req);
    // MIG_TRACE_HEADERS: clang's header trace, as Apple's mig.sh asks for it (other
    // preprocessors do not write one: said once per run).
    const char *trace = getenv("MIG_TRACE_HEADERS");
    if (trace && !*trace)
        trace = NULL;
    if (trace && !cpp_is_clang(req.compiler) && !r->driver->trace_warned) {
        r->driver->trace_warned = true;
        report(r, DIAG_TRACE_HEADERS_NOT_CLANG, req.compiler, NULL);
    }
    char **argv = cpp_build_argv(&req);
    char **envp = cpp_build_env(environ, trace);
    if (!argv || !envp)
        abort();
    enum cpp_status status = cpp_run_env(argv, envp, MIGC_MAX_INPUT_BYTES, out);
    cpp_free_argv(argv);
    cpp_free_argv(envp);
    if (status == CPP_NOT_RUN)
        report(r, DIAG_CPP_NOT_RUN, req.compiler, out->detail);
    else if (status == CPP_FAILED)
        report(r, DIAG_CPP_FAILED, req.compiler, out->detail);
    else if (status == CPP_TOO_LARGE)
        migc_report_too_large(r->driver->ctx, file, "its preprocessed text is", out->len);
    else
        return true;
    free(out->text);
    out->text = NULL;
    return false;
}

// True when -arch / -target names a 32-bit Apple architecture (i386, armv7*, arm64_32, ppc):
// their message layouts differ and the checks only know LP64.
static bool is_32bit_arch(const char *arch_or_triple) {
    static const char *const names[] = {"i386", "i486", "i586", "i686", "armv6", "armv7",
                                        "armv7s", "armv7k", "arm64_32", "ppc", "ppc7400",
                                        "ppc970", "arm"};
    size_t len = strcspn(arch_or_triple, "-");
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strlen(names[i]) == len && strncmp(arch_or_triple, names[i], len) == 0)
            return true;
    return false;
}

// Checks of the command line that need no input: a 32-bit target, one path named for two
// outputs, and (several .defs files) a named output every file would overwrite. Returns the
// exit status (DRIVER_OK: go on).
static enum driver_status check_command_line(struct driver *d) {
    const struct driver_options *o = d->opts;
    const char *arch = o->target ? o->target : o->arch;
    if (arch && is_32bit_arch(arch)) {
        report_to(d, DIAG_UNSUPPORTED_ARCH, arch, NULL);
        return DRIVER_USAGE_ERROR;
    }
    if (!check_outputs_distinct(d, o->outputs))
        return DRIVER_USAGE_ERROR;
    if (o->defs_file_count < 2)
        return DRIVER_OK;
    // Apple's mig.sh passes the same -user/-server/... to every file, so each file overwrites the
    // previous one's output and only the last survives. Refuse instead of losing outputs.
    // Standard output, devices and /dev/null are fine; -MF names every file's outputs.
    for (int k = 0; k <= DRIVER_OUTPUT_KINDS; k++) {
        const char *path = k < DRIVER_OUTPUT_KINDS ? o->outputs[k] : o->json_file;
        if (is_file_target(path)) {
            report_to(d, DIAG_OUTPUT_OF_TWO_INPUTS, path, o->defs_files[1]);
            return DRIVER_USAGE_ERROR;
        }
    }
    return DRIVER_OK;
}

// Compiles one .defs file and writes its outputs. Returns the exit status.
static enum driver_status compile_and_write(struct run *r) {
    const struct driver_options *o = r->opts;
    struct migc *ctx = r->driver->ctx;
    struct cpp_output pre;
    if (!preprocess(r, &pre))
        return DRIVER_INPUT_ERROR;
    const struct ir_module *ir = NULL;
    bool compiled = migc_compile(ctx, r->defs_file, pre.text, pre.len, &ir);
    if (compiled && (o->make_deps || o->depfile) && !depfile_collect(pre.text, pre.len, &r->deps))
        abort();
    free(pre.text);
    if (!compiled || !ir)
        return DRIVER_INPUT_ERROR;
    if (o->verbose)
        print_summary(ir);

    choose_paths(r, ir);
    if (!check_outputs_distinct(r->driver, r->paths)) // a default name may equal a given one
        return DRIVER_USAGE_ERROR;
    generate(r, ir);
    if (!check_not_written_earlier(r))
        return DRIVER_USAGE_ERROR;
    generate_depfiles(r);
    if (migc_error_count(ctx) > 0)
        return DRIVER_INPUT_ERROR;
    const char *failed_path = NULL;
    int error = 0;
    if (!output_commit(&r->outputs, &failed_path, &error)) {
        report(r, DIAG_CANNOT_WRITE_OUTPUT, failed_path, strerror(error));
        return DRIVER_INPUT_ERROR;
    }
    remember_written(r);
    return DRIVER_OK;
}

// One .defs file: compile_and_write with its own paths, outputs and dependencies.
static enum driver_status run_one_file(struct driver *d, const char *defs_file) {
    struct run r = {.opts = d->opts, .driver = d, .defs_file = defs_file};
    enum driver_status status = compile_and_write(&r);
    output_free(&r.outputs);
    depfile_free(&r.deps);
    for (int k = 0; k < DRIVER_OUTPUT_KINDS; k++)
        free(r.default_paths[k]);
    return status;
}

static bool want_color(const struct driver_options *o) {
    if (o->no_color)
        return false;
    if (o->force_color)
        return true;
    const char *no_color = getenv("NO_COLOR");
    return isatty(STDERR_FILENO) && !(no_color && *no_color);
}

enum driver_status driver_run(const struct driver_options *opts, const char *program) {
    if (opts->show_help) {
        options_print_help(base_name(program), stdout);
        return DRIVER_OK;
    }
    if (opts->show_version) {
        print_version();
        return DRIVER_OK;
    }
    struct migc_options compile = opts->compile;
    compile.color = want_color(opts) && !compile.json_diagnostics;
    struct driver d = {.opts = opts};
    d.ctx = migc_create(&compile, stderr);
    for (size_t i = 0; i < opts->problem_count; i++)
        report_to(&d, (enum diag_id)opts->problems[i].id, opts->problems[i].args[0],
                  opts->problems[i].args[1]);
    enum driver_status status = opts->usage_error ? DRIVER_USAGE_ERROR : check_command_line(&d);
    // As Apple's mig.sh: each file in turn with the same options, stopping at the first failure.
    for (size_t i = 0; status == DRIVER_OK && i < opts->defs_file_count; i++)
        status = run_one_file(&d, opts->defs_files[i]);
    if (status == DRIVER_OK && migc_error_count(d.ctx) > 0)
        status = DRIVER_INPUT_ERROR; // -Werror with a warning from the command line
    migc_finish(d.ctx);
    depfile_free(&d.earlier_targets);
    depfile_free(&d.earlier_deps);
    migc_destroy(d.ctx);
    return status;
}
