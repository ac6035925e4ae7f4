/* Multi-process tests of machd at the protocol level: each test starts its own machd on a private
 * socket, uses real peer processes (machd_peer) and/or several connections (one task each), and
 * checks Mach's semantics across tasks: RPCs, every disposition, bootstrap, deaths, forgery. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <mach/kern_return.h>
#include <mach/message.h>
#include <mach/notify.h>

#include "machd_harness.h"

#define BS_NOT_PRIVILEGED 1100
#define BS_UNKNOWN_SERVICE 1102
#define BS_SERVICE_ACTIVE 1103

#define H1 (MACHD_HANDLE_TASK_BIT | 1u)
#define H2 (MACHD_HANDLE_TASK_BIT | 2u)

/* One machd per test (machd_harness.c). */
#define daemon_proc mh_daemon
#define setup mh_setup
#define teardown mh_teardown

/* ---- the daemon itself ---- */

static int run_machd(const char *arg1, const char *arg2, const char *arg3) {
    pid_t pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        dup2(null, 2);
        execl(MACHD_BIN, MACHD_BIN, arg1, arg2, arg3, (char *)NULL);
        _exit(127);
    }
    return mh_wait(pid);
}

static void machd_help_usage_and_already_running(void **state) {
    (void)state;
    assert_int_equal(run_machd("--help", NULL, NULL), 0);
    assert_int_equal(run_machd("--no-such-option", NULL, NULL), 1);
    /* A second machd on a live socket exits 3 and leaves the first one serving. */
    assert_int_equal(run_machd("--socket", daemon_proc.path, NULL), 3);
    struct tc *t = tc_open(&daemon_proc);
    uint32_t ports;
    tc_stats(t, NULL, &ports, NULL, NULL);
    assert_int_equal(ports, 0);
    tc_close(t);
    /* Socket is private to the user. */
    struct stat st;
    assert_int_equal(stat(daemon_proc.path, &st), 0);
    assert_int_equal(st.st_mode & 077, 0);
}

static void sigterm_stops_cleanly_and_removes_the_socket(void **state) {
    (void)state;
    struct tc *t = tc_open(&daemon_proc);
    assert_int_equal(mh_stop(&daemon_proc), 0);
    assert_int_equal(tc_expect_eof(t), 0); /* tasks see EOF, not a hang */
    tc_close(t);
    assert_int_equal(access(daemon_proc.path, F_OK), -1);
    /* A stale socket file from a killed machd is replaced by the next one. */
    mh_restart(&daemon_proc);
    mh_kill(&daemon_proc);
    assert_int_equal(access(daemon_proc.path, F_OK), 0);
    mh_restart(&daemon_proc);
}

static void malformed_request_drops_only_that_task(void **state) {
    (void)state;
    struct tc *bad = tc_open(&daemon_proc), *good = tc_open(&daemon_proc);
    uint32_t h;
    assert_int_equal(tc_check_in(good, "svc.good", &h), 0);
    assert_true(send(bad->conn.fd, "garbage!", 8, 0) == 8);
    const struct machd_msg *e = tc_expect(bad, MACHD_ERROR);
    assert_int_equal(e->u.error.status, KERN_INVALID_ARGUMENT);
    assert_int_equal(tc_expect_eof(bad), 0);
    /* A reply type sent as a request is refused the same way. */
    struct tc *bad2 = tc_open(&daemon_proc);
    memset(&bad2->out, 0, sizeof bad2->out);
    bad2->out.type = MACHD_PORT_DEAD;
    bad2->out.u.port_dead.name = 5;
    tc_send(bad2);
    tc_expect(bad2, MACHD_ERROR);
    assert_int_equal(tc_expect_eof(bad2), 0);
    uint32_t h2;
    assert_int_equal(tc_look_up(good, "svc.good", &h2), 0);
    tc_close(bad);
    tc_close(bad2);
    tc_close(good);
}

/* ---- RPCs between real processes ---- */

static void null_rpc_between_peer_processes(void **state) {
    (void)state;
    const char *srv[] = {"server", "svc.echo", NULL};
    pid_t server = mh_spawn_peer(&daemon_proc, srv);
    const char *cli[] = {"client", "svc.echo", "2000", NULL};
    pid_t client = mh_spawn_peer(&daemon_proc, cli);
    assert_int_equal(mh_wait(client), 0);
    kill(server, SIGTERM);
    mh_wait(server);
}

static void audit_identity_comes_from_the_kernel(void **state) {
    (void)state;
    struct tc *srv = tc_open(&daemon_proc);
    uint32_t recv;
    assert_int_equal(tc_check_in(srv, "svc.audit", &recv), 0);
    const char *cli[] = {"client", "svc.audit", "1", NULL};
    pid_t client = mh_spawn_peer(&daemon_proc, cli);
    const struct machd_msg *m = tc_expect(srv, MACHD_MSG_DELIVER);
    assert_int_equal(m->u.deliver.dest.name, recv);
    assert_int_equal(m->u.deliver.audit.pid, (uint32_t)client);
    assert_int_equal(m->u.deliver.audit.uid, (uint32_t)getuid());
    assert_int_equal(m->u.deliver.audit.gid, (uint32_t)getgid());
    assert_true(m->u.deliver.audit.task_id != 0);
    assert_int_equal(m->u.deliver.reply.disposition, MACHD_DISP_MOVE_SEND_ONCE);
    uint32_t reply = m->u.deliver.reply.name;
    assert_int_equal(tc_msg(srv, mh_right(reply, MACHD_DISP_MOVE_SEND_ONCE, 0), MH_NO_RIGHT, 101,
                            "ping-payload", NULL, 0, 0), 0);
    assert_int_equal(mh_wait(client), 0); /* the client checked id, body and audit of the reply */
    /* The send-once right was consumed: using it again is an invalid destination. */
    assert_int_equal(tc_msg(srv, mh_right(reply, MACHD_DISP_MOVE_SEND_ONCE, 0), MH_NO_RIGHT, 101, "x",
                            NULL, 0, 0),
                     MACH_SEND_INVALID_DEST);
    tc_close(srv);
}

static void server_killed_during_rpc_gives_send_once_notification(void **state) {
    (void)state;
    const char *srv[] = {"server", "svc.dying", NULL};
    pid_t server = mh_spawn_peer(&daemon_proc, srv);
    struct tc *cli = tc_open(&daemon_proc);
    uint32_t service;
    assert_int_equal(tc_look_up(cli, "svc.dying", &service), 0);
    /* msgh_id 2: the server never answers. */
    assert_int_equal(tc_msg(cli, mh_right(service, MACHD_DISP_COPY_SEND, 0),
                            mh_right(H1, MACHD_DISP_MAKE_SEND_ONCE, MACHD_RIGHT_NEW), 2, "hang", NULL, 0, 0),
                     0);
    kill(server, SIGKILL);
    mh_wait(server);
    /* The service port died (dead name), then the reply right held by the dead server turns into
     * a send-once notification to our reply port: what makes a MIG client return MIG_SERVER_DIED. */
    assert_int_equal(tc_expect(cli, MACHD_PORT_DEAD)->u.port_dead.name, service);
    const struct machd_msg *n = tc_expect(cli, MACHD_MSG_DELIVER);
    assert_int_equal(n->u.deliver.dest.name, H1);
    assert_int_equal(n->u.deliver.dest.disposition, MACHD_DISP_MOVE_SEND_ONCE);
    assert_int_equal(n->u.deliver.p.msgh_id, MACH_NOTIFY_SEND_ONCE);
    assert_int_equal(n->u.deliver.audit.pid, 0);
    assert_int_equal(tc_msg(cli, mh_right(service, MACHD_DISP_COPY_SEND, 0), MH_NO_RIGHT, 1, "x", NULL, 0, 0),
                     MACH_SEND_INVALID_DEST);
    /* The name was released with the port. */
    assert_int_equal(tc_look_up(cli, "svc.dying", NULL), BS_UNKNOWN_SERVICE);
    tc_expect_counts(cli, 1, 1, 1); /* only the client's own reply port is left */
    tc_close(cli);
}

static void client_killed_during_rpc_leaves_nothing_behind(void **state) {
    (void)state;
    struct tc *srv = tc_open(&daemon_proc);
    uint32_t recv;
    assert_int_equal(tc_check_in(srv, "svc.patient", &recv), 0);
    const char *cli[] = {"hang", "svc.patient", NULL};
    pid_t client = mh_spawn_peer(&daemon_proc, cli);
    const struct machd_msg *m = tc_expect(srv, MACHD_MSG_DELIVER);
    uint32_t reply = m->u.deliver.reply.name;
    kill(client, SIGKILL);
    mh_wait(client);
    /* The client's reply port died: our send-once right to it became a dead name. */
    assert_int_equal(tc_expect(srv, MACHD_PORT_DEAD)->u.port_dead.name, reply);
    assert_int_equal(tc_msg(srv, mh_right(reply, MACHD_DISP_MOVE_SEND_ONCE, 0), MH_NO_RIGHT, 102, NULL,
                            NULL, 0, 0),
                     MACH_SEND_INVALID_DEST);
    tc_expect_counts(srv, 1, 1, 1);
    tc_close(srv);
}

static void dead_name_after_peer_sigkill(void **state) {
    (void)state;
    const char *srv[] = {"server", "svc.victim", NULL};
    pid_t server = mh_spawn_peer(&daemon_proc, srv);
    struct tc *a = tc_open(&daemon_proc);
    uint32_t service;
    assert_int_equal(tc_look_up(a, "svc.victim", &service), 0);
    kill(server, SIGKILL);
    mh_wait(server);
    assert_int_equal(tc_expect(a, MACHD_PORT_DEAD)->u.port_dead.name, service);
    assert_int_equal(tc_msg(a, mh_right(service, MACHD_DISP_MOVE_SEND, 0), MH_NO_RIGHT, 1, NULL, NULL, 0, 0),
                     MACH_SEND_INVALID_DEST);
    assert_int_equal(tc_mod_refs(a, service, MACHD_RIGHT_SEND, -1), KERN_INVALID_NAME);
    tc_expect_counts(a, 1, 0, 0);
    tc_close(a);
}

static void machd_killed_then_restarted_serves_new_work(void **state) {
    (void)state;
    struct tc *a = tc_open(&daemon_proc);
    uint32_t h;
    assert_int_equal(tc_check_in(a, "svc.before", &h), 0);
    mh_kill(&daemon_proc);
    assert_int_equal(tc_expect_eof(a), 0); /* an error, not a hang */
    memset(&a->out, 0, sizeof a->out);
    a->out.type = MACHD_STATS;
    assert_int_equal(machd_conn_send(&a->conn, &a->out), EPIPE);
    tc_close(a);
    mh_restart(&daemon_proc);
    struct tc *b = tc_open(&daemon_proc);
    assert_int_equal(tc_look_up(b, "svc.before", NULL), BS_UNKNOWN_SERVICE);
    assert_int_equal(tc_check_in(b, "svc.before", &h), 0);
    tc_close(b);
}

/* ---- bootstrap ---- */

static void bootstrap_check_in_look_up_register(void **state) {
    (void)state;
    struct tc *a = tc_open(&daemon_proc), *b = tc_open(&daemon_proc);
    uint32_t recv, send_right, again;
    assert_int_equal(tc_look_up(b, "svc.bs", NULL), BS_UNKNOWN_SERVICE);
    assert_int_equal(tc_check_in(a, "svc.bs", &recv), 0);
    assert_int_equal(tc_check_in(b, "svc.bs", NULL), BS_NOT_PRIVILEGED); /* a's name */
    assert_int_equal(tc_check_in(a, "svc.bs", NULL), BS_SERVICE_ACTIVE);
    assert_int_equal(tc_look_up(b, "svc.bs", &send_right), 0);
    assert_int_equal(tc_look_up(b, "svc.bs", &again), 0);
    assert_int_equal(again, send_right); /* send rights coalesce under one name */
    assert_int_equal(tc_msg(b, mh_right(send_right, MACHD_DISP_COPY_SEND, 0), MH_NO_RIGHT, 7, "hi", NULL, 0, 0), 0);
    const struct machd_msg *m = tc_expect(a, MACHD_MSG_DELIVER);
    assert_int_equal(m->u.deliver.dest.name, recv);
    assert_int_equal(m->u.deliver.dest.disposition, MACHD_DISP_MOVE_SEND);
    assert_int_equal(m->u.deliver.p.msgh_id, 7);
    /* The receiver can make send rights from its receive right, and drop them again. */
    assert_int_equal(tc_mod_refs(a, recv, MACHD_RIGHT_SEND, 2), KERN_SUCCESS);
    assert_int_equal(tc_mod_refs(a, recv, MACHD_RIGHT_SEND, -2), KERN_SUCCESS);
    assert_int_equal(tc_mod_refs(a, recv, MACHD_RIGHT_SEND, -1), KERN_INVALID_RIGHT);
    assert_memory_equal(m->u.deliver.p.body, "hi", 2);
    /* register: a send right to one of b's own ports, exported now. */
    assert_int_equal(tc_register(b, "svc.reg", mh_right(H1, MACHD_DISP_MAKE_SEND, MACHD_RIGHT_NEW)), 0);
    assert_int_equal(tc_register(a, "svc.reg", mh_right(recv, MACHD_DISP_MAKE_SEND, 0)), BS_NOT_PRIVILEGED);
    assert_int_equal(tc_register(b, "svc.reg", mh_right(H1, MACHD_DISP_MAKE_SEND, 0)), BS_SERVICE_ACTIVE);
    uint32_t reg;
    assert_int_equal(tc_look_up(a, "svc.reg", &reg), 0);
    assert_int_equal(tc_msg(a, mh_right(reg, MACHD_DISP_COPY_SEND, 0), MH_NO_RIGHT, 8, NULL, NULL, 0, 0), 0);
    assert_int_equal(tc_expect(b, MACHD_MSG_DELIVER)->u.deliver.dest.name, H1);
    /* Destroying the receive right releases the name. */
    assert_int_equal(tc_mod_refs(a, recv, MACHD_RIGHT_RECEIVE, -1), KERN_SUCCESS);
    assert_int_equal(tc_expect(b, MACHD_PORT_DEAD)->u.port_dead.name, send_right);
    assert_int_equal(tc_look_up(b, "svc.bs", NULL), BS_UNKNOWN_SERVICE);
    assert_int_equal(tc_check_in(b, "svc.bs", &recv), 0);
    tc_close(a);
    tc_close(b);
}

/* ---- rights ---- */

/* a checks in svc.r; b looks it up. Returns a's receive handle and b's send handle. */
static void pair(struct tc **a, struct tc **b, uint32_t *recv, uint32_t *send_right) {
    *a = tc_open(&daemon_proc);
    *b = tc_open(&daemon_proc);
    assert_int_equal(tc_check_in(*a, "svc.r", recv), 0);
    assert_int_equal(tc_look_up(*b, "svc.r", send_right), 0);
}

static void rights_of_every_disposition_travel(void **state) {
    (void)state;
    struct tc *a, *b;
    uint32_t recv, svc;
    pair(&a, &b, &recv, &svc);
    struct tc *c = tc_open(&daemon_proc);
    /* b sends a: make-send and make-send-once of its port H1, a copy of its send right to svc. */
    struct machd_right rights[] = {
        mh_right(H1, MACHD_DISP_MAKE_SEND, MACHD_RIGHT_NEW),
        mh_right(H1, MACHD_DISP_MAKE_SEND_ONCE, 0),
        mh_right(svc, MACHD_DISP_COPY_SEND, 0),
        mh_right(MACHD_HANDLE_NULL, MACHD_DISP_COPY_SEND, 0),
    };
    assert_int_equal(tc_msg(b, mh_right(svc, MACHD_DISP_COPY_SEND, 0), MH_NO_RIGHT, 10, NULL, rights, 4, 0), 0);
    const struct machd_msg *m = tc_expect(a, MACHD_MSG_DELIVER);
    assert_int_equal(m->u.deliver.p.right_count, 4);
    uint32_t a_h1_send = machd_payload_right(&m->u.deliver.p, 0).name;
    uint32_t a_h1_once = machd_payload_right(&m->u.deliver.p, 1).name;
    assert_int_equal(machd_payload_right(&m->u.deliver.p, 0).disposition, MACHD_DISP_MOVE_SEND);
    assert_int_equal(machd_payload_right(&m->u.deliver.p, 1).disposition, MACHD_DISP_MOVE_SEND_ONCE);
    assert_int_not_equal(a_h1_once, a_h1_send); /* send-once rights never coalesce */
    assert_int_equal(machd_payload_right(&m->u.deliver.p, 2).name, recv); /* a's own port comes back as recv's name */
    assert_int_equal(machd_payload_right(&m->u.deliver.p, 3).name, MACHD_HANDLE_NULL);
    /* a moves its send right to H1 on to c (through a message to c's port H2). */
    uint32_t c_port_in_a;
    assert_int_equal(tc_register(c, "svc.c", mh_right(H2, MACHD_DISP_MAKE_SEND, MACHD_RIGHT_NEW)), 0);
    assert_int_equal(tc_look_up(a, "svc.c", &c_port_in_a), 0);
    struct machd_right mv[] = {mh_right(a_h1_send, MACHD_DISP_MOVE_SEND, 0),
                               mh_right(a_h1_once, MACHD_DISP_MOVE_SEND_ONCE, 0)};
    assert_int_equal(tc_msg(a, mh_right(c_port_in_a, MACHD_DISP_COPY_SEND, 0), MH_NO_RIGHT, 11, NULL, mv, 2, 0), 0);
    m = tc_expect(c, MACHD_MSG_DELIVER);
    uint32_t c_h1_send = machd_payload_right(&m->u.deliver.p, 0).name, c_h1_once = machd_payload_right(&m->u.deliver.p, 1).name;
    /* a no longer holds them. */
    assert_int_equal(tc_mod_refs(a, a_h1_send, MACHD_RIGHT_SEND, -1), KERN_INVALID_NAME);
    /* c uses both: messages land in b's port H1; the send-once one is consumed. */
    assert_int_equal(tc_msg(c, mh_right(c_h1_send, MACHD_DISP_COPY_SEND, 0), MH_NO_RIGHT, 12, NULL, NULL, 0, 0), 0);
    assert_int_equal(tc_expect(b, MACHD_MSG_DELIVER)->u.deliver.p.msgh_id, 12);
    assert_int_equal(tc_msg(c, mh_right(c_h1_once, MACHD_DISP_MOVE_SEND_ONCE, 0), MH_NO_RIGHT, 13, NULL, NULL, 0, 0), 0);
    assert_int_equal(tc_expect(b, MACHD_MSG_DELIVER)->u.deliver.p.msgh_id, 13);
    assert_int_equal(tc_msg(c, mh_right(c_h1_once, MACHD_DISP_MOVE_SEND_ONCE, 0), MH_NO_RIGHT, 14, NULL, NULL, 0, 0),
                     MACH_SEND_INVALID_DEST);
    tc_close(a);
    tc_close(b);
    tc_close(c);
}

static void receive_right_moves_to_a_third_task(void **state) {
    (void)state;
    struct tc *a, *b;
    uint32_t recv, svc;
    pair(&a, &b, &recv, &svc);
    struct tc *c = tc_open(&daemon_proc);
    uint32_t c_in_a;
    assert_int_equal(tc_register(c, "svc.third", mh_right(H1, MACHD_DISP_MAKE_SEND, MACHD_RIGHT_NEW)), 0);
    assert_int_equal(tc_look_up(a, "svc.third", &c_in_a), 0);
    assert_int_equal(tc_msg(b, mh_right(svc, MACHD_DISP_COPY_SEND, 0), MH_NO_RIGHT, 20, NULL, NULL, 0, 0), 0);
    assert_int_equal(tc_expect(a, MACHD_MSG_DELIVER)->u.deliver.p.msgh_id, 20);
    struct machd_right mv = mh_right(recv, MACHD_DISP_MOVE_RECEIVE, 0);
    assert_int_equal(tc_msg(a, mh_right(c_in_a, MACHD_DISP_COPY_SEND, 0), MH_NO_RIGHT, 21, NULL, &mv, 1, 0), 0);
    const struct machd_msg *m = tc_expect(c, MACHD_MSG_DELIVER);
    assert_int_equal(machd_payload_right(&m->u.deliver.p, 0).disposition, MACHD_DISP_MOVE_RECEIVE);
    uint32_t c_recv = machd_payload_right(&m->u.deliver.p, 0).name;
    /* b's send right is unchanged and now reaches c. */
    assert_int_equal(tc_msg(b, mh_right(svc, MACHD_DISP_COPY_SEND, 0), MH_NO_RIGHT, 22, NULL, NULL, 0, 0), 0);
    m = tc_expect(c, MACHD_MSG_DELIVER);
    assert_int_equal(m->u.deliver.dest.name, c_recv);
    assert_int_equal(m->u.deliver.p.msgh_id, 22);
    /* a is told the move is done: nothing for it follows on its connection. */
    assert_int_equal(tc_expect(a, MACHD_MOVED)->u.moved.name, recv);
    assert_int_equal(tc_mod_refs(a, recv, MACHD_RIGHT_RECEIVE, -1), KERN_INVALID_NAME);
    /* The destination's own receive right cannot travel in the message to it. */
    mv = mh_right(c_recv, MACHD_DISP_MOVE_RECEIVE, 0);
    uint32_t c_self;
    assert_int_equal(tc_look_up(c, "svc.r", &c_self), 0);
    assert_int_equal(c_self, c_recv);
    assert_int_equal(tc_msg(c, mh_right(c_self, MACHD_DISP_MAKE_SEND, 0), MH_NO_RIGHT, 23, NULL, &mv, 1, 0),
                     MACH_SEND_INVALID_RIGHT);
    tc_close(a);
    tc_close(b);
    tc_close(c);
}

static void senders_gone_when_the_last_outside_send_right_dies(void **state) {
    (void)state;
    struct tc *a, *b;
    uint32_t recv, svc;
    pair(&a, &b, &recv, &svc);
    /* b gives a two make-sends of its own port H1, then a drops them one by one. */
    struct machd_right r[] = {mh_right(H1, MACHD_DISP_MAKE_SEND, MACHD_RIGHT_NEW), mh_right(H1, MACHD_DISP_MAKE_SEND, 0)};
    assert_int_equal(tc_msg(b, mh_right(svc, MACHD_DISP_COPY_SEND, 0), MH_NO_RIGHT, 30, NULL, r, 2, 0), 0);
    const struct machd_msg *m = tc_expect(a, MACHD_MSG_DELIVER);
    uint32_t h = machd_payload_right(&m->u.deliver.p, 0).name;
    assert_int_equal(machd_payload_right(&m->u.deliver.p, 1).name, h);
    assert_int_equal(tc_mod_refs(a, h, MACHD_RIGHT_SEND, -1), KERN_SUCCESS);
    assert_int_equal(tc_mod_refs(a, h, MACHD_RIGHT_SEND, -1), KERN_SUCCESS);
    m = tc_expect(b, MACHD_SENDERS_GONE);
    assert_int_equal(m->u.senders_gone.name, H1);
    assert_int_equal(m->u.senders_gone.mscount, 2);
    assert_int_equal(tc_mod_refs(a, h, MACHD_RIGHT_SEND, -1), KERN_INVALID_NAME);
    /* A task's death drops its send rights too. */
    r[0] = mh_right(H1, MACHD_DISP_MAKE_SEND, 0);
    assert_int_equal(tc_msg(b, mh_right(svc, MACHD_DISP_COPY_SEND, 0), MH_NO_RIGHT, 31, NULL, r, 1, 0), 0);
    tc_expect(a, MACHD_MSG_DELIVER);
    tc_close(a); /* a dies holding the send right; its receive right svc.r dies too */
    assert_int_equal(tc_expect(b, MACHD_PORT_DEAD)->u.port_dead.name, svc);
    m = tc_expect(b, MACHD_SENDERS_GONE);
    assert_int_equal(m->u.senders_gone.mscount, 3);
    tc_close(b);
}

static void port_destroyed_notification_moves_the_receive_right(void **state) {
    (void)state;
    struct tc *a, *b;
    uint32_t recv, svc;
    pair(&a, &b, &recv, &svc);
    /* b hands a a send-once right to b's port H1; a asks for port-destroyed on recv to it. */
    struct machd_right so = mh_right(H1, MACHD_DISP_MAKE_SEND_ONCE, MACHD_RIGHT_NEW);
    assert_int_equal(tc_msg(b, mh_right(svc, MACHD_DISP_COPY_SEND, 0), MH_NO_RIGHT, 40, NULL, &so, 1, 0), 0);
    uint32_t notify = machd_payload_right(&tc_expect(a, MACHD_MSG_DELIVER)->u.deliver.p, 0).name;
    memset(&a->out, 0, sizeof a->out);
    a->out.type = MACHD_NOTIFY_REQUEST;
    a->out.u.notify_request.name = recv;
    a->out.u.notify_request.variant = MACHD_NOTIFY_PORT_DESTROYED;
    a->out.u.notify_request.notify = mh_right(notify, MACHD_DISP_MOVE_SEND_ONCE, 0);
    tc_send(a);
    const struct machd_msg *st = tc_expect(a, MACHD_STATUS_REPLY);
    assert_int_equal(st->u.status_reply.status, KERN_SUCCESS);
    assert_int_equal(st->u.status_reply.value, MACHD_HANDLE_NULL); /* no previous request */
    tc_close(a); /* a dies: recv goes to b in a port-destroyed notification */
    const struct machd_msg *m = tc_expect(b, MACHD_MSG_DELIVER);
    assert_int_equal(m->u.deliver.dest.name, H1);
    assert_int_equal(m->u.deliver.p.msgh_id, MACH_NOTIFY_PORT_DESTROYED);
    assert_int_equal(machd_payload_right(&m->u.deliver.p, 0).disposition, MACHD_DISP_MOVE_RECEIVE);
    assert_int_equal(machd_payload_right(&m->u.deliver.p, 0).name, svc); /* coalesced with b's send right */
    /* The port lives on in b, and so does its bootstrap name. */
    /* Sending to itself: the delivery comes before any acknowledgement, so ask for errors only. */
    assert_int_equal(tc_msg(b, mh_right(svc, MACHD_DISP_COPY_SEND, 0), MH_NO_RIGHT, 41, NULL, NULL, 0,
                            MACHD_SEND_ACK_ERRORS_ONLY),
                     0);
    m = tc_expect(b, MACHD_MSG_DELIVER);
    assert_int_equal(m->u.deliver.dest.name, svc);
    assert_int_equal(m->u.deliver.p.msgh_id, 41);
    tc_close(b);
}

/* ---- security ---- */

static void forged_names_and_rights_not_held_are_refused(void **state) {
    (void)state;
    struct tc *a, *b;
    uint32_t recv, svc;
    pair(&a, &b, &recv, &svc);
    struct tc *mallory = tc_open(&daemon_proc);
    /* Guessing handles: machd hands out small sequential handles, mallory's table has none. */
    for (uint32_t guess = 0x100; guess < 0x110; guess++) {
        assert_int_equal(tc_msg(mallory, mh_right(guess, MACHD_DISP_COPY_SEND, 0), MH_NO_RIGHT, 1, NULL, NULL, 0, 0),
                         MACH_SEND_INVALID_DEST);
        assert_int_equal(tc_mod_refs(mallory, guess, MACHD_RIGHT_RECEIVE, -1), KERN_INVALID_NAME);
    }
    uint32_t own;
    assert_int_equal(tc_look_up(mallory, "svc.r", &own), 0);
    struct machd_right stolen = mh_right(recv, MACHD_DISP_MOVE_RECEIVE, 0);
    assert_int_equal(tc_msg(mallory, mh_right(own, MACHD_DISP_COPY_SEND, 0), MH_NO_RIGHT, 1, NULL, &stolen, 1, 0),
                     MACH_SEND_INVALID_RIGHT);
    /* Holding a send right does not allow making one, nor receiving. */
    struct machd_right make = mh_right(own, MACHD_DISP_MAKE_SEND, 0);
    assert_int_equal(tc_msg(mallory, mh_right(own, MACHD_DISP_COPY_SEND, 0), MH_NO_RIGHT, 1, NULL, &make, 1, 0),
                     MACH_SEND_INVALID_RIGHT);
    assert_int_equal(tc_msg(mallory, mh_right(own, MACHD_DISP_COPY_SEND, 0), mh_right(own, MACHD_DISP_MAKE_SEND_ONCE, 0),
                            1, NULL, NULL, 0, 0),
                     MACH_SEND_INVALID_REPLY);
    assert_int_equal(tc_mod_refs(mallory, own, MACHD_RIGHT_RECEIVE, -1), KERN_INVALID_RIGHT);
    /* A NEW export cannot claim a handle already in use. */
    struct machd_right fake_new = mh_right(H1, MACHD_DISP_MAKE_SEND, MACHD_RIGHT_NEW);
    assert_int_equal(tc_msg(mallory, mh_right(own, MACHD_DISP_COPY_SEND, 0), MH_NO_RIGHT, 1, NULL, &fake_new, 1, 0), 0);
    tc_expect(a, MACHD_MSG_DELIVER);
    assert_int_equal(tc_msg(mallory, mh_right(own, MACHD_DISP_COPY_SEND, 0), MH_NO_RIGHT, 1, NULL, &fake_new, 1, 0),
                     MACH_SEND_INVALID_RIGHT);
    /* A refused message moved nothing: a's port is intact and nothing was delivered. */
    assert_int_equal(tc_msg(b, mh_right(svc, MACHD_DISP_COPY_SEND, 0), MH_NO_RIGHT, 99, NULL, NULL, 0, 0), 0);
    assert_int_equal(tc_expect(a, MACHD_MSG_DELIVER)->u.deliver.p.msgh_id, 99);
    tc_close(a);
    tc_close(b);
    tc_close(mallory);
}

static void replayed_request_is_refused(void **state) {
    (void)state;
    struct tc *a, *b;
    uint32_t recv, svc;
    pair(&a, &b, &recv, &svc);
    /* b moves its only send right to svc into a message to svc; the same bytes sent again are
     * refused: the right is gone after the first use. */
    assert_int_equal(tc_mod_refs(b, svc, MACHD_RIGHT_SEND, 0), KERN_SUCCESS);
    struct machd_right mv = mh_right(svc, MACHD_DISP_MOVE_SEND, 0);
    struct machd_right reply = mh_right(H1, MACHD_DISP_MAKE_SEND_ONCE, MACHD_RIGHT_NEW);
    assert_int_equal(tc_msg(b, mh_right(svc, MACHD_DISP_COPY_SEND, 0), reply, 50, "once", &mv, 1, 0), 0);
    tc_expect(a, MACHD_MSG_DELIVER);
    uint8_t raw[512];
    size_t len = machd_proto_encode(&b->out, raw, sizeof raw);
    assert_true(len > 0);
    assert_true(send(b->conn.fd, raw, len, 0) == (ssize_t)len);
    const struct machd_msg *r = tc_expect(b, MACHD_SEND_REPLY);
    assert_int_equal(r->u.send_reply.status, MACH_SEND_INVALID_DEST);
    tc_close(a);
    tc_close(b);
}

/* ---- resources ---- */

/* machd's names are an index and a generation, as Mach's: a name given back comes back only
 * after 4,096 others, under a new generation, so a server that gets a new send-once reply right
 * with every request never runs out of names (it did after 2^31 requests: names were never
 * reused), and a stale name is not a live one for a long while. */
static void names_given_back_are_reused_under_a_new_generation(void **state) {
    (void)state;
    struct tc *a, *b;
    uint32_t recv, svc;
    pair(&a, &b, &recv, &svc);
    enum { CALLS = 12000, DELAY = 4096, INDEXES = 1u << 24 };
    uint32_t *last_call = calloc(INDEXES, sizeof *last_call), *last_name = calloc(INDEXES, sizeof *last_name);
    assert_non_null(last_call);
    assert_non_null(last_name);
    uint32_t max_index = 0, reused = 0;
    for (uint32_t i = 1; i <= CALLS; i++) {
        struct machd_right reply = mh_right(H1, MACHD_DISP_MAKE_SEND_ONCE, i == 1 ? MACHD_RIGHT_NEW : 0);
        assert_int_equal(tc_msg(b, mh_right(svc, MACHD_DISP_COPY_SEND, 0), reply, 60, "call", NULL, 0,
                                MACHD_SEND_ACK_ERRORS_ONLY),
                         0);
        const struct machd_msg *m = tc_expect(a, MACHD_MSG_DELIVER);
        uint32_t name = m->u.deliver.reply.name, index = name & (INDEXES - 1);
        assert_true(name != MACHD_HANDLE_NULL && name < MACHD_HANDLE_TASK_BIT && index >= 0x100);
        if (last_call[index]) { /* an index used before: long enough ago, and not the same name */
            assert_true(i - last_call[index] > DELAY);
            assert_int_not_equal(name, last_name[index]);
            reused++;
        }
        last_call[index] = i;
        last_name[index] = name;
        if (index > max_index)
            max_index = index;
        assert_int_equal(tc_msg(a, mh_right(name, MACHD_DISP_MOVE_SEND_ONCE, 0), MH_NO_RIGHT, 61, "answer", NULL, 0,
                                MACHD_SEND_ACK_ERRORS_ONLY),
                         0);
        assert_int_equal(tc_expect(b, MACHD_MSG_DELIVER)->u.deliver.p.msgh_id, 61);
    }
    assert_true(reused > 0);
    assert_true(max_index < 0x100 + 2 * DELAY); /* the indexes stay few: names are reused */
    free(last_call);
    free(last_name);
    tc_close(a);
    tc_close(b);
}

static void client_deaths_leave_counts_and_memory_where_they_were(void **state) {
    (void)state;
    struct tc *srv = tc_open(&daemon_proc);
    uint32_t recv;
    assert_int_equal(tc_check_in(srv, "svc.churn", &recv), 0);
    uint32_t tasks0, ports0, entries0;
    uint64_t rss0, rss1;
    /* Warm up the allocator, then measure. */
    for (int round = 0; round < 2; round++) {
        if (round == 1)
            tc_stats(srv, &tasks0, &ports0, &entries0, &rss0);
        for (int i = 0; i < 500; i++) {
            struct tc *c = tc_open(&daemon_proc);
            uint32_t svc;
            assert_int_equal(tc_look_up(c, "svc.churn", &svc), 0);
            struct machd_right extra = mh_right(H2, MACHD_DISP_MAKE_SEND, MACHD_RIGHT_NEW);
            assert_int_equal(tc_msg(c, mh_right(svc, MACHD_DISP_COPY_SEND, 0),
                                    mh_right(H1, MACHD_DISP_MAKE_SEND_ONCE, MACHD_RIGHT_NEW), 60, "req", &extra, 1,
                                    MACHD_SEND_ACK_ERRORS_ONLY),
                             0);
            tc_expect(srv, MACHD_MSG_DELIVER);
            tc_close(c); /* dies with its request unanswered */
            /* Its two ports die: the reply right and the extra send right become dead names. */
            tc_expect(srv, MACHD_PORT_DEAD);
            tc_expect(srv, MACHD_PORT_DEAD);
        }
    }
    uint32_t tasks1, ports1, entries1;
    tc_stats(srv, &tasks1, &ports1, &entries1, &rss1);
    assert_int_equal(tasks1, tasks0);
    assert_int_equal(ports1, ports0);
    assert_int_equal(entries1, entries0);
    /* 500 deaths after warm-up: resident memory may move by allocator noise, not by leaks
     * (a leak of even one small object per death would be tens of KiB). */
    mh_expect_rss_within(rss0, rss1, 256 * 1024);
    tc_close(srv);
}

/* A task that held 50,000 entries (receive rights it exported to a server, which holds as
 * many send rights) disconnects, then the server: machd's task, port and entry counts come back
 * to where they were, and so does its resident memory (its per-task tables are freed, the
 * heap trimmed), not a third of the peak as before (issue 13, part 5). */
static void task_with_many_entries_leaves_counts_and_memory_at_baseline(void **state) {
    (void)state;
    enum { ENTRIES = 50000, PER_MSG = 1000 };
    static struct machd_right rights[PER_MSG];
    struct tc *obs = tc_open(&daemon_proc);
    uint32_t tasks0, ports0, entries0, ports1, entries1, peak_entries;
    uint64_t rss0 = 0, rss1, peak;
    for (int round = 0; round < 2; round++) { /* round 0 warms the allocator up */
        struct tc *srv = tc_open(&daemon_proc), *cli = tc_open(&daemon_proc);
        uint32_t recv, svc;
        assert_int_equal(tc_check_in(srv, "svc.many.entries", &recv), 0);
        assert_int_equal(tc_look_up(cli, "svc.many.entries", &svc), 0);
        if (round == 1)
            tc_stats(obs, &tasks0, &ports0, &entries0, &rss0);
        for (uint32_t done = 0; done < ENTRIES; done += PER_MSG) {
            for (uint32_t i = 0; i < PER_MSG; i++)
                rights[i] = mh_right(MACHD_HANDLE_TASK_BIT | (done + i + 1), MACHD_DISP_MAKE_SEND, MACHD_RIGHT_NEW);
            memset(&cli->out, 0, sizeof cli->out);
            cli->out.type = MACHD_MSG_SEND;
            cli->out.u.send.dest = mh_right(svc, MACHD_DISP_COPY_SEND, 0);
            cli->out.u.send.reply = MH_NO_RIGHT;
            cli->out.u.send.p.msgh_bits = MACHD_MSGH_BITS_COMPLEX;
            cli->out.u.send.p.rights = rights;
            cli->out.u.send.p.right_count = PER_MSG;
            tc_send(cli);
            assert_int_equal(tc_expect(cli, MACHD_SEND_REPLY)->u.send_reply.status, 0);
            assert_int_equal(tc_expect(srv, MACHD_MSG_DELIVER)->u.deliver.p.right_count, PER_MSG);
        }
        tc_stats(obs, NULL, NULL, &peak_entries, &peak);
        assert_true(peak_entries >= 2u * ENTRIES);
        tc_close(cli);
        tc_close(srv);
        tc_settle(obs, 1, &ports1, &entries1, &rss1);
    }
    assert_int_equal(tasks0, 3);
    assert_int_equal(ports1 + 1, ports0); /* the service's port is gone with its server */
    assert_int_equal(entries1 + 2, entries0); /* and so are its receive and send entries */
    print_message("machd rss: %llu KiB before, %llu KiB at the peak, %llu KiB after\n",
                  (unsigned long long)rss0 / 1024, (unsigned long long)peak / 1024,
                  (unsigned long long)rss1 / 1024);
    /* Before tables shrank and the heap was trimmed, about 12 MiB stayed. */
    mh_expect_rss_within(rss0, rss1, 2 * 1024 * 1024);
    tc_close(obs);
}

/* 30,000 RPCs by default to keep the suite quick on a loaded 2-core box; MACHD_TEST_RPCS=100000
 * runs the full count of issue 5. */
static void many_rpcs_and_killed_clients_leave_no_trace(void **state) {
    (void)state;
    const char *env = getenv("MACHD_TEST_RPCS");
    char count[24];
    snprintf(count, sizeof count, "%ld", env && atol(env) > 0 ? atol(env) : 30000L);
    const char *srv[] = {"server", "svc.many", NULL};
    pid_t server = mh_spawn_peer(&daemon_proc, srv);
    struct tc *obs = tc_open(&daemon_proc);
    uint32_t ports0, entries0, ports1, entries1;
    uint64_t rss0, rss1;
    /* Warm-up: one client, so allocator pools exist before the baseline. */
    const char *warm[] = {"client", "svc.many", "1000", NULL};
    assert_int_equal(mh_wait(mh_spawn_peer(&daemon_proc, warm)), 0);
    tc_settle(obs, 2, &ports0, &entries0, &rss0); /* the server and obs */
    const char *cli[] = {"client", "svc.many", count, NULL};
    assert_int_equal(mh_wait(mh_spawn_peer(&daemon_proc, cli)), 0);
    /* Clients SIGKILLed while holding a send right to the service. */
    for (int i = 0; i < 200; i++) {
        const char *hold[] = {"hold", "svc.many", NULL};
        pid_t p = mh_spawn_peer(&daemon_proc, hold);
        kill(p, SIGKILL);
        assert_int_equal(mh_wait(p), 128 + SIGKILL);
    }
    tc_settle(obs, 2, &ports1, &entries1, &rss1);
    assert_int_equal(ports1, ports0);
    assert_int_equal(entries1, entries0);
    mh_expect_rss_within(rss0, rss1, 1024 * 1024);
    tc_close(obs);
    kill(server, SIGTERM);
    mh_wait(server);
}

/* ---- the same through libmach: mach_msg between processes ---- */

#ifdef MACHD_RPC_PEER
static void mach_msg_rpc_between_processes(void **state) {
    (void)state;
    const char *srv[] = {"server", "svc.mach", NULL};
    pid_t server = mh_spawn_program(&daemon_proc, MACHD_RPC_PEER, srv);
    /* The client checks every reply: id, echoed body, and its own pid in the server's audit
     * trailer (filled by machd from the kernel's credentials). */
    const char *cli[] = {"client", "svc.mach", "2000", NULL};
    assert_int_equal(mh_wait(mh_spawn_program(&daemon_proc, MACHD_RPC_PEER, cli)), 0);
    const char *give[] = {"give", "svc.mach", NULL};
    assert_int_equal(mh_wait(mh_spawn_program(&daemon_proc, MACHD_RPC_PEER, give)), 0);
    /* Out-of-line memory, copied through machd (up to what one datagram carries). */
    const char *ool[] = {"ool", "svc.mach", "100000", NULL};
    assert_int_equal(mh_wait(mh_spawn_program(&daemon_proc, MACHD_RPC_PEER, ool)), 0);
    /* Larger than a relay datagram: spilled into a sealed memfd (docs/machd.md, 3.1). */
    const char *big[] = {"ool", "svc.mach", "1048576", NULL};
    assert_int_equal(mh_wait(mh_spawn_program(&daemon_proc, MACHD_RPC_PEER, big)), 0);
    struct tc *obs = tc_open(&daemon_proc);
    uint32_t ports;
    tc_settle(obs, 2, &ports, NULL, NULL); /* the server and us */
    assert_int_equal(ports, 1);         /* the service port only: the clients' exports died with them */
    tc_close(obs);
    kill(server, SIGTERM);
    mh_wait(server);
}

static void mach_msg_receive_right_moves_with_queued_messages(void **state) {
    (void)state;
    const char *third[] = {"third", "svc.third", NULL};
    pid_t receiver = mh_spawn_program(&daemon_proc, MACHD_RPC_PEER, third);
    const char *mover[] = {"mover", "svc.third", NULL};
    assert_int_equal(mh_wait(mh_spawn_program(&daemon_proc, MACHD_RPC_PEER, mover)), 0);
    /* The receiver got the right, then the two queued messages, then the one sent after. */
    assert_int_equal(mh_wait(receiver), 0);
}

static void mach_msg_client_gets_send_once_notification_when_server_dies(void **state) {
    (void)state;
    const char *srv[] = {"server", "svc.mach.dying", NULL};
    pid_t server = mh_spawn_program(&daemon_proc, MACHD_RPC_PEER, srv);
    const char *cli[] = {"hang", "svc.mach.dying", NULL};
    pid_t client = mh_spawn_program(&daemon_proc, MACHD_RPC_PEER, cli);
    kill(server, SIGKILL);
    mh_wait(server);
    /* The client's mach_msg receive returns the send-once notification: never a hang. */
    assert_int_equal(mh_wait(client), 0);
}

static void destroyed_receive_right_in_a_live_process_makes_dead_names(void **state) {
    (void)state;
    const char *srv[] = {"drop", "svc.mach.drop", NULL};
    pid_t owner = mh_spawn_program(&daemon_proc, MACHD_RPC_PEER, srv);
    struct tc *a = tc_open(&daemon_proc);
    uint32_t svc;
    assert_int_equal(tc_look_up(a, "svc.mach.drop", &svc), 0);
    assert_int_equal(tc_msg(a, mh_right(svc, MACHD_DISP_COPY_SEND, 0), MH_NO_RIGHT, 1, "x", NULL, 0, 0), 0);
    /* The owner destroys its receive right and stays alive: the port dies for us now. */
    assert_int_equal(tc_expect(a, MACHD_PORT_DEAD)->u.port_dead.name, svc);
    assert_int_equal(tc_look_up(a, "svc.mach.drop", NULL), 1102);
    tc_close(a);
    kill(owner, SIGKILL);
    mh_wait(owner);
}

static void mach_msg_client_gets_send_once_notification_when_machd_dies(void **state) {
    (void)state;
    const char *srv[] = {"server", "svc.mach.orphan", NULL};
    pid_t server = mh_spawn_program(&daemon_proc, MACHD_RPC_PEER, srv);
    const char *cli[] = {"hang", "svc.mach.orphan", NULL};
    pid_t client = mh_spawn_program(&daemon_proc, MACHD_RPC_PEER, cli);
    mh_kill(&daemon_proc);
    /* The reply right the server held is gone with machd: the client's runtime turns it into
     * a send-once notification, so mach_msg returns instead of waiting forever. */
    assert_int_equal(mh_wait(client), 0);
    kill(server, SIGTERM);
    mh_wait(server);
}
#endif

/* With an argument, runs only the tests whose names match it (CTest runs one test per process,
 * so the suite parallelises and each stays short). */
int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(machd_help_usage_and_already_running, setup, teardown),
        cmocka_unit_test_setup_teardown(sigterm_stops_cleanly_and_removes_the_socket, setup, teardown),
        cmocka_unit_test_setup_teardown(malformed_request_drops_only_that_task, setup, teardown),
        cmocka_unit_test_setup_teardown(null_rpc_between_peer_processes, setup, teardown),
        cmocka_unit_test_setup_teardown(audit_identity_comes_from_the_kernel, setup, teardown),
        cmocka_unit_test_setup_teardown(server_killed_during_rpc_gives_send_once_notification, setup, teardown),
        cmocka_unit_test_setup_teardown(client_killed_during_rpc_leaves_nothing_behind, setup, teardown),
        cmocka_unit_test_setup_teardown(dead_name_after_peer_sigkill, setup, teardown),
        cmocka_unit_test_setup_teardown(machd_killed_then_restarted_serves_new_work, setup, teardown),
        cmocka_unit_test_setup_teardown(bootstrap_check_in_look_up_register, setup, teardown),
        cmocka_unit_test_setup_teardown(rights_of_every_disposition_travel, setup, teardown),
        cmocka_unit_test_setup_teardown(receive_right_moves_to_a_third_task, setup, teardown),
        cmocka_unit_test_setup_teardown(senders_gone_when_the_last_outside_send_right_dies, setup, teardown),
        cmocka_unit_test_setup_teardown(port_destroyed_notification_moves_the_receive_right, setup, teardown),
        cmocka_unit_test_setup_teardown(forged_names_and_rights_not_held_are_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(replayed_request_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(names_given_back_are_reused_under_a_new_generation, setup, teardown),
        cmocka_unit_test_setup_teardown(client_deaths_leave_counts_and_memory_where_they_were, setup, teardown),
        cmocka_unit_test_setup_teardown(task_with_many_entries_leaves_counts_and_memory_at_baseline, setup, teardown),
        cmocka_unit_test_setup_teardown(many_rpcs_and_killed_clients_leave_no_trace, setup, teardown),
#ifdef MACHD_RPC_PEER
        cmocka_unit_test_setup_teardown(mach_msg_rpc_between_processes, setup, teardown),
        cmocka_unit_test_setup_teardown(mach_msg_receive_right_moves_with_queued_messages, setup, teardown),
        cmocka_unit_test_setup_teardown(mach_msg_client_gets_send_once_notification_when_server_dies, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(mach_msg_client_gets_send_once_notification_when_machd_dies, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(destroyed_receive_right_in_a_live_process_makes_dead_names, setup,
                                        teardown),
#endif
    };
    return mh_run_tests("machd_test", tests, sizeof tests / sizeof tests[0], argc, argv);
}
