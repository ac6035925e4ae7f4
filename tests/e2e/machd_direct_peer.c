/* A libmach task for the direct-channel tests (machd_direct_test.c, docs/machd.md 9): the same
 * checks hold on a direct channel and through the relay (MACHD_DIRECT=0), and each peer checks
 * which path its messages took (transport_machd_stats). Prints "ready" once set up; exits 0 when
 * every check passed, else the number of the step that failed (stderr says why).
 *
 * Modes (NAME: a bootstrap name; N: a count):
 *   order_recv NAME N   receives N messages, in order, checksummed; every third carries a port
 *   order_send NAME N   sends them from one thread: plain ones and ones with a port right mixed
 *   rpc_server NAME N   answers N requests on their send-once reply rights
 *   rpc_client NAME N   makes N calls and checks each answer
 *   rpc_die NAME        answers one request, receives another and exits without answering it
 *   rpc_orphan NAME     calls, and must get the send-once notification (MIG_SERVER_DIED)
 *   nosend_recv NAME N  gives the sender a send right, gets N messages, then no-senders
 *   nosend_send NAME N  gets that right, sends N messages on it, then deallocates it
 *   audit_recv NAME     the audit trailer of two messages names the sender's pid
 *   audit_send NAME     sends its pid twice
 *   crowd_recv NAME N   a port with a queue limit of 1 and N messages from many senders, each
 *                       sender's in order; waiting senders were woken one per message taken
 *   crowd_send NAME N   sends N messages numbered from 0
 *   pool_server NAME N  4 threads on a port set of NAME and NAME.2 answer N requests in all
 *   forward_server NAME N   forwards the reply rights of N calls to NAME.worker (in a descriptor,
 *                       or as the reply port of a request, in turn)
 *   forward_server_late NAME N  the same, forwarding the N-th 300 ms after it came
 *   forward_worker NAME N   answers the N forwarded reply rights (each with the call's data)
 *   forward_worker_die NAME N  answers N-1, exits holding the N-th
 *   forward_worker_late NAME N answers N-1; the N-th may be dead (a client that did not grant)
 *   forward_client NAME N   N calls, each answered once by the worker, nothing more
 *   forward_orphan NAME N   N calls, the N-th answered by the send-once notification only
 *   forward_stop NAME N     N-1 calls, then the N-th request and SIGSTOP; continued, one message
 *   lastright_send NAME N  N rounds: look NAME up, a plain message, then one with a port right that
 *                       moves the last send right (a ticket on a channel)
 *   lastright_recv NAME N  the 2N messages, in order */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mach/mach.h>
#include <mach/notify.h>
#include <servers/bootstrap.h>

#include "transport/transport_machd.h"

#define PEER_NAME "machd_direct_peer"
#include "peer_check.h"

#define TIMEOUT_MS 20000
#define RPC_REQUEST_ID 7100
#define RPC_REPLY_ID 7200

struct plain_msg {
    mach_msg_header_t head;
    uint32_t seq, sum;
    uint8_t fill[200];
};

struct port_msg {
    mach_msg_header_t head;
    mach_msg_body_t body;
    mach_msg_port_descriptor_t port;
    uint32_t seq, sum;
};

union any_msg {
    struct plain_msg plain;
    struct port_msg port;
    uint8_t bytes[1024];
};

static uint32_t checksum(uint32_t seq, const uint8_t *fill, size_t n) {
    uint32_t h = 2166136261u ^ seq;
    for (size_t i = 0; i < n; i++)
        h = (h ^ fill[i]) * 16777619u;
    return h;
}

static bool relay_only(void) {
    const char *v = getenv("MACHD_DIRECT");
    return v && strcmp(v, "0") == 0;
}

/* The path check: direct when allowed (messages went on a channel), none at all otherwise. */
static int check_path(int step, bool sent) {
    struct transport_machd_stats st;
    transport_machd_stats_get(&st);
    unsigned long n = sent ? st.direct_sent : st.direct_received;
    if (relay_only())
        CHECK(step, n == 0, "%lu messages went on a channel with MACHD_DIRECT=0", n);
    else
        CHECK(step, n > 0, "no message went on a channel");
    return 0;
}

static mach_msg_return_t receive(mach_port_t port, union any_msg *m, mach_msg_option_t extra) {
    return mach_msg(&m->plain.head, MACH_RCV_MSG | MACH_RCV_TIMEOUT | extra, 0, sizeof *m, port, TIMEOUT_MS,
                    MACH_PORT_NULL);
}

static int order_recv(const char *name, uint32_t n) {
    mach_port_t port = peer_service(name, true);
    ready();
    for (uint32_t i = 0; i < n; i++) {
        union any_msg m;
        mach_msg_return_t mr = receive(port, &m, 0);
        CHECK(1, mr == MACH_MSG_SUCCESS, "receive %u: %#x", i, mr);
        bool complex = (m.plain.head.msgh_bits & MACH_MSGH_BITS_COMPLEX) != 0;
        CHECK(2, m.plain.head.msgh_id == (mach_msg_id_t)i, "message %u arrived as %d", i, m.plain.head.msgh_id);
        CHECK(3, complex == (i % 3 == 0), "message %u: complex %d", i, complex);
        if (complex) {
            CHECK(4, m.port.port.name != MACH_PORT_NULL && m.port.port.disposition == MACH_MSG_TYPE_PORT_SEND,
                  "message %u: its port right", i);
            CHECK(5, m.port.seq == i && m.port.sum == checksum(i, NULL, 0), "message %u: body", i);
            mach_port_deallocate(mach_task_self(), m.port.port.name);
        } else {
            CHECK(6, m.plain.seq == i && m.plain.sum == checksum(i, m.plain.fill, sizeof m.plain.fill),
                  "message %u: body", i);
        }
    }
    union any_msg extra;
    CHECK(7, mach_msg(&extra.plain.head, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof extra, port, 200,
                      MACH_PORT_NULL) == MACH_RCV_TIMED_OUT,
          "a message more than was sent");
    return check_path(8, false);
}

static int order_send(const char *name, uint32_t n) {
    mach_port_t port = peer_service(name, false);
    mach_port_t carried;
    CHECK(1, mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &carried) == KERN_SUCCESS, "allocate");
    ready();
    for (uint32_t i = 0; i < n; i++) {
        union any_msg m;
        memset(&m, 0, sizeof m);
        if (i % 3 == 0) {
            m.port.head.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0) | MACH_MSGH_BITS_COMPLEX;
            m.port.head.msgh_size = sizeof m.port;
            m.port.body.msgh_descriptor_count = 1;
            m.port.port = (mach_msg_port_descriptor_t){.name = carried, .disposition = MACH_MSG_TYPE_MAKE_SEND,
                                                       .type = MACH_MSG_PORT_DESCRIPTOR};
            m.port.seq = i;
            m.port.sum = checksum(i, NULL, 0);
        } else {
            m.plain.head.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
            m.plain.head.msgh_size = sizeof m.plain;
            m.plain.seq = i;
            for (size_t k = 0; k < sizeof m.plain.fill; k++)
                m.plain.fill[k] = (uint8_t)(i * 31 + k);
            m.plain.sum = checksum(i, m.plain.fill, sizeof m.plain.fill);
        }
        m.plain.head.msgh_remote_port = port;
        m.plain.head.msgh_id = (mach_msg_id_t)i;
        mach_msg_return_t mr = mach_msg(&m.plain.head, MACH_SEND_MSG | MACH_SEND_TIMEOUT, m.plain.head.msgh_size,
                                        0, MACH_PORT_NULL, TIMEOUT_MS, MACH_PORT_NULL);
        CHECK(2, mr == MACH_MSG_SUCCESS, "send %u: %#x", i, mr);
    }
    return check_path(3, true);
}

/* Answers request m on its send-once reply right: seq + 1, the same fill. */
static mach_msg_return_t answer(const union any_msg *m) {
    struct plain_msg reply = {0};
    reply.head.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0);
    reply.head.msgh_size = sizeof reply;
    reply.head.msgh_remote_port = m->plain.head.msgh_remote_port;
    reply.head.msgh_id = RPC_REPLY_ID;
    reply.seq = m->plain.seq + 1;
    reply.sum = checksum(reply.seq, m->plain.fill, sizeof m->plain.fill);
    memcpy(reply.fill, m->plain.fill, sizeof reply.fill);
    return mach_msg(&reply.head, MACH_SEND_MSG, sizeof reply, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL);
}

/* Answers n requests; the one numbered die_at (if any) is not answered: the server exits. */
static int rpc_server(const char *name, uint32_t n, uint32_t die_at) {
    mach_port_t port = peer_service(name, true);
    ready();
    for (uint32_t i = 0; i < n; i++) {
        union any_msg m;
        mach_msg_return_t mr = receive(port, &m, 0);
        CHECK(1, mr == MACH_MSG_SUCCESS && m.plain.head.msgh_id == RPC_REQUEST_ID, "request %u: %#x", i, mr);
        CHECK(2, MACH_MSGH_BITS_REMOTE(m.plain.head.msgh_bits) == MACH_MSG_TYPE_PORT_SEND_ONCE,
              "request %u: reply right %#x", i, m.plain.head.msgh_bits);
        if (i == die_at)
            _exit(0); /* the send-once right dies with us */
        mr = answer(&m);
        CHECK(3, mr == MACH_MSG_SUCCESS, "reply %u: %#x", i, mr);
    }
    return check_path(4, false);
}

/* Several threads serving two ports through one port set, for many client processes: no thread
 * per peer; a thread blocked on the set wakes for any channel that delivers to a member. */
#define POOL_THREADS 4
static mach_port_t pool_set;
static uint32_t pool_total;
static _Atomic uint32_t pool_served, pool_failed, pool_threads_used;

static void *pool_thread(void *arg) {
    (void)arg;
    bool used = false;
    while (atomic_load(&pool_served) < pool_total && !atomic_load(&pool_failed)) {
        union any_msg m;
        mach_msg_return_t mr = mach_msg(&m.plain.head, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof m, pool_set, 100,
                                        MACH_PORT_NULL);
        if (mr == MACH_RCV_TIMED_OUT)
            continue;
        if (mr != MACH_MSG_SUCCESS || m.plain.head.msgh_id != RPC_REQUEST_ID || answer(&m) != MACH_MSG_SUCCESS) {
            fprintf(stderr, "%s: receive or answer: %#x id %d\n", mode, mr, m.plain.head.msgh_id);
            atomic_store(&pool_failed, 1);
            break;
        }
        atomic_fetch_add(&pool_served, 1);
        if (!used) {
            used = true;
            atomic_fetch_add(&pool_threads_used, 1);
        }
    }
    return NULL;
}

static int pool_server(const char *name, uint32_t n) {
    char second[128];
    snprintf(second, sizeof second, "%s.2", name);
    mach_port_t ports[2] = {peer_service(name, true), peer_service(second, true)};
    CHECK(1, mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_PORT_SET, &pool_set) == KERN_SUCCESS, "set");
    for (int i = 0; i < 2; i++)
        CHECK(2, mach_port_move_member(mach_task_self(), ports[i], pool_set) == KERN_SUCCESS, "member %d", i);
    pool_total = n;
    ready();
    pthread_t threads[POOL_THREADS];
    for (int i = 0; i < POOL_THREADS; i++)
        CHECK(3, pthread_create(&threads[i], NULL, pool_thread, NULL) == 0, "thread %d", i);
    for (int i = 0; i < POOL_THREADS; i++)
        pthread_join(threads[i], NULL);
    CHECK(4, !atomic_load(&pool_failed) && atomic_load(&pool_served) == n, "served %u of %u",
          atomic_load(&pool_served), n);
    fprintf(stderr, "%s: %u calls served by %u of %d threads\n", mode, n, atomic_load(&pool_threads_used),
            POOL_THREADS);
    return check_path(5, false);
}

/* A request numbered seq to port with a send-once reply right made from reply_port. */
static void request_init(union any_msg *m, mach_port_t port, mach_port_t reply_port, uint32_t seq) {
    memset(m, 0, sizeof *m);
    m->plain.head.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE);
    m->plain.head.msgh_size = sizeof m->plain;
    m->plain.head.msgh_remote_port = port;
    m->plain.head.msgh_local_port = reply_port;
    m->plain.head.msgh_id = RPC_REQUEST_ID;
    m->plain.seq = seq;
    for (size_t k = 0; k < sizeof m->plain.fill; k++)
        m->plain.fill[k] = (uint8_t)(seq + k);
}

/* One call: request with a send-once reply right made from reply_port; the answer in *out. */
static mach_msg_return_t call(mach_port_t port, mach_port_t reply_port, uint32_t seq, union any_msg *out) {
    union any_msg m;
    request_init(&m, port, reply_port, seq);
    mach_msg_return_t mr = mach_msg(&m.plain.head, MACH_SEND_MSG | MACH_RCV_MSG | MACH_RCV_TIMEOUT, sizeof m.plain,
                                    sizeof *out, reply_port, TIMEOUT_MS, MACH_PORT_NULL);
    if (mr == MACH_MSG_SUCCESS)
        *out = m;
    return mr;
}

static int rpc_client(const char *name, uint32_t n) {
    mach_port_t port = peer_service(name, false);
    mach_port_t reply_port;
    CHECK(1, mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &reply_port) == KERN_SUCCESS, "allocate");
    ready();
    for (uint32_t i = 0; i < n; i++) {
        union any_msg r;
        mach_msg_return_t mr = call(port, reply_port, i, &r);
        CHECK(2, mr == MACH_MSG_SUCCESS, "call %u: %#x", i, mr);
        uint8_t fill[sizeof r.plain.fill];
        for (size_t k = 0; k < sizeof fill; k++)
            fill[k] = (uint8_t)(i + k);
        CHECK(3, r.plain.head.msgh_id == RPC_REPLY_ID && r.plain.seq == i + 1 &&
                     r.plain.sum == checksum(i + 1, fill, sizeof fill),
              "answer %u: id %d seq %u", i, r.plain.head.msgh_id, r.plain.seq);
    }
    return check_path(4, true);
}

/* A sender that lets its last send right go with a message that travels as a ticket (it carries a
 * port right, and moves the destination's send right): the ring record must be written before
 * machd hears the right went, or the receiver drops the route first and the record waits for
 * ever (lost when the channel goes). Each round looks the service up again (a new proxy: the
 * first message is relayed, the second asks for a route). */
static int lastright_recv(const char *name, uint32_t n) {
    mach_port_t port = peer_service(name, true);
    ready();
    for (uint32_t i = 0; i < 2 * n; i++) {
        union any_msg m;
        mach_msg_return_t mr = receive(port, &m, 0);
        CHECK(1, mr == MACH_MSG_SUCCESS, "message %u of %u: %#x", i, 2 * n, mr);
        CHECK(2, m.plain.head.msgh_id == (mach_msg_id_t)i, "message %u arrived as %d", i, m.plain.head.msgh_id);
        if (m.plain.head.msgh_bits & MACH_MSGH_BITS_COMPLEX)
            mach_port_deallocate(mach_task_self(), m.port.port.name);
    }
    return check_path(3, false);
}

static int lastright_send(const char *name, uint32_t n) {
    mach_port_t carried;
    CHECK(1, mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &carried) == KERN_SUCCESS, "allocate");
    ready();
    for (uint32_t i = 0; i < n; i++) {
        mach_port_t port = peer_service(name, false);
        struct plain_msg p = {0};
        p.head.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
        p.head.msgh_size = sizeof p;
        p.head.msgh_remote_port = port;
        p.head.msgh_id = (mach_msg_id_t)(2 * i);
        CHECK(2, mach_msg(&p.head, MACH_SEND_MSG, sizeof p, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL) == MACH_MSG_SUCCESS,
              "plain %u", i);
        struct port_msg m = {0};
        m.head.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND, 0) | MACH_MSGH_BITS_COMPLEX;
        m.head.msgh_size = sizeof m;
        m.head.msgh_remote_port = port;
        m.head.msgh_id = (mach_msg_id_t)(2 * i + 1);
        m.body.msgh_descriptor_count = 1;
        m.port = (mach_msg_port_descriptor_t){.name = carried, .disposition = MACH_MSG_TYPE_MAKE_SEND,
                                              .type = MACH_MSG_PORT_DESCRIPTOR};
        CHECK(3, mach_msg(&m.head, MACH_SEND_MSG, sizeof m, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL) == MACH_MSG_SUCCESS,
              "with its last send right %u", i);
        mach_port_type_t type = 0;
        CHECK(4, mach_port_type(mach_task_self(), port, &type) == KERN_INVALID_NAME, "the right stayed (%#x)", type);
    }
    return check_path(5, true);
}

/* A reply right forwarded to a worker in a third process (docs/machd.md 9.6). */
struct fwd_msg {
    mach_msg_header_t head;
    mach_msg_body_t body;
    mach_msg_port_descriptor_t right;
    uint32_t seq, sum;
    uint8_t fill[200];
};
#define FWD_ID 7300

/* Answers request `seq` (its fill) on the send-once right `right`, as answer() does. */
static mach_msg_return_t answer_on(mach_port_t right, uint32_t seq, const uint8_t *fill) {
    union any_msg m;
    memset(&m, 0, sizeof m);
    m.plain.head.msgh_remote_port = right;
    m.plain.seq = seq;
    memcpy(m.plain.fill, fill, sizeof m.plain.fill);
    return answer(&m);
}

/* Answers nothing itself: request i's reply right goes to the worker NAME.worker, in a port
 * descriptor (i even) or as the reply port of a request (i odd). On a channel each right stands
 * for the client's token and is claimed through machd. */
static int forward_server(const char *name, uint32_t n, bool late) {
    mach_port_t port = peer_service(name, true);
    ready();
    mach_port_t worker = MACH_PORT_NULL;
    for (uint32_t i = 0; i < n; i++) {
        union any_msg m;
        CHECK(1, receive(port, &m, 0) == MACH_MSG_SUCCESS && m.plain.head.msgh_id == RPC_REQUEST_ID, "call %u", i);
        if (late && i + 1 == n)
            usleep(300 * 1000); /* the client stops itself right after sending: not before that */
        if (worker == MACH_PORT_NULL)
            worker = peer_service(peer_suffixed(name, "worker"), false);
        mach_msg_return_t mr;
        if (i % 2 == 0) {
            struct fwd_msg f = {0};
            f.head.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0) | MACH_MSGH_BITS_COMPLEX;
            f.head.msgh_size = sizeof f;
            f.head.msgh_remote_port = worker;
            f.head.msgh_id = FWD_ID;
            f.body.msgh_descriptor_count = 1;
            f.right = (mach_msg_port_descriptor_t){.name = m.plain.head.msgh_remote_port,
                                                   .disposition = MACH_MSG_TYPE_MOVE_SEND_ONCE,
                                                   .type = MACH_MSG_PORT_DESCRIPTOR};
            f.seq = m.plain.seq;
            memcpy(f.fill, m.plain.fill, sizeof f.fill);
            mr = mach_msg(&f.head, MACH_SEND_MSG, sizeof f, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL);
        } else {
            struct plain_msg f = m.plain;
            f.head.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MOVE_SEND_ONCE);
            f.head.msgh_local_port = m.plain.head.msgh_remote_port;
            f.head.msgh_remote_port = worker;
            f.head.msgh_size = sizeof f;
            f.head.msgh_id = FWD_ID;
            mr = mach_msg(&f.head, MACH_SEND_MSG, sizeof f, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL);
        }
        CHECK(2, mr == MACH_MSG_SUCCESS, "forwarding reply right %u: %#x", i, mr);
    }
    struct transport_machd_stats st;
    transport_machd_stats_get(&st);
    if (relay_only())
        CHECK(3, st.direct_claims == 0, "%lu claims through the relay", st.direct_claims);
    else
        CHECK(3, n < 2 || st.direct_claims > 0, "no reply right was claimed");
    return check_path(4, false);
}

/* The worker: n forwarded reply rights. `last`: what to do with the n-th: 'a' answer it, 'd' die
 * holding it, 'x' it may be dead (on a channel it must be: the client did not grant in time or
 * died; through the relay it is live and answered, the answer may find the client gone). */
static int forward_worker(const char *name, uint32_t n, char last) {
    mach_port_t port = peer_service(peer_suffixed(name, "worker"), true);
    ready();
    for (uint32_t i = 0; i < n; i++) {
        union any_msg m;
        CHECK(1, receive(port, &m, 0) == MACH_MSG_SUCCESS && m.plain.head.msgh_id == FWD_ID, "forwarded %u", i);
        mach_port_t right;
        uint32_t seq;
        const uint8_t *fill;
        struct fwd_msg *f = (struct fwd_msg *)m.bytes;
        if (m.plain.head.msgh_bits & MACH_MSGH_BITS_COMPLEX) {
            CHECK(2, i % 2 == 0 && f->body.msgh_descriptor_count == 1 &&
                         (f->right.name == MACH_PORT_DEAD || f->right.disposition == MACH_MSG_TYPE_PORT_SEND_ONCE),
                  "forwarded %u: its descriptor", i);
            right = f->right.name;
            seq = f->seq;
            fill = f->fill;
        } else {
            CHECK(3, i % 2 == 1, "forwarded %u: plain", i);
            right = m.plain.head.msgh_remote_port;
            CHECK(4, right == MACH_PORT_NULL || MACH_MSGH_BITS_REMOTE(m.plain.head.msgh_bits) == MACH_MSG_TYPE_PORT_SEND_ONCE,
                  "forwarded %u: its reply right", i);
            seq = m.plain.seq;
            fill = m.plain.fill;
        }
        bool is_last = i + 1 == n;
        if (is_last && last == 'd')
            _exit(0); /* the send-once right dies with us */
        if (is_last && last == 'x') {
            bool dead = right == MACH_PORT_DEAD || right == MACH_PORT_NULL;
            if (!relay_only())
                CHECK(5, dead, "forwarded %u: the right of a client that never granted is live", i);
            if (!dead)
                (void)answer_on(right, seq, fill);
            continue;
        }
        CHECK(6, right != MACH_PORT_DEAD && right != MACH_PORT_NULL, "forwarded %u: the right is dead", i);
        mach_msg_return_t mr = answer_on(right, seq, fill);
        CHECK(7, mr == MACH_MSG_SUCCESS, "answer %u: %#x", i, mr);
    }
    return 0;
}

/* The answer to call `seq`, as answer() makes it. */
static bool is_answer_to(const union any_msg *r, uint32_t seq) {
    uint8_t fill[sizeof r->plain.fill];
    for (size_t k = 0; k < sizeof fill; k++)
        fill[k] = (uint8_t)(seq + k);
    return r->plain.head.msgh_id == RPC_REPLY_ID && r->plain.seq == seq + 1 &&
           r->plain.sum == checksum(seq + 1, fill, sizeof fill);
}

/* Nothing more comes to reply_port (each reply right yields one message). */
static bool nothing_more(mach_port_t reply_port) {
    union any_msg extra;
    return mach_msg(&extra.plain.head, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof extra, reply_port, 300,
                    MACH_PORT_NULL) == MACH_RCV_TIMED_OUT;
}

/* The client. `last`: 'a' every call answered (by the worker); 'n' the n-th gets the send-once
 * notification (the worker died with its right); 's' the n-th request is sent, then the client
 * stops itself (SIGSTOP) before its runtime can grant the claim: once continued it gets one
 * message, the notification on a channel (its late grant's right was destroyed), the answer
 * through the relay (there was nothing to claim). */
static int forward_client(const char *name, uint32_t n, char last) {
    mach_port_t port = peer_service(name, false), reply_port;
    CHECK(1, mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &reply_port) == KERN_SUCCESS, "allocate");
    ready();
    for (uint32_t i = 0; i < n; i++) {
        union any_msg r;
        bool is_last = i + 1 == n;
        if (is_last && last == 's') {
            union any_msg m;
            request_init(&m, port, reply_port, i);
            CHECK(2, mach_msg(&m.plain.head, MACH_SEND_MSG, sizeof m.plain, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL) ==
                         MACH_MSG_SUCCESS,
                  "call %u", i);
            raise(SIGSTOP);
            CHECK(3, receive(reply_port, &r, 0) == MACH_MSG_SUCCESS, "after the stop");
            if (relay_only())
                CHECK(4, is_answer_to(&r, i), "the answer to %u after the stop (id %d)", i, r.plain.head.msgh_id);
            else
                CHECK(4, r.plain.head.msgh_id == MACH_NOTIFY_SEND_ONCE, "the notification (id %d)", r.plain.head.msgh_id);
            break;
        }
        mach_msg_return_t mr = call(port, reply_port, i, &r);
        CHECK(5, mr == MACH_MSG_SUCCESS, "call %u: %#x", i, mr);
        if (is_last && last == 'n')
            CHECK(6, r.plain.head.msgh_id == MACH_NOTIFY_SEND_ONCE, "call %u: the notification (id %d)", i,
                  r.plain.head.msgh_id);
        else
            CHECK(7, is_answer_to(&r, i), "call %u: the answer (id %d, seq %u)", i, r.plain.head.msgh_id, r.plain.seq);
    }
    CHECK(8, nothing_more(reply_port), "a message more than one per call");
    struct transport_machd_stats st;
    transport_machd_stats_get(&st);
    if (relay_only())
        CHECK(9, st.direct_grants == 0, "%lu grants through the relay", st.direct_grants);
    else
        CHECK(9, n < 2 || st.direct_grants > 0, "no token was granted");
    return check_path(10, true);
}

static int rpc_orphan(const char *name) {
    mach_port_t port = peer_service(name, false);
    mach_port_t reply_port;
    CHECK(1, mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &reply_port) == KERN_SUCCESS, "allocate");
    ready();
    union any_msg r;
    /* A first call warms the route up (the second message to a port asks for one); the server
     * answers it, then dies with the next request. */
    CHECK(2, call(port, reply_port, 0, &r) == MACH_MSG_SUCCESS, "first call");
    mach_msg_return_t mr = call(port, reply_port, 1, &r);
    CHECK(3, mr == MACH_MSG_SUCCESS, "second call: %#x (a hang would be MACH_RCV_TIMED_OUT)", mr);
    CHECK(4, r.plain.head.msgh_id == MACH_NOTIFY_SEND_ONCE, "the answer of a dead server: id %d",
          r.plain.head.msgh_id);
    return check_path(5, true);
}

/* The receiver makes a port and gives the sender the only send right to it, through the
 * sender's service port (a checked-in service's port has a send right in machd's name table:
 * it would never see no-senders). */
static int nosend_recv(const char *name, uint32_t n) {
    mach_port_t service_port = peer_service(name, false), port, previous = MACH_PORT_NULL;
    CHECK(1, mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &port) == KERN_SUCCESS, "allocate");
    CHECK(1, mach_port_request_notification(mach_task_self(), port, MACH_NOTIFY_NO_SENDERS, 1, port,
                                            MACH_MSG_TYPE_MAKE_SEND_ONCE, &previous) == KERN_SUCCESS,
          "no-senders request");
    struct port_msg give = {0};
    give.head.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0) | MACH_MSGH_BITS_COMPLEX;
    give.head.msgh_size = sizeof give;
    give.head.msgh_remote_port = service_port;
    give.body.msgh_descriptor_count = 1;
    give.port = (mach_msg_port_descriptor_t){.name = port, .disposition = MACH_MSG_TYPE_MAKE_SEND,
                                             .type = MACH_MSG_PORT_DESCRIPTOR};
    CHECK(1, mach_msg(&give.head, MACH_SEND_MSG, sizeof give, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL) == MACH_MSG_SUCCESS,
          "give the send right");
    ready();
    for (uint32_t i = 0; i < n; i++) {
        union any_msg m;
        mach_msg_return_t mr = receive(port, &m, 0);
        CHECK(2, mr == MACH_MSG_SUCCESS, "receive %u: %#x", i, mr);
        CHECK(3, m.plain.head.msgh_id == (mach_msg_id_t)i, "message %u arrived as id %d (before it: %s)", i,
              m.plain.head.msgh_id,
              m.plain.head.msgh_id == MACH_NOTIFY_NO_SENDERS ? "the no-senders notification" : "another");
    }
    union any_msg m;
    CHECK(4, receive(port, &m, 0) == MACH_MSG_SUCCESS && m.plain.head.msgh_id == MACH_NOTIFY_NO_SENDERS,
          "the no-senders notification after the messages");
    return check_path(5, false);
}

static int nosend_send(const char *name, uint32_t n) {
    mach_port_t service_port = peer_service(name, true);
    ready();
    union any_msg got;
    CHECK(1, receive(service_port, &got, 0) == MACH_MSG_SUCCESS && got.port.port.name != MACH_PORT_NULL,
          "the receiver's send right");
    mach_port_t port = got.port.port.name;
    for (uint32_t i = 0; i < n; i++) {
        struct plain_msg m = {0};
        m.head.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
        m.head.msgh_size = sizeof m;
        m.head.msgh_remote_port = port;
        m.head.msgh_id = (mach_msg_id_t)i;
        CHECK(2, mach_msg(&m.head, MACH_SEND_MSG, sizeof m, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL) == MACH_MSG_SUCCESS,
              "send %u", i);
    }
    int rc = check_path(3, true);
    CHECK(4, mach_port_deallocate(mach_task_self(), port) == KERN_SUCCESS, "deallocate");
    sleep(1); /* stay alive: the notification must come from the deallocation, not our death */
    return rc;
}

static int audit_recv(const char *name) {
    mach_port_t port = peer_service(name, true);
    ready();
    for (int i = 0; i < 2; i++) {
        struct {
            struct plain_msg m;
            mach_msg_audit_trailer_t trailer;
        } r;
        mach_msg_return_t mr =
            mach_msg(&r.m.head,
                     MACH_RCV_MSG | MACH_RCV_TIMEOUT | MACH_RCV_TRAILER_TYPE(MACH_MSG_TRAILER_FORMAT_0) |
                         MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_AUDIT),
                     0, sizeof r, port, TIMEOUT_MS, MACH_PORT_NULL);
        CHECK(1, mr == MACH_MSG_SUCCESS, "receive %d: %#x", i, mr);
        CHECK(2, r.trailer.msgh_audit.val[5] == r.m.seq, "message %d: audit pid %u, sender says %u", i,
              r.trailer.msgh_audit.val[5], r.m.seq);
        CHECK(3, r.trailer.msgh_audit.val[1] == getuid(), "message %d: audit uid %u", i, r.trailer.msgh_audit.val[1]);
    }
    return check_path(4, false);
}

static int audit_send(const char *name) {
    mach_port_t port = peer_service(name, false);
    ready();
    for (int i = 0; i < 2; i++) {
        struct plain_msg m = {0};
        m.head.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
        m.head.msgh_size = sizeof m;
        m.head.msgh_remote_port = port;
        m.seq = (uint32_t)getpid();
        CHECK(1, mach_msg(&m.head, MACH_SEND_MSG, sizeof m, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL) == MACH_MSG_SUCCESS,
              "send %d", i);
    }
    return check_path(2, true);
}

/* Several senders against a queue limit of 1: most of them wait for room most of the time. The
 * receiver takes the messages slowly (so the queue stays full), checks each sender's come in
 * order, and that it woke waiting senders about once per message taken, not every waiter each
 * time (docs/machd.md 9.3, "Queue limits"). */
static int crowd_recv(const char *name, uint32_t n) {
    mach_port_t port = peer_service(name, true);
    mach_port_limits_t limits = {.mpl_qlimit = 1};
    CHECK(1, mach_port_set_attributes(mach_task_self(), port, MACH_PORT_LIMITS_INFO, (mach_port_info_t)&limits,
                                      MACH_PORT_LIMITS_INFO_COUNT) == KERN_SUCCESS,
          "queue limit");
    ready();
    enum { SENDERS = 16 };
    uint32_t pids[SENDERS] = {0}, next[SENDERS] = {0};
    for (uint32_t i = 0; i < n; i++) {
        union any_msg m;
        mach_msg_return_t mr = receive(port, &m, 0);
        CHECK(2, mr == MACH_MSG_SUCCESS, "receive %u: %#x", i, mr);
        CHECK(3, m.plain.sum == checksum(m.plain.seq, m.plain.fill, sizeof m.plain.fill), "message %u: body", i);
        uint32_t pid = (uint32_t)m.plain.head.msgh_id, k = 0;
        while (k < SENDERS && pids[k] != pid && pids[k] != 0)
            k++;
        CHECK(4, k < SENDERS, "more than %d senders", SENDERS);
        pids[k] = pid;
        CHECK(5, m.plain.seq == next[k], "sender %u: message %u arrived as number %u", pid, next[k], m.plain.seq);
        next[k]++;
        for (volatile int spin = 0; spin < 20000; spin++) /* a slow receiver: the queue stays full */
            ;
    }
    struct transport_machd_stats st;
    transport_machd_stats_get(&st);
    fprintf(stderr, "%s: %u messages, %lu wake-up calls to waiting senders\n", mode, n, st.credit_wakes);
    if (relay_only())
        CHECK(6, st.credit_wakes == 0, "%lu credit wake-ups with MACHD_DIRECT=0", st.credit_wakes);
    else
        CHECK(6, st.credit_wakes <= n + n / 4, "%lu wake-up calls for %u messages taken", st.credit_wakes, n);
    return check_path(7, false);
}

static int crowd_send(const char *name, uint32_t n) {
    mach_port_t port = peer_service(name, false);
    ready();
    for (uint32_t i = 0; i < n; i++) {
        struct plain_msg m = {0};
        m.head.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
        m.head.msgh_size = sizeof m;
        m.head.msgh_remote_port = port;
        m.head.msgh_id = (mach_msg_id_t)getpid();
        m.seq = i;
        for (size_t k = 0; k < sizeof m.fill; k++)
            m.fill[k] = (uint8_t)(i * 7 + k);
        m.sum = checksum(i, m.fill, sizeof m.fill);
        mach_msg_return_t mr =
            mach_msg(&m.head, MACH_SEND_MSG | MACH_SEND_TIMEOUT, sizeof m, 0, MACH_PORT_NULL, TIMEOUT_MS, MACH_PORT_NULL);
        CHECK(1, mr == MACH_MSG_SUCCESS, "send %u: %#x", i, mr);
    }
    struct transport_machd_stats st;
    transport_machd_stats_get(&st);
    fprintf(stderr, "%s: %u messages, waited for credit %lu times\n", mode, n, st.credit_waits);
    return 0; /* no path check: machd gives no route while senders wait on the port's queue, so a
                 sender may relay everything here; the receiver checks that channels were used */
}

int main(int argc, char **argv) {
    if (argc < 3)
        return 64;
    mode = argv[1];
    const char *name = argv[2];
    uint32_t n = argc > 3 ? (uint32_t)strtoul(argv[3], NULL, 10) : 0;
    if (!strcmp(mode, "order_recv"))
        return order_recv(name, n);
    if (!strcmp(mode, "order_send"))
        return order_send(name, n);
    if (!strcmp(mode, "rpc_server"))
        return rpc_server(name, n, UINT32_MAX);
    if (!strcmp(mode, "rpc_client"))
        return rpc_client(name, n);
    if (!strcmp(mode, "rpc_die"))
        return rpc_server(name, 2, 1);
    if (!strcmp(mode, "rpc_orphan"))
        return rpc_orphan(name);
    if (!strcmp(mode, "nosend_recv"))
        return nosend_recv(name, n);
    if (!strcmp(mode, "nosend_send"))
        return nosend_send(name, n);
    if (!strcmp(mode, "audit_recv"))
        return audit_recv(name);
    if (!strcmp(mode, "audit_send"))
        return audit_send(name);
    if (!strcmp(mode, "lastright_recv"))
        return lastright_recv(name, n);
    if (!strcmp(mode, "lastright_send"))
        return lastright_send(name, n);
    if (!strcmp(mode, "forward_server"))
        return forward_server(name, n, false);
    if (!strcmp(mode, "forward_server_late"))
        return forward_server(name, n, true);
    if (!strcmp(mode, "forward_worker"))
        return forward_worker(name, n, 'a');
    if (!strcmp(mode, "forward_worker_die"))
        return forward_worker(name, n, 'd');
    if (!strcmp(mode, "forward_worker_late"))
        return forward_worker(name, n, 'x');
    if (!strcmp(mode, "forward_client"))
        return forward_client(name, n, 'a');
    if (!strcmp(mode, "forward_orphan"))
        return forward_client(name, n, 'n');
    if (!strcmp(mode, "forward_stop"))
        return forward_client(name, n, 's');
    if (!strcmp(mode, "pool_server"))
        return pool_server(name, n);
    if (!strcmp(mode, "crowd_recv"))
        return crowd_recv(name, n);
    if (!strcmp(mode, "crowd_send"))
        return crowd_send(name, n);
    return 64;
}
