/* bench_machd's rows through machd: each measurement starts its own machd, a server process and
 * one or two client processes (fresh processes, so every row connects anew). The server serves
 * bench_machd.defs with the MIG-generated demux and mach_msg_server; clients call the generated
 * stubs, or mach_msg by hand, or (the relay row) speak machd's protocol without libmach. */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mach/mach.h>
#include <mach/mig.h>
#include <mach/mig_errors.h>

#include "bench_machd.h"
#include "bench_machd_mig.h"
#include "bench_machd_migServer.h"
#include "transport/transport_machd.h"
#include "wire/machd_conn.h"

extern boolean_t bench_machd_server(mach_msg_header_t *InHeadP, mach_msg_header_t *OutHeadP);

#define SERVICE "bench.machd"
#define MIB ((size_t)1024 * 1024)
#define NULL_MSG_ID 4700 /* null_rpc: the subsystem's first routine */
#define REPORT_MSG_ID 4704 /* report: the relay server copies its counters too */

/* A process's counters at one moment. */
struct snapshot {
    struct switches sw;
    unsigned long sock;
};

/* What clients, the server and the parent share. */
struct rpc_shared {
    pid_t machd;
    struct snapshot server_now; /* the server's counters as of its last report() */
    struct sample sample;       /* the single client's figures */
    char why[112];              /* set by a client that could not measure */
    int server_threads;         /* the MIG server's threads: 1, or one per CPU (RPC_MIG_NULL_POOL) */
    struct together t;
};

static struct rpc_shared *shared;

static struct snapshot snapshot_self(void) {
    struct transport_machd_stats st;
    transport_machd_stats_get(&st);
    return (struct snapshot){bench_switches_self(), st.send_calls + st.recv_calls};
}

/* ---- the MIG server ---- */

kern_return_t do_null_rpc(mach_port_t server) {
    (void)server;
    return KERN_SUCCESS;
}

kern_return_t do_array_4k(mach_port_t server, bytes4k_t data, mach_msg_type_number_t dataCnt) {
    (void)server, (void)data, (void)dataCnt;
    return KERN_SUCCESS;
}

kern_return_t do_array_1m(mach_port_t server, bytes1m_t data, mach_msg_type_number_t dataCnt) {
    (void)server, (void)data, (void)dataCnt;
    return KERN_SUCCESS;
}

kern_return_t do_array_ool(mach_port_t server, blob_t data, mach_msg_type_number_t dataCnt) {
    (void)server, (void)data, (void)dataCnt; /* the stub deallocates the region */
    return KERN_SUCCESS;
}

/* Reads every byte of the region (8 at a time), as the raw stream base's recv writes every byte
 * into its buffer: the OOL rows "server reads it" cost what using the data costs. */
static volatile uint64_t read_sum;
static void read_all(const char *data, size_t n) {
    uint64_t sum = 0, w;
    for (size_t i = 0; i + 8 <= n; i += 8) {
        memcpy(&w, data + i, 8);
        sum += w;
    }
    read_sum += sum;
}

kern_return_t do_array_ool_read(mach_port_t server, blob_t data, mach_msg_type_number_t dataCnt) {
    (void)server;
    read_all(data, dataCnt);
    return KERN_SUCCESS;
}

kern_return_t do_array_ool_move(mach_port_t server, blob_t data, mach_msg_type_number_t dataCnt) {
    (void)server, (void)data, (void)dataCnt;
    return KERN_SUCCESS;
}

kern_return_t do_array_ool_move_read(mach_port_t server, blob_t data, mach_msg_type_number_t dataCnt) {
    (void)server;
    read_all(data, dataCnt);
    return KERN_SUCCESS;
}

kern_return_t do_report(mach_port_t server) {
    (void)server;
    shared->server_now = snapshot_self();
    return KERN_SUCCESS;
}

/* One thread of the MIG server's pool: mach_msg_server on the service port. */
static void *serve(void *port) {
    mach_msg_server(bench_machd_server, (mach_msg_size_t)sizeof(union __RequestUnion__bench_machd_subsystem),
                    (mach_port_t)(uintptr_t)port, 0);
    return NULL;
}

static _Noreturn void mig_server(int ready_fd) {
    prctl(PR_SET_NAME, "bench-server"); /* for perf and top */
    mach_port_t port;
    if (transport_machd_bootstrap(MACHD_BOOTSTRAP_CHECK_IN, SERVICE, MACH_PORT_NULL, &port) != KERN_SUCCESS)
        _exit(12);
    if (write(ready_fd, "r", 1) != 1)
        _exit(13);
    for (int i = 1; i < shared->server_threads; i++) {
        pthread_t t;
        if (pthread_create(&t, NULL, serve, (void *)(uintptr_t)port) != 0)
            _exit(14);
    }
    serve((void *)(uintptr_t)port);
    _exit(0);
}

/* ---- the relay row: machd's protocol by hand ---- */

static struct machd_msg msg, in;
static uint8_t buf[MACHD_MAX_PACKET];
static uint8_t body[64];

static void relay_send(struct machd_conn *c, struct machd_right dest, struct machd_right reply, int32_t id) {
    memset(&msg, 0, sizeof msg);
    msg.type = MACHD_MSG_SEND;
    msg.u.send.dest = dest;
    msg.u.send.reply = reply;
    msg.u.send.flags = MACHD_SEND_ACK_ERRORS_ONLY;
    msg.u.send.p.msgh_id = id;
    msg.u.send.p.body = body;
    msg.u.send.p.body_len = sizeof body;
    if (machd_conn_send(c, &msg) != 0)
        _exit(10);
}

static uint32_t relay_bootstrap(struct machd_conn *c, uint32_t op) {
    memset(&msg, 0, sizeof msg);
    msg.type = MACHD_BOOTSTRAP;
    msg.u.bootstrap.op = op;
    msg.u.bootstrap.name = SERVICE;
    msg.u.bootstrap.name_len = (uint32_t)strlen(SERVICE);
    if (machd_conn_send(c, &msg) || machd_conn_recv(c, buf, &in, 10000) || in.u.bootstrap_reply.status)
        _exit(11);
    return in.u.bootstrap_reply.name;
}

static _Noreturn void relay_server(int ready_fd) {
    struct machd_conn c;
    if (machd_conn_open(&c, NULL, false) != 0)
        _exit(12);
    uint32_t recv = relay_bootstrap(&c, MACHD_BOOTSTRAP_CHECK_IN);
    if (write(ready_fd, "r", 1) != 1)
        _exit(13);
    for (;;) {
        if (machd_conn_recv(&c, buf, &in, -1) != 0)
            _exit(0);
        if (in.type != MACHD_MSG_DELIVER || in.u.deliver.dest.name != recv)
            continue;
        if (in.u.deliver.p.msgh_id == REPORT_MSG_ID) /* before its reply, as do_report */
            shared->server_now = (struct snapshot){bench_switches_self(), c.send_calls + c.recv_calls};
        relay_send(&c, (struct machd_right){in.u.deliver.reply.name, MACHD_DISP_MOVE_SEND_ONCE, 0},
                   (struct machd_right){0, 0, 0}, in.u.deliver.p.msgh_id + 100);
    }
}

static struct machd_conn relay_conn;
static uint32_t relay_service;
static long relay_count;

static kern_return_t relay_call(int32_t id) {
    struct machd_right reply = {MACHD_HANDLE_TASK_BIT | 1u, MACHD_DISP_MAKE_SEND_ONCE,
                                relay_count++ == 0 ? MACHD_RIGHT_NEW : 0};
    relay_send(&relay_conn, (struct machd_right){relay_service, MACHD_DISP_COPY_SEND, 0}, reply, id);
    if (machd_conn_recv(&relay_conn, buf, &in, -1) != 0 || in.type != MACHD_MSG_DELIVER)
        return MACH_RCV_PORT_DIED;
    return KERN_SUCCESS;
}

/* ---- clients ---- */

/* The null request, written by hand as MIG's stub writes it (same size, ids, dispositions). */
static kern_return_t hand_null(mach_port_t svc) {
    static mach_port_t reply;
    if (reply == MACH_PORT_NULL && mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &reply))
        return KERN_RESOURCE_SHORTAGE;
    union {
        mach_msg_header_t head;
        struct {
            mig_reply_error_t r;
            mach_msg_max_trailer_t trailer;
        } rep;
    } m;
    m.head = (mach_msg_header_t){.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE),
                                 .msgh_size = sizeof m.head,
                                 .msgh_remote_port = svc,
                                 .msgh_local_port = reply,
                                 .msgh_id = NULL_MSG_ID};
    mach_msg_return_t mr = mach_msg(&m.head, MACH_SEND_MSG | MACH_RCV_MSG, sizeof m.head, sizeof m, reply,
                                    MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL);
    if (mr != MACH_MSG_SUCCESS)
        return mr;
    return m.rep.r.Head.msgh_id == NULL_MSG_ID + 100 ? m.rep.r.RetCode : MIG_REPLY_MISMATCH;
}

static char *payload;

/* Moved rows: each call gives a region away, so each needs a new one: vm_allocate'd (a memfd,
 * docs/machd.md 9.5) and written in full, made before the timed loop (prepare_moves) so that
 * the loop times the RPC, not making the data. */
#define MOVE_POOL 16
static char *move_pool[MOVE_POOL];
static int move_pool_n;

static char *new_moved_region(void) {
    vm_address_t a = 0;
    if (vm_allocate(mach_task_self(), &a, 64 * MIB, VM_FLAGS_ANYWHERE) != KERN_SUCCESS)
        _exit(20);
    memset((void *)a, 'm', 64 * MIB);
    return (char *)a;
}

static char *moved_region(void) { return move_pool_n ? move_pool[--move_pool_n] : new_moved_region(); }

static void prepare_moves(enum rpc_kind kind, long n) {
    if (kind != RPC_MIG_OOL_64M_MOVE && kind != RPC_MIG_OOL_64M_MOVE_READ)
        return;
    if (n > MOVE_POOL)
        _exit(21);
    while (move_pool_n < n)
        move_pool[move_pool_n++] = new_moved_region();
}

static kern_return_t call(enum rpc_kind kind, mach_port_t svc) {
    switch (kind) {
    case RPC_RELAY_PROTOCOL:
        return relay_call(NULL_MSG_ID);
    case RPC_MACH_MSG:
        return hand_null(svc);
    case RPC_MIG_NULL:
    case RPC_MIG_NULL_POOL:
        return null_rpc(svc);
    case RPC_MIG_4K:
        return array_4k(svc, payload, 4096);
    case RPC_MIG_1M:
        return array_1m(svc, payload, (mach_msg_type_number_t)MIB);
    case RPC_MIG_OOL_1M:
        return array_ool(svc, payload, (mach_msg_type_number_t)MIB);
    case RPC_MIG_OOL_1M_READ:
        return array_ool_read(svc, payload, (mach_msg_type_number_t)MIB);
    case RPC_MIG_OOL_64M_MOVE:
        return array_ool_move(svc, moved_region(), (mach_msg_type_number_t)(64 * MIB));
    case RPC_MIG_OOL_64M_MOVE_READ:
        return array_ool_move_read(svc, moved_region(), (mach_msg_type_number_t)(64 * MIB));
    default:
        return array_ool(svc, payload, (mach_msg_type_number_t)(64 * MIB));
    }
}

/* machd's own counters, asked for on a connection of the client's own (opened before the timed
 * loop, idle during it). Each request adds one epoll_wait, recvmsg and sendmsg to them: 1/n per
 * RPC, which costs_end takes off. */
static struct machd_io_counts machd_io_now(void) {
    static struct machd_conn stats_conn;
    static bool open;
    if (!open && machd_conn_open(&stats_conn, NULL, false) != 0)
        _exit(19);
    open = true;
    memset(&msg, 0, sizeof msg);
    msg.type = MACHD_STATS;
    if (machd_conn_send(&stats_conn, &msg) != 0 || machd_conn_recv(&stats_conn, buf, &in, 10000) != 0 ||
        in.type != MACHD_STATS_REPLY)
        _exit(19);
    return in.u.stats_reply.io;
}

/* The figures of the single client: its own, the server's (report() before and after) and
 * machd's (its /proc counters and its STATS). */
struct costs_before {
    struct snapshot client, server;
    struct switches machd;
    struct machd_io_counts io;
};

static void report_now(enum rpc_kind kind, mach_port_t svc) {
    if ((kind == RPC_RELAY_PROTOCOL ? relay_call(REPORT_MSG_ID) : report(svc)) != KERN_SUCCESS)
        _exit(14);
}

static struct costs_before costs_start(enum rpc_kind kind, mach_port_t svc) {
    report_now(kind, svc);
    struct machd_io_counts io = machd_io_now();
    struct costs_before b = {snapshot_self(), shared->server_now, bench_switches_of(shared->machd), io};
    if (kind == RPC_RELAY_PROTOCOL)
        b.client.sock = relay_conn.send_calls + relay_conn.recv_calls;
    return b;
}

static void costs_end(enum rpc_kind kind, mach_port_t svc, const struct costs_before *b, long n,
                      struct sample *s) {
    struct snapshot client = snapshot_self();
    if (kind == RPC_RELAY_PROTOCOL)
        client.sock = relay_conn.send_calls + relay_conn.recv_calls;
    struct switches machd = bench_switches_of(shared->machd);
    struct machd_io_counts io = machd_io_now();
    report_now(kind, svc); /* after the client's and machd's counts: the report is not in them */
    struct snapshot server = shared->server_now;
    s->has_cost = true;
    bench_cost(&s->client, b->client.sw, client.sw, n);
    bench_cost(&s->server, b->server.sw, server.sw, n);
    bench_cost(&s->machd, b->machd, machd, n);
    s->client.sock = (double)(client.sock - b->client.sock) / n;
    s->server.sock = (double)(server.sock - b->server.sock) / n;
    /* The STATS request that took the second snapshot: its epoll_wait and recvmsg are in it,
     * and the sendmsg of the first one's reply. */
    double dn = (double)n;
    s->work = (struct machd_work){(double)(io.epoll_waits - b->io.epoll_waits - 1) / dn,
                                  (double)(io.recv_calls - b->io.recv_calls - 1) / dn,
                                  (double)(io.send_calls - b->io.send_calls - 1) / dn,
                                  (double)(io.other_calls - b->io.other_calls) / dn,
                                  (double)(io.datagrams_in - b->io.datagrams_in - 1) / dn,
                                  (double)(io.datagrams_out - b->io.datagrams_out - 1) / dn};
    s->has_work = true;
    s->machd.sock = s->work.recv_calls + s->work.send_calls;
}

static _Noreturn void client_main(enum rpc_kind kind, long n, int me, int clients) {
    mach_port_t svc = MACH_PORT_NULL;
    if (kind == RPC_RELAY_PROTOCOL) {
        if (machd_conn_open(&relay_conn, NULL, false) != 0)
            _exit(15);
        relay_service = relay_bootstrap(&relay_conn, MACHD_BOOTSTRAP_LOOK_UP);
    } else if (transport_machd_bootstrap(MACHD_BOOTSTRAP_LOOK_UP, SERVICE, MACH_PORT_NULL, &svc) != KERN_SUCCESS) {
        _exit(16);
    }
    kern_return_t kr = call(kind, svc); /* a probe: rows whose messages machd cannot carry yet */
    if (kr != KERN_SUCCESS) {
        snprintf(shared->why, sizeof shared->why, "n/a (%s, 0x%x)", mach_error_string(kr), kr);
        bench_together_start(&shared->t, me, clients);
        _exit(0);
    }
    for (long i = 0; i < n / 10; i++)
        if (call(kind, svc) != KERN_SUCCESS)
            _exit(17);
    prepare_moves(kind, n);
    struct costs_before b = {0};
    if (clients == 1)
        b = costs_start(kind, svc);
    bench_together_start(&shared->t, me, clients);
    for (long i = 0; i < n; i++)
        if (call(kind, svc) != KERN_SUCCESS)
            _exit(18);
    bench_together_end(&shared->t, me);
    if (clients == 1)
        costs_end(kind, svc, &b, n, &shared->sample);
    _exit(0);
}

/* ---- one measurement ---- */

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
        if (machd_conn_listening(path))
            return pid;
        usleep(10000);
    }
    fprintf(stderr, "bench_machd: machd did not start (%s)\n", exe);
    exit(1);
}

struct sample bench_rpc(enum rpc_kind kind, int clients, long n, bool relay) {
    if (!payload && kind >= RPC_MIG_4K) { /* not before: every later fork would copy its page tables */
        payload = malloc(64 * MIB);
        if (!payload)
            exit(1);
        memset(payload, 'p', 64 * MIB);
    }
    char dir[] = "/tmp/machd-bench-XXXXXX", path[128];
    if (!mkdtemp(dir))
        exit(1);
    snprintf(path, sizeof path, "%s/machd.sock", dir);
    setenv("MACHD_SOCKET", path, 1);
    setenv("MACHD_NO_AUTOSTART", "1", 1);
    setenv("MACHD_DIRECT", relay ? "0" : "1", 1);
    shared = bench_shared(sizeof *shared);
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    shared->server_threads = kind == RPC_MIG_NULL_POOL && cpus > 1 ? (int)cpus : 1;
    shared->machd = start_machd(path);
    int p[2];
    if (pipe(p) != 0)
        exit(1);
    pid_t server = fork();
    if (server == 0) {
        if (kind == RPC_RELAY_PROTOCOL)
            relay_server(p[1]);
        mig_server(p[1]);
    }
    char ch;
    if (read(p[0], &ch, 1) != 1)
        exit(1);
    pid_t client[BENCH_MAX_CLIENTS];
    for (int i = 0; i < clients; i++) {
        client[i] = fork();
        if (client[i] == 0)
            client_main(kind, n, i, clients);
    }
    bool failed = false;
    for (int i = 0; i < clients; i++) {
        int status;
        waitpid(client[i], &status, 0);
        failed |= !WIFEXITED(status) || WEXITSTATUS(status) != 0;
    }
    struct sample r = shared->sample;
    if (shared->why[0])
        r = bench_not_measured("%s", shared->why);
    else if (failed)
        r = bench_not_measured("n/a (a client failed)");
    else
        r.ns = bench_together_ns(&shared->t, clients, n);
    if (getenv("BENCH_DEBUG")) {
        struct switches sw = bench_switches_of(server);
        struct switches mw = bench_switches_of(shared->machd);
        fprintf(stderr, "  server: %.2f us CPU/RPC, %.2f vol switches/RPC, %.2f invol/RPC; machd %.2f us/RPC\n",
                sw.cpu_ns / 1e3 / (n * clients), (double)sw.voluntary / (n * clients),
                (double)sw.involuntary / (n * clients), mw.cpu_ns / 1e3 / (n * clients));
    }
    kill(server, SIGKILL);
    waitpid(server, NULL, 0);
    kill(shared->machd, SIGTERM);
    waitpid(shared->machd, NULL, 0);
    rmdir(dir);
    close(p[0]);
    close(p[1]);
    munmap(shared, sizeof *shared);
    shared = NULL;
    return r;
}
