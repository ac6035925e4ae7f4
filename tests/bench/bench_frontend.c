// Compiler benchmark helper (not a test). Two modes:
//
//   bench_frontend <preprocessed.defs> <runs>
//     times migc_compile() (lexer, parser, every check step; no cpp, no emitters) over one
//     preprocessed file, best of N runs in this process, and prints
//     "<wall seconds> <peak RSS KiB> <routines> <CPU seconds>" (CPU time is robust on a busy box).
//
//   bench_frontend --whole <preprocessed.defs> <runs> <outdir> [migcom]
//     the whole compiler alone, as a build runs it minus the preprocessor: each run is a new
//     process (this program again, in its --one mode) that compiles the file and writes the four
//     C outputs (-user, -header, -server, -sheader) into <outdir> the way mig does (temporary
//     files written as the text is produced, renamed at the end). With Apple's migcom given, each run of it reads
//     the same file on its standard input and writes the same four outputs. Prints, per
//     compiler, "<name> <wall ms> <cpu ms> <peak RSS KiB> <minor faults>": the best wall and CPU
//     times and the smallest peak RSS and fault count of the runs (wait4's rusage of the child).
//     Ours is measured twice: "openmig" compiles over its previous outputs, which it finds
//     unchanged and keeps; "openmig-changed" over outputs cut by one byte before each run, which
//     it compares to their end and then replaces (the dearest case of the comparison).
//
// tests/bench/bench_frontend.sh runs both next to the preprocessor and prints the comparison.
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "driver/output.h"
#include "driver/pipeline.h"
#include "emit/emit.h"
#include "ir/ir.h"
#include "support/migc.h"
#include "support/strbuf.h"

static double now(clockid_t clock) {
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

// The whole file in a malloc'ed buffer (NUL-terminated), read as mig reads its preprocessor's
// output: read(2) straight into the buffer, no stdio.
static char *read_file(const char *path, size_t *len) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    size_t size = (size_t)st.st_size, got = 0;
    char *buf = malloc(size + 1);
    while (buf && got < size) {
        ssize_t n = read(fd, buf + got, size - got);
        if (n <= 0) {
            free(buf);
            buf = NULL;
            break;
        }
        got += (size_t)n;
    }
    close(fd);
    if (buf)
        buf[size] = '\0';
    *len = size;
    return buf;
}

// The front end alone, in this process.
static int front_end(const char *path, int runs) {
    size_t len;
    char *text = read_file(path, &len);
    if (!text) {
        perror(path);
        return 2;
    }
    double best = 1e30, best_cpu = 1e30;
    size_t routines = 0;
    for (int i = 0; i < (runs > 0 ? runs : 1); i++) {
        struct migc_options options = {0};
        struct migc *ctx = migc_create(&options, stderr);
        const struct ir_module *ir = NULL;
        double start = now(CLOCK_MONOTONIC), cpu_start = now(CLOCK_PROCESS_CPUTIME_ID);
        bool ok = migc_compile(ctx, path, text, len, &ir);
        double elapsed = now(CLOCK_MONOTONIC) - start;
        double cpu = now(CLOCK_PROCESS_CPUTIME_ID) - cpu_start;
        if (!ok) {
            migc_finish(ctx);
            migc_destroy(ctx);
            free(text);
            return 1;
        }
        routines = ir->real_routine_count;
        migc_destroy(ctx);
        if (elapsed < best)
            best = elapsed;
        if (cpu < best_cpu)
            best_cpu = cpu;
    }
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    printf("%.6f %ld %zu %.6f\n", best, usage.ru_maxrss, routines, best_cpu);
    free(text);
    return 0;
}

static const char *const output_names[] = {"User.c", "User.h", "Server.c", "Server.h"};
static const enum emit_kind output_kinds[] = {EMIT_USER_SOURCE, EMIT_USER_HEADER,
                                              EMIT_SERVER_SOURCE, EMIT_SERVER_HEADER};

// --one: one whole compilation, as the driver does it after the preprocessor.
static int one(const char *path, const char *outdir) {
    size_t len;
    char *text = read_file(path, &len);
    if (!text) {
        perror(path);
        return 2;
    }
    struct migc_options options = {.quiet = true};
    struct migc *ctx = migc_create(&options, stderr);
    const struct ir_module *ir = NULL;
    int status = 1;
    if (migc_compile(ctx, path, text, len, &ir)) {
        struct output_set set = {0};
        bool ok = true;
        for (size_t k = 0; k < sizeof output_kinds / sizeof output_kinds[0] && ok; k++) {
            struct strbuf buf = STRBUF_INIT, dest = STRBUF_INIT;
            strbuf_printf(&dest, "%s/%s", outdir, output_names[k]);
            struct output_stream out = {&set, output_begin(&set, strbuf_cstr(&dest))};
            ok = emit_file_to(ir, output_kinds[k], output_names[k], &buf, output_stream_write,
                              &out) == 0;
            output_end(&set, out.index);
            strbuf_fini(&buf);
            strbuf_fini(&dest);
        }
        const char *failed = NULL;
        int error = 0;
        if (ok && output_commit(&set, &failed, &error))
            status = 0;
        output_free(&set);
    }
    migc_finish(ctx);
    migc_destroy(ctx);
    free(text);
    return status;
}

struct measure {
    double wall_ms, cpu_ms;
    long max_rss_kib, min_faults;
};

// Drops the last byte of each of our four outputs in `outdir`, so that the next run finds every
// one changed (at its very end: the most the comparison with the old output can cost).
static void change_outputs(const char *outdir) {
    for (size_t k = 0; k < sizeof output_names / sizeof output_names[0]; k++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", outdir, output_names[k]);
        struct stat st;
        if (stat(path, &st) == 0 && st.st_size > 0)
            (void)truncate(path, st.st_size - 1);
    }
}

// Runs argv (stdin from `input` when not NULL) `runs` times, first changing the outputs in
// `change_dir` before each run when it is not NULL; false if a run failed.
static bool measure(char *const argv[], const char *input, int runs, const char *change_dir,
                    struct measure *m) {
    m->wall_ms = m->cpu_ms = 1e30;
    m->max_rss_kib = m->min_faults = -1;
    for (int i = 0; i < (runs > 0 ? runs : 1); i++) {
        if (change_dir)
            change_outputs(change_dir);
        double start = now(CLOCK_MONOTONIC);
        pid_t pid = fork();
        if (pid < 0)
            return false;
        if (pid == 0) {
            if (input) {
                int fd = open(input, O_RDONLY);
                if (fd < 0 || dup2(fd, 0) < 0)
                    _exit(127);
                close(fd);
            }
            execv(argv[0], argv);
            _exit(127);
        }
        int wstatus;
        struct rusage ru;
        if (wait4(pid, &wstatus, 0, &ru) < 0 || !WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0)
            return false;
        double wall = (now(CLOCK_MONOTONIC) - start) * 1e3;
        double cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
                     (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
        if (wall < m->wall_ms)
            m->wall_ms = wall;
        if (cpu < m->cpu_ms)
            m->cpu_ms = cpu;
        if (m->max_rss_kib < 0 || ru.ru_maxrss < m->max_rss_kib)
            m->max_rss_kib = ru.ru_maxrss;
        if (m->min_faults < 0 || ru.ru_minflt < m->min_faults)
            m->min_faults = ru.ru_minflt;
    }
    return true;
}

static void print_measure(const char *name, const struct measure *m) {
    printf("%s %.2f %.2f %ld %ld\n", name, m->wall_ms, m->cpu_ms, m->max_rss_kib, m->min_faults);
}

static int whole(const char *self, const char *path, int runs, const char *outdir,
                 const char *migcom) {
    char *ours[] = {(char *)self, "--one", (char *)path, (char *)outdir, NULL};
    struct measure m;
    if (!measure(ours, NULL, runs, NULL, &m)) {
        fprintf(stderr, "%s: mig failed\n", path);
        return 1;
    }
    print_measure("openmig", &m);
    if (!measure(ours, NULL, runs, outdir, &m)) {
        fprintf(stderr, "%s: mig failed\n", path);
        return 1;
    }
    print_measure("openmig-changed", &m);
    if (!migcom)
        return 0;
    char paths[4][4096];
    for (int k = 0; k < 4; k++)
        snprintf(paths[k], sizeof paths[k], "%s/apple%s", outdir, output_names[k]);
    char *apple[] = {(char *)migcom, "-user", paths[0], "-header", paths[1], "-server", paths[2],
                     "-sheader", paths[3], NULL};
    if (!measure(apple, path, runs, NULL, &m)) {
        fprintf(stderr, "%s: migcom failed\n", path);
        return 1;
    }
    print_measure("migcom", &m);
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 4 && !strcmp(argv[1], "--one"))
        return one(argv[2], argv[3]);
    if ((argc == 5 || argc == 6) && !strcmp(argv[1], "--whole"))
        return whole("/proc/self/exe", argv[2], atoi(argv[3]), argv[4], argc == 6 ? argv[5] : NULL);
    if (argc != 3) {
        fprintf(stderr,
                "usage: %s <preprocessed.defs> <runs>\n"
                "       %s --whole <preprocessed.defs> <runs> <outdir> [migcom]\n",
                argv[0], argv[0]);
        return 2;
    }
    return front_end(argv[1], atoi(argv[2]));
}
