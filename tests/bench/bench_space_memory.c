/* Benchmark (not a test): memory that comes back (issue 13, part 5; docs/runtime.md, "Memory
 * that comes back").
 * Usage: bench_space_memory [ports in one space, default 1000000] [machd entries, default 65000]
 *
 * 1. One space: VmRSS at start, after allocating N receive rights (each with a send right, so
 *    the reverse map holds them too), and after destroying them all and malloc_trim(0).
 * 2. machd (MACHD_BIN, or $MACHD_PATH): a private daemon; a raw task B exports M new ports to a
 *    raw task A through a checked-in service (B then holds M receive rights and A M send rights
 *    in machd's spaces); machd's resident size (its STATS reply) at start, at that peak, and
 *    after both tasks disconnect. */
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mach/mach.h>

#include "wire/machd_conn.h"
#include "wire/machd_proto.h"

#define MIB (1024.0 * 1024.0)

static uint64_t vm_rss_bytes(void) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    uint64_t kib = 0;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %lu kB", &kib) == 1)
            break;
    if (f)
        fclose(f);
    return kib * 1024;
}

static void row(const char *what, uint64_t start, uint64_t peak, uint64_t after) {
    printf("%-44s %9.1f %9.1f %9.1f   %5.2fx\n", what, start / MIB, peak / MIB, after / MIB,
           start ? (double)after / (double)start : 0.0);
}

static void die(const char *what, int err) {
    fprintf(stderr, "bench_space_memory: %s: %s\n", what, strerror(err));
    exit(1);
}

static void space_figures(long n) {
    mach_port_t task = mach_task_self();
    mach_port_t *names = malloc((size_t)n * sizeof *names);
    if (!names)
        die("malloc", ENOMEM);
    malloc_trim(0);
    uint64_t start = vm_rss_bytes();
    for (long i = 0; i < n; i++) {
        if (mach_port_allocate(task, MACH_PORT_RIGHT_RECEIVE, &names[i]) != KERN_SUCCESS ||
            mach_port_insert_right(task, names[i], names[i], MACH_MSG_TYPE_MAKE_SEND) != KERN_SUCCESS)
            die("mach_port_allocate", ENOSPC);
    }
    uint64_t peak = vm_rss_bytes();
    for (long i = 0; i < n; i++)
        if (mach_port_destroy(task, names[i]) != KERN_SUCCESS)
            die("mach_port_destroy", EINVAL);
    free(names);
    uint64_t before_trim = vm_rss_bytes();
    malloc_trim(0);
    uint64_t after = vm_rss_bytes();
    char what[64];
    snprintf(what, sizeof what, "space, %ld ports (before trim %.1f MiB)", n, before_trim / MIB);
    row(what, start, peak, after);
}

/* ---- machd ---- */

static struct machd_msg msg;
static uint8_t buf[MACHD_MAX_PACKET];

static const struct machd_msg *expect(struct machd_conn *c, uint16_t type) {
    for (;;) {
        int err = machd_conn_recv(c, buf, &msg, 30000);
        if (err)
            die("machd_conn_recv", err);
        if (msg.type == type)
            return &msg;
    }
}

static uint32_t bootstrap(struct machd_conn *c, uint32_t op, const char *name) {
    memset(&msg, 0, sizeof msg);
    msg.type = MACHD_BOOTSTRAP;
    msg.u.bootstrap.op = op;
    msg.u.bootstrap.name = name;
    msg.u.bootstrap.name_len = (uint32_t)strlen(name);
    msg.u.bootstrap.right = (struct machd_right){MACHD_HANDLE_NULL, MACHD_DISP_NONE, 0};
    if (machd_conn_send(c, &msg))
        die("bootstrap", EPIPE);
    const struct machd_msg *r = expect(c, MACHD_BOOTSTRAP_REPLY);
    if (r->u.bootstrap_reply.status)
        die("bootstrap refused", EPERM);
    return r->u.bootstrap_reply.name;
}

static void stats(struct machd_conn *c, uint32_t *tasks, uint32_t *entries, uint64_t *rss) {
    memset(&msg, 0, sizeof msg);
    msg.type = MACHD_STATS;
    if (machd_conn_send(c, &msg))
        die("stats", EPIPE);
    const struct machd_msg *r = expect(c, MACHD_STATS_REPLY);
    *tasks = r->u.stats_reply.tasks;
    *entries = r->u.stats_reply.entries;
    *rss = r->u.stats_reply.rss_bytes;
}

static void machd_figures(long m) {
    const char *exe = getenv("MACHD_PATH");
    if (!exe || !*exe)
        exe = MACHD_BIN;
    char dir[] = "/tmp/ms-bench-XXXXXX", path[128];
    if (!mkdtemp(dir))
        die("mkdtemp", errno);
    snprintf(path, sizeof path, "%s/machd.sock", dir);
    setenv("MACHD_DIRECT", "0", 1);
    pid_t pid = fork();
    if (pid == 0) {
        char limit[64];
        snprintf(limit, sizeof limit, "entries-per-task=%ld", m + 16);
        execl(exe, exe, "--foreground", "--socket", path, "--limit", limit, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 500 && !machd_conn_listening(path); i++)
        usleep(10000);
    struct machd_conn obs, a, b;
    if (machd_conn_open(&obs, path, false) || machd_conn_open(&a, path, false) ||
        machd_conn_open(&b, path, false))
        die("connect to machd", ECONNREFUSED);
    uint32_t recv = bootstrap(&a, MACHD_BOOTSTRAP_CHECK_IN, "bench.memory");
    uint32_t svc = bootstrap(&b, MACHD_BOOTSTRAP_LOOK_UP, "bench.memory");
    (void)recv;
    uint32_t tasks, entries0, entries1, entries2;
    uint64_t start, peak, after;
    stats(&obs, &tasks, &entries0, &start);
    enum { PER_MSG = 1000 };
    static struct machd_right rights[PER_MSG];
    for (long done = 0; done < m;) {
        uint32_t k = (uint32_t)(m - done < PER_MSG ? m - done : PER_MSG);
        for (uint32_t i = 0; i < k; i++)
            rights[i] = (struct machd_right){MACHD_HANDLE_TASK_BIT | (uint32_t)(done + i + 1),
                                             MACHD_DISP_MAKE_SEND, MACHD_RIGHT_NEW};
        memset(&msg, 0, sizeof msg);
        msg.type = MACHD_MSG_SEND;
        msg.u.send.dest = (struct machd_right){svc, MACHD_DISP_COPY_SEND, 0};
        msg.u.send.reply = (struct machd_right){MACHD_HANDLE_NULL, MACHD_DISP_NONE, 0};
        msg.u.send.p.msgh_bits = MACHD_MSGH_BITS_COMPLEX;
        msg.u.send.p.rights = rights;
        msg.u.send.p.right_count = k;
        if (machd_conn_send(&b, &msg))
            die("send", EPIPE);
        if (expect(&b, MACHD_SEND_REPLY)->u.send_reply.status)
            die("send refused (entries limit?)", ENOSPC);
        expect(&a, MACHD_MSG_DELIVER);
        done += k;
    }
    stats(&obs, &tasks, &entries1, &peak);
    machd_conn_close(&a);
    machd_conn_close(&b);
    for (int i = 0; i < 3000; i++) {
        stats(&obs, &tasks, &entries2, &after);
        if (tasks == 1)
            break;
        usleep(10000);
    }
    char what[96];
    snprintf(what, sizeof what, "machd, %ld ports exported (entries %u/%u/%u)", m, entries0, entries1,
             entries2);
    row(what, start, peak, after);
    machd_conn_close(&obs);
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    unlink(path);
    rmdir(dir);
}

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 1000000L;
    long m = argc > 2 ? atol(argv[2]) : 65000L;
    printf("bench_space_memory: resident memory (VmRSS) in MiB, start / peak / after destroying\n"
           "everything (+ malloc_trim(0) in this process; machd trims itself), after/start ratio\n\n");
    printf("%-44s %9s %9s %9s   %s\n", "", "start", "peak", "after", "after/start");
    if (n > 0)
        space_figures(n);
    if (m > 0)
        machd_figures(m);
    return 0;
}
