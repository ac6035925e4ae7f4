/* Benchmark (not a test, docs/machd.md 8): a cross-process RPC through machd against the floors
 * it is compared with, all measured in one run, all processes on CPU0 and then unpinned, printed
 * side by side with ratios, and where the time goes (wake-ups, preemptions and socket system
 * calls per RPC of client, server and machd).
 * Usage: bench_machd [iterations, default 5000] [runs per figure, default 3: the best is kept]
 * [only: measure only the rows whose name contains this, and their bases; for profiling]
 * (machd binary: MACHD_BIN, overridable with $MACHD_PATH). */
#include <dirent.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "bench_machd.h"

#define MIB ((size_t)1024 * 1024)

long bench_iterations = 5000;

/* ---- helpers (bench_machd.h) ---- */

double bench_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

void bench_pin(bool pinned) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (pinned) {
        CPU_SET(0, &set);
    } else {
        for (int i = 0; i < CPU_SETSIZE; i++)
            CPU_SET(i, &set);
    }
    sched_setaffinity(0, sizeof set, &set);
}

struct switches bench_switches_self(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double cpu_ns = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e9 + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e3;
    return (struct switches){ru.ru_nvcsw, ru.ru_nivcsw, cpu_ns};
}

static void add_status_switches(const char *path, struct switches *sw) {
    FILE *f = fopen(path, "r");
    char line[256];
    long v;
    while (f && fgets(line, sizeof line, f)) {
        if (sscanf(line, "voluntary_ctxt_switches: %ld", &v) == 1)
            sw->voluntary += v;
        else if (sscanf(line, "nonvoluntary_ctxt_switches: %ld", &v) == 1)
            sw->involuntary += v;
    }
    if (f)
        fclose(f);
}

struct switches bench_switches_of(pid_t pid) {
    struct switches sw = {0, 0, 0};
    char path[96];
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    DIR *d = opendir(path);
    for (struct dirent *e; d && (e = readdir(d)) != NULL;) {
        if (e->d_name[0] == '.')
            continue;
        char status[160];
        snprintf(status, sizeof status, "/proc/%d/task/%.32s/status", (int)pid, e->d_name);
        add_status_switches(status, &sw);
        snprintf(status, sizeof status, "/proc/%d/task/%.32s/schedstat", (int)pid, e->d_name);
        FILE *f = fopen(status, "r");
        unsigned long long run_ns = 0;
        if (f && fscanf(f, "%llu", &run_ns) == 1) /* time on the CPU, in ns */
            sw.cpu_ns += (double)run_ns;
        if (f)
            fclose(f);
    }
    if (d)
        closedir(d);
    return sw;
}

void bench_cost(struct cost *c, struct switches before, struct switches after, long n) {
    c->wakeups = (double)(after.voluntary - before.voluntary) / n;
    c->preempted = (double)(after.involuntary - before.involuntary) / n;
    c->cpu_us = (after.cpu_ns - before.cpu_ns) / 1e3 / n;
}

struct sample bench_not_measured(const char *fmt, ...) {
    struct sample s = {.ns = -1};
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s.why, sizeof s.why, fmt, ap);
    va_end(ap);
    return s;
}

void *bench_shared(size_t size) {
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        perror("bench_machd: mmap");
        exit(1);
    }
    return p; /* zero-filled */
}

void bench_together_start(struct together *t, int me, int parties) {
    __atomic_add_fetch(&t->ready, 1, __ATOMIC_SEQ_CST);
    while (__atomic_load_n(&t->ready, __ATOMIC_SEQ_CST) < parties)
        usleep(100);
    t->start[me] = bench_now_ns();
}

void bench_together_end(struct together *t, int me) { t->end[me] = bench_now_ns(); }

double bench_together_ns(const struct together *t, int parties, long n) {
    double first = t->start[0], last = t->end[0];
    for (int i = 1; i < parties; i++) {
        if (t->start[i] < first)
            first = t->start[i];
        if (t->end[i] > last)
            last = t->end[i];
    }
    return (last - first) / ((double)parties * n);
}

/* ---- the rows ---- */

struct row {
    const char *name;
    int base;               /* the row this one's ratio divides by (itself for a floor) */
    enum { FUTEX, SEQPACKET, STREAM, ONC, SDBUS, RPC } what;
    size_t size;            /* SEQPACKET: request bytes; STREAM: bytes sent */
    enum rpc_kind kind;     /* RPC */
    int clients;            /* SEQPACKET: pairs; RPC: client processes */
    long divisor;           /* iterations / divisor RPCs (large messages), at least 3 */
    bool relay;             /* RPC: every message through machd (MACHD_DIRECT=0) */
};

static const struct row rows[] = {
    {"futex ping-pong (floor)", 1, FUTEX, 0, 0, 1, 1, false},
    {"raw seqpacket 64 B (base)", 1, SEQPACKET, 64, 0, 1, 1, false},
    {"ONC RPC null call (rpcgen, AF_UNIX)", 1, ONC, 0, 0, 1, 1, false},
    {"sd-bus peer-to-peer method call", 1, SDBUS, 0, 0, 1, 1, false},
    {"machd relay by hand (protocol only)", 1, RPC, 0, RPC_RELAY_PROTOCOL, 1, 1, true},
    {"mach_msg null RPC, direct", 1, RPC, 0, RPC_MACH_MSG, 1, 1, false},
    {"MIG null RPC, direct", 1, RPC, 0, RPC_MIG_NULL, 1, 1, false},
    {"MIG null RPC, relay", 1, RPC, 0, RPC_MIG_NULL, 1, 1, true},
    {"raw seqpacket 4 KiB request (base)", 8, SEQPACKET, 4096, 0, 1, 1, false},
    {"MIG 4 KiB inline argument, direct", 8, RPC, 0, RPC_MIG_4K, 1, 1, false},
    {"MIG 4 KiB inline argument, relay", 8, RPC, 0, RPC_MIG_4K, 1, 1, true},
    {"raw stream 1 MiB request (base)", 11, STREAM, MIB, 0, 1, 20, false},
    {"MIG 1 MiB inline argument, direct", 11, RPC, 0, RPC_MIG_1M, 1, 20, false},
    {"MIG OOL 1 MiB, direct", 11, RPC, 0, RPC_MIG_OOL_1M, 1, 20, false},
    {"MIG OOL 1 MiB, relay", 11, RPC, 0, RPC_MIG_OOL_1M, 1, 20, true},
    {"MIG OOL 1 MiB, direct, server reads it", 11, RPC, 0, RPC_MIG_OOL_1M_READ, 1, 20, false},
    {"MIG OOL 1 MiB, relay, server reads it", 11, RPC, 0, RPC_MIG_OOL_1M_READ, 1, 20, true},
    {"raw stream 64 MiB request (base)", 17, STREAM, 64 * MIB, 0, 1, 1000, false},
    {"MIG OOL 64 MiB, direct", 17, RPC, 0, RPC_MIG_OOL_64M, 1, 1000, false},
    {"MIG OOL 64 MiB, relay", 17, RPC, 0, RPC_MIG_OOL_64M, 1, 1000, true},
    {"MIG OOL 64 MiB moved, direct", 17, RPC, 0, RPC_MIG_OOL_64M_MOVE, 1, 1000, false},
    {"MIG OOL 64 MiB moved, relay", 17, RPC, 0, RPC_MIG_OOL_64M_MOVE, 1, 1000, true},
    {"MIG OOL 64 MiB moved, direct, server reads it", 17, RPC, 0, RPC_MIG_OOL_64M_MOVE_READ, 1, 1000, false},
    {"MIG OOL 64 MiB moved, relay, server reads it", 17, RPC, 0, RPC_MIG_OOL_64M_MOVE_READ, 1, 1000, true},
    {"raw seqpacket 64 B, 2 pairs (base)", 24, SEQPACKET, 64, 0, 2, 1, false},
    {"MIG null RPC, 2 clients, direct", 24, RPC, 0, RPC_MIG_NULL, 2, 1, false},
    {"MIG null RPC, 2 clients, relay", 24, RPC, 0, RPC_MIG_NULL, 2, 1, true},
    {"raw seqpacket 64 B, 4 pairs (base)", 27, SEQPACKET, 64, 0, 4, 1, false},
    {"MIG null RPC, 4 clients, direct", 27, RPC, 0, RPC_MIG_NULL, 4, 1, false},
    {"MIG null RPC, 4 clients, relay", 27, RPC, 0, RPC_MIG_NULL, 4, 1, true},
    {"raw seqpacket 64 B, 8 pairs (base)", 30, SEQPACKET, 64, 0, 8, 1, false},
    {"MIG null RPC, 8 clients, direct", 30, RPC, 0, RPC_MIG_NULL, 8, 1, false},
    {"MIG null RPC, 8 clients, relay", 30, RPC, 0, RPC_MIG_NULL, 8, 1, true},
    {"raw seqpacket 64 B, 16 pairs (base)", 33, SEQPACKET, 64, 0, 16, 1, false},
    {"MIG null RPC, 16 clients, direct", 33, RPC, 0, RPC_MIG_NULL, 16, 1, false},
    {"MIG null RPC, 16 clients, relay", 33, RPC, 0, RPC_MIG_NULL, 16, 1, true},
    {"MIG null RPC, 16 clients, server pool, direct", 33, RPC, 0, RPC_MIG_NULL_POOL, 16, 1, false},
};
#define NROWS (sizeof rows / sizeof rows[0])

static struct sample measure_once(const struct row *r) {
    long n = bench_iterations / r->divisor;
    if (n < 3)
        n = 3;
    switch (r->what) {
    case FUTEX:
        return bench_futex();
    case SEQPACKET:
        return bench_seqpacket(r->size, 64, r->clients);
    case STREAM:
        return bench_stream(r->size, n);
    case ONC:
        return bench_onc();
    case SDBUS:
        return bench_sdbus();
    default:
        return bench_rpc(r->kind, r->clients, n, r->relay);
    }
}

/* The best (least disturbed) of `runs` measurements. */
static struct sample measure(const struct row *r, int runs) {
    struct sample best = measure_once(r);
    for (int i = 1; i < runs && best.ns >= 0; i++) {
        struct sample s = measure_once(r);
        if (s.ns >= 0 && s.ns < best.ns)
            best = s;
    }
    return best;
}

static void print_figure(const struct sample *s, const struct sample *base) {
    if (s->ns < 0) {
        printf("  %-19s", "n/a");
        return;
    }
    if (base->ns > 0)
        printf("  %9.1f %6.2fx", s->ns / 1000, s->ns / base->ns);
    else
        printf("  %9.1f %7s", s->ns / 1000, "-");
}

static void print_cost(const struct sample *s) {
    if (!s->has_cost) {
        printf("\n");
        return;
    }
    printf("   %4.2f/%4.2f/", s->client.wakeups, s->server.wakeups);
    if (s->machd.wakeups > 0 || s->client.sock >= 0)
        printf("%4.2f", s->machd.wakeups);
    else
        printf("   -");
    printf("  %4.2f/%4.2f/%4.2f", s->client.preempted, s->server.preempted, s->machd.preempted);
    if (s->machd.cpu_us > 0 || s->client.sock >= 0)
        printf("  %5.1f/%5.1f/%5.1f", s->client.cpu_us, s->server.cpu_us, s->machd.cpu_us);
    else
        printf("  %5.1f/%5.1f/  -  ", s->client.cpu_us, s->server.cpu_us);
    if (s->client.sock >= 0)
        printf("  %4.2f/%4.2f/%4.2f", s->client.sock, s->server.sock, s->machd.sock);
    if (s->has_work)
        printf("  %4.2f/%4.2f/%4.2f/%4.2f  %4.2f/%4.2f", s->work.epoll_waits, s->work.recv_calls,
               s->work.send_calls, s->work.other_calls, s->work.datagrams_in, s->work.datagrams_out);
    printf("\n");
}

static void print_load(const char *when) {
    FILE *f = fopen("/proc/loadavg", "r");
    char line[128] = "?";
    if (f) {
        if (!fgets(line, sizeof line, f))
            strcpy(line, "?\n");
        fclose(f);
    }
    printf("load average %s: %s", when, line);
}

int main(int argc, char **argv) {
    if (argc > 1)
        bench_iterations = atol(argv[1]);
    if (bench_iterations < 30)
        bench_iterations = 30;
    int runs = argc > 2 ? atoi(argv[2]) : 3;
    if (runs < 1)
        runs = 1;
    const char *only = argc > 3 ? argv[3] : NULL;
    bool wanted[NROWS];
    for (size_t i = 0; i < NROWS; i++)
        wanted[i] = !only || strstr(rows[i].name, only) != NULL;
    for (size_t i = 0; i < NROWS; i++)
        if (wanted[i])
            wanted[rows[i].base] = true;
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("bench_machd: %ld RPCs per figure (1 MiB rows /20, 64 MiB rows /1000), best of %d runs, "
           "%ld CPUs\n", bench_iterations, runs, sysconf(_SC_NPROCESSORS_ONLN));
    print_load("at start");
    static struct sample pinned[NROWS], unpinned[NROWS];
    for (int pass = 0; pass < 2; pass++) {
        bench_pin(pass == 0);
        struct sample *out = pass == 0 ? pinned : unpinned;
        for (size_t i = 0; i < NROWS; i++)
            out[i] = wanted[i] ? measure(&rows[i], runs) : bench_not_measured("not asked for");
    }
    print_load("at end");
    printf("\nus per RPC (2-client rows: aggregate, i.e. wall time / all RPCs); ratio = figure / its base row.\n"
           "Per RPC in the CPU0 run, client/server/machd: wake-ups = voluntary context switches,\n"
           "preempted = involuntary ones (getrusage, /proc/PID/task/*/status); CPU = user + system\n"
           "time (getrusage, /proc/PID/task/*/schedstat); socket syscalls =\n"
           "send/recv/poll on machd sockets (libmach's counters; machd's: its recvmsg+sendmsg);\n"
           "machd syscalls = its epoll_wait/recvmsg/sendmsg/other calls, datagrams = read/written\n"
           "(machd's own counters, STATS; docs/machd.md 8.1).\n\n");
    printf("%-38s  %-17s  %-17s   %-14s  %-14s  %-17s  %-14s  %-19s  %s\n", "", "all on CPU0", "unpinned",
           "wake-ups", "preempted", "CPU us", "socket syscalls", "machd syscalls", "datagrams");
    printf("%-38s  %9s %7s  %9s %7s   %-14s  %-14s  %-17s  %-14s  %-19s  %s\n", "row", "us", "ratio", "us", "ratio",
           "cli/srv/machd", "cli/srv/machd", "cli/srv/machd", "cli/srv/machd", "epoll/recv/send/oth", "in/out");
    for (size_t i = 0; i < NROWS; i++) {
        if (!wanted[i])
            continue;
        printf("%-38s", rows[i].name);
        print_figure(&pinned[i], &pinned[rows[i].base]);
        print_figure(&unpinned[i], &unpinned[rows[i].base]);
        if (pinned[i].ns < 0)
            printf("   %s\n", pinned[i].why);
        else
            print_cost(&pinned[i]);
    }
    return 0;
}
