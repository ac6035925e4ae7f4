/* Benchmark (not a test): the cost of generated stubs. In one process, a client thread and a
 * server thread exchange a null RPC, a 4 KiB inline array and a 1 MiB out-of-line array, first
 * through the stubs mig generated from bench_stubs.defs (served by mach_msg_server_once), then
 * through a hand-written mach_msg ping-pong carrying the same messages. It prints ns per RPC for
 * both and the ratio, which is the stubs' own overhead (packing, checks, the server loop).
 * Usage: bench_stubs [iterations of the null RPC, default 20000]. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mach/mach.h>
#include <mach/mach_port.h>
#include <mach/mig.h>
#include <mach/vm_map.h>

#include "bench_stubs.h"
#include "bench_stubsServer.h"

extern boolean_t bench_stubs_server(mach_msg_header_t *InHeadP, mach_msg_header_t *OutHeadP);

#define MIB (1024 * 1024)

static mach_port_t stub_port, raw_port;

/* --- the work functions ----------------------------------------------------------------------- */

kern_return_t do_null_rpc(mach_port_t server) {
    (void)server;
    return KERN_SUCCESS;
}

kern_return_t do_array_4k(mach_port_t server, bytes4k_t data, mach_msg_type_number_t dataCnt) {
    (void)server, (void)data, (void)dataCnt;
    return KERN_SUCCESS;
}

kern_return_t do_array_ool(mach_port_t server, blob_t data, mach_msg_type_number_t dataCnt) {
    (void)server, (void)data, (void)dataCnt; /* the stub frees the memory */
    return KERN_SUCCESS;
}

static void *serve_stubs(void *arg) {
    (void)arg;
    for (;;) {
        mach_msg_return_t mr = mach_msg_server_once(
            bench_stubs_server, sizeof(union __RequestUnion__bench_stubs_subsystem), stub_port, 0);
        if (mr != MACH_MSG_SUCCESS)
            return NULL;
    }
}

/* --- the hand-written equivalent ---------------------------------------------------------------- */

typedef struct {
    mach_msg_header_t head;
    mach_msg_body_t body;
    mach_msg_ool_descriptor_t ool;
    char inline_data[4096];
    mach_msg_max_trailer_t trailer;
} raw_msg_t;

static void *serve_raw(void *arg) {
    (void)arg;
    raw_msg_t *in = malloc(sizeof *in);
    for (;;) {
        if (mach_msg(&in->head, MACH_RCV_MSG, 0, sizeof *in, raw_port, MACH_MSG_TIMEOUT_NONE,
                     MACH_PORT_NULL) != MACH_MSG_SUCCESS)
            break;
        if (in->head.msgh_bits & MACH_MSGH_BITS_COMPLEX)
            (void)vm_deallocate(mach_task_self(), (vm_address_t)in->ool.address, in->ool.size);
        mig_reply_error_t reply;
        memset(&reply, 0, sizeof reply);
        reply.Head.msgh_bits = MACH_MSGH_BITS(MACH_MSGH_BITS_REMOTE(in->head.msgh_bits), 0);
        reply.Head.msgh_remote_port = in->head.msgh_remote_port;
        reply.Head.msgh_size = sizeof reply;
        reply.Head.msgh_id = in->head.msgh_id + 100;
        reply.NDR = NDR_record;
        reply.RetCode = KERN_SUCCESS;
        if (mach_msg(&reply.Head, MACH_SEND_MSG, sizeof reply, 0, MACH_PORT_NULL,
                     MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL) != MACH_MSG_SUCCESS)
            break;
    }
    free(in);
    return NULL;
}

/* One hand-made RPC: `inline_bytes` of inline data, or `ool_bytes` out of line. */
static kern_return_t raw_rpc(raw_msg_t *m, mach_port_t reply, size_t inline_bytes, void *ool,
                             size_t ool_bytes) {
    m->head.msgh_remote_port = raw_port;
    m->head.msgh_local_port = reply;
    m->head.msgh_id = 1;
    m->head.msgh_voucher_port = MACH_PORT_NULL;
    mach_msg_size_t size;
    if (ool) {
        m->head.msgh_bits = MACH_MSGH_BITS_COMPLEX |
                            MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE);
        m->body.msgh_descriptor_count = 1;
        m->ool.address = ool;
        m->ool.size = (mach_msg_size_t)ool_bytes;
        m->ool.deallocate = FALSE;
        m->ool.copy = MACH_MSG_VIRTUAL_COPY;
        m->ool.type = MACH_MSG_OOL_DESCRIPTOR;
        size = (mach_msg_size_t)offsetof(raw_msg_t, inline_data);
    } else {
        m->head.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE);
        /* no body: the inline data follows the header directly */
        size = (mach_msg_size_t)(sizeof m->head + inline_bytes);
    }
    m->head.msgh_size = size;
    return mach_msg(&m->head, MACH_SEND_MSG | MACH_RCV_MSG, size, sizeof *m, reply,
                    MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL);
}

/* --- measuring ------------------------------------------------------------------------------------ */

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

enum shape { NULL_RPC, ARRAY_4K, ARRAY_1M };

static double run_stubs(enum shape s, int n, char *buf) {
    double t0 = now_ns();
    for (int i = 0; i < n; i++) {
        kern_return_t kr = s == NULL_RPC   ? null_rpc(stub_port)
                           : s == ARRAY_4K ? array_4k(stub_port, buf, 4096)
                                           : array_ool(stub_port, buf, MIB);
        if (kr != KERN_SUCCESS) {
            fprintf(stderr, "stub RPC failed: 0x%x\n", kr);
            exit(1);
        }
    }
    return (now_ns() - t0) / n;
}

static double run_raw(enum shape s, int n, char *buf, raw_msg_t *m, mach_port_t reply) {
    double t0 = now_ns();
    for (int i = 0; i < n; i++) {
        if (s == ARRAY_4K)
            memcpy(m->inline_data, buf, 4096);
        kern_return_t kr = raw_rpc(m, reply, s == ARRAY_4K ? 4096 : 0,
                                   s == ARRAY_1M ? buf : NULL, MIB);
        if (kr != KERN_SUCCESS) {
            fprintf(stderr, "raw RPC failed: 0x%x\n", kr);
            exit(1);
        }
    }
    return (now_ns() - t0) / n;
}

static mach_port_t make_port(void) {
    mach_port_t p = MACH_PORT_NULL;
    if (mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &p) != KERN_SUCCESS ||
        mach_port_insert_right(mach_task_self(), p, p, MACH_MSG_TYPE_MAKE_SEND) != KERN_SUCCESS) {
        fprintf(stderr, "cannot allocate a port\n");
        exit(1);
    }
    return p;
}

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 20000;
    if (n <= 0)
        n = 20000;
    stub_port = make_port();
    raw_port = make_port();
    mach_port_t reply = make_port();
    pthread_t t1, t2;
    pthread_create(&t1, NULL, serve_stubs, NULL);
    pthread_create(&t2, NULL, serve_raw, NULL);
    char *buf = malloc(MIB);
    raw_msg_t *m = malloc(sizeof *m);
    memset(buf, 7, MIB);

    static const struct {
        const char *name;
        enum shape shape;
        int divisor;
    } rows[] = {{"null RPC", NULL_RPC, 1}, {"4 KiB inline array", ARRAY_4K, 2},
                {"1 MiB out-of-line array", ARRAY_1M, 20}};
    printf("%-26s %14s %14s %8s   (%d null RPCs; fewer for bigger messages)\n", "RPC",
           "stubs ns/op", "mach_msg ns/op", "ratio", n);
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        int iters = n / rows[i].divisor > 10 ? n / rows[i].divisor : 10;
        (void)run_stubs(rows[i].shape, iters / 10 + 1, buf); /* warm up */
        (void)run_raw(rows[i].shape, iters / 10 + 1, buf, m, reply);
        double stubs = run_stubs(rows[i].shape, iters, buf);
        double raw = run_raw(rows[i].shape, iters, buf, m, reply);
        printf("%-26s %14.0f %14.0f %8.2f\n", rows[i].name, stubs, raw, stubs / raw);
    }
    free(m);
    free(buf);
    return 0; /* the server threads block in mach_msg; the process exit ends them */
}
