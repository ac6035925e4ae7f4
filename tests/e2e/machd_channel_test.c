/* machd's part of direct channels (docs/machd.md 9.2), spoken as raw tasks: ROUTE and its
 * refusals, CHANNEL and its four descriptors, ROUTE_ADD / ROUTE_DEL to the receiver, tickets,
 * the channels-per-task limit, and no descriptor left in machd after many channels. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <setjmp.h>
#include <time.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <mach/kern_return.h>
#include <mach/message.h>
#include <mach/notify.h>

#include "machd_harness.h"
#include "wire/chan_ring.h"

#define H(n) (MACHD_HANDLE_TASK_BIT | (uint32_t)(n))

/* A CHANNEL as one task received it. */
struct chan {
    uint32_t id, side;
    struct machd_audit peer;
    int fds[MACHD_CHANNEL_FDS];
};

static void chan_close(struct chan *c) {
    for (int i = 0; i < MACHD_CHANNEL_FDS; i++)
        if (c->fds[i] >= 0)
            close(c->fds[i]);
    memset(c->fds, -1, sizeof c->fds);
}

static void expect_channel(struct tc *t, struct chan *c) {
    const struct machd_msg *m = tc_expect(t, MACHD_CHANNEL);
    c->id = m->u.channel.channel;
    c->side = m->u.channel.side;
    c->peer = m->u.channel.peer;
    memcpy(c->fds, m->u.channel.fds, sizeof c->fds);
    for (int i = 0; i < MACHD_CHANNEL_FDS; i++)
        assert_true(c->fds[i] >= 0);
}

static void send_route(struct tc *t, uint32_t name) {
    memset(&t->out, 0, sizeof t->out);
    t->out.type = MACHD_ROUTE;
    t->out.u.route.name = name;
    tc_send(t);
}

/* ROUTE_REPLY to the request just sent: its status, channel and slot. */
static uint32_t expect_route_reply(struct tc *t, uint32_t *channel, uint32_t *slot) {
    const struct machd_msg *m = tc_expect(t, MACHD_ROUTE_REPLY);
    assert_int_equal(m->seq, t->out.seq);
    if (channel)
        *channel = m->u.route_reply.channel;
    if (slot)
        *slot = m->u.route_reply.slot;
    return m->u.route_reply.status;
}

/* ROUTE with no channel expected (a refusal, or a channel both already have). */
static uint32_t route(struct tc *t, uint32_t name, uint32_t *channel, uint32_t *slot) {
    send_route(t, name);
    return expect_route_reply(t, channel, slot);
}

static void expect_route_add(struct tc *t, uint32_t channel, uint32_t slot, uint32_t name) {
    const struct machd_msg *m = tc_expect(t, MACHD_ROUTE_ADD);
    assert_int_equal(m->u.route_add.channel, channel);
    assert_int_equal(m->u.route_add.slot, slot);
    assert_int_equal(m->u.route_add.name, name);
}

static void expect_route_del(struct tc *t, uint32_t channel, uint32_t slot) {
    const struct machd_msg *m = tc_expect(t, MACHD_ROUTE_DEL);
    assert_int_equal(m->u.route_del.channel, channel);
    assert_int_equal(m->u.route_del.slot, slot);
}

/* Nothing more for t right now. */
static void expect_quiet(struct tc *t) {
    assert_int_equal(machd_conn_recv(&t->conn, t->buf, &t->msg, 100), ETIMEDOUT);
}

/* A receiver checks in `name`; the sender looks it up. */
static void serve(struct tc *recv_task, struct tc *sender, const char *name, uint32_t *recv, uint32_t *send) {
    assert_int_equal(tc_check_in(recv_task, name, recv), 0);
    assert_int_equal(tc_look_up(sender, name, send), 0);
}

/* First route between two tasks: CHANNEL to both, ROUTE_ADD to the receiver (already there when
 * the requester reads its reply), then the reply. */
static void first_route(struct tc *a, struct tc *b, uint32_t recv, uint32_t send, struct chan *ca, struct chan *cb,
                        uint32_t *slot) {
    send_route(b, send);
    expect_channel(b, cb);
    uint32_t ch;
    assert_int_equal(expect_route_reply(b, &ch, slot), KERN_SUCCESS);
    assert_int_equal(ch, cb->id);
    /* machd queued ROUTE_ADD before the reply: it is in a's socket already. */
    assert_int_equal(machd_conn_recv(&a->conn, a->buf, &a->msg, 0), 0);
    assert_int_equal(a->msg.type, MACHD_CHANNEL);
    ca->id = a->msg.u.channel.channel;
    ca->side = a->msg.u.channel.side;
    ca->peer = a->msg.u.channel.peer;
    memcpy(ca->fds, a->msg.u.channel.fds, sizeof ca->fds);
    assert_int_equal(machd_conn_recv(&a->conn, a->buf, &a->msg, 0), 0);
    assert_int_equal(a->msg.type, MACHD_ROUTE_ADD);
    assert_int_equal(a->msg.u.route_add.channel, ch);
    assert_int_equal(a->msg.u.route_add.slot, *slot);
    assert_int_equal(a->msg.u.route_add.name, recv);
}

/* Field by field: struct machd_audit has padding before task_id. */
static void expect_same_task(const struct machd_audit *x, const struct machd_audit *y) {
    assert_int_equal(x->pid, y->pid);
    assert_int_equal(x->uid, y->uid);
    assert_int_equal(x->gid, y->gid);
    assert_true(x->task_id == y->task_id);
}

static bool fd_is(int fd, const char *what) {
    char path[64], target[128];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(path, target, sizeof target - 1);
    if (n < 0)
        return false;
    target[n] = '\0';
    return strstr(target, what) != NULL;
}

/* ---- refusals ---- */

/* ROUTE needs a send right under the name: KERN_INVALID_NAME for no entry, KERN_INVALID_RIGHT for
 * a receive or send-once right alone, KERN_FAILURE for a port of the requester's own. */
static void route_without_a_send_right_is_refused(void **state) {
    (void)state;
    struct tc *a = tc_open_direct(&mh_daemon), *b = tc_open_direct(&mh_daemon);
    uint32_t recv, send;
    serve(a, b, "svc.chan.refuse", &recv, &send);
    assert_int_equal(route(b, 0x7777, NULL, NULL), KERN_INVALID_NAME);
    assert_int_equal(route(b, H(5), NULL, NULL), KERN_INVALID_NAME);
    assert_int_equal(route(a, recv, NULL, NULL), KERN_INVALID_RIGHT); /* a receive right only */
    /* a takes a send right to its own port (look-up: the same name as its receive right), then
     * gives itself a send-once right to it. */
    struct machd_right items[] = {mh_right(recv, MACHD_DISP_MAKE_SEND_ONCE, 0)};
    uint32_t self;
    assert_int_equal(tc_look_up(a, "svc.chan.refuse", &self), 0);
    assert_int_equal(self, recv);
    /* (to itself: ACK_ERRORS_ONLY, else the delivery would come before the reply) */
    assert_int_equal(tc_msg(a, mh_right(self, MACHD_DISP_COPY_SEND, 0), MH_NO_RIGHT, 2, NULL, items, 1,
                            MACHD_SEND_ACK_ERRORS_ONLY),
                     MACH_MSG_SUCCESS);
    const struct machd_msg *m = tc_expect(a, MACHD_MSG_DELIVER);
    uint32_t once = machd_payload_right(&m->u.deliver.p, 0).name;
    assert_int_equal(machd_payload_right(&m->u.deliver.p, 0).disposition, MACHD_DISP_MOVE_SEND_ONCE);
    assert_int_equal(route(a, once, NULL, NULL), KERN_INVALID_RIGHT);
    assert_int_equal(route(a, self, NULL, NULL), KERN_FAILURE); /* its own port */
    uint32_t ch = 1, slot = 1;
    assert_int_equal(route(a, self, &ch, &slot), KERN_FAILURE);
    assert_int_equal(ch, 0);
    assert_int_equal(slot, 0);
    tc_close(a);
    tc_close(b);
}

/* A receiver that did not say HELLO_DIRECT (MACHD_DIRECT=0) is never routed to, nor a requester
 * that did not. */
static void route_to_a_task_without_direct_fails(void **state) {
    (void)state;
    struct tc *plain = tc_open(&mh_daemon); /* says no HELLO_DIRECT */
    struct tc *b = tc_open_direct(&mh_daemon), *a = tc_open_direct(&mh_daemon);
    uint32_t recv, send;
    serve(plain, b, "svc.chan.plain", &recv, &send);
    assert_int_equal(route(b, send, NULL, NULL), KERN_FAILURE);
    serve(a, plain, "svc.chan.direct", &recv, &send);
    assert_int_equal(route(plain, send, NULL, NULL), KERN_FAILURE);
    expect_quiet(a);
    expect_quiet(plain);
    tc_close(a);
    tc_close(b);
    tc_close(plain);
}

/* ---- channels and routes ---- */

/* The first ROUTE makes the channel: both get CHANNEL with a sealed memfd of CHAN_SHARED_SIZE,
 * two eventfds crossed between the sides and a connected socketpair; the receiver gets
 * ROUTE_ADD with its own name for the port, after what machd delivered before, and before the
 * requester's reply. The same ROUTE answers the same slot; another port another slot. */
static void route_makes_a_channel_and_announces_it(void **state) {
    (void)state;
    struct tc *a = tc_open_direct(&mh_daemon), *b = tc_open_direct(&mh_daemon);
    uint32_t recv, send, recv2, send2;
    serve(a, b, "svc.chan.one", &recv, &send);
    serve(a, b, "svc.chan.two", &recv2, &send2);
    assert_int_equal(tc_msg(b, mh_right(send, MACHD_DISP_COPY_SEND, 0), MH_NO_RIGHT, 41, "before", NULL, 0, 0),
                     MACH_MSG_SUCCESS);
    assert_int_equal(tc_expect(a, MACHD_MSG_DELIVER)->u.deliver.p.msgh_id, 41);
    struct chan ca, cb;
    uint32_t slot;
    first_route(a, b, recv, send, &ca, &cb, &slot);
    assert_true(ca.id != 0);
    assert_int_equal(ca.id, cb.id);
    assert_int_equal(cb.side, 0); /* b asked first */
    assert_int_equal(ca.side, 1);
    expect_same_task(&cb.peer, &a->conn.self);
    expect_same_task(&ca.peer, &b->conn.self);
    for (int i = 0; i < MACHD_CHANNEL_FDS; i++)
        assert_true(ca.fds[i] >= 0);
    /* memory */
    struct stat st;
    assert_int_equal(fstat(cb.fds[MACHD_CHANNEL_FD_MEMORY], &st), 0);
    assert_int_equal(st.st_size, CHAN_SHARED_SIZE);
    int seals = fcntl(cb.fds[MACHD_CHANNEL_FD_MEMORY], F_GET_SEALS);
    assert_true(seals >= 0);
    assert_int_equal(seals & (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL), F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
    assert_int_equal(seals & F_SEAL_WRITE, 0);
    assert_int_equal(fstat(ca.fds[MACHD_CHANNEL_FD_MEMORY], &st), 0);
    assert_int_equal(st.st_size, CHAN_SHARED_SIZE);
    /* eventfds: what b writes to wake its peer wakes a */
    assert_true(fd_is(cb.fds[MACHD_CHANNEL_FD_WAKE_ME], "eventfd"));
    assert_true(fd_is(cb.fds[MACHD_CHANNEL_FD_WAKE_PEER], "eventfd"));
    assert_true(fcntl(cb.fds[MACHD_CHANNEL_FD_WAKE_ME], F_GETFL) & O_NONBLOCK);
    eventfd_t v = 0;
    assert_int_equal(eventfd_read(ca.fds[MACHD_CHANNEL_FD_WAKE_ME], &v), -1); /* nothing yet */
    assert_int_equal(eventfd_write(cb.fds[MACHD_CHANNEL_FD_WAKE_PEER], 3), 0);
    assert_int_equal(eventfd_read(ca.fds[MACHD_CHANNEL_FD_WAKE_ME], &v), 0);
    assert_int_equal(v, 3);
    assert_int_equal(eventfd_write(ca.fds[MACHD_CHANNEL_FD_WAKE_PEER], 5), 0);
    assert_int_equal(eventfd_read(cb.fds[MACHD_CHANNEL_FD_WAKE_ME], &v), 0);
    assert_int_equal(v, 5);
    /* the same route again, then another port on the same channel */
    uint32_t ch2, slot2;
    assert_int_equal(route(b, send, &ch2, &slot2), KERN_SUCCESS);
    assert_int_equal(ch2, cb.id);
    assert_int_equal(slot2, slot);
    assert_int_equal(route(b, send2, &ch2, &slot2), KERN_SUCCESS);
    assert_int_equal(ch2, cb.id);
    assert_true(slot2 != slot);
    expect_route_add(a, cb.id, slot2, recv2);
    expect_quiet(a);
    /* a's route back to b uses the other direction of the same channel */
    assert_int_equal(tc_check_in(b, "svc.chan.back", &recv), 0);
    assert_int_equal(tc_look_up(a, "svc.chan.back", &send), 0);
    uint32_t back_slot;
    assert_int_equal(route(a, send, &ch2, &back_slot), KERN_SUCCESS);
    assert_int_equal(ch2, cb.id);
    expect_route_add(b, cb.id, back_slot, recv);
    /* the link: closing one end hangs up the other */
    close(cb.fds[MACHD_CHANNEL_FD_LINK]);
    cb.fds[MACHD_CHANNEL_FD_LINK] = -1;
    struct pollfd pfd = {.fd = ca.fds[MACHD_CHANNEL_FD_LINK], .events = POLLIN};
    assert_int_equal(poll(&pfd, 1, MH_TIMEOUT_MS), 1);
    assert_true(pfd.revents & POLLHUP);
    chan_close(&ca);
    chan_close(&cb);
    tc_close(a);
    tc_close(b);
}

/* The route goes (ROUTE_DEL to the receiver) when the requester's entry loses its last send
 * right: by MOD_REFS, moved away in a message, or its port dying; its slot is free again. */
static void losing_the_send_right_deletes_the_route(void **state) {
    (void)state;
    struct tc *a = tc_open_direct(&mh_daemon), *b = tc_open_direct(&mh_daemon);
    uint32_t recv, send;
    serve(a, b, "svc.chan.del", &recv, &send);
    struct chan ca, cb;
    uint32_t slot, ch, again;
    first_route(a, b, recv, send, &ca, &cb, &slot);
    /* two references: dropping one keeps the route */
    assert_int_equal(tc_mod_refs(b, send, MACHD_RIGHT_SEND, 1), KERN_SUCCESS);
    assert_int_equal(tc_mod_refs(b, send, MACHD_RIGHT_SEND, -1), KERN_SUCCESS);
    expect_quiet(a);
    assert_int_equal(tc_mod_refs(b, send, MACHD_RIGHT_SEND, -1), KERN_SUCCESS);
    expect_route_del(a, cb.id, slot);
    assert_int_equal(route(b, send, NULL, NULL), KERN_INVALID_NAME);
    /* again, the slot is reused; then moved away in a message to a */
    assert_int_equal(tc_look_up(b, "svc.chan.del", &send), 0);
    assert_int_equal(route(b, send, &ch, &again), KERN_SUCCESS);
    assert_int_equal(ch, cb.id);
    assert_int_equal(again, slot);
    expect_route_add(a, cb.id, slot, recv);
    struct machd_right moved = mh_right(send, MACHD_DISP_MOVE_SEND, 0);
    assert_int_equal(tc_msg(b, mh_right(send, MACHD_DISP_COPY_SEND, 0), MH_NO_RIGHT, 9, NULL, &moved, 1, 0),
                     MACH_MSG_SUCCESS);
    expect_route_del(a, cb.id, slot);
    assert_int_equal(tc_expect(a, MACHD_MSG_DELIVER)->u.deliver.p.msgh_id, 9);
    /* the port dies: a destroys its receive right */
    assert_int_equal(tc_look_up(b, "svc.chan.del", &send), 0);
    assert_int_equal(route(b, send, &ch, &again), KERN_SUCCESS);
    expect_route_add(a, cb.id, again, recv);
    assert_int_equal(tc_mod_refs(a, recv, MACHD_RIGHT_SEND, -1), KERN_SUCCESS); /* the one it was sent */
    memset(&a->out, 0, sizeof a->out);
    a->out.type = MACHD_MOD_REFS;
    a->out.u.mod_refs.name = recv;
    a->out.u.mod_refs.right = MACHD_RIGHT_RECEIVE;
    a->out.u.mod_refs.delta = -1;
    tc_send(a);
    expect_route_del(a, cb.id, again); /* while the port dies, before the answer */
    assert_int_equal(tc_expect(a, MACHD_STATUS_REPLY)->u.status_reply.status, KERN_SUCCESS);
    assert_int_equal(tc_expect(b, MACHD_PORT_DEAD)->u.port_dead.name, send);
    chan_close(&ca);
    chan_close(&cb);
    tc_close(a);
    tc_close(b);
    struct tc *obs = tc_open_direct(&mh_daemon);
    tc_settle(obs, 1, NULL, NULL, NULL);
    tc_expect_counts(obs, 1, 0, 0);
    tc_close(obs);
}

/* A requester that disconnects: ROUTE_DEL for each of its routes, the channel forgotten (the
 * survivor sees the link hang up; a new pair gets a new channel id). */
static void requester_disconnect_deletes_its_routes(void **state) {
    (void)state;
    struct tc *a = tc_open_direct(&mh_daemon), *b = tc_open_direct(&mh_daemon);
    uint32_t recv, send, recv2, send2, slot, slot2, ch;
    serve(a, b, "svc.chan.bye1", &recv, &send);
    serve(a, b, "svc.chan.bye2", &recv2, &send2);
    struct chan ca, cb;
    first_route(a, b, recv, send, &ca, &cb, &slot);
    assert_int_equal(route(b, send2, &ch, &slot2), KERN_SUCCESS);
    expect_route_add(a, ch, slot2, recv2);
    chan_close(&cb);
    tc_close(b);
    bool seen[2] = {false, false};
    for (int i = 0; i < 2; i++) {
        const struct machd_msg *m = tc_expect(a, MACHD_ROUTE_DEL);
        assert_int_equal(m->u.route_del.channel, ca.id);
        if (m->u.route_del.slot == slot)
            seen[0] = true;
        else if (m->u.route_del.slot == slot2)
            seen[1] = true;
    }
    assert_true(seen[0] && seen[1]);
    struct pollfd pfd = {.fd = ca.fds[MACHD_CHANNEL_FD_LINK], .events = POLLIN};
    assert_int_equal(poll(&pfd, 1, MH_TIMEOUT_MS), 1);
    assert_true(pfd.revents & POLLHUP);
    struct tc *b2 = tc_open_direct(&mh_daemon);
    assert_int_equal(tc_look_up(b2, "svc.chan.bye1", &send), 0);
    struct chan ca2, cb2;
    first_route(a, b2, recv, send, &ca2, &cb2, &slot);
    assert_true(cb2.id > ca.id);
    chan_close(&ca);
    chan_close(&ca2);
    chan_close(&cb2);
    tc_close(b2);
    tc_close(a);
}

/* A receiver that disconnects: its channels go; the requester's send right stays (a dead name
 * later) and a new route to the port's next holder makes a new channel. The receive right moving
 * to a third task leaves routes as they are until the senders' entries go. */
static void receive_right_moving_or_dying_keeps_machd_sound(void **state) {
    (void)state;
    struct tc *a = tc_open_direct(&mh_daemon), *b = tc_open_direct(&mh_daemon), *c = tc_open_direct(&mh_daemon);
    uint32_t recv, send, crecv, csend, slot;
    serve(a, b, "svc.chan.move", &recv, &send);
    serve(c, a, "svc.chan.third", &crecv, &csend);
    struct chan ca, cb;
    first_route(a, b, recv, send, &ca, &cb, &slot);
    /* a moves the receive right to c */
    struct machd_right mv = mh_right(recv, MACHD_DISP_MOVE_RECEIVE, 0);
    assert_int_equal(tc_msg(a, mh_right(csend, MACHD_DISP_COPY_SEND, 0), MH_NO_RIGHT, 3, NULL, &mv, 1, 0),
                     MACH_MSG_SUCCESS);
    const struct machd_msg *m = tc_expect(c, MACHD_MSG_DELIVER);
    uint32_t at_c = machd_payload_right(&m->u.deliver.p, 0).name;
    tc_expect(a, MACHD_MOVED);
    /* the route stays: the same ROUTE answers the same slot */
    uint32_t ch, again;
    assert_int_equal(route(b, send, &ch, &again), KERN_SUCCESS);
    assert_int_equal(again, slot);
    /* the port dies at c: b's entry goes, a (the old receiver, the channel's peer) hears */
    assert_int_equal(tc_mod_refs(c, at_c, MACHD_RIGHT_RECEIVE, -1), KERN_SUCCESS);
    expect_route_del(a, ca.id, slot);
    assert_int_equal(tc_expect(b, MACHD_PORT_DEAD)->u.port_dead.name, send);
    /* a receiver that goes: its channel is forgotten, nothing sent to it, machd lives */
    serve(a, b, "svc.chan.move2", &recv, &send);
    assert_int_equal(route(b, send, &ch, &again), KERN_SUCCESS);
    assert_int_equal(ch, ca.id);
    expect_route_add(a, ch, again, recv);
    chan_close(&ca);
    tc_close(a);
    assert_int_equal(tc_expect(b, MACHD_PORT_DEAD)->u.port_dead.name, send);
    struct pollfd pfd = {.fd = cb.fds[MACHD_CHANNEL_FD_LINK], .events = POLLIN};
    assert_int_equal(poll(&pfd, 1, MH_TIMEOUT_MS), 1);
    assert_true(pfd.revents & POLLHUP);
    chan_close(&cb);
    /* c and b: a new channel with a new id */
    serve(c, b, "svc.chan.move3", &crecv, &send);
    struct chan cc, cb2;
    first_route(c, b, crecv, send, &cc, &cb2, &slot);
    assert_true(cc.id > ca.id);
    chan_close(&cc);
    chan_close(&cb2);
    tc_close(b);
    tc_close(c);
    struct tc *obs = tc_open_direct(&mh_daemon);
    tc_settle(obs, 1, NULL, NULL, NULL);
    tc_expect_counts(obs, 1, 0, 0);
    tc_close(obs);
}

/* ---- tickets ---- */

static uint32_t ticket(struct tc *t, uint32_t channel, int32_t id, const struct machd_right *rights, uint32_t n,
                       uint16_t flags) {
    memset(&t->out, 0, sizeof t->out);
    t->out.type = MACHD_MSG_SEND;
    t->out.u.send.dest = mh_right(channel, MACHD_DISP_NONE, 0);
    t->out.u.send.flags = MACHD_SEND_TICKET | flags;
    t->out.u.send.p.msgh_bits = n ? MACHD_MSGH_BITS_COMPLEX : 0;
    t->out.u.send.p.msgh_id = id;
    t->out.u.send.p.right_count = n;
    t->out.u.send.p.rights = rights;
    static const uint8_t body[] = "ticket";
    t->out.u.send.p.body = body;
    t->out.u.send.p.body_len = sizeof body;
    tc_send(t);
    if (flags & MACHD_SEND_ACK_ERRORS_ONLY)
        return MACH_MSG_SUCCESS;
    return tc_expect(t, MACHD_SEND_REPLY)->u.send_reply.status;
}

/* A ticket goes to the other task of the channel, in order with the messages machd relays, with
 * MACHD_PAYLOAD_TICKET and dest {channel, NONE}, its rights copied out into the peer's space. */
static void tickets_go_to_the_peer_in_order(void **state) {
    (void)state;
    struct tc *a = tc_open_direct(&mh_daemon), *b = tc_open_direct(&mh_daemon);
    uint32_t recv, send, slot;
    serve(a, b, "svc.chan.ticket", &recv, &send);
    struct chan ca, cb;
    first_route(a, b, recv, send, &ca, &cb, &slot);
    assert_int_equal(tc_msg(b, mh_right(send, MACHD_DISP_COPY_SEND, 0), MH_NO_RIGHT, 1, NULL, NULL, 0, 0),
                     MACH_MSG_SUCCESS);
    struct machd_right export = mh_right(H(7), MACHD_DISP_MAKE_SEND, MACHD_RIGHT_NEW);
    assert_int_equal(ticket(b, cb.id, 2, &export, 1, 0), MACH_MSG_SUCCESS);
    assert_int_equal(tc_msg(b, mh_right(send, MACHD_DISP_COPY_SEND, 0), MH_NO_RIGHT, 3, NULL, NULL, 0, 0),
                     MACH_MSG_SUCCESS);
    assert_int_equal(tc_expect(a, MACHD_MSG_DELIVER)->u.deliver.p.msgh_id, 1);
    const struct machd_msg *m = tc_expect(a, MACHD_MSG_DELIVER);
    assert_int_equal(m->u.deliver.p.msgh_id, 2);
    assert_true(m->u.deliver.p.msgh_bits & MACHD_PAYLOAD_TICKET);
    assert_int_equal(m->u.deliver.dest.name, cb.id);
    assert_int_equal(m->u.deliver.dest.disposition, MACHD_DISP_NONE);
    assert_int_equal(m->u.deliver.audit.pid, b->conn.self.pid);
    assert_true(m->u.deliver.audit.task_id == b->conn.self.task_id);
    assert_int_equal(m->u.deliver.p.right_count, 1);
    struct machd_right got = machd_payload_right(&m->u.deliver.p, 0);
    assert_int_equal(got.disposition, MACHD_DISP_MOVE_SEND);
    m = tc_expect(a, MACHD_MSG_DELIVER);
    assert_int_equal(m->u.deliver.p.msgh_id, 3);
    assert_false(m->u.deliver.p.msgh_bits & MACHD_PAYLOAD_TICKET);
    /* the right arrived: a reaches b's port with it */
    assert_int_equal(tc_msg(a, mh_right(got.name, MACHD_DISP_COPY_SEND, 0), MH_NO_RIGHT, 4, NULL, NULL, 0, 0),
                     MACH_MSG_SUCCESS);
    m = tc_expect(b, MACHD_MSG_DELIVER);
    assert_int_equal(m->u.deliver.p.msgh_id, 4);
    assert_int_equal(m->u.deliver.dest.name, H(7));
    /* and a's tickets go to b */
    assert_int_equal(ticket(a, ca.id, 5, NULL, 0, 0), MACH_MSG_SUCCESS);
    m = tc_expect(b, MACHD_MSG_DELIVER);
    assert_int_equal(m->u.deliver.p.msgh_id, 5);
    assert_int_equal(m->u.deliver.dest.name, ca.id);
    chan_close(&ca);
    chan_close(&cb);
    tc_close(a);
    tc_close(b);
}

/* A ticket on a channel the sender is not part of, or on no channel, is refused as a bad
 * destination (with ACK_ERRORS_ONLY its rights are destroyed); machd lives on. */
static void ticket_on_a_foreign_channel_is_refused(void **state) {
    (void)state;
    struct tc *a = tc_open_direct(&mh_daemon), *b = tc_open_direct(&mh_daemon), *x = tc_open_direct(&mh_daemon);
    uint32_t recv, send, slot;
    serve(a, b, "svc.chan.foreign", &recv, &send);
    struct chan ca, cb;
    first_route(a, b, recv, send, &ca, &cb, &slot);
    assert_int_equal(ticket(x, cb.id, 1, NULL, 0, 0), MACH_SEND_INVALID_DEST);
    assert_int_equal(ticket(x, 12345, 1, NULL, 0, 0), MACH_SEND_INVALID_DEST);
    assert_int_equal(ticket(x, MACHD_HANDLE_DEAD, 1, NULL, 0, 0), MACH_SEND_INVALID_DEST);
    struct machd_right export = mh_right(H(9), MACHD_DISP_MAKE_SEND, MACHD_RIGHT_NEW);
    ticket(x, cb.id, 2, &export, 1, MACHD_SEND_ACK_ERRORS_ONLY);
    assert_int_equal(tc_expect(x, MACHD_SENDERS_GONE)->u.senders_gone.name, H(9)); /* destroyed */
    assert_int_equal(tc_expect(x, MACHD_SEND_REPLY)->u.send_reply.status, MACH_SEND_INVALID_DEST);
    expect_quiet(a);
    expect_quiet(b);
    uint32_t tasks, ports, entries;
    tc_stats(x, &tasks, &ports, &entries, NULL);
    assert_int_equal(tasks, 3);
    assert_int_equal(ports, 2);   /* svc.chan.foreign, and x's own port (known, its send right gone) */
    assert_int_equal(entries, 3); /* a's receive right, b's send right, x's receive right */
    chan_close(&ca);
    chan_close(&cb);
    tc_close(x);
    tc_close(a);
    tc_close(b);
}

/* ---- token claims: a reply right that came on a channel leaves its process (9.6) ---- */

static void send_claim(struct tc *t, uint32_t channel, uint32_t token) {
    memset(&t->out, 0, sizeof t->out);
    t->out.type = MACHD_TOKEN_CLAIM;
    t->out.u.token_claim.channel = channel;
    t->out.u.token_claim.token = token;
    tc_send(t);
}

/* The answer to claim request `seq`: its status, and the handle in *handle. */
static uint32_t expect_claim_reply(struct tc *t, uint32_t seq, uint32_t *handle) {
    const struct machd_msg *m = tc_expect(t, MACHD_STATUS_REPLY);
    assert_int_equal(m->seq, seq);
    if (handle)
        *handle = m->u.status_reply.value;
    return m->u.status_reply.status;
}

/* TOKEN_CLAIMED for token on channel; returns the claim id. */
static uint32_t expect_claimed(struct tc *t, uint32_t channel, uint32_t token) {
    const struct machd_msg *m = tc_expect(t, MACHD_TOKEN_CLAIMED);
    assert_int_equal(m->u.token_claimed.channel, channel);
    assert_int_equal(m->u.token_claimed.token, token);
    assert_true(m->u.token_claimed.claim != 0);
    return m->u.token_claimed.claim;
}

static void send_grant(struct tc *t, uint32_t claim, uint32_t status, struct machd_right right) {
    memset(&t->out, 0, sizeof t->out);
    t->out.type = MACHD_TOKEN_GRANT;
    t->out.u.token_grant.claim = claim;
    t->out.u.token_grant.status = status;
    t->out.u.token_grant.right = right;
    tc_send(t);
}

/* A send-once notification delivered to t's port `name`. */
static void expect_send_once_notification(struct tc *t, uint32_t name) {
    const struct machd_msg *m = tc_expect(t, MACHD_MSG_DELIVER);
    assert_int_equal(m->u.deliver.dest.name, name);
    assert_int_equal(m->u.deliver.p.msgh_id, MACH_NOTIFY_SEND_ONCE);
}

/* The server (b) claims the requester's (a's) token: a is asked, grants the send-once right to
 * its reply port, and b gets it as a right of its own, which reaches a's port once. A second
 * grant of the same claim (replayed) is nobody's: its right is destroyed, a's port gets the
 * send-once notification, b hears nothing. */
static void a_claimed_token_becomes_the_claimers_send_once_right(void **state) {
    (void)state;
    struct tc *a = tc_open_direct(&mh_daemon), *b = tc_open_direct(&mh_daemon);
    uint32_t recv, send, slot;
    serve(a, b, "svc.chan.claim", &recv, &send);
    struct chan ca, cb;
    first_route(a, b, recv, send, &ca, &cb, &slot);
    send_claim(b, cb.id, 5);
    uint32_t seq = b->out.seq, claim = expect_claimed(a, ca.id, 5);
    send_grant(a, claim, 0, mh_right(H(7), MACHD_DISP_MAKE_SEND_ONCE, MACHD_RIGHT_NEW));
    uint32_t h = 0;
    assert_int_equal(expect_claim_reply(b, seq, &h), KERN_SUCCESS);
    assert_true(h != MACHD_HANDLE_NULL && h != MACHD_HANDLE_DEAD);
    assert_int_equal(tc_msg(b, mh_right(h, MACHD_DISP_MOVE_SEND_ONCE, 0), MH_NO_RIGHT, 4242, "reply", NULL, 0, 0),
                     MACH_MSG_SUCCESS);
    const struct machd_msg *m = tc_expect(a, MACHD_MSG_DELIVER);
    assert_int_equal(m->u.deliver.dest.name, H(7));
    assert_int_equal(m->u.deliver.p.msgh_id, 4242);
    send_grant(a, claim, 0, mh_right(H(7), MACHD_DISP_MAKE_SEND_ONCE, 0)); /* replayed */
    expect_send_once_notification(a, H(7));
    expect_quiet(b);
    expect_quiet(a);
    chan_close(&ca);
    chan_close(&cb);
    tc_close(a);
    tc_close(b);
}

/* Hostile claims and grants: a task not on the channel, an unknown channel, a grant by a task
 * that was not asked, a refusal, a right the issuer does not hold; each is answered to the
 * claimer alone (or to nobody), the rights involved destroyed once, machd's counts unchanged. A
 * malformed claim closes only its sender's connection. */
static void hostile_claims_and_grants_are_refused(void **state) {
    (void)state;
    struct tc *a = tc_open_direct(&mh_daemon), *b = tc_open_direct(&mh_daemon), *x = tc_open_direct(&mh_daemon);
    uint32_t recv, send, slot;
    serve(a, b, "svc.chan.claimx", &recv, &send);
    struct chan ca, cb;
    first_route(a, b, recv, send, &ca, &cb, &slot);
    uint32_t tasks, ports, entries;
    tc_stats(x, &tasks, &ports, &entries, NULL);
    send_claim(x, cb.id, 1); /* not x's channel */
    assert_int_equal(expect_claim_reply(x, x->out.seq, NULL), KERN_INVALID_ARGUMENT);
    send_claim(x, 12345, 1);
    assert_int_equal(expect_claim_reply(x, x->out.seq, NULL), KERN_INVALID_ARGUMENT);
    expect_quiet(a);
    /* b's claim; x grants it: x's right is destroyed (x's own port notified), the claim waits on. */
    send_claim(b, cb.id, 9);
    uint32_t seq = b->out.seq, claim = expect_claimed(a, ca.id, 9);
    send_grant(x, claim, 0, mh_right(H(3), MACHD_DISP_MAKE_SEND_ONCE, MACHD_RIGHT_NEW));
    expect_send_once_notification(x, H(3));
    expect_quiet(b);
    send_grant(a, claim, KERN_INVALID_NAME, MH_NO_RIGHT); /* a refuses: not a token of its */
    assert_int_equal(expect_claim_reply(b, seq, NULL), KERN_FAILURE);
    send_grant(a, claim, 0, mh_right(H(7), MACHD_DISP_MAKE_SEND_ONCE, MACHD_RIGHT_NEW)); /* claimed twice */
    expect_send_once_notification(a, H(7));
    expect_quiet(b);
    send_claim(b, cb.id, 9);
    seq = b->out.seq;
    claim = expect_claimed(a, ca.id, 9);
    send_grant(a, claim, 0, mh_right(77, MACHD_DISP_MOVE_SEND_ONCE, 0)); /* a right a does not hold */
    assert_int_equal(expect_claim_reply(b, seq, NULL), KERN_FAILURE);
    uint32_t t2, p2, e2;
    tc_stats(x, &t2, &p2, &e2, NULL);
    assert_int_equal(t2, tasks);
    assert_int_equal(e2, entries + 2); /* the ports x and a exported, whose send-once rights went */
    /* Malformed: token 0; a grant with a right and a refusal's status. */
    for (int bad = 0; bad < 2; bad++) {
        struct tc *y = tc_open_direct(&mh_daemon);
        struct machd_msg out = {.type = MACHD_TOKEN_CLAIM, .seq = 1, .u.token_claim = {cb.id, 1}};
        if (bad)
            out = (struct machd_msg){.type = MACHD_TOKEN_GRANT, .seq = 1, .u.token_grant = {3, KERN_FAILURE, MH_NO_RIGHT}};
        uint8_t raw[64];
        size_t len = machd_proto_encode(&out, raw, sizeof raw);
        assert_true(len > 20);
        if (bad)
            memset(raw + 20, 0, 4); /* status 0 and no right */
        else
            memset(raw + 20, 0, 4); /* token 0 */
        assert_true(write(y->conn.fd, raw, len) == (ssize_t)len);
        assert_int_equal(tc_expect_eof(y), 0);
        tc_close(y);
    }
    /* Still served. */
    assert_int_equal(tc_msg(b, mh_right(send, MACHD_DISP_COPY_SEND, 0), MH_NO_RIGHT, 1, NULL, NULL, 0, 0),
                     MACH_MSG_SUCCESS);
    assert_int_equal(tc_expect(a, MACHD_MSG_DELIVER)->u.deliver.p.msgh_id, 1);
    chan_close(&ca);
    chan_close(&cb);
    tc_close(x);
    tc_close(a);
    tc_close(b);
}

static int setup_four_claims(void **state) {
    mh_daemon.extra[0] = "--limit";
    mh_daemon.extra[1] = "claims-per-task=4";
    return mh_setup(state);
}

/* A flood of claims an issuer never answers: past claims-per-task the claimer is refused at once
 * (the issuer is not asked), the rest fail at machd's deadline; the issuer's late grant destroys
 * its right (a notification); machd serves others meanwhile. */
static void unanswered_claims_are_capped_and_time_out(void **state) {
    (void)state;
    struct tc *a = tc_open_direct(&mh_daemon), *b = tc_open_direct(&mh_daemon);
    uint32_t recv, send, slot;
    serve(a, b, "svc.chan.flood", &recv, &send);
    struct chan ca, cb;
    first_route(a, b, recv, send, &ca, &cb, &slot);
    uint32_t seqs[4], claims[4];
    for (uint32_t i = 0; i < 4; i++) {
        send_claim(b, cb.id, i + 1);
        seqs[i] = b->out.seq;
    }
    send_claim(b, cb.id, 99);
    assert_int_equal(expect_claim_reply(b, b->out.seq, NULL), KERN_RESOURCE_SHORTAGE);
    for (uint32_t i = 0; i < 4; i++)
        claims[i] = expect_claimed(a, ca.id, i + 1);
    expect_quiet(a);
    struct tc *obs = tc_open_direct(&mh_daemon);
    uint32_t tasks, ports, entries;
    tc_stats(obs, &tasks, &ports, &entries, NULL); /* answered while the claims wait */
    assert_int_equal(tasks, 3);
    for (uint32_t i = 0; i < 4; i++)
        assert_int_equal(expect_claim_reply(b, seqs[i], NULL), KERN_OPERATION_TIMED_OUT);
    send_grant(a, claims[0], 0, mh_right(H(7), MACHD_DISP_MAKE_SEND_ONCE, MACHD_RIGHT_NEW));
    expect_send_once_notification(a, H(7));
    expect_quiet(b);
    send_claim(b, cb.id, 5); /* room again */
    uint32_t seq = b->out.seq;
    send_grant(a, expect_claimed(a, ca.id, 5), 0, mh_right(H(7), MACHD_DISP_MAKE_SEND_ONCE, 0));
    assert_int_equal(expect_claim_reply(b, seq, NULL), KERN_SUCCESS);
    tc_close(obs);
    chan_close(&ca);
    chan_close(&cb);
    tc_close(a);
    tc_close(b);
}

/* The issuer dies while its token is claimed: the claim fails at once. The claimer dies with a
 * claim waiting: the issuer's grant then finds nobody, and its right is destroyed. */
static void a_task_dying_during_a_claim_leaves_nothing_waiting(void **state) {
    (void)state;
    struct tc *a = tc_open_direct(&mh_daemon), *b = tc_open_direct(&mh_daemon);
    uint32_t recv, send, slot;
    serve(a, b, "svc.chan.claimdie", &recv, &send);
    struct chan ca, cb;
    first_route(a, b, recv, send, &ca, &cb, &slot);
    send_claim(b, cb.id, 1);
    uint32_t seq = b->out.seq;
    expect_claimed(a, ca.id, 1);
    chan_close(&ca);
    tc_close(a);
    assert_int_equal(expect_claim_reply(b, seq, NULL), KERN_FAILURE);
    chan_close(&cb);
    struct tc *c = tc_open_direct(&mh_daemon), *d = tc_open_direct(&mh_daemon);
    serve(c, d, "svc.chan.claimdie2", &recv, &send);
    first_route(c, d, recv, send, &ca, &cb, &slot);
    send_claim(d, cb.id, 1);
    uint32_t claim = expect_claimed(c, ca.id, 1);
    chan_close(&cb);
    tc_close(d);
    struct tc *obs = tc_open_direct(&mh_daemon);
    tc_settle(obs, 3, NULL, NULL, NULL); /* b, c and obs */
    expect_route_del(c, ca.id, slot);    /* d's route went with it */
    send_grant(c, claim, 0, mh_right(H(7), MACHD_DISP_MAKE_SEND_ONCE, MACHD_RIGHT_NEW));
    expect_send_once_notification(c, H(7));
    tc_close(obs);
    chan_close(&ca);
    tc_close(c);
    tc_close(b);
}

/* ---- limits and leaks ---- */

static int setup_two_channels(void **state) {
    mh_daemon.extra[0] = "--limit";
    mh_daemon.extra[1] = "channels-per-task=2";
    return mh_setup(state);
}

static void channels_per_task_limit_is_a_resource_shortage(void **state) {
    (void)state;
    struct tc *b = tc_open_direct(&mh_daemon), *r[3];
    struct chan cr[3], cb[3];
    for (int i = 0; i < 3; i++) {
        r[i] = tc_open_direct(&mh_daemon);
        char name[32];
        snprintf(name, sizeof name, "svc.chan.limit%d", i);
        uint32_t recv, send, slot;
        serve(r[i], b, name, &recv, &send);
        if (i < 2) {
            first_route(r[i], b, recv, send, &cr[i], &cb[i], &slot);
        } else {
            uint32_t ch = 1, s = 1;
            assert_int_equal(route(b, send, &ch, &s), KERN_RESOURCE_SHORTAGE);
            assert_int_equal(ch, 0);
            expect_quiet(r[i]);
        }
    }
    for (int i = 0; i < 2; i++) {
        chan_close(&cr[i]);
        chan_close(&cb[i]);
    }
    for (int i = 0; i < 3; i++)
        tc_close(r[i]);
    tc_close(b);
}

/* Descriptors open in process pid. */
static int fd_count_of(pid_t pid) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
    DIR *d = opendir(path);
    assert_non_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static int machd_fd_count(void) { return fd_count_of(mh_daemon.pid); }

/* 1,000 channels made and torn down (both tasks go each time) leave machd with the descriptors
 * it had. */
static void thousand_channels_leave_no_descriptor(void **state) {
    (void)state;
    struct tc *obs = tc_open_direct(&mh_daemon);
    tc_settle(obs, 1, NULL, NULL, NULL);
    int before = machd_fd_count();
    for (int i = 0; i < 1000; i++) {
        struct tc *a = tc_open_direct(&mh_daemon), *b = tc_open_direct(&mh_daemon);
        uint32_t recv, send, slot;
        serve(a, b, "svc.chan.many", &recv, &send);
        struct chan ca, cb;
        first_route(a, b, recv, send, &ca, &cb, &slot);
        chan_close(&ca);
        chan_close(&cb);
        tc_close(b);
        tc_close(a);
        if (i % 50 == 49)
            tc_settle(obs, 1, NULL, NULL, NULL);
    }
    tc_settle(obs, 1, NULL, NULL, NULL);
    tc_expect_counts(obs, 1, 0, 0);
    assert_int_equal(machd_fd_count(), before);
    tc_close(obs);
}

#ifdef MACHD_RPC_PEER
/* libmach says HELLO_DIRECT but maps no channel yet: a CHANNEL's descriptors are closed, a
 * ticket is refused (its rights given back), and the server goes on answering. */
static void libmach_task_keeps_no_channel_and_refuses_tickets(void **state) {
    (void)state;
    /* A libmach task maps the channels machd gives it (docs/machd.md 9.3). A ticket whose ring
     * record never comes waits on its channel; when the peer hangs up the channel goes, and the
     * ticket with it: its right is destroyed (SENDERS_GONE here), the task's descriptors are back
     * where they were, and it serves on. */
    const char *args[] = {"server", "svc.chan.libmach", NULL};
    pid_t peer = mh_spawn_program(&mh_daemon, MACHD_RPC_PEER, args);
    int before = -1;
    for (int i = 0; i < 20; i++) {
        struct tc *b = tc_open_direct(&mh_daemon);
        uint32_t send, ch, slot;
        assert_int_equal(tc_look_up(b, "svc.chan.libmach", &send), 0);
        if (before < 0)
            before = fd_count_of(peer);
        send_route(b, send);
        struct chan cb;
        expect_channel(b, &cb);
        assert_int_equal(expect_route_reply(b, &ch, &slot), KERN_SUCCESS);
        struct machd_right export = mh_right(H(7), MACHD_DISP_MAKE_SEND, MACHD_RIGHT_NEW);
        assert_int_equal(ticket(b, ch, 500, &export, 1, 0), MACH_MSG_SUCCESS);
        chan_close(&cb); /* we hang up: the ticket's record never comes */
        assert_int_equal(machd_conn_recv(&b->conn, b->buf, &b->msg, MH_TIMEOUT_MS), 0);
        assert_int_equal(b->msg.type, MACHD_SENDERS_GONE);
        assert_int_equal(b->msg.u.senders_gone.name, H(7));
        assert_int_equal(tc_msg(b, mh_right(send, MACHD_DISP_COPY_SEND, 0),
                                mh_right(H(1), MACHD_DISP_MAKE_SEND_ONCE, MACHD_RIGHT_NEW), 500, "still served", NULL,
                                0, MACHD_SEND_ACK_ERRORS_ONLY),
                         MACH_MSG_SUCCESS);
        assert_int_equal(machd_conn_recv(&b->conn, b->buf, &b->msg, MH_TIMEOUT_MS), 0);
        assert_int_equal(b->msg.type, MACHD_MSG_DELIVER);
        assert_int_equal(b->msg.u.deliver.p.msgh_id, 600);
        tc_close(b);
    }
    /* The channels' descriptors go as the peer sees each hang-up (bounded wait); its epoll set
     * and nudge eventfd, made with its first channel, stay. */
    before += 2;
    int now = fd_count_of(peer);
    for (int waited = 0; now != before && waited < MH_TIMEOUT_MS; waited += 10) {
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
        now = fd_count_of(peer);
    }
    assert_int_equal(now, before);
    assert_int_equal(kill(peer, SIGKILL), 0);
    mh_wait(peer);
}

/* A raw task on a channel with a libmach server claims tokens the server never issued to it, one
 * twice, and floods it with claims: the libmach task refuses each (the claims fail), keeps its
 * channel and serves on. */
static void libmach_task_refuses_claims_of_tokens_it_did_not_issue(void **state) {
    (void)state;
    const char *args[] = {"server", "svc.chan.libclaim", NULL};
    pid_t peer = mh_spawn_program(&mh_daemon, MACHD_RPC_PEER, args);
    struct tc *b = tc_open_direct(&mh_daemon);
    uint32_t send, ch, slot;
    assert_int_equal(tc_look_up(b, "svc.chan.libclaim", &send), 0);
    send_route(b, send);
    struct chan cb;
    expect_channel(b, &cb);
    assert_int_equal(expect_route_reply(b, &ch, &slot), KERN_SUCCESS);
    uint32_t tokens[] = {1, 1, 2, 65536, 0xfffffffeu};
    for (size_t i = 0; i < sizeof tokens / sizeof tokens[0]; i++) {
        send_claim(b, ch, tokens[i]);
        assert_int_equal(expect_claim_reply(b, b->out.seq, NULL), KERN_FAILURE);
    }
    for (uint32_t i = 0; i < 1000; i++) /* a flood: each answered, none left waiting */
        send_claim(b, ch, i + 1);
    for (uint32_t i = 0; i < 1000; i++) {
        uint32_t st = tc_expect(b, MACHD_STATUS_REPLY)->u.status_reply.status;
        assert_true(st == KERN_FAILURE || st == KERN_RESOURCE_SHORTAGE);
    }
    assert_int_equal(tc_msg(b, mh_right(send, MACHD_DISP_COPY_SEND, 0),
                            mh_right(H(1), MACHD_DISP_MAKE_SEND_ONCE, MACHD_RIGHT_NEW), 500, "still served", NULL, 0,
                            MACHD_SEND_ACK_ERRORS_ONLY),
                     MACH_MSG_SUCCESS);
    const struct machd_msg *m = tc_expect(b, MACHD_MSG_DELIVER);
    assert_int_equal(m->u.deliver.p.msgh_id, 600);
    chan_close(&cb);
    tc_close(b);
    assert_int_equal(kill(peer, SIGKILL), 0);
    mh_wait(peer);
}
#endif

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(route_without_a_send_right_is_refused, mh_setup, mh_teardown),
        cmocka_unit_test_setup_teardown(route_to_a_task_without_direct_fails, mh_setup, mh_teardown),
        cmocka_unit_test_setup_teardown(route_makes_a_channel_and_announces_it, mh_setup, mh_teardown),
        cmocka_unit_test_setup_teardown(losing_the_send_right_deletes_the_route, mh_setup, mh_teardown),
        cmocka_unit_test_setup_teardown(requester_disconnect_deletes_its_routes, mh_setup, mh_teardown),
        cmocka_unit_test_setup_teardown(receive_right_moving_or_dying_keeps_machd_sound, mh_setup, mh_teardown),
        cmocka_unit_test_setup_teardown(tickets_go_to_the_peer_in_order, mh_setup, mh_teardown),
        cmocka_unit_test_setup_teardown(ticket_on_a_foreign_channel_is_refused, mh_setup, mh_teardown),
        cmocka_unit_test_setup_teardown(channels_per_task_limit_is_a_resource_shortage, setup_two_channels,
                                        mh_teardown),
        cmocka_unit_test_setup_teardown(thousand_channels_leave_no_descriptor, mh_setup, mh_teardown),
        cmocka_unit_test_setup_teardown(a_claimed_token_becomes_the_claimers_send_once_right, mh_setup, mh_teardown),
        cmocka_unit_test_setup_teardown(hostile_claims_and_grants_are_refused, mh_setup, mh_teardown),
        cmocka_unit_test_setup_teardown(unanswered_claims_are_capped_and_time_out, setup_four_claims, mh_teardown),
        cmocka_unit_test_setup_teardown(a_task_dying_during_a_claim_leaves_nothing_waiting, mh_setup, mh_teardown),
#ifdef MACHD_RPC_PEER
        cmocka_unit_test_setup_teardown(libmach_task_keeps_no_channel_and_refuses_tickets, mh_setup, mh_teardown),
        cmocka_unit_test_setup_teardown(libmach_task_refuses_claims_of_tokens_it_did_not_issue, mh_setup,
                                        mh_teardown),
#endif
    };
    return mh_run_tests("machd_channel", tests, sizeof tests / sizeof tests[0], argc, argv);
}
