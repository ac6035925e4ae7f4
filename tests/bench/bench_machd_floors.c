/* bench_machd's floors, measured without machd: a futex ping-pong between two processes (the
 * cheapest blocking hand-off), raw socketpair ping-pongs (what a relay is compared with) and an
 * ONC RPC null call through rpcgen's stubs and libtirpc (when built with them). */
#include <linux/futex.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_machd.h"

#ifdef BENCH_HAVE_ONC
#include <sys/un.h>

#include "bench_onc.h"
/* The dispatch function rpcgen -m writes (not declared in its header). */
void bench_onc_prog_1(struct svc_req *rqstp, SVCXPRT *transp);
#endif

static uint8_t *scratch(size_t len) {
    static uint8_t *buf;
    static size_t cap;
    if (len > cap) {
        free(buf);
        buf = malloc(len);
        if (!buf)
            exit(1);
        memset(buf, 'b', len);
        cap = len;
    }
    return buf;
}

/* Times n round trips of `step` after n/10 of warm-up; the peer's switches are counted too. */
static struct sample timed(long n, pid_t peer, bool (*step)(void *), void *arg) {
    for (long i = 0; i < n / 10; i++)
        if (!step(arg))
            exit(1);
    struct switches c0 = bench_switches_self(), s0 = bench_switches_of(peer);
    double t0 = bench_now_ns();
    for (long i = 0; i < n; i++)
        if (!step(arg))
            exit(1);
    double t1 = bench_now_ns();
    struct sample r = {.ns = (t1 - t0) / n, .has_cost = true};
    bench_cost(&r.client, c0, bench_switches_self(), n);
    bench_cost(&r.server, s0, bench_switches_of(peer), n);
    r.client.sock = r.server.sock = r.machd.sock = -1;
    return r;
}

/* ---- futex ---- */

static long futex(atomic_uint *addr, int op, unsigned val) {
    return syscall(SYS_futex, addr, op, val, NULL, NULL, 0);
}

/* turn: 0 = client's move, 1 = server's move; each side sleeps until the word changes. */
static bool futex_step(void *arg) {
    atomic_uint *turn = arg;
    atomic_store(turn, 1);
    futex(turn, FUTEX_WAKE, 1);
    while (atomic_load(turn) != 0)
        futex(turn, FUTEX_WAIT, 1);
    return true;
}

struct sample bench_futex(void) {
    atomic_uint *turn = bench_shared(sizeof *turn);
    atomic_store(turn, 0);
    pid_t peer = fork();
    if (peer == 0) {
        for (;;) {
            while (atomic_load(turn) != 1)
                futex(turn, FUTEX_WAIT, 0);
            atomic_store(turn, 0);
            futex(turn, FUTEX_WAKE, 1);
        }
    }
    struct sample r = timed(bench_iterations, peer, futex_step, turn);
    kill(peer, SIGKILL);
    waitpid(peer, NULL, 0);
    munmap(turn, sizeof *turn);
    return r;
}

/* ---- socketpairs ---- */

struct pingpong {
    int fd;
    size_t req, rep;
};

static bool seqpacket_step(void *arg) {
    struct pingpong *p = arg;
    return send(p->fd, scratch(p->req), p->req, 0) == (ssize_t)p->req &&
           recv(p->fd, scratch(p->req), p->req, 0) == (ssize_t)p->rep;
}

static _Noreturn void seqpacket_echo(int fd, size_t req, size_t rep) {
    uint8_t *buf = scratch(req);
    while (recv(fd, buf, req, 0) > 0)
        if (send(fd, buf, rep, 0) != (ssize_t)rep)
            break;
    _exit(0);
}

/* One client/echo pair per `pairs`; with 2 pairs the figure is the aggregate time per RPC. */
struct sample bench_seqpacket(size_t req, size_t rep, int pairs) {
    pid_t echo[BENCH_MAX_CLIENTS], client[BENCH_MAX_CLIENTS];
    struct together *t = bench_shared(sizeof *t);
    for (int i = 0; i < pairs; i++) {
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) != 0)
            exit(1);
        echo[i] = fork();
        if (echo[i] == 0) {
            close(sv[0]);
            seqpacket_echo(sv[1], req, rep);
        }
        close(sv[1]);
        struct pingpong p = {sv[0], req, rep};
        if (pairs == 1) {
            struct sample r = timed(bench_iterations, echo[0], seqpacket_step, &p);
            close(sv[0]);
            waitpid(echo[0], NULL, 0);
            munmap(t, sizeof *t);
            return r;
        }
        client[i] = fork();
        if (client[i] == 0) {
            for (long k = 0; k < bench_iterations / 10; k++)
                seqpacket_step(&p);
            bench_together_start(t, i, pairs);
            for (long k = 0; k < bench_iterations; k++)
                if (!seqpacket_step(&p))
                    _exit(1);
            bench_together_end(t, i);
            _exit(0);
        }
        close(sv[0]);
    }
    for (int i = 0; i < pairs; i++) {
        waitpid(client[i], NULL, 0);
        waitpid(echo[i], NULL, 0);
    }
    struct sample r = {.ns = bench_together_ns(t, pairs, bench_iterations)};
    munmap(t, sizeof *t);
    return r;
}

static bool stream_step(void *arg) {
    struct pingpong *p = arg;
    uint8_t *buf = scratch(p->req);
    for (size_t off = 0; off < p->req;) {
        ssize_t n = send(p->fd, buf + off, p->req - off, 0);
        if (n <= 0)
            return false;
        off += (size_t)n;
    }
    char ack;
    return recv(p->fd, &ack, 1, MSG_WAITALL) == 1;
}

struct sample bench_stream(size_t len, long n) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
        exit(1);
    pid_t echo = fork();
    if (echo == 0) {
        close(sv[0]);
        uint8_t *buf = scratch(len);
        for (;;) {
            if (recv(sv[1], buf, len, MSG_WAITALL) != (ssize_t)len || send(sv[1], "a", 1, 0) != 1)
                _exit(0);
        }
    }
    close(sv[1]);
    struct pingpong p = {sv[0], len, 1};
    struct sample r = timed(n, echo, stream_step, &p);
    close(sv[0]);
    waitpid(echo, NULL, 0);
    return r;
}

/* ---- ONC RPC ---- */

#ifdef BENCH_HAVE_ONC
void *bench_onc_null_1_svc(void *arg, struct svc_req *req) {
    (void)arg, (void)req;
    static char nothing;
    return &nothing;
}

static bool onc_step(void *arg) { return bench_onc_null_1(NULL, arg) != NULL; }

struct sample bench_onc(void) {
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
        if (!x || !svc_register(x, BENCH_ONC_PROG, BENCH_ONC_VERS, bench_onc_prog_1, 0))
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
    memcpy(addr.sun_path, path, strlen(path) + 1); /* path is shorter than sun_path */
    int sock = RPC_ANYSOCK;
    CLIENT *clnt = clntunix_create(&addr, BENCH_ONC_PROG, BENCH_ONC_VERS, &sock, 0, 0);
    struct sample r = clnt ? timed(bench_iterations, server, onc_step, clnt)
                           : bench_not_measured("n/a (clntunix_create failed)");
    if (clnt)
        clnt_destroy(clnt);
    kill(server, SIGKILL);
    waitpid(server, NULL, 0);
    unlink(path);
    rmdir(dir);
    close(p[0]);
    close(p[1]);
    return r;
}
#else
struct sample bench_onc(void) {
    return bench_not_measured("n/a (built without rpcgen/libtirpc: scripts/deps.sh installs them)");
}
#endif
