/* bench_machd's shared pieces: what one measurement yields (time per RPC and where it goes) and
 * the helpers every row uses. The rows themselves: bench_machd_floors.c (no machd) and
 * bench_machd_rpc.c (through machd). */
#ifndef BENCH_MACHD_H
#define BENCH_MACHD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Per RPC, in one process: context switches and system calls on machd's socket. */
struct cost {
    double wakeups;   /* voluntary context switches (the process slept and was woken) */
    double preempted; /* involuntary context switches */
    double sock;      /* send/recv/poll calls on the machd socket (transport counters); < 0: n/a */
    double cpu_us;    /* CPU time used (user + system, all threads) */
};

/* Per RPC, machd's own counters (its STATS_REPLY, docs/machd.md 3): system calls and datagrams. */
struct machd_work {
    double epoll_waits, recv_calls, send_calls, other_calls, datagrams_in, datagrams_out;
};

/* One row's figures. ns < 0: not measured, `why` says why. */
struct sample {
    double ns;         /* wall time per RPC (aggregate over all clients) */
    bool has_cost;     /* the cost fields are meaningful */
    bool has_work;     /* machd_work is meaningful (rows through machd) */
    struct cost client, server, machd;
    struct machd_work work;
    char why[112];
};

/* Context switch counts and CPU time of a process so far (all its threads). */
struct switches {
    long voluntary, involuntary;
    double cpu_ns;
};

extern long bench_iterations;

/* Several client processes timing their loops together (in shared memory): each does its
 * warm-up, calls bench_together_start (which waits for all), runs, calls bench_together_end. */
#define BENCH_MAX_CLIENTS 16
struct together {
    int ready;
    double start[BENCH_MAX_CLIENTS], end[BENCH_MAX_CLIENTS];
};
void bench_together_start(struct together *t, int me, int parties);
void bench_together_end(struct together *t, int me);
/* Aggregate wall time per RPC: from the first start to the last end, over parties * n RPCs. */
double bench_together_ns(const struct together *t, int parties, long n);

double bench_now_ns(void);
/* All following processes on CPU0 (pinned) or on any CPU. */
void bench_pin(bool pinned);
struct switches bench_switches_self(void);
/* Of another process, summed over its threads (the status and schedstat files under
 * /proc/PID/task). */
struct switches bench_switches_of(pid_t pid);
/* Fills s's cost of one side from switch counts before and after n RPCs. */
void bench_cost(struct cost *c, struct switches before, struct switches after, long n);
/* A sample that was not measured, with the reason. */
struct sample bench_not_measured(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Shared memory (MAP_SHARED anonymous) of `size` bytes for results written by children. */
void *bench_shared(size_t size);

/* ---- floors, no machd (bench_machd_floors.c) ---- */
struct sample bench_futex(void);
/* SOCK_SEQPACKET socketpair: a request of req bytes, a reply of rep bytes. */
struct sample bench_seqpacket(size_t req, size_t rep, int pairs);
/* SOCK_STREAM socketpair: a request of len bytes (a datagram cannot be that large), 1-byte reply. */
struct sample bench_stream(size_t len, long n);
/* ONC RPC null call through rpcgen's stubs and libtirpc over AF_UNIX. */
struct sample bench_onc(void);
/* sd-bus peer-to-peer method call (bench_machd_sdbus.c; n/a without libsystemd). */
struct sample bench_sdbus(void);

/* ---- through machd (bench_machd_rpc.c) ---- */
enum rpc_kind {
    RPC_RELAY_PROTOCOL, /* machd's protocol by hand, no libmach: the relay's own cost */
    RPC_MACH_MSG,       /* hand-written mach_msg(SEND|RCV) null request to the MIG server */
    RPC_MIG_NULL,       /* the MIG-generated null_rpc */
    RPC_MIG_NULL_POOL,  /* the same, served by a pool of one server thread per CPU */
    RPC_MIG_4K,         /* array_4k: 4 KiB inline */
    RPC_MIG_1M,         /* array_1m: 1 MiB inline */
    RPC_MIG_OOL_1M,     /* array_ool: 1 MiB out of line */
    RPC_MIG_OOL_64M,    /* array_ool: 64 MiB out of line */
    RPC_MIG_OOL_1M_READ,       /* array_ool_read: 1 MiB, the server reads every byte */
    RPC_MIG_OOL_64M_MOVE,      /* array_ool_move: 64 MiB moved (vm_allocate'd, deallocate) */
    RPC_MIG_OOL_64M_MOVE_READ, /* array_ool_move_read: the same, the server reads every byte */
};
/* `clients` client processes at once, each doing n RPCs of `kind` to one server process; on
 * direct channels (docs/machd.md 9) or, with `relay`, every message through machd
 * (MACHD_DIRECT=0 in the processes' environment). */
struct sample bench_rpc(enum rpc_kind kind, int clients, long n, bool relay);

#endif
