/* A multi-threaded task for the tests of libmach's receive path (docs/machd.md 7, "Receive
 * path": the thread waiting for a message reads machd's connection itself). Talks to a
 * machd_rpc_peer server. Prints "ready" once set up. Exit status 0 = every check passed. Modes:
 *   rpcs NAME COUNT   4 threads at once, COUNT RPCs each (id 500) with their own reply ports;
 *                     each checks that every reply carries its own text
 *   nudge NAME        a thread does one RPC, then waits on a local port; once it is reading
 *                     machd's connection, the main thread sends it a local message, which it
 *                     must get (a nudge interrupts its receive), not a timeout
 *   idle NAME         sends one message to NAME (a `drop` server, which then destroys its
 *                     receive right) and, never receiving, watches the name become a dead name */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mach/mach.h>
#include <servers/bootstrap.h>

#include "machd_rpc_msgs.h"
#include "transport/transport_machd.h"

#define THREADS 4
#define WAIT_MS 20000 /* generous: the test box is shared and noisy */


static mach_port_t service;
static long count;

static void ready(void) {
    fputs("ready\n", stdout);
    fflush(stdout);
}

/* One RPC (id 500 -> 600) with reply port `reply`; the reply must echo `text`. */
static bool rpc(mach_port_t reply, const char *text) {
    union {
        struct request q;
        struct reply_buf r;
    } m;
    memset(&m, 0, sizeof m);
    m.q.head.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE);
    m.q.head.msgh_size = sizeof m.q;
    m.q.head.msgh_remote_port = service;
    m.q.head.msgh_local_port = reply;
    m.q.head.msgh_id = 500;
    snprintf(m.q.text, sizeof m.q.text, "%s", text);
    mach_msg_return_t mr = mach_msg(&m.q.head, MACH_SEND_MSG | MACH_RCV_MSG | MACH_RCV_TIMEOUT, sizeof m.q,
                                    sizeof m, reply, WAIT_MS, MACH_PORT_NULL);
    if (mr != MACH_MSG_SUCCESS || m.r.head.msgh_id != 600 || strcmp(m.r.text, text) != 0) {
        fprintf(stderr, "machd_threads_peer: rpc %s: %#x id %d text %.32s\n", text, mr, m.r.head.msgh_id, m.r.text);
        return false;
    }
    return true;
}

/* A message without reply port or body. */
static mach_msg_return_t send_simple(mach_port_t dest, mach_msg_type_name_t disposition, mach_msg_id_t id) {
    mach_msg_header_t head = {.msgh_bits = MACH_MSGH_BITS(disposition, 0),
                              .msgh_size = sizeof head,
                              .msgh_remote_port = dest,
                              .msgh_id = id};
    return mach_msg(&head, MACH_SEND_MSG, sizeof head, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL);
}

static mach_port_t new_port(void) {
    mach_port_t p;
    if (mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &p) != KERN_SUCCESS)
        exit(2);
    return p;
}

static void *rpc_thread(void *arg) {
    char text[32];
    snprintf(text, sizeof text, "thread %ld", (long)(intptr_t)arg);
    mach_port_t reply = new_port();
    for (long i = 0; i < count; i++)
        if (!rpc(reply, text))
            return (void *)1;
    return NULL;
}

static int rpcs(void) {
    pthread_t t[THREADS];
    for (intptr_t i = 0; i < THREADS; i++)
        if (pthread_create(&t[i], NULL, rpc_thread, (void *)i) != 0)
            return 2;
    int failed = 0;
    for (int i = 0; i < THREADS; i++) {
        void *rc;
        pthread_join(t[i], &rc);
        failed |= rc != NULL;
    }
    return failed;
}

static mach_port_t local_port;
static volatile int rpc_done;
static struct transport_machd_stats after_rpc; /* before the thread's receive starts */

static void *nudged_thread(void *arg) {
    (void)arg;
    if (!rpc(new_port(), "before"))
        return (void *)1;
    transport_machd_stats_get(&after_rpc);
    __atomic_store_n(&rpc_done, 1, __ATOMIC_SEQ_CST);
    struct reply_buf in;
    mach_msg_return_t mr = mach_msg(&in.head, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof in, local_port, WAIT_MS,
                                    MACH_PORT_NULL);
    if (mr != MACH_MSG_SUCCESS || in.head.msgh_id != 900) {
        fprintf(stderr, "machd_threads_peer: local message not received: %#x\n", mr);
        return (void *)1;
    }
    return NULL;
}

/* One attempt: returns the nudges it took (0: the thread was not the one reading machd this
 * time, the standby was), or -1 if the thread did not get its message. */
static long nudge_once(void) {
    __atomic_store_n(&rpc_done, 0, __ATOMIC_SEQ_CST);
    pthread_t t;
    if (pthread_create(&t, NULL, nudged_thread, NULL) != 0)
        return -1;
    while (!__atomic_load_n(&rpc_done, __ATOMIC_SEQ_CST))
        usleep(1000);
    /* Wait until some thread reads machd's socket after the RPC (its receive calls go up). */
    struct transport_machd_stats s;
    for (int i = 0; i < WAIT_MS; i++) {
        transport_machd_stats_get(&s);
        if (s.recv_calls > after_rpc.recv_calls)
            break;
        usleep(1000);
    }
    usleep(20000);
    if (send_simple(local_port, MACH_MSG_TYPE_MAKE_SEND, 900) != MACH_MSG_SUCCESS)
        return -1;
    void *rc;
    pthread_join(t, &rc);
    transport_machd_stats_get(&s);
    return rc != NULL ? -1 : (long)(s.nudges - after_rpc.nudges);
}

/* Repeated until the receiving thread was the reader once (on a loaded machine the standby may
 * hold the role at that moment): then exactly one nudge, and every attempt got its message. */
static int nudge(void) {
    local_port = new_port();
    for (int attempt = 0; attempt < 20; attempt++) {
        long nudges = nudge_once();
        if (nudges != 0) {
            fprintf(stderr, "machd_threads_peer: attempt %d: %ld nudges\n", attempt, nudges);
            return nudges == 1 ? 0 : 1;
        }
    }
    fprintf(stderr, "machd_threads_peer: the thread was never the reader\n");
    return 1;
}

static int idle(void) {
    if (send_simple(service, MACH_MSG_TYPE_COPY_SEND, 1) != MACH_MSG_SUCCESS)
        return 3;
    for (int i = 0; i < WAIT_MS / 10; i++) {
        mach_port_type_t type = 0;
        if (mach_port_type(mach_task_self(), service, &type) == KERN_SUCCESS && (type & MACH_PORT_TYPE_DEAD_NAME))
            return 0;
        usleep(10000);
    }
    fprintf(stderr, "machd_threads_peer: the name never became a dead name\n");
    return 1;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: machd_threads_peer rpcs|nudge|idle NAME [COUNT]\n");
        return 2;
    }
    count = argc > 3 ? atol(argv[3]) : 100;
    if (bootstrap_look_up(bootstrap_port, argv[2], &service) != KERN_SUCCESS)
        return 3;
    ready();
    if (strcmp(argv[1], "rpcs") == 0)
        return rpcs();
    if (strcmp(argv[1], "nudge") == 0)
        return nudge();
    if (strcmp(argv[1], "idle") == 0)
        return idle();
    return 2;
}
