// Front-end benchmark helper: times migc_compile() (lexer, parser, every check step; no cpp)
// over one preprocessed file, best of N runs, and prints
// "<wall seconds> <peak RSS KiB> <routines> <CPU seconds>" (CPU time is robust on a busy box).
// tests/bench/bench_frontend.sh runs it next to the preprocessor and prints the comparison.
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "driver/pipeline.h"
#include "ir/ir.h"
#include "support/migc.h"

static double now(clockid_t clock) {
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)size + 1);
    if (buf && fread(buf, 1, (size_t)size, f) != (size_t)size) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = (size_t)size;
    return buf;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s <preprocessed.defs> <runs>\n", argv[0]);
        return 2;
    }
    size_t len;
    char *text = read_file(argv[1], &len);
    if (!text) {
        perror(argv[1]);
        return 2;
    }
    int runs = atoi(argv[2]);
    double best = 1e30, best_cpu = 1e30;
    size_t routines = 0;
    for (int i = 0; i < (runs > 0 ? runs : 1); i++) {
        struct migc_options options = {0};
        struct migc *ctx = migc_create(&options, stderr);
        const struct ir_module *ir = NULL;
        double start = now(CLOCK_MONOTONIC), cpu_start = now(CLOCK_PROCESS_CPUTIME_ID);
        bool ok = migc_compile(ctx, argv[1], text, len, &ir);
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
