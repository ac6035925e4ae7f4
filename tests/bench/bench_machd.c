/* Benchmark (not a test): a cross-process null RPC relayed by machd against the floors it should
 * be compared with, measured side by side in one run, all on CPU0 and unpinned:
 *   machd relay   client -> machd -> server -> machd -> client (protocol level, step 1)
 *   mach_msg      the same RPC through libmach: mach_msg(SEND|RCV) with a send-once reply,
 *                 to a server process (machd_rpc_peer) receiving with mach_msg
 *   seqpacket     raw AF_UNIX SOCK_SEQPACKET socketpair ping-pong of the same size
 *   onc-rpc       ONC RPC NULLPROC call over AF_UNIX (libtirpc clntunix/svcunix)
 *   futex         futex ping-pong on shared memory between two processes (the floor)
 * plus the machd relay with a 4 KiB body, and two clients at once (throughput), and voluntary
 * context switches per RPC (wake-ups) of client, server and machd.
 * Usage: bench_machd [iterations]   (machd binary: MACHD_BIN, overridable with $MACHD_PATH) */
#include <errno.h>
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <rpc/rpc.h>

#include <mach/mach.h>

#include "transport_machd.h"
#include "transport_machd_conn.h"

#define PAYLOAD 64
#define REPLY_HANDLE (MACHD_HANDLE_TASK_BIT | 1u)

static long iterations = 20000;

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void pin(bool pinned) {
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

static long vcsw_self(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_nvcsw;
}

static long vcsw_of(pid_t pid) {
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    long v = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "voluntary_ctxt_switches: %ld", &v) == 1)
            break;
    if (f)
        fclose(f);
    return v;
}

struct result {
    double ns_per_rpc;
    double client_wakeups, server_wakeups, broker_wakeups;
};

/* ---- machd relay ---- */

static struct machd_msg msg, in;
static uint8_t buf[MACHD_MAX_PACKET];
static uint8_t body[4096];

static void send_to(struct machd_conn *c, struct machd_right dest, struct machd_right reply, int32_t id,
                    uint32_t len) {
    memset(&msg, 0, sizeof msg);
    msg.type = MACHD_MSG_SEND;
    msg.u.send.dest = dest;
    msg.u.send.reply = reply;
    msg.u.send.flags = MACHD_SEND_ACK_ERRORS_ONLY;
    msg.u.send.p.msgh_id = id;
    msg.u.send.p.body = body;
    msg.u.send.p.body_len = len;
    if (machd_conn_send(c, &msg) != 0)
        exit(10);
}

static uint32_t bootstrap(struct machd_conn *c, uint32_t op, const char *name) {
    memset(&msg, 0, sizeof msg);
    msg.type = MACHD_BOOTSTRAP;
    msg.u.bootstrap.op = op;
    msg.u.bootstrap.name = name;
    msg.u.bootstrap.name_len = (uint32_t)strlen(name);
    if (machd_conn_send(c, &msg) || machd_conn_recv(c, buf, &in, 10000) || in.u.bootstrap_reply.status)
        exit(11);
    return in.u.bootstrap_reply.name;
}

static _Noreturn void relay_server(const char *path, int ready_fd) {
    struct machd_conn c;
    if (machd_conn_open(&c, path, false) != 0)
        _exit(12);
    uint32_t recv = bootstrap(&c, MACHD_BOOTSTRAP_CHECK_IN, "bench.echo");
    if (write(ready_fd, "r", 1) != 1)
        _exit(13);
    for (;;) {
        if (machd_conn_recv(&c, buf, &in, -1) != 0)
            _exit(0);
        if (in.type == MACHD_MSG_DELIVER && in.u.deliver.dest.name == recv)
            send_to(&c, (struct machd_right){in.u.deliver.reply.name, MACHD_DISP_MOVE_SEND_ONCE, 0},
                    (struct machd_right){0, 0, 0}, in.u.deliver.p.msgh_id + 100, in.u.deliver.p.body_len);
    }
}

static void relay_client(const char *path, long n, uint32_t len) {
    struct machd_conn c;
    if (machd_conn_open(&c, path, false) != 0)
        exit(14);
    uint32_t svc = bootstrap(&c, MACHD_BOOTSTRAP_LOOK_UP, "bench.echo");
    for (long i = 0; i < n; i++) {
        struct machd_right reply = {REPLY_HANDLE, MACHD_DISP_MAKE_SEND_ONCE, i == 0 ? MACHD_RIGHT_NEW : 0};
        send_to(&c, (struct machd_right){svc, MACHD_DISP_COPY_SEND, 0}, reply, 1, len);
        if (machd_conn_recv(&c, buf, &in, -1) != 0 || in.type != MACHD_MSG_DELIVER)
            exit(15);
    }
    machd_conn_close(&c);
}

static pid_t start_machd(const char *path) {
    const char *exe = getenv("MACHD_PATH");
    if (!exe || !*exe)
        exe = MACHD_BIN;
    pid_t pid = fork();
    if (pid == 0) {
        execl(exe, exe, "--foreground", "--socket", path, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 500; i++) {
        struct machd_conn c;
        if (machd_conn_open(&c, path, false) == 0) {
            machd_conn_close(&c);
            return pid;
        }
        usleep(10000);
    }
    fprintf(stderr, "bench_machd: machd did not start (%s)\n", exe);
    exit(1);
}

/* Ends a relay measurement: the server, machd, the temporary directory, the readiness pipe. */
static void stop_relay(pid_t server, pid_t machd, const char *dir, const int p[2]) {
    kill(server, SIGKILL);
    waitpid(server, NULL, 0);
    kill(machd, SIGTERM);
    waitpid(machd, NULL, 0);
    rmdir(dir);
    close(p[0]);
    close(p[1]);
}

/* clients > 1: that many client processes at once; returns ns per RPC of aggregate throughput. */
static struct result bench_relay(uint32_t len, int clients) {
    char dir[] = "/tmp/machd-bench-XXXXXX", path[128];
    if (!mkdtemp(dir))
        exit(1);
    snprintf(path, sizeof path, "%s/machd.sock", dir);
    pid_t machd = start_machd(path);
    int p[2];
    if (pipe(p) != 0)
        exit(1);
    pid_t server = fork();
    if (server == 0)
        relay_server(path, p[1]);
    char ch;
    if (read(p[0], &ch, 1) != 1)
        exit(1);
    relay_client(path, iterations / 10 + 1, len); /* warm-up */
    long c0 = vcsw_self(), s0 = vcsw_of(server), m0 = vcsw_of(machd);
    double t0 = now_ns();
    if (clients == 1) {
        relay_client(path, iterations, len);
    } else {
        for (int i = 0; i < clients; i++)
            if (fork() == 0) {
                relay_client(path, iterations, len);
                _exit(0);
            }
        for (int i = 0; i < clients; i++)
            wait(NULL);
    }
    double t1 = now_ns();
    long total = iterations * clients;
    struct result r = {(t1 - t0) / total, (double)(vcsw_self() - c0) / total,
                       (double)(vcsw_of(server) - s0) / total, (double)(vcsw_of(machd) - m0) / total};
    stop_relay(server, machd, dir, p);
    return r;
}

/* ---- raw seqpacket ---- */

static struct result bench_seqpacket(size_t len) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) != 0)
        exit(1);
    pid_t echo = fork();
    if (echo == 0) {
        close(sv[0]);
        ssize_t n;
        while ((n = recv(sv[1], buf, sizeof buf, 0)) > 0)
            if (send(sv[1], buf, (size_t)n, 0) != n)
                break;
        _exit(0);
    }
    close(sv[1]);
    for (long i = 0; i < iterations / 10; i++)
        if (send(sv[0], body, len, 0) < 0 || recv(sv[0], buf, sizeof buf, 0) < 0)
            exit(1);
    long c0 = vcsw_self(), s0 = vcsw_of(echo);
    double t0 = now_ns();
    for (long i = 0; i < iterations; i++)
        if (send(sv[0], body, len, 0) < 0 || recv(sv[0], buf, sizeof buf, 0) < 0)
            exit(1);
    double t1 = now_ns();
    struct result r = {(t1 - t0) / iterations, (double)(vcsw_self() - c0) / iterations,
                       (double)(vcsw_of(echo) - s0) / iterations, 0};
    close(sv[0]);
    waitpid(echo, NULL, 0);
    return r;
}

/* ---- futex ping-pong ---- */

static long futex(atomic_uint *addr, int op, unsigned val) {
    return syscall(SYS_futex, addr, op, val, NULL, NULL, 0);
}

/* turn: 0 = client's move, 1 = server's move; each side sleeps until the word changes. */
static struct result bench_futex(void) {
    atomic_uint *turn = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (turn == MAP_FAILED)
        exit(1);
    atomic_store(turn, 0);
    long total = iterations + iterations / 10;
    pid_t peer = fork();
    if (peer == 0) {
        for (long i = 0; i < total; i++) {
            while (atomic_load(turn) != 1)
                futex(turn, FUTEX_WAIT, 0);
            atomic_store(turn, 0);
            futex(turn, FUTEX_WAKE, 1);
        }
        _exit(0);
    }
    long c0 = 0, s0 = 0;
    double t0 = 0;
    for (long i = 0; i < total; i++) {
        if (i == iterations / 10) {
            c0 = vcsw_self();
            s0 = vcsw_of(peer);
            t0 = now_ns();
        }
        atomic_store(turn, 1);
        futex(turn, FUTEX_WAKE, 1);
        while (atomic_load(turn) != 0)
            futex(turn, FUTEX_WAIT, 1);
    }
    double t1 = now_ns();
    struct result r = {(t1 - t0) / iterations, (double)(vcsw_self() - c0) / iterations,
                       (double)(vcsw_of(peer) - s0) / iterations, 0};
    waitpid(peer, NULL, 0);
    munmap(turn, 4096);
    return r;
}

/* ---- ONC RPC null call over AF_UNIX ---- */

#define BENCH_PROG 0x20000777u
#define BENCH_VERS 1u

/* xdr_void with xdrproc_t's exact type, so no function-pointer cast is needed. */
static bool_t xdr_nothing(XDR *xdrs, ...) {
    (void)xdrs;
    return TRUE;
}

static void onc_dispatch(struct svc_req *req, SVCXPRT *xprt) {
    if (req->rq_proc == NULLPROC)
        svc_sendreply(xprt, xdr_nothing, NULL);
    else
        svcerr_noproc(xprt);
}

static struct result bench_onc(void) {
    char dir[] = "/tmp/machd-bench-XXXXXX", path[128];
    if (!mkdtemp(dir))
        exit(1);
    snprintf(path, sizeof path, "%s/onc.sock", dir);
    int p[2];
    if (pipe(p) != 0)
        exit(1);
    pid_t server = fork();
    if (server == 0) {
        SVCXPRT *x = svcunix_create(RPC_ANYSOCK, 0, 0, path);
        if (!x || !svc_register(x, BENCH_PROG, BENCH_VERS, onc_dispatch, 0))
            _exit(2);
        if (write(p[1], "r", 1) != 1)
            _exit(3);
        svc_run();
        _exit(0);
    }
    char ch;
    if (read(p[0], &ch, 1) != 1)
        exit(1);
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    strcpy(addr.sun_path, path);
    int sock = RPC_ANYSOCK;
    CLIENT *clnt = clntunix_create(&addr, BENCH_PROG, BENCH_VERS, &sock, 0, 0);
    if (!clnt) {
        fprintf(stderr, "bench_machd: clntunix_create failed\n");
        exit(1);
    }
    struct timeval tv = {10, 0};
    for (long i = 0; i < iterations / 10; i++)
        clnt_call(clnt, NULLPROC, xdr_nothing, NULL, xdr_nothing, NULL, tv);
    long c0 = vcsw_self(), s0 = vcsw_of(server);
    double t0 = now_ns();
    for (long i = 0; i < iterations; i++)
        if (clnt_call(clnt, NULLPROC, xdr_nothing, NULL, xdr_nothing, NULL, tv) != RPC_SUCCESS)
            exit(1);
    double t1 = now_ns();
    struct result r = {(t1 - t0) / iterations, (double)(vcsw_self() - c0) / iterations,
                       (double)(vcsw_of(server) - s0) / iterations, 0};
    clnt_destroy(clnt);
    kill(server, SIGKILL);
    waitpid(server, NULL, 0);
    unlink(path);
    rmdir(dir);
    close(p[0]);
    close(p[1]);
    return r;
}

/* mach_msg RPCs from this process to a machd_rpc_peer server (ids 500 -> 600). */
struct rpc_request {
    mach_msg_header_t head;
    char text[32];
};

struct rpc_reply {
    mach_msg_header_t head;
    char text[32];
    int32_t pid;
    uint8_t trailer[128];
};

static struct result bench_mach_msg(void) {
    char dir[] = "/tmp/machd-bench-XXXXXX", path[128];
    if (!mkdtemp(dir))
        exit(1);
    snprintf(path, sizeof path, "%s/machd.sock", dir);
    pid_t machd = start_machd(path);
    setenv("MACHD_SOCKET", path, 1);
    setenv("MACHD_NO_AUTOSTART", "1", 1);
    int p[2];
    if (pipe(p) != 0)
        exit(1);
    pid_t server = fork();
    if (server == 0) {
        dup2(p[1], STDOUT_FILENO);
        execl(MACHD_RPC_PEER, MACHD_RPC_PEER, "server", "bench.mach", (char *)NULL);
        _exit(127);
    }
    char line[8];
    if (read(p[0], line, sizeof line) <= 0)
        exit(1);
    mach_port_t svc, reply;
    if (transport_machd_bootstrap(2, "bench.mach", MACH_PORT_NULL, &svc) != KERN_SUCCESS ||
        mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &reply) != KERN_SUCCESS)
        exit(1);
    long c0 = 0, s0 = 0, m0 = 0;
    double t0 = 0;
    long warm = iterations / 10;
    for (long i = 0; i < warm + iterations; i++) {
        if (i == warm) {
            c0 = vcsw_self();
            s0 = vcsw_of(server);
            m0 = vcsw_of(machd);
            t0 = now_ns();
        }
        union {
            struct rpc_request q;
            struct rpc_reply r;
        } m;
        memset(&m.q, 0, sizeof m.q);
        m.q.head.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE);
        m.q.head.msgh_remote_port = svc;
        m.q.head.msgh_local_port = reply;
        m.q.head.msgh_id = 500;
        m.q.head.msgh_size = sizeof m.q;
        if (mach_msg(&m.q.head, MACH_SEND_MSG | MACH_RCV_MSG, sizeof m.q, sizeof m, reply, 0, MACH_PORT_NULL) !=
                MACH_MSG_SUCCESS ||
            m.r.head.msgh_id != 600)
            exit(16);
    }
    double t1 = now_ns();
    struct result r = {(t1 - t0) / iterations, (double)(vcsw_self() - c0) / iterations,
                       (double)(vcsw_of(server) - s0) / iterations, (double)(vcsw_of(machd) - m0) / iterations};
    stop_relay(server, machd, dir, p);
    return r;
}

static void row(const char *name, struct result r, double base) {
    printf("  %-34s %10.0f ns  %6.2fx   wake-ups/RPC: client %.2f server %.2f machd %.2f\n", name,
           r.ns_per_rpc, r.ns_per_rpc / base, r.client_wakeups, r.server_wakeups, r.broker_wakeups);
}

int main(int argc, char **argv) {
    if (argc > 1)
        iterations = atol(argv[1]);
    if (iterations < 10)
        iterations = 10;
    memset(body, 'b', sizeof body);
    printf("bench_machd: %ld round trips per figure; ratio = figure / raw seqpacket round trip\n",
           iterations);
    for (int pass = 0; pass < 2; pass++) {
        bool pinned = pass == 0;
        pin(pinned);
        printf("%s\n", pinned ? "all processes on CPU0:" : "unpinned:");
        struct result seq = bench_seqpacket(PAYLOAD);
        row("raw seqpacket ping-pong (64 B)", seq, seq.ns_per_rpc);
        row("futex ping-pong (floor)", bench_futex(), seq.ns_per_rpc);
        row("ONC RPC null call (AF_UNIX)", bench_onc(), seq.ns_per_rpc);
        row("machd relay null RPC (64 B)", bench_relay(PAYLOAD, 1), seq.ns_per_rpc);
        if (pinned) /* the transport connects once per process: one mach_msg row per run */
            row("mach_msg RPC via machd (libmach)", bench_mach_msg(), seq.ns_per_rpc);
        struct result seq4k = bench_seqpacket(4096);
        row("raw seqpacket ping-pong (4 KiB)", seq4k, seq.ns_per_rpc);
        row("machd relay RPC (4 KiB body)", bench_relay(4096, 1), seq.ns_per_rpc);
        struct result two = bench_relay(PAYLOAD, 2);
        printf("  %-34s %10.0f ns  (%.0f RPC/s aggregate)\n", "machd relay, 2 clients at once", two.ns_per_rpc,
               1e9 / two.ns_per_rpc);
    }
    printf("not measured yet: RPCs through mig-generated stubs (the mach_msg row is the same path\n"
           "without the stubs), 1 MiB arguments and OOL 1 MiB / 64 MiB (relay datagrams carry at\n"
           "most 128 KiB).\n");
    return 0;
}
