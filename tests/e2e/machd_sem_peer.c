/* A libmach task for the Mach-semantics tests across processes (machd_sem_test.c): queue limits
 * with blocking senders, bootstrap calls through machd, port sets, MACH_RCV_LARGE, sequence
 * numbers and notifications. Prints "ready" once set up; exits 0 when every check passed, else
 * the number of the step that failed (stderr says why). Modes are listed in main. */
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mach/mach.h>
#include <mach/notify.h>
#include <servers/bootstrap.h>

#include "services/bootstrap_client.h"
#include "transport/transport_machd.h"

#define PEER_NAME "machd_sem_peer"
#include "peer_check.h"


static void pause_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* A bootstrap call that must succeed (the process exits otherwise). */
static mach_port_t bootstrap_or_exit(kern_return_t (*call)(mach_port_t, const char *, mach_port_t *),
                                     const char *what, const char *name) {
    mach_port_t port = MACH_PORT_NULL;
    kern_return_t kr = call(bootstrap_port, name, &port);
    if (kr != KERN_SUCCESS) {
        fprintf(stderr, "machd_sem_peer %s: %s %s: %#x\n", mode, what, name, kr);
        exit(90);
    }
    return port;
}

static mach_port_t check_in(const char *name) { return bootstrap_or_exit(bootstrap_check_in, "check-in", name); }

static mach_port_t look_up(const char *name) { return bootstrap_or_exit(bootstrap_look_up, "look-up", name); }

static mach_port_t new_port(mach_port_msgcount_t qlimit) {
    mach_port_t port;
    if (mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &port) != KERN_SUCCESS)
        exit(92);
    mach_port_limits_t lim = {qlimit};
    if (mach_port_set_attributes(mach_task_self(), port, MACH_PORT_LIMITS_INFO, (mach_port_info_t)&lim,
                                 MACH_PORT_LIMITS_INFO_COUNT) != KERN_SUCCESS)
        exit(93);
    return port;
}

static void set_qlimit(mach_port_t port, mach_port_msgcount_t qlimit) {
    mach_port_limits_t lim = {qlimit};
    if (mach_port_set_attributes(mach_task_self(), port, MACH_PORT_LIMITS_INFO, (mach_port_info_t)&lim,
                                 MACH_PORT_LIMITS_INFO_COUNT) != KERN_SUCCESS)
        exit(93);
}

static mach_port_msgcount_t queued(mach_port_t port) {
    mach_port_status_t st;
    mach_msg_type_number_t count = MACH_PORT_RECEIVE_STATUS_COUNT;
    if (mach_port_get_attributes(mach_task_self(), port, MACH_PORT_RECEIVE_STATUS, (mach_port_info_t)&st,
                                 &count) != KERN_SUCCESS)
        exit(94);
    return st.mps_msgcount;
}

struct small_msg {
    mach_msg_header_t head;
    char text[16];
};

struct rcv_buf {
    struct small_msg m;
    mach_msg_max_trailer_t trailer;
};

/* A simple message (id) to dest with remote disposition disp and an optional reply right. */
static mach_msg_return_t send_msg(struct small_msg *m, mach_port_t dest, mach_msg_type_name_t disp,
                                  mach_port_t reply, mach_msg_type_name_t reply_disp, mach_msg_id_t id,
                                  mach_msg_option_t option, mach_msg_timeout_t timeout) {
    memset(m, 0, sizeof *m);
    m->head.msgh_bits = MACH_MSGH_BITS(disp, reply ? reply_disp : 0);
    m->head.msgh_remote_port = dest;
    m->head.msgh_local_port = reply;
    m->head.msgh_id = id;
    m->head.msgh_size = sizeof *m;
    snprintf(m->text, sizeof m->text, "msg %d", (int)id);
    return mach_msg(&m->head, MACH_SEND_MSG | option, sizeof *m, 0, MACH_PORT_NULL, timeout, MACH_PORT_NULL);
}

static mach_msg_return_t send_id(mach_port_t dest, mach_msg_id_t id, mach_msg_option_t option,
                                 mach_msg_timeout_t timeout) {
    struct small_msg m;
    return send_msg(&m, dest, MACH_MSG_TYPE_COPY_SEND, MACH_PORT_NULL, 0, id, option, timeout);
}

/* Receives one message (30 s at most) with the sequence-number trailer; returns its id or -1. */
static mach_msg_id_t receive_id(mach_port_t port, struct rcv_buf *b) {
    memset(b, 0, sizeof *b);
    mach_msg_return_t mr = mach_msg(&b->m.head,
                                    MACH_RCV_MSG | MACH_RCV_TIMEOUT |
                                        MACH_RCV_TRAILER_TYPE(MACH_MSG_TRAILER_FORMAT_0) |
                                        MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_SEQNO),
                                    0, sizeof *b, port, 30000, MACH_PORT_NULL);
    if (mr != MACH_MSG_SUCCESS) {
        fprintf(stderr, "machd_sem_peer %s: receive: %#x\n", mode, mr);
        return -1;
    }
    return b->m.head.msgh_id;
}

static mach_msg_id_t receive_one(mach_port_t port) {
    struct rcv_buf b;
    return receive_id(port, &b);
}

/* ---- queue limits ---- */

/* qrecv NAME: NAME (queue limit 2) and NAME.ctl; takes one message from NAME each time the
 * sender asks on NAME.ctl, after checking that the sender did not get past the limit. */
static int qrecv(const char *name) {
    mach_port_t svc = check_in(name), ctl = check_in(peer_suffixed(name, "ctl"));
    set_qlimit(svc, 2);
    ready();
    for (mach_msg_id_t step = 10; step <= 11; step++) {
        CHECK(step, receive_one(ctl) == step, "control message %d", (int)step);
        pause_ms(300); /* a sender that did not block would have got its message in by now */
        CHECK(step, queued(svc) == 2, "%u messages queued with a limit of 2", queued(svc));
        CHECK(step, receive_one(svc) == step - 9, "message %d", (int)(step - 9));
    }
    /* The reply path: a send-once reply to a full queue is never held back. */
    struct rcv_buf req;
    CHECK(12, receive_id(ctl, &req) == 12, "request 12");
    struct small_msg reply;
    mach_msg_return_t mr = send_msg(&reply, req.m.head.msgh_remote_port, MACH_MSG_TYPE_MOVE_SEND_ONCE,
                                    MACH_PORT_NULL, 0, 112, MACH_SEND_TIMEOUT, 0);
    CHECK(12, mr == MACH_MSG_SUCCESS, "send-once reply to a full queue: %#x", mr);
    CHECK(13, receive_one(svc) == 3 && receive_one(svc) == 4, "messages 3 and 4 in order");
    CHECK(14, queued(svc) == 0, "messages past the limit were queued");
    return 0;
}

/* qsend NAME: fills NAME (limit 2), checks timeouts, then blocks until qrecv makes room. */
static int qsend(const char *name) {
    mach_port_t svc = look_up(name), ctl = look_up(peer_suffixed(name, "ctl"));
    ready();
    CHECK(1, send_id(svc, 1, MACH_SEND_TIMEOUT, 0) == MACH_MSG_SUCCESS, "message 1");
    CHECK(2, send_id(svc, 2, MACH_SEND_TIMEOUT, 0) == MACH_MSG_SUCCESS, "message 2");
    /* Full: timeout 0 returns at once, and the message comes back to the sender. */
    struct small_msg m;
    mach_msg_return_t mr = send_msg(&m, svc, MACH_MSG_TYPE_COPY_SEND, MACH_PORT_NULL, 0, 90, MACH_SEND_TIMEOUT, 0);
    CHECK(3, mr == MACH_SEND_TIMED_OUT, "timeout 0 on a full queue: %#x", mr);
    CHECK(3, m.head.msgh_remote_port == svc && m.head.msgh_id == 90 && strcmp(m.text, "msg 90") == 0,
          "the message given back");
    mr = send_id(svc, 91, MACH_SEND_TIMEOUT, 200);
    CHECK(4, mr == MACH_SEND_TIMED_OUT, "timeout 200 ms on a full queue: %#x", mr);
    /* Blocks until the receiver takes message 1 (with a timeout), then 2 (without). */
    CHECK(5, send_id(ctl, 10, 0, 0) == MACH_MSG_SUCCESS, "control 10");
    mr = send_id(svc, 3, MACH_SEND_TIMEOUT, 30000);
    CHECK(5, mr == MACH_MSG_SUCCESS, "blocked send with a timeout: %#x", mr);
    CHECK(6, send_id(ctl, 11, 0, 0) == MACH_MSG_SUCCESS, "control 11");
    mr = send_id(svc, 4, 0, 0);
    CHECK(6, mr == MACH_MSG_SUCCESS, "blocked send without a timeout: %#x", mr);
    /* Our reply port is full (limit 1, one local message): the reply still gets in. */
    mach_port_t rp = new_port(1);
    CHECK(7, send_msg(&m, rp, MACH_MSG_TYPE_MAKE_SEND, MACH_PORT_NULL, 0, 50, 0, 0) == MACH_MSG_SUCCESS, "fill");
    CHECK(7, send_msg(&m, ctl, MACH_MSG_TYPE_COPY_SEND, rp, MACH_MSG_TYPE_MAKE_SEND_ONCE, 12, 0, 0) == 0, "request");
    CHECK(8, receive_one(rp) == 50 && receive_one(rp) == 112, "local message then the reply");
    return 0;
}

/* qhold NAME: NAME with a limit of 1; takes one message when NAME.ctl says so, then expects
 * message 3 (from qafter) as the next one. */
static int qhold(const char *name) {
    mach_port_t svc = check_in(name), ctl = check_in(peer_suffixed(name, "ctl"));
    set_qlimit(svc, 1);
    ready();
    CHECK(1, receive_one(ctl) == 20, "control 20");
    CHECK(2, receive_one(svc) == 1, "message 1");
    mach_msg_id_t id = receive_one(svc);
    CHECK(3, id == 3, "message 3 after the blocked sender died (got %d)", (int)id);
    return 0;
}

/* qblock NAME: fills NAME, then blocks in a send with no timeout (the test kills us). */
static int qblock(const char *name) {
    mach_port_t svc = look_up(name);
    CHECK(1, send_id(svc, 1, MACH_SEND_TIMEOUT, 0) == MACH_MSG_SUCCESS, "message 1");
    ready();
    mach_msg_return_t mr = send_id(svc, 2, 0, 0);
    return peer_failed(2, "a send to a full queue returned %#x", mr);
}

/* qafter NAME: asks qhold for room, then sends message 3 (the dead sender must not take it). */
static int qafter(const char *name) {
    mach_port_t svc = look_up(name), ctl = look_up(peer_suffixed(name, "ctl"));
    ready();
    CHECK(1, send_id(ctl, 20, 0, 0) == MACH_MSG_SUCCESS, "control 20");
    mach_msg_return_t mr = send_id(svc, 3, MACH_SEND_TIMEOUT, 20000);
    CHECK(2, mr == MACH_MSG_SUCCESS, "send after the blocked sender died: %#x", mr);
    return 0;
}

/* ---- bootstrap through machd ---- */

static mach_port_t port_with_send_right(void) {
    mach_port_t port = new_port(MACH_PORT_QLIMIT_DEFAULT);
    if (mach_port_insert_right(mach_task_self(), port, port, MACH_MSG_TYPE_MAKE_SEND) != KERN_SUCCESS)
        exit(95);
    return port;
}

static kern_return_t destroy_receive_right(mach_port_t port) {
    return mach_port_mod_refs(mach_task_self(), port, MACH_PORT_RIGHT_RECEIVE, -1);
}

/* boot NAME: register, unregister, and names released when their receive right dies. */
static int boot(const char *name) {
    const char *reg = peer_suffixed(name, "reg"), *ci_name = peer_suffixed(name, "ci"), *reg2 = peer_suffixed(name, "reg2");
    mach_port_t port = port_with_send_right(), other = port_with_send_right();
    ready();
    kern_return_t kr = bootstrap_register(bootstrap_port, reg, port);
    CHECK(1, kr == KERN_SUCCESS, "register: %#x", kr);
    CHECK(1, look_up_status(reg) == KERN_SUCCESS, "look-up of a registered name");
    kr = bootstrap_register(bootstrap_port, reg, other);
    CHECK(2, kr == BOOTSTRAP_SERVICE_ACTIVE, "register of a bound name: %#x", kr);
    kr = bootstrap_register(bootstrap_port, reg, MACH_PORT_NULL);
    CHECK(3, kr == KERN_SUCCESS, "unregister: %#x", kr);
    CHECK(3, look_up_status(reg) == BOOTSTRAP_UNKNOWN_SERVICE, "look-up after unregister");
    kr = bootstrap_register(bootstrap_port, reg, MACH_PORT_NULL);
    CHECK(4, kr == BOOTSTRAP_UNKNOWN_SERVICE, "unregister of an unknown name: %#x", kr);
    kr = bootstrap_register(bootstrap_port, reg, other);
    CHECK(4, kr == KERN_SUCCESS, "register again after unregister: %#x", kr);
    mach_port_t ci = check_in(ci_name);
    kr = bootstrap_register(bootstrap_port, ci_name, MACH_PORT_NULL);
    CHECK(5, kr == BOOTSTRAP_NOT_PRIVILEGED, "unregister of a checked-in name: %#x", kr);
    /* A name is released when its receive right dies. */
    CHECK(6, destroy_receive_right(ci) == KERN_SUCCESS, "destroy");
    kr = look_up_status(ci_name);
    CHECK(6, kr == BOOTSTRAP_UNKNOWN_SERVICE, "look-up after the checked-in right died: %#x", kr);
    mach_port_t again = MACH_PORT_NULL;
    kr = bootstrap_check_in(bootstrap_port, ci_name, &again);
    CHECK(6, kr == KERN_SUCCESS, "check-in of a released name: %#x", kr);
    CHECK(7, bootstrap_register(bootstrap_port, reg2, port) == KERN_SUCCESS, "register 2");
    CHECK(7, destroy_receive_right(port) == KERN_SUCCESS, "destroy 2");
    kr = look_up_status(reg2);
    CHECK(7, kr == BOOTSTRAP_UNKNOWN_SERVICE, "look-up after the registered port died: %#x", kr);
    return 0;
}

/* ---- port sets, MACH_RCV_LARGE, sequence numbers ---- */

#define BIG_TEXT 2000

struct big_msg {
    mach_msg_header_t head;
    char text[BIG_TEXT];
};

static void fill_big(struct big_msg *m, mach_msg_id_t id) {
    for (size_t i = 0; i < sizeof m->text; i++)
        m->text[i] = (char)('a' + (i * 7 + (size_t)id) % 26);
}

static mach_port_seqno_t seqno_of(const struct rcv_buf *b) {
    const mach_msg_seqno_trailer_t *t =
        (const void *)((const uint8_t *)&b->m.head + ((b->m.head.msgh_size + 3) & ~3u));
    return t->msgh_seqno;
}

/* pset NAME: a port set holding a local port and NAME.a, NAME.b (fed by another process);
 * then MACH_RCV_LARGE on NAME.c with a relayed message too large for the first buffer. */
static int pset(const char *name) {
    mach_port_t task = mach_task_self();
    mach_port_t a = check_in(peer_suffixed(name, "a")), b = check_in(peer_suffixed(name, "b"));
    mach_port_t c = check_in(peer_suffixed(name, "c")), local = port_with_send_right(), set;
    CHECK(1, mach_port_allocate(task, MACH_PORT_RIGHT_PORT_SET, &set) == KERN_SUCCESS, "set");
    CHECK(1, mach_port_move_member(task, local, set) == KERN_SUCCESS &&
                 mach_port_move_member(task, a, set) == KERN_SUCCESS &&
                 mach_port_move_member(task, b, set) == KERN_SUCCESS, "members");
    CHECK(1, send_id(local, 300, 0, 0) == MACH_MSG_SUCCESS, "local message");
    ready();
    /* Every message once, on the member it was sent to, with per-port sequence numbers. */
    static const struct {
        mach_msg_id_t id;
        int port; /* 0 local, 1 a, 2 b */
        mach_port_seqno_t seqno;
    } want[] = {{300, 0, 0}, {301, 1, 0}, {302, 2, 0}, {303, 1, 1}, {304, 2, 1}};
    bool seen[5] = {false};
    for (int n = 0; n < 5; n++) {
        struct rcv_buf r;
        mach_msg_id_t id = receive_id(set, &r);
        int k = (int)id - 300;
        CHECK(2, k >= 0 && k < 5 && !seen[k], "message %d from the set", (int)id);
        seen[k] = true;
        mach_port_t member = want[k].port == 0 ? local : want[k].port == 1 ? a : b;
        CHECK(3, r.m.head.msgh_local_port == member, "message %d on the wrong member", (int)id);
        CHECK(4, seqno_of(&r) == want[k].seqno, "message %d: seqno %u, want %u", (int)id,
              (unsigned)seqno_of(&r), (unsigned)want[k].seqno);
    }
    /* MACH_RCV_LARGE: too large, the message stays queued and the header says how much. */
    union {
        struct big_msg m;
        uint8_t bytes[sizeof(struct big_msg) + sizeof(mach_msg_max_trailer_t)];
    } big;
    memset(&big, 0, sizeof big);
    mach_msg_return_t mr = mach_msg(&big.m.head, MACH_RCV_MSG | MACH_RCV_LARGE | MACH_RCV_TIMEOUT, 0,
                                    sizeof(mach_msg_header_t) + 16, c, 30000, MACH_PORT_NULL);
    CHECK(5, mr == MACH_RCV_TOO_LARGE, "small receive with MACH_RCV_LARGE: %#x", mr);
    CHECK(5, big.m.head.msgh_size >= sizeof(struct big_msg), "needed size %u", big.m.head.msgh_size);
    mr = mach_msg(&big.m.head, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof big, c, 30000, MACH_PORT_NULL);
    struct big_msg expect;
    fill_big(&expect, 310);
    CHECK(6, mr == MACH_MSG_SUCCESS && big.m.head.msgh_id == 310 &&
                 memcmp(big.m.text, expect.text, sizeof expect.text) == 0, "second receive: %#x", mr);
    /* Without MACH_RCV_LARGE the message is destroyed; the next one is 312. */
    mr = mach_msg(&big.m.head, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(mach_msg_header_t) + 16, c, 30000,
                  MACH_PORT_NULL);
    CHECK(7, mr == MACH_RCV_TOO_LARGE, "small receive without MACH_RCV_LARGE: %#x", mr);
    CHECK(7, receive_one(c) == 312, "the too-large message was dropped");
    return 0;
}

/* feed NAME: messages for pset: 301 a, 302 b, 303 a, 304 b, then 310, 311 (large) and 312 to c. */
static int feed(const char *name) {
    mach_port_t a = look_up(peer_suffixed(name, "a")), b = look_up(peer_suffixed(name, "b"));
    mach_port_t c = look_up(peer_suffixed(name, "c"));
    ready();
    const mach_port_t order[] = {a, b, a, b};
    for (int i = 0; i < 4; i++)
        CHECK(1, send_id(order[i], 301 + i, 0, 0) == MACH_MSG_SUCCESS, "message %d", 301 + i);
    for (mach_msg_id_t id = 310; id <= 311; id++) {
        struct big_msg m;
        memset(&m, 0, sizeof m);
        m.head.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
        m.head.msgh_remote_port = c;
        m.head.msgh_id = id;
        m.head.msgh_size = sizeof m;
        fill_big(&m, id);
        CHECK(2, mach_msg(&m.head, MACH_SEND_MSG, sizeof m, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL) == 0, "big");
    }
    CHECK(3, send_id(c, 312, 0, 0) == MACH_MSG_SUCCESS, "message 312");
    return 0;
}

/* ---- notifications ---- */

/* owner NAME: checks in NAME.svc, takes one message, destroys the receive right, stays alive. */
static int owner(const char *name) {
    mach_port_t svc = check_in(peer_suffixed(name, "svc"));
    ready();
    CHECK(1, receive_one(svc) == 1, "message 1");
    CHECK(2, destroy_receive_right(svc) == KERN_SUCCESS, "destroy");
    pause(); /* killed by the test */
    return 0;
}

static mach_msg_id_t receive_notification(mach_port_t port, mach_msg_timeout_t timeout, uint32_t *arg) {
    union {
        mach_no_senders_notification_t ns;
        mach_dead_name_notification_t dn;
        uint8_t bytes[256];
    } n;
    memset(&n, 0, sizeof n);
    mach_msg_return_t mr = mach_msg(&n.ns.not_header, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof n, port,
                                    timeout, MACH_PORT_NULL);
    if (mr != MACH_MSG_SUCCESS)
        return mr == MACH_RCV_TIMED_OUT ? 0 : -1;
    *arg = n.ns.not_header.msgh_id == MACH_NOTIFY_NO_SENDERS ? n.ns.not_count : n.dn.not_port;
    return n.ns.not_header.msgh_id;
}

/* dn NAME: a dead-name notification for a port whose receiver (another, live process) destroys
 * it; then sends fail and the name is gone from machd's bootstrap table. */
static int dn(const char *name) {
    mach_port_t task = mach_task_self(), svc = look_up(peer_suffixed(name, "svc")), notify = new_port(5), prev;
    kern_return_t kr = mach_port_request_notification(task, svc, MACH_NOTIFY_DEAD_NAME, 0, notify,
                                                      MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev);
    CHECK(1, kr == KERN_SUCCESS, "dead-name request: %#x", kr);
    ready();
    CHECK(2, send_id(svc, 1, 0, 0) == MACH_MSG_SUCCESS, "message 1");
    uint32_t arg = 0;
    mach_msg_id_t id = receive_notification(notify, 30000, &arg);
    CHECK(3, id == MACH_NOTIFY_DEAD_NAME && arg == svc, "dead-name notification: id %d name %#x", (int)id, arg);
    mach_msg_return_t mr = send_id(svc, 2, 0, 0);
    CHECK(4, mr == MACH_SEND_INVALID_DEST, "send to a dead name: %#x", mr);
    kr = look_up_status(peer_suffixed(name, "svc"));
    CHECK(5, kr == BOOTSTRAP_UNKNOWN_SERVICE, "look-up after the receive right died: %#x", kr);
    return 0;
}

struct port_msg {
    mach_msg_header_t head;
    mach_msg_body_t body;
    mach_msg_port_descriptor_t port;
};

struct port_rcv {
    struct port_msg m;
    mach_msg_max_trailer_t trailer;
};

/* Receives a message carrying one port descriptor (30 s at most). */
static mach_msg_return_t receive_port_msg(mach_port_t port, struct port_rcv *in) {
    memset(in, 0, sizeof *in);
    return mach_msg(&in->m.head, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof *in, port, 30000, MACH_PORT_NULL);
}

/* Sends message id to dest (remote disposition disp, optional reply right) carrying `right`
 * with disposition right_disp. */
static mach_msg_return_t send_port_msg(mach_port_t dest, mach_msg_type_name_t disp, mach_port_t reply,
                                       mach_msg_id_t id, mach_port_t right, mach_msg_type_name_t right_disp) {
    struct port_msg m;
    memset(&m, 0, sizeof m);
    m.head.msgh_bits = MACH_MSGH_BITS(disp, reply ? MACH_MSG_TYPE_MAKE_SEND_ONCE : 0) | MACH_MSGH_BITS_COMPLEX;
    m.head.msgh_remote_port = dest;
    m.head.msgh_local_port = reply;
    m.head.msgh_id = id;
    m.head.msgh_size = sizeof m;
    m.body.msgh_descriptor_count = 1;
    m.port = (mach_msg_port_descriptor_t){.name = right, .disposition = right_disp, .type = MACH_MSG_PORT_DESCRIPTOR};
    return mach_msg(&m.head, MACH_SEND_MSG, sizeof m, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL);
}

/* nsown NAME: checks in NAME.ns; takes a message carrying a send right and sends the right back
 * (moved) in the reply. */
static int nsown(const char *name) {
    mach_port_t svc = check_in(peer_suffixed(name, "ns"));
    ready();
    struct port_rcv in;
    mach_msg_return_t mr = receive_port_msg(svc, &in);
    CHECK(1, mr == MACH_MSG_SUCCESS && in.m.port.disposition == MACH_MSG_TYPE_PORT_SEND, "request: %#x", mr);
    mr = send_port_msg(in.m.head.msgh_remote_port, MACH_MSG_TYPE_MOVE_SEND_ONCE, MACH_PORT_NULL, 401,
                       in.m.port.name, MACH_MSG_TYPE_MOVE_SEND);
    CHECK(2, mr == MACH_MSG_SUCCESS, "reply: %#x", mr);
    return 0;
}

/* ns NAME: no-senders on a local port whose only send right goes to another process and comes
 * back: no notification while a right exists (here or in flight), exactly one, with make-send
 * count 1, when the last one dies. */
static int ns(const char *name) {
    mach_port_t task = mach_task_self(), svc = look_up(peer_suffixed(name, "ns"));
    mach_port_t port = new_port(5), notify = new_port(5), reply = new_port(5), prev;
    kern_return_t kr = mach_port_request_notification(task, port, MACH_NOTIFY_NO_SENDERS, 1, notify,
                                                      MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev);
    CHECK(1, kr == KERN_SUCCESS, "no-senders request: %#x", kr);
    ready();
    CHECK(2, send_port_msg(svc, MACH_MSG_TYPE_COPY_SEND, reply, 400, port, MACH_MSG_TYPE_MAKE_SEND) == 0, "request");
    struct port_rcv in;
    mach_msg_return_t mr = receive_port_msg(reply, &in);
    CHECK(3, mr == MACH_MSG_SUCCESS && in.m.head.msgh_id == 401 && in.m.port.name == port,
          "the send right back: %#x name %#x", mr, in.m.port.name);
    uint32_t count = 0;
    mach_msg_id_t id = receive_notification(notify, 300, &count);
    CHECK(4, id == 0, "notification %d while a send right exists", (int)id);
    CHECK(5, mach_port_deallocate(task, port) == KERN_SUCCESS, "deallocate");
    id = receive_notification(notify, 30000, &count);
    CHECK(6, id == MACH_NOTIFY_NO_SENDERS && count == 1, "no-senders: id %d mscount %u", (int)id, count);
    id = receive_notification(notify, 300, &count);
    CHECK(7, id == 0, "a second notification %d", (int)id);
    return 0;
}

/* ---- moving a receive right in the message that first exports it ---- */

/* mrecv NAME: receives a receive right (id 700) on NAME, then 701, 702 (queued before the move)
 * and 703 (sent after it with the sender's own send right) on it, in order. */
static int mrecv(const char *name) {
    mach_port_t svc = check_in(name);
    ready();
    struct port_rcv in;
    mach_msg_return_t mr = receive_port_msg(svc, &in);
    CHECK(1, mr == MACH_MSG_SUCCESS && in.m.head.msgh_id == 700 &&
                 in.m.port.disposition == MACH_MSG_TYPE_PORT_RECEIVE, "the receive right: %#x", mr);
    for (mach_msg_id_t want = 701; want <= 703; want++) {
        mach_msg_id_t id = receive_one(in.m.port.name);
        CHECK(2, id == want, "message %d, want %d", (int)id, (int)want);
    }
    return 0;
}

/* mmove NAME: a local port never seen by machd, with two messages queued and a send right kept
 * here, moves to NAME; the send right keeps working (it is not a dead name). */
static int mmove(const char *name) {
    mach_port_t task = mach_task_self(), dest = look_up(name), port = port_with_send_right();
    ready();
    CHECK(1, send_id(port, 701, 0, 0) == MACH_MSG_SUCCESS && send_id(port, 702, 0, 0) == MACH_MSG_SUCCESS,
          "queue 701, 702");
    CHECK(2, send_port_msg(dest, MACH_MSG_TYPE_COPY_SEND, MACH_PORT_NULL, 700, port, MACH_MSG_TYPE_MOVE_RECEIVE) == 0,
          "move");
    mach_port_type_t type = 0;
    CHECK(3, mach_port_type(task, port, &type) == KERN_SUCCESS && type == MACH_PORT_TYPE_SEND,
          "the name left here: type %#x", type);
    mach_msg_return_t mr = send_id(port, 703, 0, 0);
    CHECK(4, mr == MACH_MSG_SUCCESS, "send with the kept right: %#x", mr);
    return 0;
}

/* The receiver of a full queue destroys its receive right while a sender in another process
 * waits for room (qdie / qdiesend): as in XNU (ipc_kmsg_send), the waiting send succeeds and its
 * message is destroyed as if delivered, its reply right's send-once notification sent. */
static int qdie(const char *name) {
    mach_port_t port = check_in(name);
    set_qlimit(port, 1);
    ready();
    for (int i = 0; i < 3000 && queued(port) < 1; i++)
        pause_ms(10);
    CHECK(1, queued(port) == 1, "the first message did not come");
    pause_ms(300); /* the sender is blocked on its second message by now */
    CHECK(2, mach_port_mod_refs(mach_task_self(), port, MACH_PORT_RIGHT_RECEIVE, -1) == KERN_SUCCESS,
          "destroy the receive right");
    pause_ms(500);
    return 0;
}

static int qdiesend(const char *name) {
    mach_port_t dest = look_up(name), reply = new_port(5);
    ready();
    CHECK(1, send_id(dest, 801, 0, 0) == MACH_MSG_SUCCESS, "first message");
    struct small_msg m;
    mach_msg_return_t mr = send_msg(&m, dest, MACH_MSG_TYPE_COPY_SEND, reply, MACH_MSG_TYPE_MAKE_SEND_ONCE, 802,
                                    MACH_SEND_TIMEOUT, 20000);
    CHECK(2, mr == MACH_MSG_SUCCESS, "the blocked send: %#x", mr);
    CHECK(3, receive_one(reply) == MACH_NOTIFY_SEND_ONCE, "the reply right's send-once notification");
    return 0;
}

int main(int argc, char **argv) {
    bootstrap_client_use_machd();
    if (argc < 3) {
        fprintf(stderr, "usage: machd_sem_peer MODE NAME\n");
        return 2;
    }
    mode = argv[1];
    static const struct {
        const char *mode;
        int (*run)(const char *name);
    } modes[] = {
        {"qrecv", qrecv}, {"qsend", qsend}, {"qhold", qhold}, {"qblock", qblock}, {"qafter", qafter},
        {"boot", boot}, {"pset", pset}, {"feed", feed}, {"owner", owner}, {"dn", dn},
        {"nsown", nsown}, {"ns", ns}, {"mrecv", mrecv}, {"mmove", mmove}, {"qdie", qdie}, {"qdiesend", qdiesend},
    };
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++)
        if (strcmp(modes[i].mode, argv[1]) == 0)
            return modes[i].run(argv[2]);
    return 2;
}
