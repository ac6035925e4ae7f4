/* A libmach task for the notification tests across processes (machd_notify_test.c):
 * port-destroyed requests that follow a receive right, no-senders with make-send counts,
 * messages machd refuses after they were written, dead names. Prints "ready" once set up; exits
 * 0 when every check passed, else the number of the step that failed (stderr says why). Modes
 * are listed in main; NAME is the bootstrap name prefix, VARIANT selects a case. */
#include <signal.h>
#include <stdbool.h>
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

#define PEER_NAME "machd_notify_peer"
#include "peer_check.h"

static const char *variant = "";

static bool is(const char *v) { return strcmp(variant, v) == 0; }

/* The test drives machd and other peers while this task is stopped here. */
static void stop_here(void) { raise(SIGSTOP); }

static const char *named(const char *prefix, const char *suffix) {
    static char buf[4][128];
    static int next;
    char *out = buf[next++ % 4];
    snprintf(out, sizeof buf[0], "%s.%s", prefix, suffix);
    return out;
}

static mach_port_t bootstrap_or_exit(bool check_in, const char *name) {
    mach_port_t port = MACH_PORT_NULL;
    kern_return_t kr = check_in ? bootstrap_check_in(bootstrap_port, name, &port)
                                : bootstrap_look_up(bootstrap_port, name, &port);
    if (kr != KERN_SUCCESS) {
        fprintf(stderr, "machd_notify_peer %s: %s %s: %#x\n", mode, check_in ? "check-in" : "look-up", name, kr);
        exit(90);
    }
    return port;
}

static mach_port_t new_port(void) {
    mach_port_t port;
    if (mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &port) != KERN_SUCCESS)
        exit(92);
    return port;
}

static mach_port_t new_port_with_send_right(void) {
    mach_port_t port = new_port();
    if (mach_port_insert_right(mach_task_self(), port, port, MACH_MSG_TYPE_MAKE_SEND) != KERN_SUCCESS)
        exit(93);
    return port;
}

static mach_port_msgcount_t queued(mach_port_t port) {
    mach_port_status_t st;
    mach_msg_type_number_t count = MACH_PORT_RECEIVE_STATUS_COUNT;
    if (mach_port_get_attributes(mach_task_self(), port, MACH_PORT_RECEIVE_STATUS, (mach_port_info_t)&st,
                                 &count) != KERN_SUCCESS)
        exit(94);
    return st.mps_msgcount;
}

/* Waits (30 s at most) until `port` has `n` messages queued. */
static bool wait_queued(mach_port_t port, mach_port_msgcount_t n) {
    for (int i = 0; i < 3000 && queued(port) < n; i++) {
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
    return queued(port) == n;
}

static mach_port_type_t type_of(mach_port_t name) {
    mach_port_type_t type = 0;
    return mach_port_type(mach_task_self(), name, &type) == KERN_SUCCESS ? type : 0;
}

/* Every message here: a header, optionally one port descriptor, then a trailer on receive. */
struct port_msg {
    mach_msg_header_t head;
    mach_msg_body_t body;
    mach_msg_port_descriptor_t port;
};

struct rcv {
    struct port_msg m;
    mach_msg_max_trailer_t trailer;
};

/* Message id to dest (a send right, or a send-once right with MOVE_SEND_ONCE) with an optional
 * reply right and an optional port descriptor (right, right_disp). */
static mach_msg_return_t send_msg(mach_port_t dest, mach_msg_type_name_t disp, mach_port_t reply,
                                  mach_msg_type_name_t reply_disp, mach_msg_id_t id, mach_port_t right,
                                  mach_msg_type_name_t right_disp) {
    struct port_msg m;
    memset(&m, 0, sizeof m);
    m.head.msgh_bits = MACH_MSGH_BITS(disp, reply ? reply_disp : 0);
    m.head.msgh_remote_port = dest;
    m.head.msgh_local_port = reply;
    m.head.msgh_id = id;
    m.head.msgh_size = sizeof m.head;
    if (right_disp) {
        m.head.msgh_bits |= MACH_MSGH_BITS_COMPLEX;
        m.head.msgh_size = sizeof m;
        m.body.msgh_descriptor_count = 1;
        m.port = (mach_msg_port_descriptor_t){.name = right, .disposition = right_disp,
                                              .type = MACH_MSG_PORT_DESCRIPTOR};
    }
    return mach_msg(&m.head, MACH_SEND_MSG, m.head.msgh_size, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL);
}

static mach_msg_return_t send_id(mach_port_t dest, mach_msg_id_t id) {
    return send_msg(dest, MACH_MSG_TYPE_COPY_SEND, MACH_PORT_NULL, 0, id, MACH_PORT_NULL, 0);
}

/* Receives one message within timeout_ms; returns its id, 0 on timeout, -1 on error. */
static mach_msg_id_t receive(mach_port_t port, struct rcv *in, mach_msg_timeout_t timeout_ms) {
    memset(in, 0, sizeof *in);
    mach_msg_return_t mr = mach_msg(&in->m.head, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof *in, port,
                                    timeout_ms, MACH_PORT_NULL);
    if (mr == MACH_RCV_TIMED_OUT)
        return 0;
    if (mr != MACH_MSG_SUCCESS) {
        fprintf(stderr, "machd_notify_peer %s: receive: %#x\n", mode, mr);
        return -1;
    }
    return in->m.head.msgh_id;
}

/* The right carried by a received message's port descriptor (MACH_PORT_NULL if none of type). */
static mach_port_t carried(const struct rcv *in, mach_msg_type_name_t type) {
    if (!(in->m.head.msgh_bits & MACH_MSGH_BITS_COMPLEX) || in->m.body.msgh_descriptor_count != 1 ||
        in->m.port.disposition != type)
        return MACH_PORT_NULL;
    return in->m.port.name;
}

/* The 32-bit argument of a no-senders or dead-name notification. */
static uint32_t notification_arg(const struct rcv *in) {
    uint32_t arg;
    memcpy(&arg, (const uint8_t *)&in->m + sizeof(mach_msg_header_t) + sizeof(NDR_record_t), sizeof arg);
    return arg;
}

static kern_return_t request(mach_port_t name, mach_msg_id_t which, mach_port_mscount_t sync, mach_port_t notify,
                             mach_msg_type_name_t poly) {
    mach_port_t prev = MACH_PORT_NULL;
    kern_return_t kr = mach_port_request_notification(mach_task_self(), name, which, sync, notify, poly, &prev);
    if (kr == KERN_SUCCESS && prev != MACH_PORT_NULL)
        return KERN_FAILURE; /* these tests never replace a request */
    return kr;
}

/* ---- port-destroyed requests that follow the receive right ---- */

/* pdhold NAME VARIANT: takes a receive right (800) on NAME.b, then: "kill" dies by SIGKILL at
 * once; otherwise waits for 4 messages queued on it, and "pass" moves it on to the pdhold of
 * NAME.x (the messages follow it); "mod" / "destroy" queue 805 on a send-once right of their
 * own and destroy the right with mach_port_mod_refs / mach_port_destroy (the name is gone; the
 * right and the messages go to the notify port). */
static int pdhold(const char *name) {
    mach_port_t task = mach_task_self(), svc = bootstrap_or_exit(true, named(name, "b"));
    ready();
    struct rcv in;
    CHECK(1, receive(svc, &in, 30000) == 800, "message 800");
    mach_port_t p = carried(&in, MACH_MSG_TYPE_PORT_RECEIVE);
    CHECK(1, p != MACH_PORT_NULL, "a receive right in 800");
    if (is("kill"))
        raise(SIGKILL);
    CHECK(2, wait_queued(p, 4), "4 messages queued: %u", queued(p));
    if (is("pass")) {
        mach_port_t next = bootstrap_or_exit(false, named(name, "x.b"));
        mach_msg_return_t mr = send_msg(next, MACH_MSG_TYPE_COPY_SEND, MACH_PORT_NULL, 0, 800, p,
                                        MACH_MSG_TYPE_MOVE_RECEIVE);
        CHECK(2, mr == MACH_MSG_SUCCESS, "pass the receive right on: %#x", mr);
        return 0;
    }
    CHECK(3, send_msg(p, MACH_MSG_TYPE_MAKE_SEND_ONCE, MACH_PORT_NULL, 0, 805, MACH_PORT_NULL, 0) == 0, "805");
    CHECK(3, queued(p) == 5, "5 messages queued: %u", queued(p));
    kern_return_t kr = is("mod") ? mach_port_mod_refs(task, p, MACH_PORT_RIGHT_RECEIVE, -1) : mach_port_destroy(task, p);
    CHECK(4, kr == KERN_SUCCESS, "destroy the receive right: %#x", kr);
    CHECK(5, type_of(p) == 0, "the name is still here: type %#x", type_of(p));
    return 0;
}

/* Checks a port-destroyed notification on `notify` and returns the receive right it carries. */
static mach_port_t expect_port_destroyed(mach_port_t notify) {
    struct rcv in;
    mach_msg_id_t id = receive(notify, &in, 30000);
    mach_port_t r = carried(&in, MACH_MSG_TYPE_PORT_RECEIVE);
    if (id != MACH_NOTIFY_PORT_DESTROYED || r == MACH_PORT_NULL) {
        fprintf(stderr, "machd_notify_peer %s: notification %d, right %#x\n", mode, (int)id, r);
        return MACH_PORT_NULL;
    }
    return r;
}

/* The receive right that came back: messages 801-805 ("destroy" variants: queued at the holder,
 * 805 sent there on a send-once right, forwarded in order) or 804 ("kill": sent after the holder
 * died) arrive on it, then a message sent here on a new send right. */
static int check_returned_right(mach_port_t r, int step) {
    struct rcv in;
    mach_msg_id_t last = strstr(variant, "kill") ? 804 : 805;
    for (mach_msg_id_t want = strstr(variant, "kill") ? 804 : 801; want <= last; want++) {
        mach_msg_id_t id = receive(r, &in, 30000);
        CHECK(step, id == want, "message %d on the returned right, want %d", (int)id, (int)want);
    }
    CHECK(step + 1, mach_port_insert_right(mach_task_self(), r, r, MACH_MSG_TYPE_MAKE_SEND) == KERN_SUCCESS ||
                        type_of(r) & MACH_PORT_TYPE_SEND, "a send right");
    CHECK(step + 1, send_id(r, 900) == MACH_MSG_SUCCESS && receive(r, &in, 30000) == 900, "message 900");
    CHECK(step + 2, queued(r) == 0, "%u more messages", queued(r));
    return 0;
}

/* pdnotify NAME: holds the notify port of pdreq's request (a send-once right to it goes to pdreq
 * in the answer to message 810 on NAME.c) and gets the receive right in a port-destroyed
 * notification. */
static int pdnotify(const char *name) {
    mach_port_t svc = bootstrap_or_exit(true, named(name, "c")), notify = new_port();
    ready();
    struct rcv in;
    CHECK(1, receive(svc, &in, 30000) == 810, "message 810");
    mach_msg_return_t mr = send_msg(in.m.head.msgh_remote_port, MACH_MSG_TYPE_MOVE_SEND_ONCE, MACH_PORT_NULL, 0,
                                    811, notify, MACH_MSG_TYPE_MAKE_SEND_ONCE);
    CHECK(1, mr == MACH_MSG_SUCCESS, "answer 811: %#x", mr);
    mach_port_t r = expect_port_destroyed(notify);
    CHECK(2, r != MACH_PORT_NULL, "port-destroyed notification");
    return check_returned_right(r, 3);
}

/* pdreq NAME VARIANT (local-|remote- then destroy|kill): asks for port-destroyed on its port P
 * (notify port here, or pdnotify's), moves P's receive right to pdhold keeping a send right,
 * and sends 801-804 to P ("destroy": pdhold destroys it with them queued) or 804 once pdhold
 * died ("kill"). "local": the receive right comes back here, under the send right's name. */
static int pdreq(const char *name) {
    bool local = strncmp(variant, "local", 5) == 0, kill_case = strstr(variant, "kill") != NULL;
    mach_port_t holder = bootstrap_or_exit(false, named(name, "b")), p = new_port_with_send_right();
    mach_port_t notify = MACH_PORT_NULL, dn = new_port();
    kern_return_t kr;
    if (local) {
        notify = new_port();
        kr = request(p, MACH_NOTIFY_PORT_DESTROYED, 0, notify, MACH_MSG_TYPE_MAKE_SEND_ONCE);
    } else {
        mach_port_t c = bootstrap_or_exit(false, named(name, "c")), reply = new_port();
        CHECK(1, send_msg(c, MACH_MSG_TYPE_COPY_SEND, reply, MACH_MSG_TYPE_MAKE_SEND_ONCE, 810, MACH_PORT_NULL, 0) == 0,
              "message 810");
        struct rcv in;
        CHECK(1, receive(reply, &in, 30000) == 811, "answer 811");
        mach_port_t so = carried(&in, MACH_MSG_TYPE_PORT_SEND_ONCE);
        CHECK(1, so != MACH_PORT_NULL, "a send-once right in 811");
        kr = request(p, MACH_NOTIFY_PORT_DESTROYED, 0, so, MACH_MSG_TYPE_MOVE_SEND_ONCE);
    }
    CHECK(2, kr == KERN_SUCCESS, "port-destroyed request: %#x", kr);
    CHECK(2, request(holder, MACH_NOTIFY_DEAD_NAME, 0, dn, MACH_MSG_TYPE_MAKE_SEND_ONCE) == KERN_SUCCESS, "dead-name");
    ready();
    mach_msg_return_t mr = send_msg(holder, MACH_MSG_TYPE_COPY_SEND, MACH_PORT_NULL, 0, 800, p, MACH_MSG_TYPE_MOVE_RECEIVE);
    CHECK(3, mr == MACH_MSG_SUCCESS, "move the receive right: %#x", mr);
    CHECK(3, type_of(p) == MACH_PORT_TYPE_SEND, "the name left here: type %#x", type_of(p));
    struct rcv in;
    if (kill_case) /* the holder dies: P moved on by the time its other port is dead */
        CHECK(4, receive(dn, &in, 30000) == MACH_NOTIFY_DEAD_NAME, "dead-name for the holder");
    for (mach_msg_id_t id = kill_case ? 804 : 801; id <= 804; id++) {
        mr = send_id(p, id);
        CHECK(5, mr == MACH_MSG_SUCCESS, "message %d to P: %#x", (int)id, mr);
    }
    if (!local)
        return 0;
    mach_port_t r = expect_port_destroyed(notify);
    CHECK(6, r == p, "the receive right came back as %#x, not under its send right's name %#x", r, p);
    CHECK(6, type_of(p) == (MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_RECEIVE), "type %#x", type_of(p));
    return check_returned_right(r, 7);
}

/* ---- no-senders: make-send counts across processes ---- */

/* nsd NAME: moves the receive right of a port P to nso, keeping the only send right, which it
 * deallocates when continued (the test has stopped machd meanwhile). */
static int nsd(const char *name) {
    mach_port_t owner = bootstrap_or_exit(false, named(name, "o")), p = new_port_with_send_right();
    mach_msg_return_t mr = send_msg(owner, MACH_MSG_TYPE_COPY_SEND, MACH_PORT_NULL, 0, 899, p, MACH_MSG_TYPE_MOVE_RECEIVE);
    CHECK(1, mr == MACH_MSG_SUCCESS, "move: %#x", mr);
    ready();
    stop_here();
    CHECK(2, mach_port_deallocate(mach_task_self(), p) == KERN_SUCCESS, "deallocate");
    stop_here();
    return 0;
}

/* nso NAME: gets P's receive right from nsd (the only send right stays there) and asks for
 * no-senders. While machd is stopped, nsd drops its send right (machd then says: no senders
 * left) and we give a new send right to nsc (machd learns it after): the senders-gone crossed
 * our make-send and must not fire no-senders; it fires once, with make-send count 1, when nsc
 * drops its right. */
static int nso(const char *name) {
    mach_port_t svc = bootstrap_or_exit(true, named(name, "o")), notify = new_port();
    mach_port_t c = bootstrap_or_exit(false, named(name, "c"));
    ready();
    struct rcv in;
    CHECK(1, receive(svc, &in, 30000) == 899, "message 899");
    mach_port_t p = carried(&in, MACH_MSG_TYPE_PORT_RECEIVE);
    CHECK(1, p != MACH_PORT_NULL, "a receive right");
    CHECK(2, request(p, MACH_NOTIFY_NO_SENDERS, 0, notify, MACH_MSG_TYPE_MAKE_SEND_ONCE) == KERN_SUCCESS, "request");
    CHECK(2, receive(notify, &in, 0) == 0, "no-senders while nsd holds a send right");
    stop_here(); /* the test stops machd, nsd drops its send right */
    mach_msg_return_t mr = send_msg(c, MACH_MSG_TYPE_COPY_SEND, MACH_PORT_NULL, 0, 900, p, MACH_MSG_TYPE_MAKE_SEND);
    CHECK(3, mr == MACH_MSG_SUCCESS, "send right to nsc: %#x", mr);
    stop_here(); /* the test lets machd go on */
    CHECK(4, receive(p, &in, 30000) == 901, "message 901 from nsc");
    /* machd's senders-gone for nsd's death came before 901: it must not have fired. */
    CHECK(5, receive(notify, &in, 0) == 0, "no-senders %d while nsc holds a send right", (int)in.m.head.msgh_id);
    CHECK(6, send_id(c, 902) == MACH_MSG_SUCCESS, "message 902");
    CHECK(7, receive(notify, &in, 30000) == MACH_NOTIFY_NO_SENDERS && notification_arg(&in) == 1,
          "no-senders with make-send count 1: id %d count %u", (int)in.m.head.msgh_id, notification_arg(&in));
    CHECK(8, receive(notify, &in, 300) == 0, "a second notification");
    return 0;
}

/* nsc NAME: gets a send right (900), sends 901 on it, drops it when told (902). */
static int nsc(const char *name) {
    mach_port_t svc = bootstrap_or_exit(true, named(name, "c"));
    ready();
    struct rcv in;
    CHECK(1, receive(svc, &in, 30000) == 900, "message 900");
    mach_port_t x = carried(&in, MACH_MSG_TYPE_PORT_SEND);
    CHECK(1, x != MACH_PORT_NULL, "a send right");
    CHECK(2, send_id(x, 901) == MACH_MSG_SUCCESS, "message 901");
    CHECK(3, receive(svc, &in, 30000) == 902, "message 902");
    CHECK(4, mach_port_deallocate(mach_task_self(), x) == KERN_SUCCESS, "deallocate");
    return 0;
}

/* nssink NAME: keeps the send rights it gets on NAME.c (950-953) and drops them all on 952;
 * ends on 999. */
static int nssink(const char *name) {
    mach_port_t task = mach_task_self(), svc = bootstrap_or_exit(true, named(name, "c")), kept = MACH_PORT_NULL;
    ready();
    for (;;) {
        struct rcv in;
        mach_msg_id_t id = receive(svc, &in, 30000);
        CHECK(1, id > 0, "a message");
        if (id == 999)
            return 0;
        if (id == 952) {
            mach_port_urefs_t refs = 0;
            CHECK(2, mach_port_get_refs(task, kept, MACH_PORT_RIGHT_SEND, &refs) == KERN_SUCCESS && refs > 0, "refs");
            CHECK(2, mach_port_mod_refs(task, kept, MACH_PORT_RIGHT_SEND, -(mach_port_delta_t)refs) == KERN_SUCCESS,
                  "drop %u references", refs);
            continue;
        }
        kept = carried(&in, MACH_MSG_TYPE_PORT_SEND);
        CHECK(3, kept != MACH_PORT_NULL, "a send right in %d", (int)id);
    }
}

/* Receives a no-senders notification within timeout_ms; its make-send count, or -1. */
static long no_senders(mach_port_t notify, mach_msg_timeout_t timeout_ms) {
    struct rcv in;
    mach_msg_id_t id = receive(notify, &in, timeout_ms);
    return id == MACH_NOTIFY_NO_SENDERS ? (long)notification_arg(&in) : -1;
}

/* nssync NAME: no-senders requests with a sync value on a port whose senders are in nssink. */
static int nssync(const char *name) {
    mach_port_t c = bootstrap_or_exit(false, named(name, "c")), p = new_port(), notify = new_port();
    mach_msg_type_name_t make = MACH_MSG_TYPE_MAKE_SEND_ONCE;
    ready();
    CHECK(1, send_msg(c, MACH_MSG_TYPE_COPY_SEND, MACH_PORT_NULL, 0, 950, p, MACH_MSG_TYPE_MAKE_SEND) == 0 &&
                 send_msg(c, MACH_MSG_TYPE_COPY_SEND, MACH_PORT_NULL, 0, 951, p, MACH_MSG_TYPE_MAKE_SEND) == 0,
          "two send rights to nssink");
    /* Senders exist (in another process): armed whatever the sync value. */
    CHECK(2, request(p, MACH_NOTIFY_NO_SENDERS, 1, notify, make) == KERN_SUCCESS, "request, sync 1");
    CHECK(2, no_senders(notify, 0) == -1, "fired with senders in another process");
    CHECK(3, send_id(c, 952) == MACH_MSG_SUCCESS, "drop");
    long count = no_senders(notify, 30000);
    CHECK(3, count == 2, "no-senders after the drop: count %ld", count);
    /* No senders and sync <= make-send count: at once. */
    CHECK(4, request(p, MACH_NOTIFY_NO_SENDERS, 2, notify, make) == KERN_SUCCESS, "request, sync 2");
    count = no_senders(notify, 0);
    CHECK(4, count == 2, "immediate no-senders: count %ld", count);
    /* sync above the make-send count: armed until the next sender goes. */
    CHECK(5, request(p, MACH_NOTIFY_NO_SENDERS, 3, notify, make) == KERN_SUCCESS, "request, sync 3");
    CHECK(5, no_senders(notify, 0) == -1, "fired with sync 3 > make-send count 2");
    CHECK(6, send_msg(c, MACH_MSG_TYPE_COPY_SEND, MACH_PORT_NULL, 0, 953, p, MACH_MSG_TYPE_MAKE_SEND) == 0 &&
                 send_id(c, 952) == MACH_MSG_SUCCESS, "a third send right, dropped");
    count = no_senders(notify, 30000);
    CHECK(6, count == 3, "no-senders after the third: count %ld", count);
    CHECK(7, no_senders(notify, 300) == -1, "a second notification");
    CHECK(8, send_id(c, 999) == MACH_MSG_SUCCESS, "end");
    return 0;
}

/* ---- a message machd refuses after it was written ---- */

/* rfvictim NAME / rfthird NAME: NAME.b waits to be killed; NAME.c takes a send right (1001) and
 * sends 1002 on it. */
static int rfvictim(const char *name) {
    (void)bootstrap_or_exit(true, named(name, "b"));
    ready();
    pause();
    return 0;
}

static int rfthird(const char *name) {
    mach_port_t svc = bootstrap_or_exit(true, named(name, "c"));
    ready();
    struct rcv in;
    CHECK(1, receive(svc, &in, 30000) == 1001, "message 1001");
    mach_port_t x = carried(&in, MACH_MSG_TYPE_PORT_SEND);
    CHECK(1, x != MACH_PORT_NULL, "a send right");
    CHECK(2, send_id(x, 1002) == MACH_MSG_SUCCESS, "message 1002");
    return 0;
}

/* rfsend NAME: while machd is stopped and rfvictim killed, sends it message 1000 carrying the
 * first rights to its port Q to leave the process (a send right and a send-once reply right).
 * machd refuses it: the rights are destroyed as Mach destroys such a message (no-senders with
 * make-send count 1, a send-once notification), and Q stays known: a send right to it given
 * to rfthird later works. */
static int rfsend(const char *name) {
    mach_port_t b = bootstrap_or_exit(false, named(name, "b")), c = bootstrap_or_exit(false, named(name, "c"));
    mach_port_t q = new_port(), notify = new_port();
    mach_msg_type_name_t make = MACH_MSG_TYPE_MAKE_SEND_ONCE;
    CHECK(1, request(q, MACH_NOTIFY_NO_SENDERS, 1, notify, make) == KERN_SUCCESS, "no-senders request");
    CHECK(1, request(b, MACH_NOTIFY_DEAD_NAME, 0, notify, make) == KERN_SUCCESS, "dead-name request");
    ready();
    stop_here(); /* the test stops machd and kills rfvictim */
    mach_msg_return_t mr = send_msg(b, MACH_MSG_TYPE_COPY_SEND, q, MACH_MSG_TYPE_MAKE_SEND_ONCE, 1000, q,
                                    MACH_MSG_TYPE_MAKE_SEND);
    CHECK(2, mr == MACH_MSG_SUCCESS, "message 1000 (written before machd saw the death): %#x", mr);
    stop_here(); /* the test lets machd go on */
    bool dead_name = false, ns = false;
    for (int i = 0; i < 2; i++) {
        struct rcv in;
        mach_msg_id_t id = receive(notify, &in, 30000);
        uint32_t arg = notification_arg(&in);
        CHECK(3, (id == MACH_NOTIFY_DEAD_NAME && arg == b && !dead_name) ||
                     (id == MACH_NOTIFY_NO_SENDERS && arg == 1 && !ns),
              "notification %d arg %#x", (int)id, arg);
        dead_name |= id == MACH_NOTIFY_DEAD_NAME;
        ns |= id == MACH_NOTIFY_NO_SENDERS;
    }
    struct rcv in;
    mach_msg_id_t id = receive(q, &in, 30000);
    CHECK(4, id == MACH_NOTIFY_SEND_ONCE, "send-once notification for the destroyed reply right: %d", (int)id);
    CHECK(5, send_msg(c, MACH_MSG_TYPE_COPY_SEND, MACH_PORT_NULL, 0, 1001, q, MACH_MSG_TYPE_MAKE_SEND) == 0, "1001");
    id = receive(q, &in, 30000);
    CHECK(6, id == 1002, "message 1002 from rfthird on Q: %d", (int)id);
    CHECK(7, receive(notify, &in, 300) == 0 && receive(q, &in, 0) == 0, "more notifications");
    return 0;
}

/* ---- dead names across processes ---- */

/* dnserver NAME: checks in NAME.b, takes request 1100 (keeping its send-once reply right) and
 * gives dnclient a send-once right to NAME.b in 1101; waits to be killed. */
static int dnserver(const char *name) {
    mach_port_t svc = bootstrap_or_exit(true, named(name, "b"));
    ready();
    struct rcv in;
    CHECK(1, receive(svc, &in, 30000) == 1100, "request 1100");
    mach_port_t client = bootstrap_or_exit(false, named(name, "a"));
    mach_msg_return_t mr = send_msg(client, MACH_MSG_TYPE_COPY_SEND, MACH_PORT_NULL, 0, 1101, svc,
                                    MACH_MSG_TYPE_MAKE_SEND_ONCE);
    CHECK(2, mr == MACH_MSG_SUCCESS, "1101: %#x", mr);
    pause();
    return 0;
}

/* dnclient NAME: holds a send right and a send-once right to dnserver's port, each with a
 * dead-name request, and dnserver holds a send-once reply right of ours. When dnserver is
 * killed: one dead-name notification per name, with that name; both names are dead names
 * (one user reference plus the notification's); one send-once notification; nothing else. */
static int dnclient(const char *name) {
    mach_port_t task = mach_task_self(), svc = bootstrap_or_exit(true, named(name, "a"));
    mach_port_t sb = bootstrap_or_exit(false, named(name, "b")), notify = new_port(), reply = new_port();
    mach_msg_type_name_t make = MACH_MSG_TYPE_MAKE_SEND_ONCE;
    CHECK(1, request(sb, MACH_NOTIFY_DEAD_NAME, 0, notify, make) == KERN_SUCCESS, "dead-name on the send right");
    CHECK(2, send_msg(sb, MACH_MSG_TYPE_COPY_SEND, reply, make, 1100, MACH_PORT_NULL, 0) == 0, "request 1100");
    struct rcv in;
    CHECK(3, receive(svc, &in, 30000) == 1101, "message 1101");
    mach_port_t so = carried(&in, MACH_MSG_TYPE_PORT_SEND_ONCE);
    CHECK(3, so != MACH_PORT_NULL && so != sb, "a send-once right of its own name: %#x", so);
    CHECK(4, request(so, MACH_NOTIFY_DEAD_NAME, 0, notify, make) == KERN_SUCCESS, "dead-name on the send-once right");
    ready(); /* the test kills dnserver */
    bool seen_sb = false, seen_so = false;
    for (int i = 0; i < 2; i++) {
        mach_msg_id_t id = receive(notify, &in, 30000);
        uint32_t n = notification_arg(&in);
        CHECK(5, id == MACH_NOTIFY_DEAD_NAME && ((n == sb && !seen_sb) || (n == so && !seen_so)),
              "dead-name notification %d for %#x", (int)id, n);
        seen_sb |= n == sb;
        seen_so |= n == so;
    }
    CHECK(6, receive(reply, &in, 30000) == MACH_NOTIFY_SEND_ONCE, "send-once notification");
    for (int i = 0; i < 2; i++) {
        mach_port_t n = i ? so : sb;
        mach_port_urefs_t refs = 0;
        CHECK(7, type_of(n) == MACH_PORT_TYPE_DEAD_NAME, "%#x: type %#x", n, type_of(n));
        CHECK(7, mach_port_get_refs(task, n, MACH_PORT_RIGHT_DEAD_NAME, &refs) == KERN_SUCCESS && refs == 2,
              "%#x: %u dead-name references", n, refs);
    }
    mach_msg_return_t mr = send_id(sb, 1102);
    CHECK(8, mr == MACH_SEND_INVALID_DEST, "send to a dead name: %#x", mr);
    CHECK(9, receive(notify, &in, 300) == 0 && receive(reply, &in, 0) == 0, "another notification");
    return 0;
}

int main(int argc, char **argv) {
    bootstrap_client_use_machd();
    if (argc < 3) {
        fprintf(stderr, "usage: machd_notify_peer MODE NAME [VARIANT]\n");
        return 2;
    }
    mode = argv[1];
    variant = argc > 3 ? argv[3] : "";
    static const struct {
        const char *mode;
        int (*run)(const char *name);
    } modes[] = {
        {"pdhold", pdhold}, {"pdnotify", pdnotify}, {"pdreq", pdreq}, {"nsd", nsd},
        {"nso", nso}, {"nsc", nsc}, {"nssink", nssink}, {"nssync", nssync},
        {"rfvictim", rfvictim}, {"rfthird", rfthird}, {"rfsend", rfsend},
        {"dnserver", dnserver}, {"dnclient", dnclient},
    };
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++)
        if (strcmp(modes[i].mode, argv[1]) == 0)
            return modes[i].run(argv[2]);
    return 2;
}
