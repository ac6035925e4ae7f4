/* Protocol-level tests of what the RPC fast path relies on (docs/machd.md 3.2 and 8.1): a room
 * announcement carried by a MSG_SEND (version 3) works exactly like QUEUE_CREDIT, and machd's
 * STATS report its own system calls and datagrams. One machd per test (machd_harness.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <mach/message.h>

#include "machd_harness.h"

/* A MSG_SEND to dest (send-once when once), no reply right, with a credit item when name != 0;
 * ACK_ERRORS_ONLY unless want_reply. Returns the SEND_REPLY status (0 without one). */
static uint32_t send_with_credit(struct tc *t, uint32_t dest, bool once, uint32_t name, uint32_t seen, uint32_t room,
                                 bool want_reply) {
    memset(&t->out, 0, sizeof t->out);
    t->out.type = MACHD_MSG_SEND;
    t->out.u.send.dest = mh_right(dest, once ? MACHD_DISP_MOVE_SEND_ONCE : MACHD_DISP_COPY_SEND, 0);
    t->out.u.send.reply = MH_NO_RIGHT;
    t->out.u.send.flags = want_reply ? 0 : MACHD_SEND_ACK_ERRORS_ONLY;
    if (name) {
        t->out.u.send.flags |= MACHD_SEND_CREDIT;
        t->out.u.send.credit.name = name;
        t->out.u.send.credit.seen = seen;
        t->out.u.send.credit.room = room;
    }
    t->out.u.send.p.msgh_id = 7;
    tc_send(t);
    return want_reply ? tc_expect(t, MACHD_SEND_REPLY)->u.send_reply.status : 0;
}

/* SEND_ADMIT on handle name: timed with timeout_ms, or untimed (then no answer is awaited). */
static void admit(struct tc *t, uint32_t name, bool timed, uint32_t timeout_ms) {
    memset(&t->out, 0, sizeof t->out);
    t->out.type = MACHD_SEND_ADMIT;
    t->out.u.send_admit.name = name;
    t->out.u.send_admit.flags = timed ? MACHD_ADMIT_TIMED : 0;
    t->out.u.send_admit.timeout_ms = timeout_ms;
    tc_send(t);
}

static uint32_t admit_now(struct tc *t, uint32_t name) {
    admit(t, name, true, 0);
    return tc_expect(t, MACHD_STATUS_REPLY)->u.status_reply.status;
}

static void credit_alone(struct tc *t, uint32_t name, uint32_t seen, uint32_t room) {
    memset(&t->out, 0, sizeof t->out);
    t->out.type = MACHD_QUEUE_CREDIT;
    t->out.u.queue_credit.name = name;
    t->out.u.queue_credit.seen = seen;
    t->out.u.queue_credit.room = room;
    tc_send(t);
}

/* The receiver of svc.p gives room with the MSG_SEND it sends anyway: a sender waiting at machd
 * is admitted by it, as by a QUEUE_CREDIT; a credit for a handle the sender does not receive on
 * changes nothing, and a credit rides even on a message machd refuses. */
static void credit_carried_by_a_send_admits_a_waiting_sender(void **state) {
    (void)state;
    struct tc *rcv = tc_open(&mh_daemon), *snd = tc_open(&mh_daemon);
    uint32_t port, svc, back;
    assert_int_equal(tc_check_in(rcv, "svc.p", &port), 0);
    assert_int_equal(tc_look_up(snd, "svc.p", &svc), 0);
    assert_int_equal(tc_check_in(snd, "back.p", &back), 0);
    uint32_t to_back;
    assert_int_equal(tc_look_up(rcv, "back.p", &to_back), 0);
    credit_alone(rcv, port, 0, 1); /* room for one */
    assert_int_equal(admit_now(snd, svc), MACH_MSG_SUCCESS); /* reserved, not used */
    /* Another message without a reservation is delivered all the same, with the hint. */
    send_with_credit(snd, svc, false, 0, 0, 0, false);
    tc_expect(snd, MACHD_QUEUE_FULL);
    tc_expect(rcv, MACHD_MSG_DELIVER);
    assert_int_equal(admit_now(snd, svc), MACH_SEND_TIMED_OUT);
    /* The sender's credit item for a handle it only sends to is ignored. */
    send_with_credit(snd, svc, false, svc, 0, 100, false);
    tc_expect(snd, MACHD_QUEUE_FULL);
    tc_expect(rcv, MACHD_MSG_DELIVER);
    assert_int_equal(admit_now(snd, svc), MACH_SEND_TIMED_OUT);
    /* A sender waits without a deadline; the receiver's next message (to the sender's own
     * port) says it has seen both deliveries and has room for one: the waiter gets it. */
    admit(snd, svc, false, 0);
    send_with_credit(rcv, to_back, false, port, 2, 1, false);
    const struct machd_msg *r = tc_expect(snd, MACHD_STATUS_REPLY);
    assert_int_equal(r->u.status_reply.status, MACH_MSG_SUCCESS);
    tc_expect(snd, MACHD_MSG_DELIVER); /* then the message that carried the credit */
    assert_int_equal(admit_now(snd, svc), MACH_SEND_TIMED_OUT);
    /* A message machd refuses still carries its credit: room for two. */
    assert_int_equal(send_with_credit(rcv, 0x7ffffff0u, false, port, 2, 2, true), MACH_SEND_INVALID_DEST);
    assert_int_equal(admit_now(snd, svc), MACH_MSG_SUCCESS);
    assert_int_equal(admit_now(snd, svc), MACH_MSG_SUCCESS);
    assert_int_equal(admit_now(snd, svc), MACH_SEND_TIMED_OUT);
    tc_close(snd);
    tc_close(rcv);
}

static struct machd_io_counts io_now(struct tc *t) {
    memset(&t->out, 0, sizeof t->out);
    t->out.type = MACHD_STATS;
    tc_send(t);
    return tc_expect(t, MACHD_STATS_REPLY)->u.stats_reply.io;
}

/* machd counts what it does: n one-way messages relayed are n datagrams in and n out, each
 * with its recvmsg and sendmsg, and at least one epoll_wait. */
static void stats_count_machd_calls_and_datagrams(void **state) {
    (void)state;
    enum { N = 25 };
    struct tc *rcv = tc_open(&mh_daemon), *snd = tc_open(&mh_daemon);
    uint32_t port, svc;
    assert_int_equal(tc_check_in(rcv, "svc.p", &port), 0);
    assert_int_equal(tc_look_up(snd, "svc.p", &svc), 0);
    struct machd_io_counts a = io_now(snd);
    assert_true(a.datagrams_in >= 5 && a.datagrams_out >= 5); /* 2 HELLO, 2 BOOTSTRAP, STATS */
    for (int i = 0; i < N; i++) {
        send_with_credit(snd, svc, false, 0, 0, 0, false);
        tc_expect(rcv, MACHD_MSG_DELIVER);
    }
    struct machd_io_counts b = io_now(snd);
    /* The second STATS request is in, the first one's reply out; nothing else happened. */
    assert_true(b.datagrams_in - a.datagrams_in == N + 1);
    assert_true(b.datagrams_out - a.datagrams_out == N + 1);
    assert_true(b.recv_calls - a.recv_calls >= N + 1);
    assert_true(b.send_calls - a.send_calls == N + 1); /* nothing was queued: each went at once */
    assert_true(b.epoll_waits - a.epoll_waits >= 1);
    assert_true(b.epoll_waits - a.epoll_waits <= b.recv_calls - a.recv_calls);
    /* No connection, descriptor or queue change: only the second STATS reading its resident
     * size (/proc/self/statm through stdio: 4 calls). */
    assert_true(b.other_calls - a.other_calls == 4);
    tc_close(snd);
    tc_close(rcv);
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(credit_carried_by_a_send_admits_a_waiting_sender, mh_setup, mh_teardown),
        cmocka_unit_test_setup_teardown(stats_count_machd_calls_and_datagrams, mh_setup, mh_teardown),
    };
    return mh_run_tests("machd_perf_test", tests, sizeof tests / sizeof tests[0], argc, argv);
}
