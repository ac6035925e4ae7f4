/* Fileports across processes (docs/fileports.md "Across processes", docs/machd.md 3): libmach
 * processes moving descriptors to each other (machd_fileport_peer), and raw tasks speaking the
 * protocol as hostile peers: fileport rights without their descriptors, too many, past the
 * limit; machd's descriptors counted through STATS and closed with the ports. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <mach/message.h>

#include "fuse_stall.h"
#include "machd_harness.h"
#include "wire/machd_spill.h"

/* ---- libmach processes ---- */

static pid_t peer(const char *mode, const char *name, const char *path) {
    const char *args[] = {mode, name, path, NULL};
    return mh_spawn_peer(&mh_daemon, args);
}

/* machd's count of the descriptors it holds for fileports, once it is back to `want` (machd
 * sees releases asynchronously: polled, 10 s at most). */
static void expect_fileports(struct tc *t, uint32_t want) {
    uint32_t got = 0;
    for (int i = 0; i < 1000; i++) {
        got = tc_fileports(t);
        if (got == want)
            return;
        usleep(10000);
    }
    assert_int_equal(got, want);
}

/* Runs the peers `first` then `second` on service `name` (path: the second argument of both,
 * or NULL), asserts both exit 0, then that machd is back to holding no fileport descriptor. */
static void run_peers(const char *first, const char *second, const char *name, const char *path) {
    pid_t a = peer(first, name, path);
    pid_t b = peer(second, name, path);
    assert_int_equal(mh_wait(b), 0);
    assert_int_equal(mh_wait(a), 0);
    struct tc *obs = tc_open(&mh_daemon);
    expect_fileports(obs, 0);
    tc_close(obs);
}

/* A pipe's write end moves (fileport_moveport, MOVE_SEND) to another process, which writes
 * through it; a second right names the same port there; the giver keeps no descriptor of it,
 * and sees EOF once the taker let its rights go (the taker's, machd's and the giver's own
 * duplicates all closed) while the taker still runs. */
static void a_pipe_end_moves_to_another_process_and_closes_when_the_rights_go(void **state) {
    (void)state;
    run_peers("give", "take", "fp.pipe", NULL);
}

/* The other way round: a socket end moves from a client to the process serving it, which takes
 * it out with fileport_movefd and writes; the client sees EOF once that descriptor is closed. */
static void a_socket_end_moves_to_the_server_and_back_to_eof(void **state) {
    (void)state;
    run_peers("recv", "send", "fp.sock", NULL);
}

/* The process that made the fileport exits: the right another process holds stays a working
 * fileport there (as on Darwin, the file lives while a right does). */
static void the_file_outlives_the_process_that_made_the_fileport(void **state) {
    (void)state;
    char path[96];
    snprintf(path, sizeof path, "%s/file", mh_daemon.dir);
    int fd = open(path, O_CREAT | O_TRUNC | O_RDWR | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    run_peers("give-exit", "take-exit", "fp.exit", path);
    char got[16] = {0};
    assert_int_equal(pread(fd, got, sizeof got - 1, 0), 10);
    assert_string_equal(got, "after-exit");
    close(fd);
    unlink(path);
}

/* A process killed while it holds another process's fileport (a right and a descriptor made
 * from it): its rights go with it, the maker's port learns no sender is left and closes, and
 * with machd's copy closed too the maker's pipe reports EOF. */
static void a_process_killed_holding_a_fileport_leaves_nothing_open(void **state) {
    (void)state;
    pid_t giver = peer("give-once", "fp.kill", NULL);
    pid_t taker = peer("take-hold", "fp.kill", NULL); /* "ready" once it holds the file */
    kill(taker, SIGKILL);
    assert_int_equal(mh_wait(taker), 128 + SIGKILL);
    assert_int_equal(mh_wait(giver), 0);
    struct tc *obs = tc_open(&mh_daemon);
    expect_fileports(obs, 0);
    tc_close(obs);
}

/* ---- raw tasks ---- */

static uint8_t out[MACHD_MAX_PACKET];

/* Encodes into `out` a MSG_SEND from t to its send handle dest carrying the right items; returns
 * its length. */
static size_t encode_send_body(struct tc *t, uint32_t dest, const struct machd_right *rights, uint32_t n,
                               const void *body, uint32_t body_len);

static size_t encode_send(struct tc *t, uint32_t dest, const struct machd_right *rights, uint32_t n) {
    return encode_send_body(t, dest, rights, n, NULL, 0);
}

/* The same with body bytes (a libmach receiver wants a Mach body whose descriptors match the
 * right items). */
static size_t encode_send_body(struct tc *t, uint32_t dest, const struct machd_right *rights, uint32_t n,
                               const void *body, uint32_t body_len) {
    memset(&t->out, 0, sizeof t->out);
    t->out.type = MACHD_MSG_SEND;
    t->out.seq = 0x77;
    t->out.u.send.dest = mh_right(dest, MACHD_DISP_COPY_SEND, 0);
    t->out.u.send.reply = MH_NO_RIGHT;
    t->out.u.send.p.msgh_bits = MACHD_MSGH_BITS_COMPLEX;
    t->out.u.send.p.msgh_id = 5;
    t->out.u.send.p.right_count = n;
    t->out.u.send.p.rights = rights;
    t->out.u.send.p.body = body;
    t->out.u.send.p.body_len = body_len;
    size_t len = machd_proto_encode(&t->out, out, sizeof out);
    assert_true(len > 0);
    return len;
}

/* That MSG_SEND, sent with nfds descriptors exactly as given (whatever the items announce). */
static void raw_send(struct tc *t, uint32_t dest, const struct machd_right *rights, uint32_t n, const int *fds,
                     int nfds) {
    size_t len = encode_send(t, dest, rights, n);
    assert_int_equal(machd_send_with_fds(t->conn.fd, out, len, fds, nfds, 0), (ssize_t)len);
}

/* The SEND_REPLY status t gets next. */
static uint32_t send_status(struct tc *t) { return tc_expect(t, MACHD_SEND_REPLY)->u.send_reply.status; }

/* Reads exactly n bytes of want from fd (5 s at most). */
static void expect_read(int fd, const char *want) {
    struct pollfd p = {fd, POLLIN, 0};
    assert_int_equal(poll(&p, 1, 5000), 1);
    char got[32] = {0};
    assert_int_equal(read(fd, got, strlen(want)), (ssize_t)strlen(want));
    assert_string_equal(got, want);
}

/* EOF on fd within 10 s: every descriptor of the write end is closed. */
static void expect_eof(int fd) {
    struct pollfd p = {fd, POLLIN, 0};
    assert_int_equal(poll(&p, 1, 10000), 1);
    char c;
    assert_int_equal(read(fd, &c, 1), 0);
}

static struct machd_right fileport_export(uint32_t handle) {
    return mh_right(handle, MACHD_DISP_MAKE_SEND, MACHD_RIGHT_NEW | MACHD_RIGHT_FILEPORT);
}

/* send exports its fileport `handle` with descriptor fd in a message to recv's service (send's
 * handle `to`): accepted, and delivered to recv as a send right flagged FILEPORT with one
 * descriptor, which is returned (recv's name for the right in *name). */
static int export_to(struct tc *send, uint32_t to, struct tc *recv, uint32_t handle, int fd, uint32_t *name) {
    struct machd_right r = fileport_export(handle);
    raw_send(send, to, &r, 1, &fd, 1);
    assert_int_equal(send_status(send), 0);
    const struct machd_msg *d = tc_expect(recv, MACHD_MSG_DELIVER);
    struct machd_right got = machd_payload_right(&d->u.deliver.p, 0);
    assert_int_equal(got.flags, MACHD_RIGHT_FILEPORT);
    assert_int_equal(got.disposition, MACHD_DISP_MOVE_SEND);
    assert_int_equal(d->u.deliver.p.fileport_count, 1);
    assert_true(d->u.deliver.p.fileport_fds[0] >= 0);
    if (name)
        *name = got.name;
    return d->u.deliver.p.fileport_fds[0];
}

/* A service checked in by a raw receiver, looked up by a raw sender: *to is the sender's handle. */
static void pair(struct tc **recv, struct tc **send, const char *name, uint32_t *recv_handle, uint32_t *to) {
    *recv = tc_open(&mh_daemon);
    assert_int_equal(tc_check_in(*recv, name, recv_handle), 0);
    *send = tc_open(&mh_daemon);
    assert_int_equal(tc_look_up(*send, name, to), 0);
}

/* Descriptors that do not match the fileport rights a MSG_SEND announces: none, two for one,
 * more rights than a message may carry; each is a protocol error (ERROR, connection closed)
 * with nothing held; a descriptor with no fileport right and no spilled payload is refused
 * (MACH_SEND_INVALID_MEMORY) as before. machd keeps serving the others, holding nothing. */
static void fileport_rights_without_their_descriptors_are_protocol_errors(void **state) {
    (void)state;
    int pipefd[2];
    assert_int_equal(pipe2(pipefd, O_CLOEXEC), 0);
    struct tc *recv, *send;
    uint32_t rh, to;
    pair(&recv, &send, "fp.raw", &rh, &to);
    struct machd_right one = fileport_export(0x80000001u);

    raw_send(send, to, &one, 1, NULL, 0); /* the flag, no descriptor */
    assert_int_equal(tc_expect(send, MACHD_ERROR)->u.error.status, KERN_INVALID_ARGUMENT);
    assert_int_equal(tc_expect_eof(send), 0);
    tc_close(send);

    send = tc_open(&mh_daemon);
    assert_int_equal(tc_look_up(send, "fp.raw", &to), 0);
    int two[2] = {pipefd[1], pipefd[1]};
    raw_send(send, to, &one, 1, two, 2); /* two for one */
    assert_int_equal(tc_expect(send, MACHD_ERROR)->u.error.status, KERN_INVALID_ARGUMENT);
    assert_int_equal(tc_expect_eof(send), 0);
    tc_close(send);

    send = tc_open(&mh_daemon);
    assert_int_equal(tc_look_up(send, "fp.raw", &to), 0);
    struct machd_right many[MACHD_MAX_FILEPORTS + 1];
    int fds[MACHD_MAX_FILEPORTS + 1];
    for (uint32_t i = 0; i <= MACHD_MAX_FILEPORTS; i++) {
        many[i] = fileport_export(0x80000010u + i);
        fds[i] = pipefd[1];
    }
    /* The encoder refuses what the decoder would: the ninth fileport right is added by hand. */
    size_t len = encode_send(send, to, many, MACHD_MAX_FILEPORTS);
    uint32_t count = MACHD_MAX_FILEPORTS + 1, last = 0x80000010u + MACHD_MAX_FILEPORTS;
    uint32_t total = (uint32_t)(len + MACHD_RIGHT_ITEM_SIZE);
    memcpy(out + MACHD_HEADER_SIZE + 2 * 8 + 4 + 8, &count, sizeof count); /* the right count */
    memcpy(out + len, out + len - MACHD_RIGHT_ITEM_SIZE, MACHD_RIGHT_ITEM_SIZE); /* a ninth item */
    memcpy(out + len, &last, sizeof last);
    memcpy(out + 8, &total, sizeof total);
    assert_int_equal(machd_send_with_fds(send->conn.fd, out, total, fds, MACHD_MAX_FILEPORTS + 1, 0), (ssize_t)total);
    assert_int_equal(tc_expect(send, MACHD_ERROR)->u.error.status, KERN_INVALID_ARGUMENT);
    assert_int_equal(tc_expect_eof(send), 0);
    tc_close(send);

    send = tc_open(&mh_daemon);
    assert_int_equal(tc_look_up(send, "fp.raw", &to), 0);
    struct machd_right plain = mh_right(0x80000002u, MACHD_DISP_MAKE_SEND, MACHD_RIGHT_NEW);
    raw_send(send, to, &plain, 1, &pipefd[1], 1); /* a descriptor nothing announces */
    assert_int_equal(send_status(send), MACH_SEND_INVALID_MEMORY);

    /* machd held nothing and serves the others: a plain message reaches the receiver. */
    assert_int_equal(tc_fileports(send), 0);
    assert_int_equal(tc_msg(send, mh_right(to, MACHD_DISP_COPY_SEND, 0), MH_NO_RIGHT, 9, "hi", NULL, 0, 0), 0);
    const struct machd_msg *d = tc_expect(recv, MACHD_MSG_DELIVER);
    assert_int_equal(d->u.deliver.p.msgh_id, 9);
    close(pipefd[1]);
    expect_eof(pipefd[0]); /* no copy of the write end anywhere */
    close(pipefd[0]);
    tc_close(send);
    tc_close(recv);
}

/* The per-task limit (--limit fileports-per-task=2): two exports are kept, the third is refused
 * with MACH_SEND_NO_BUFFER (its rights stay with the sender). A right to a fileport machd knows
 * is delivered with a descriptor of the same file again, under the same name; messages to a
 * fileport and moving its receive right are refused. When the exporter dies machd closes every
 * descriptor it held: with the receiver's copies closed too the pipe reports EOF. */
static void fileports_past_the_limit_are_refused_and_close_with_their_task(void **state) {
    (void)state;
    mh_cleanup(&mh_daemon);
    mh_daemon.extra[0] = "--limit";
    mh_daemon.extra[1] = "fileports-per-task=2";
    mh_daemon.extra[2] = NULL;
    mh_start(&mh_daemon);
    int pipefd[2];
    assert_int_equal(pipe2(pipefd, O_CLOEXEC), 0);
    struct tc *recv, *send;
    uint32_t rh, to;
    pair(&recv, &send, "fp.limit", &rh, &to);

    uint32_t name;
    int first = export_to(send, to, recv, 0x80000001u, pipefd[1], &name);
    assert_int_equal(write(first, "ab", 2), 2); /* the same pipe */
    expect_read(pipefd[0], "ab");
    assert_int_equal(tc_fileports(recv), 1);

    /* Again, without the export: machd attaches its own copy. */
    struct machd_right r = mh_right(0x80000001u, MACHD_DISP_MAKE_SEND, 0);
    raw_send(send, to, &r, 1, NULL, 0);
    assert_int_equal(send_status(send), 0);
    const struct machd_msg *d = tc_expect(recv, MACHD_MSG_DELIVER);
    struct machd_right got = machd_payload_right(&d->u.deliver.p, 0);
    assert_int_equal(got.name, name);
    assert_int_equal(got.flags, MACHD_RIGHT_FILEPORT);
    int second = d->u.deliver.p.fileport_fds[0];
    assert_int_equal(write(second, "cd", 2), 2);
    expect_read(pipefd[0], "cd");

    int third = export_to(send, to, recv, 0x80000002u, pipefd[1], NULL);
    r = fileport_export(0x80000003u);
    raw_send(send, to, &r, 1, &pipefd[1], 1);
    assert_int_equal(send_status(send), MACH_SEND_NO_BUFFER);
    assert_int_equal(tc_fileports(send), 2);

    /* A fileport takes no message, and its receive right stays with its exporter. */
    assert_int_equal(tc_msg(recv, mh_right(name, MACHD_DISP_COPY_SEND, 0), MH_NO_RIGHT, 1, "x", NULL, 0, 0),
                     MACH_SEND_INVALID_DEST);
    struct machd_right move = mh_right(0x80000001u, MACHD_DISP_MOVE_RECEIVE, 0);
    assert_int_equal(tc_msg(send, mh_right(to, MACHD_DISP_COPY_SEND, 0), MH_NO_RIGHT, 2, "x", &move, 1, 0),
                     MACH_SEND_INVALID_RIGHT);

    close(first);
    close(second);
    close(third);
    tc_close(send); /* the exporter dies: its fileports with it */
    tc_expect(recv, MACHD_PORT_DEAD);
    tc_expect(recv, MACHD_PORT_DEAD);
    expect_fileports(recv, 0);
    close(pipefd[1]);
    expect_eof(pipefd[0]);
    close(pipefd[0]);
    tc_close(recv);
}

/* The per-uid limit (--limit fileports-per-uid=2) counts the fileports of every task of the user:
 * a second task of the same uid is refused once the first holds two, and may export again once
 * the first let one go. */
static void the_per_uid_limit_counts_every_task_of_the_user(void **state) {
    (void)state;
    mh_cleanup(&mh_daemon);
    mh_daemon.extra[0] = "--limit";
    mh_daemon.extra[1] = "fileports-per-uid=2";
    mh_daemon.extra[2] = NULL;
    mh_start(&mh_daemon);
    int pipefd[2];
    assert_int_equal(pipe2(pipefd, O_CLOEXEC), 0);
    struct tc *recv, *one;
    uint32_t rh, to1, to2;
    pair(&recv, &one, "fp.uid", &rh, &to1);
    struct tc *two = tc_open(&mh_daemon);
    assert_int_equal(tc_look_up(two, "fp.uid", &to2), 0);
    close(export_to(one, to1, recv, 0x80000001u, pipefd[1], NULL));
    close(export_to(one, to1, recv, 0x80000002u, pipefd[1], NULL));
    struct machd_right r = fileport_export(0x80000001u);
    raw_send(two, to2, &r, 1, &pipefd[1], 1);
    assert_int_equal(send_status(two), MACH_SEND_NO_BUFFER);
    assert_int_equal(tc_fileports(two), 2);
    assert_int_equal(tc_mod_refs(one, 0x80000002u, MACHD_RIGHT_RECEIVE, -1), 0); /* one lets one go */
    tc_expect(recv, MACHD_PORT_DEAD);
    close(export_to(two, to2, recv, 0x80000001u, pipefd[1], NULL));
    assert_int_equal(tc_fileports(two), 2);
    tc_close(one);
    tc_close(two);
    tc_expect(recv, MACHD_PORT_DEAD); /* their fileports die with them */
    tc_expect(recv, MACHD_PORT_DEAD);
    expect_fileports(recv, 0);
    close(pipefd[1]);
    expect_eof(pipefd[0]);
    close(pipefd[0]);
    tc_close(recv);
}

/* A task dying while it holds rights to another task's fileport: its rights go, the exporter
 * is told (SENDERS_GONE) and machd keeps the descriptor until the exporter lets the port go. */
static void a_holder_dying_leaves_the_descriptor_to_the_exporter_until_it_lets_go(void **state) {
    (void)state;
    int pipefd[2];
    assert_int_equal(pipe2(pipefd, O_CLOEXEC), 0);
    struct tc *recv, *send;
    uint32_t rh, to;
    pair(&recv, &send, "fp.die", &rh, &to);
    close(export_to(send, to, recv, 0x80000001u, pipefd[1], NULL));
    tc_close(recv); /* dies holding the right (and the service's receive right) */
    assert_int_equal(tc_expect(send, MACHD_PORT_DEAD)->u.port_dead.name, to);
    assert_int_equal(tc_expect(send, MACHD_SENDERS_GONE)->u.senders_gone.name, 0x80000001u);
    assert_int_equal(tc_fileports(send), 1);
    assert_int_equal(tc_mod_refs(send, 0x80000001u, MACHD_RIGHT_RECEIVE, -1), 0);
    assert_int_equal(tc_fileports(send), 0);
    close(pipefd[1]);
    expect_eof(pipefd[0]);
    close(pipefd[0]);
    tc_close(send);
}

/* Every test starts a machd of its own, with the default limits. */
static int fp_setup(void **state) {
    mh_daemon.extra[0] = NULL;
    return mh_setup(state);
}

/* A fileport sent to a created service nobody checked in yet: machd holds the delivery (the
 * port keeps its descriptor) and hands it, with a copy of the descriptor, to the task that
 * checks the service in. */
static void a_fileport_waits_for_a_created_service_with_its_descriptor(void **state) {
    (void)state;
    int pipefd[2];
    assert_int_equal(pipe2(pipefd, O_CLOEXEC), 0);
    struct tc *creator = tc_open(&mh_daemon);
    uint32_t to;
    assert_int_equal(tc_create(creator, "fp.created", &to), 0);
    struct machd_right r = fileport_export(0x80000001u);
    raw_send(creator, to, &r, 1, &pipefd[1], 1);
    assert_int_equal(send_status(creator), 0);
    assert_int_equal(tc_fileports(creator), 1);
    struct tc *server = tc_open(&mh_daemon);
    uint32_t rh;
    assert_int_equal(tc_check_in(server, "fp.created", &rh), 0);
    const struct machd_msg *d = tc_expect(server, MACHD_MSG_DELIVER);
    assert_int_equal(machd_payload_right(&d->u.deliver.p, 0).flags, MACHD_RIGHT_FILEPORT);
    assert_int_equal(d->u.deliver.p.fileport_count, 1);
    int fd = d->u.deliver.p.fileport_fds[0];
    assert_int_equal(write(fd, "held", 4), 4);
    expect_read(pipefd[0], "held");
    close(fd);
    tc_close(creator); /* the exporter goes: so does machd's copy */
    tc_expect(server, MACHD_PORT_DEAD);
    expect_fileports(server, 0);
    close(pipefd[1]);
    expect_eof(pipefd[0]);
    close(pipefd[0]);
    tc_close(server);
}

/* ---- descriptors whose close or fstat stalls ---- */

#define FUSE_FLOOD 100u /* fileports of the stalling file sent at once, past the closer's backlog */

/* Mounts the stalling file system (fuse_stall.h) on a new folder named from the template dir;
 * false, saying why the test is skipped, where that cannot be done here. */
static bool stalling_fs_mounted(char *dir, pid_t *fs) {
    assert_non_null(mkdtemp(dir));
    if (fuse_stall_mount(dir, fs) == 0)
        return true;
    print_message("skipped: cannot mount a FUSE file system here (%s)\n", strerror(errno));
    rmdir(dir);
    return false;
}

/* Whether machd answers t's STATS within ms (no assertion: a stalled machd must not leave the
 * test's FUSE mount behind). */
static bool answered_within(struct tc *t, int ms) {
    memset(&t->out, 0, sizeof t->out);
    t->out.type = MACHD_STATS;
    if (machd_conn_send(&t->conn, &t->out) != 0)
        return false;
    return machd_conn_recv(&t->conn, t->buf, &t->msg, ms) == 0 && t->msg.type == MACHD_STATS_REPLY;
}

/* In a child, as another user (uid 65534), while the first user's descriptors wait for machd's
 * stuck closer: looks up `name` and sends it a fileport of /dev/null (a descriptor the closer
 * thread closes too). Writes to `result` 0 when machd answered it at once (only the first user is
 * held back), else the failed step. Nothing asserts here: a child must not run cmocka's
 * teardown. */
static void other_user_sends_a_fileport(const char *name, int result) {
    uint8_t step = 10;
    static struct tc t;
    uint32_t to = 0;
    int devnull = -1;
    if (setgroups(0, NULL) != 0 || setgid(65534) != 0 || setuid(65534) != 0)
        goto out;
    step++;
    if (machd_conn_open(&t.conn, mh_daemon.path, false) != 0)
        goto out;
    step++;
    t.out.type = MACHD_BOOTSTRAP;
    t.out.u.bootstrap.op = MACHD_BOOTSTRAP_LOOK_UP;
    t.out.u.bootstrap.name = name;
    t.out.u.bootstrap.name_len = (uint32_t)strlen(name);
    t.out.u.bootstrap.right = MH_NO_RIGHT;
    if (machd_conn_send(&t.conn, &t.out) != 0 || machd_conn_recv(&t.conn, t.buf, &t.msg, 3000) != 0 ||
        t.msg.type != MACHD_BOOTSTRAP_REPLY || t.msg.u.bootstrap_reply.status != 0)
        goto out;
    to = t.msg.u.bootstrap_reply.name;
    step++;
    devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    struct machd_right r = fileport_export(0x80000001u);
    size_t len = encode_send(&t, to, &r, 1);
    if (devnull < 0 || machd_send_with_fds(t.conn.fd, out, len, &devnull, 1, 0) != (ssize_t)len)
        goto out;
    step++;
    if (machd_conn_recv(&t.conn, t.buf, &t.msg, 3000) != 0 || t.msg.type != MACHD_SEND_REPLY ||
        t.msg.u.send_reply.status != 0)
        goto out;
    step = 0;
out:
    (void)!write(result, &step, 1);
}

/* A hostile user's file on a FUSE file system of its own, whose every close() (FLUSH) and fstat()
 * (GETATTR) blocks until the file system goes: sent to machd as a fileport and as a stray
 * descriptor on a request that takes none. machd must close (and look at) such descriptors off
 * its event loop: a bystander's requests are answered meanwhile, both when the fileport's port
 * dies and when the stray descriptor is refused. */
static void a_descriptor_whose_close_blocks_stalls_nobody_else(void **state) {
    (void)state;
    if (geteuid() != 0) {
        print_message("skipped: needs root, to mount a FUSE file system (CI runs as root)\n");
        skip();
    }
    char dir[] = "/tmp/openmig-fuse-XXXXXX";
    pid_t fs;
    if (!stalling_fs_mounted(dir, &fs))
        skip();
    char path[64];
    snprintf(path, sizeof path, "%s/stall", dir);
    int fd = open(path, O_RDWR | O_CLOEXEC);
    bool opened = fd >= 0;
    bool after_export = false, exported = false, after_death = false, mod_refs_answered = false;
    bool refused = false, after_refusal = false, after_flood = false;
    uint32_t replies_while_stuck = 0;
    pid_t other = -1;
    uint8_t other_step = 98; /* the other user's result: 0 when machd answered it */
    int delivered = -1;
    struct tc *recv = NULL, *send = NULL, *stray = NULL;
    struct tc *bystander = tc_open(&mh_daemon);
    stray = tc_open(&mh_daemon);
    uint32_t rh, to;
    pair(&recv, &send, "fp.fuse", &rh, &to);
    /* Below, nothing asserts until the file system is gone: a stalled machd must not leave the
     * mount (and the test) hanging. */
    if (opened) {
        /* Exported as a fileport: machd keeps a duplicate and closes the one it received. */
        struct machd_right r = fileport_export(0x80000001u);
        size_t len = encode_send(send, to, &r, 1);
        if (machd_send_with_fds(send->conn.fd, out, len, &fd, 1, 0) == (ssize_t)len) {
            after_export = answered_within(bystander, 3000);
            exported = machd_conn_recv(&send->conn, send->buf, &send->msg, 3000) == 0 &&
                       send->msg.type == MACHD_SEND_REPLY && send->msg.u.send_reply.status == 0 &&
                       machd_conn_recv(&recv->conn, recv->buf, &recv->msg, 3000) == 0 &&
                       recv->msg.type == MACHD_MSG_DELIVER && recv->msg.u.deliver.p.fileport_count == 1;
            if (exported)
                delivered = recv->msg.u.deliver.p.fileport_fds[0];
        }
        /* The exporter destroys the fileport's receive right: machd lets go of its duplicate. */
        memset(&send->out, 0, sizeof send->out);
        send->out.type = MACHD_MOD_REFS;
        send->out.u.mod_refs.name = 0x80000001u;
        send->out.u.mod_refs.right = MACHD_RIGHT_RECEIVE;
        send->out.u.mod_refs.delta = -1;
        if (machd_conn_send(&send->conn, &send->out) == 0) {
            after_death = answered_within(bystander, 3000);
            mod_refs_answered = machd_conn_recv(&send->conn, send->buf, &send->msg, 3000) == 0 &&
                                send->msg.type == MACHD_STATUS_REPLY && send->msg.u.status_reply.status == 0;
        }
        /* A stray descriptor on a request that takes none: refused, the task dropped. */
        memset(&stray->out, 0, sizeof stray->out);
        stray->out.type = MACHD_STATS;
        len = machd_proto_encode(&stray->out, out, sizeof out);
        if (len > 0 && machd_send_with_fd(stray->conn.fd, out, len, fd, 0) == (ssize_t)len) {
            after_refusal = answered_within(bystander, 3000);
            refused = machd_conn_recv(&stray->conn, stray->buf, &stray->msg, 3000) == 0 &&
                      stray->msg.type == MACHD_ERROR;
        }
        /* A flood of such fileports: with the closer stuck, their received descriptors pile up
         * for it; past its backlog (64) the flooder is no longer read (its later sends wait,
         * unanswered), and the bystander is still answered. */
        for (uint32_t i = 0; i < FUSE_FLOOD; i++) {
            struct machd_right each = fileport_export(0x80000010u + i);
            size_t n = encode_send(send, to, &each, 1);
            if (machd_send_with_fds(send->conn.fd, out, n, &fd, 1, 0) != (ssize_t)n)
                break;
        }
        after_flood = answered_within(bystander, 3000);
        while (machd_conn_recv(&send->conn, send->buf, &send->msg, 1000) == 0)
            replies_while_stuck += send->msg.type == MACHD_SEND_REPLY;
        /* Another user is not held back for the first one's descriptors. Its exit would wait for
         * its copy of the stalling file (inherited across fork), so it answers through a pipe. */
        int result[2];
        if (pipe2(result, O_CLOEXEC) == 0) {
            chmod(mh_daemon.dir, 0711);
            chmod(mh_daemon.path, 0666);
            other = fork();
            if (other == 0) {
                close(result[0]);
                other_user_sends_a_fileport("fp.fuse", result[1]);
                _exit(0);
            }
            close(result[1]);
            struct pollfd pr = {result[0], POLLIN, 0};
            if (other > 0 && poll(&pr, 1, 10000) == 1 && read(result[0], &other_step, 1) != 1)
                other_step = 99;
            close(result[0]);
        }
    }
    /* Whatever happened, the file system goes now: every stalled close returns. */
    fuse_stall_unmount(dir, fs);
    if (other > 0)
        waitpid(other, NULL, 0);
    /* The closer catches up: the flooder is read again, every send answered. */
    uint32_t replies = replies_while_stuck;
    while (opened && replies < FUSE_FLOOD && machd_conn_recv(&send->conn, send->buf, &send->msg, 5000) == 0)
        replies += send->msg.type == MACHD_SEND_REPLY;
    print_message("fileport flood: %u of %u sends answered while the closer was stuck, %u after\n",
                  replies_while_stuck, (unsigned)FUSE_FLOOD, replies);
    if (delivered >= 0)
        close(delivered);
    if (opened)
        close(fd);
    rmdir(dir);
    assert_true(opened);
    assert_true(after_export); /* a bystander was answered while machd's close of the received descriptor stalled */
    assert_true(exported);
    assert_true(after_death); /* ... while its close of the fileport's duplicate stalled */
    assert_true(mod_refs_answered);
    assert_true(after_refusal); /* ... while its close of the stray descriptor stalled */
    assert_true(refused);
    assert_true(after_flood); /* ... and while a flood of them waited for the closer */
    assert_true(replies_while_stuck < FUSE_FLOOD); /* the flooder was held back */
    assert_int_equal(replies, FUSE_FLOOD);          /* then served */
    assert_int_equal(other_step, 0); /* another user was answered while the first was held back */
    assert_true(answered_within(bystander, MH_TIMEOUT_MS));
    tc_close(stray);
    tc_close(send);
    tc_close(recv);
    tc_close(bystander);
}

/* The same file sent by a hostile task, as a fileport, to a libmach service that destroys the
 * message: the service's runtime closes both its descriptors of the file (the one machd gave it,
 * once duplicated, and the fileport's when its last right goes, under the IPC lock) through its
 * closer thread, so its IPC goes on while those closes hang. */
static void a_service_destroying_a_fileport_whose_close_blocks_goes_on(void **state) {
    (void)state;
    if (geteuid() != 0) {
        print_message("skipped: needs root, to mount a FUSE file system (CI runs as root)\n");
        skip();
    }
    /* Started before the file is open: a child's exec would close the test's descriptor of it.
     * It says it is done with a file: its exit waits for the kernel's closes of the file. */
    char done[64];
    snprintf(done, sizeof done, "/tmp/openmig-fuse-done-%d", (int)getpid());
    unlink(done);
    const char *args[] = {"destroy", "fp.victim", done, NULL};
    pid_t victim = mh_spawn_program(&mh_daemon, MACHD_PEER, args);
    char dir[] = "/tmp/openmig-fuse-XXXXXX";
    pid_t fs;
    if (!stalling_fs_mounted(dir, &fs)) {
        kill(victim, SIGKILL);
        mh_wait(victim);
        skip();
    }
    char path[64];
    snprintf(path, sizeof path, "%s/stall", dir);
    int fd = open(path, O_RDWR | O_CLOEXEC);
    struct tc *attacker = tc_open(&mh_daemon);
    uint32_t to;
    int looked = tc_look_up(attacker, "fp.victim", &to);
    bool sent = false, finished = false;
    if (fd >= 0 && looked == 0) {
        struct machd_right r = fileport_export(0x80000001u);
        struct {
            mach_msg_body_t body;
            mach_msg_port_descriptor_t port;
        } body = {{1}, {.disposition = MACH_MSG_TYPE_MOVE_SEND, .type = MACH_MSG_PORT_DESCRIPTOR}};
        size_t len = encode_send_body(attacker, to, &r, 1, &body, sizeof body);
        sent = machd_send_with_fds(attacker->conn.fd, out, len, &fd, 1, 0) == (ssize_t)len;
        /* The victim finishes on its own (its checks wait 10 s at most) while the file hangs. */
        for (int i = 0; i < 1500 && !(finished = access(done, F_OK) == 0); i++)
            usleep(10000);
    }
    fuse_stall_unmount(dir, fs);
    if (fd >= 0)
        close(fd);
    rmdir(dir);
    int rc = mh_wait(victim);
    unlink(done);
    assert_true(fd >= 0);
    assert_int_equal(looked, 0);
    assert_true(sent);
    assert_true(finished); /* its IPC went on while its closes of the file hung */
    assert_int_equal(rc, 0);
    tc_close(attacker);
}

int main(int argc, char **argv) {
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_pipe_end_moves_to_another_process_and_closes_when_the_rights_go, fp_setup,
                                        mh_teardown),
        cmocka_unit_test_setup_teardown(a_socket_end_moves_to_the_server_and_back_to_eof, fp_setup, mh_teardown),
        cmocka_unit_test_setup_teardown(the_file_outlives_the_process_that_made_the_fileport, fp_setup, mh_teardown),
        cmocka_unit_test_setup_teardown(a_process_killed_holding_a_fileport_leaves_nothing_open, fp_setup,
                                        mh_teardown),
        cmocka_unit_test_setup_teardown(fileport_rights_without_their_descriptors_are_protocol_errors, fp_setup,
                                        mh_teardown),
        cmocka_unit_test_setup_teardown(fileports_past_the_limit_are_refused_and_close_with_their_task, fp_setup,
                                        mh_teardown),
        cmocka_unit_test_setup_teardown(a_descriptor_whose_close_blocks_stalls_nobody_else, fp_setup, mh_teardown),
        cmocka_unit_test_setup_teardown(a_service_destroying_a_fileport_whose_close_blocks_goes_on, fp_setup,
                                        mh_teardown),
        cmocka_unit_test_setup_teardown(the_per_uid_limit_counts_every_task_of_the_user, fp_setup, mh_teardown),
        cmocka_unit_test_setup_teardown(a_holder_dying_leaves_the_descriptor_to_the_exporter_until_it_lets_go,
                                        fp_setup, mh_teardown),
        cmocka_unit_test_setup_teardown(a_fileport_waits_for_a_created_service_with_its_descriptor, fp_setup,
                                        mh_teardown),
    };
    return mh_run_tests("machd_fileport", tests, sizeof tests / sizeof tests[0], argc, argv);
}
