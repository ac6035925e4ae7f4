/* Multi-process tests of large messages through machd (docs/machd.md 3.1, spilled payloads):
 * OOL copy and move of 1 MiB and 64 MiB and large inline bodies in both directions through
 * libmach (machd_ool_peer); hostile descriptors refused with Mach errors at the protocol level;
 * a receiver dying with spilled messages queued leaves machd's descriptors and memory where they
 * were. One CTest per test function, each with its own machd. */
#include <dirent.h>
#include <limits.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <mach/message.h>

#include "machd_harness.h"
#include "wire/machd_spill.h"

#define daemon_proc mh_daemon

#if defined(__SANITIZE_ADDRESS__)
#define RSS_IS_MEANINGFUL 0
#else
#define RSS_IS_MEANINGFUL 1
#endif


/* machd's open descriptors, and how many of them are memfds (spilled payloads it holds). */
static int machd_fds(int *memfds) {
    char dir[64], link[PATH_MAX], target[PATH_MAX];
    snprintf(dir, sizeof dir, "/proc/%d/fd", (int)daemon_proc.pid);
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0, m = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(link, sizeof link, "%s/%s", dir, e->d_name);
        ssize_t len = readlink(link, target, sizeof target - 1);
        if (len < 0)
            continue;
        target[len] = '\0';
        n++;
        m += strncmp(target, "/memfd:", 7) == 0;
    }
    closedir(d);
    if (memfds)
        *memfds = m;
    return n;
}

/* VmRSS of machd in KiB. */
static long machd_rss_kib(void) {
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)daemon_proc.pid);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    long kib = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
            break;
    fclose(f);
    return kib;
}

/* Polls (bounded) until machd holds `fds` descriptors; returns the last count. */
static int wait_for_fds(int fds) {
    int n = -1;
    for (int i = 0; i < 1000 && (n = machd_fds(NULL)) != fds; i++)
        usleep(10000);
    return n;
}

/* ---- through libmach: OOL copy and move, large inline bodies, both directions ---- */

static pid_t start_server(const char *name) {
    const char *srv[] = {"server", name, NULL};
    return mh_spawn_program(&daemon_proc, MACHD_OOL_PEER, srv);
}

static int run_client(const char *name, const char *size, const char *mode) {
    const char *cli[] = {"client", name, size, mode, NULL};
    return mh_wait(mh_spawn_program(&daemon_proc, MACHD_OOL_PEER, cli));
}

static void stop(pid_t pid) {
    kill(pid, SIGTERM);
    mh_wait(pid);
}

static void ool_copy_and_move_of_1_and_64_mib_both_directions(void **state) {
    (void)state;
    pid_t server = start_server("ool.svc");
    /* Each RPC sends the region one way (copy or move) and gets one back (moved). */
    assert_int_equal(run_client("ool.svc", "1048576", "copy"), 0);
    assert_int_equal(run_client("ool.svc", "1048576", "move"), 0);
    assert_int_equal(run_client("ool.svc", "67108864", "copy"), 0);
    assert_int_equal(run_client("ool.svc", "67108864", "move"), 0);
    /* Sizes that are not whole pages, just above one datagram; small regions in the datagram. */
    assert_int_equal(run_client("ool.svc", "131073", "copy"), 0);
    assert_int_equal(run_client("ool.svc", "1000001", "move"), 0);
    assert_int_equal(run_client("ool.svc", "4097", "copy"), 0);
    /* A tiny region spilled on request (MACHRT_SPILL_MIN, inherited by the client only). */
    setenv("MACHRT_SPILL_MIN", "1", 1);
    int forced = run_client("ool.svc", "100", "copy");
    unsetenv("MACHRT_SPILL_MIN");
    assert_int_equal(forced, 0);
    stop(server);
}

static void large_inline_bodies_both_directions(void **state) {
    (void)state;
    pid_t server = start_server("inline.svc");
    assert_int_equal(run_client("inline.svc", "4096", "inline"), 0);    /* one datagram */
    assert_int_equal(run_client("inline.svc", "200000", "inline"), 0);  /* spilled */
    assert_int_equal(run_client("inline.svc", "1048576", "inline"), 0); /* spilled */
    setenv("MACHRT_SPILL_MIN", "1", 1);
    int forced = run_client("inline.svc", "40", "inline"); /* spilled on request */
    unsetenv("MACHRT_SPILL_MIN");
    assert_int_equal(forced, 0);
    stop(server);
}

/* machd's ports and broker-space entries, once its task count is `tasks` (a client that exited
 * is gone from machd). */
static void machd_counts(struct tc *obs, uint32_t tasks, uint32_t *ports, uint32_t *entries) {
    uint32_t n = 0;
    uint64_t rss;
    for (int i = 0; i < 1000 && (tc_stats(obs, &n, ports, entries, &rss), n != tasks); i++)
        usleep(10000);
    assert_int_equal(n, tasks);
}

static int run_ports(const char *count) {
    const char *args[] = {"ports", "ports.svc", count, NULL};
    return mh_wait(mh_spawn_program(&daemon_proc, MACHD_OOL_PEER, args));
}

static void ool_port_arrays_up_to_the_rights_limit(void **state) {
    (void)state;
    pid_t server = start_server("ports.svc");
    struct tc *obs = tc_open(&daemon_proc);
    assert_int_equal(run_ports("3"), 0); /* warm-up: the server's names and machd's pools */
    uint32_t ports, entries, ports_after, entries_after;
    machd_counts(obs, 2, &ports, &entries);
    /* Each run: the rights go there and back; both tasks check their names (peer: ports). */
    assert_int_equal(run_ports("1025"), 0);  /* above the old limit of one datagram's worth */
    assert_int_equal(run_ports("10000"), 0);
    assert_int_equal(run_ports("16000"), 0); /* MACHD_MAX_RIGHTS */
    machd_counts(obs, 2, &ports_after, &entries_after);
    assert_int_equal(ports_after, ports);
    assert_int_equal(entries_after, entries);
    /* One more than a message may carry between processes: MACH_SEND_TOO_LARGE (exit 5). */
    assert_int_equal(run_ports("16001"), 5);
    stop(server);
    tc_close(obs);
}

/* ---- copying outside the IPC lock (staged OOL regions) ---- */

static void other_threads_ipc_goes_on_while_a_64_mib_send_is_copied(void **state) {
    (void)state;
    pid_t server = start_server("unlocked.svc");
    const char *args[] = {"unlocked", "unlocked.svc", NULL};
    int rc = mh_wait(mh_spawn_program(&daemon_proc, MACHD_OOL_PEER, args));
    stop(server);
    if (rc == 77) { /* said so, not passed silently */
        print_message("SKIPPED: userfaultfd is not available to hold the sender's copy\n");
        skip();
    }
    /* 0: 100 local RPCs completed while the send was copying (7: none could), data intact. */
    assert_int_equal(rc, 0);
}

static void staged_sends_that_fail_give_everything_back(void **state) {
    (void)state;
    const char *hold[] = {"hold", "held.svc", NULL};
    pid_t holder = mh_spawn_program(&daemon_proc, MACHD_OOL_PEER, hold);
    const char *args[] = {"stagefail", "held.svc", NULL};
    assert_int_equal(mh_wait(mh_spawn_program(&daemon_proc, MACHD_OOL_PEER, args)), 0);
    stop(holder);
}

/* ---- hostile descriptors at the protocol level ---- */

/* A raw MSG_SEND of a spilled payload (body_len bytes, no OOL) from t to dest, with the given
 * descriptors attached; returns machd's SEND_REPLY status. */
static uint32_t raw_spilled_send(struct tc *t, uint32_t dest, uint32_t body_len, bool spilled, const int *fds,
                                 int nfds) {
    static uint8_t body[64];
    memset(&t->out, 0, sizeof t->out);
    t->out.type = MACHD_MSG_SEND;
    t->out.seq = 4242;
    t->out.u.send.dest = mh_right(dest, MACHD_DISP_COPY_SEND, 0);
    t->out.u.send.p.msgh_id = 1234;
    t->out.u.send.p.body_len = body_len;
    if (spilled)
        t->out.u.send.p.msgh_bits = MACHD_PAYLOAD_SPILLED;
    else
        t->out.u.send.p.body = body;
    uint8_t packet[256];
    size_t len = machd_proto_encode(&t->out, packet, sizeof packet);
    assert_true(len > 0);
    union {
        struct cmsghdr align;
        char bytes[CMSG_SPACE(sizeof(int) * 8)];
    } control;
    memset(&control, 0, sizeof control);
    struct iovec iov = {packet, len};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
    if (nfds) {
        mh.msg_control = control.bytes;
        mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
        struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
        memcpy(CMSG_DATA(cm), fds, sizeof(int) * (size_t)nfds);
    }
    assert_int_equal(sendmsg(t->conn.fd, &mh, MSG_NOSIGNAL), (ssize_t)len);
    return tc_expect(t, MACHD_SEND_REPLY)->u.send_reply.status;
}

static int memfd_of(uint32_t size, int seals, uint8_t fill) {
    int fd = memfd_create("hostile", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, size), 0);
    if (size) {
        uint8_t *p = mmap(NULL, size, PROT_WRITE, MAP_SHARED, fd, 0);
        assert_true(p != MAP_FAILED);
        memset(p, fill, size);
        munmap(p, size);
    }
    if (seals)
        assert_int_equal(fcntl(fd, F_ADD_SEALS, seals), 0);
    return fd;
}

static void hostile_descriptors_are_refused_with_mach_errors(void **state) {
    (void)state;
    struct tc *rx = tc_open(&daemon_proc), *tx = tc_open(&daemon_proc);
    uint32_t recv_name, send_name;
    assert_int_equal(tc_check_in(rx, "spill.rx", &recv_name), KERN_SUCCESS);
    assert_int_equal(tc_look_up(tx, "spill.rx", &send_name), KERN_SUCCESS);
    int baseline = machd_fds(NULL);
    const uint32_t body = 100000; /* one MACHD_SPILL_ALIGN unit: the memfd must be 65536 * 2 */
    const uint32_t want = MACHD_SPILL_ALIGN * 2;
    int good = memfd_of(want, MACHD_SPILL_SEALS_REQUIRED, 0x5a);
    int unsealed = memfd_of(want, 0, 0x5a);
    int write_only_future = memfd_of(want, F_SEAL_FUTURE_WRITE | F_SEAL_SHRINK | F_SEAL_GROW, 0x5a);
    int short_one = memfd_of(MACHD_SPILL_ALIGN, MACHD_SPILL_SEALS_REQUIRED, 0x5a);
    int pipefd[2];
    assert_int_equal(pipe(pipefd), 0);
    char path[] = "/tmp/machd-ool-XXXXXX";
    int file = mkstemp(path);
    assert_true(file >= 0);
    unlink(path);
    assert_int_equal(ftruncate(file, want), 0);

    /* Spilled without its memfd, or with the wrong kind of descriptor, unsealed, only
     * future-write sealed, the wrong size, two descriptors, too many descriptors. */
    assert_int_equal(raw_spilled_send(tx, send_name, body, true, NULL, 0), MACH_SEND_INVALID_MEMORY);
    assert_int_equal(raw_spilled_send(tx, send_name, body, true, &pipefd[0], 1), MACH_SEND_INVALID_MEMORY);
    assert_int_equal(raw_spilled_send(tx, send_name, body, true, &file, 1), MACH_SEND_INVALID_MEMORY);
    assert_int_equal(raw_spilled_send(tx, send_name, body, true, &unsealed, 1), MACH_SEND_INVALID_MEMORY);
    assert_int_equal(raw_spilled_send(tx, send_name, body, true, &write_only_future, 1), MACH_SEND_INVALID_MEMORY);
    assert_int_equal(raw_spilled_send(tx, send_name, body, true, &short_one, 1), MACH_SEND_INVALID_MEMORY);
    assert_int_equal(raw_spilled_send(tx, send_name, body, true, (int[]){good, good}, 2), MACH_SEND_INVALID_MEMORY);
    int eight[8] = {good, good, good, good, good, good, good, good};
    assert_int_equal(raw_spilled_send(tx, send_name, body, true, eight, 8), MACH_SEND_INVALID_MEMORY);
    /* A descriptor with a payload that is not spilled. */
    assert_int_equal(raw_spilled_send(tx, send_name, 64, false, &good, 1), MACH_SEND_INVALID_MEMORY);
    /* Nothing was delivered and machd kept none of those descriptors. */
    assert_int_equal(wait_for_fds(baseline), baseline);

    /* The honest one is delivered with exactly one sealed memfd holding the bytes. */
    assert_int_equal(raw_spilled_send(tx, send_name, body, true, &good, 1), MACH_MSG_SUCCESS);
    const struct machd_msg *d = tc_expect(rx, MACHD_MSG_DELIVER);
    assert_int_equal(d->u.deliver.p.msgh_id, 1234);
    assert_true(d->u.deliver.p.msgh_bits & MACHD_PAYLOAD_SPILLED);
    assert_int_equal(d->u.deliver.p.body_len, body);
    int got = d->u.deliver.p.spill_fd;
    assert_true(machd_spill_fd_ok(got, want));
    uint8_t byte = 0;
    assert_int_equal(pread(got, &byte, 1, body - 1), 1);
    assert_int_equal(byte, 0x5a);
    close(got);

    /* Descriptors with a request that takes none: a protocol error, the task is dropped. */
    memset(&tx->out, 0, sizeof tx->out);
    tx->out.type = MACHD_STATS;
    uint8_t packet[64];
    size_t len = machd_proto_encode(&tx->out, packet, sizeof packet);
    assert_int_equal(machd_send_with_fd(tx->conn.fd, packet, len, good, 0), (ssize_t)len);
    const struct machd_msg *e = tc_expect(tx, MACHD_ERROR);
    assert_int_equal(e->u.error.status, KERN_INVALID_ARGUMENT);
    assert_int_equal(tc_expect_eof(tx), 0);
    tc_close(tx);

    close(good);
    close(unsealed);
    close(write_only_future);
    close(short_one);
    close(pipefd[0]);
    close(pipefd[1]);
    close(file);
    assert_int_equal(wait_for_fds(baseline - 2), baseline - 2); /* tx is gone too: its socket and pidfd */
    tc_close(rx);
}

/* ---- a receiver dying with spilled messages queued ---- */

static void receiver_killed_with_spilled_messages_queued_leaves_machd_at_baseline(void **state) {
    (void)state;
    /* Warm-up: one spilled message end to end, so machd's pools exist before the baseline. */
    pid_t server = start_server("warm.svc");
    assert_int_equal(run_client("warm.svc", "262144", "copy"), 0);
    stop(server);
    struct tc *obs = tc_open(&daemon_proc);
    uint32_t tasks = 0, ports, entries;
    uint64_t rss;
    for (int i = 0; i < 1000 && (tc_stats(obs, &tasks, &ports, &entries, &rss), tasks != 1); i++)
        usleep(10000);
    int base_fds = machd_fds(NULL);
    long base_rss = machd_rss_kib();

    /* A receiver that never reads: its socket fills, then machd queues (each holding a memfd). */
    struct tc *rx = tc_open(&daemon_proc);
    uint32_t recv_name;
    assert_int_equal(tc_check_in(rx, "sink", &recv_name), KERN_SUCCESS);
    /* More than the sockets and machd's queue can hold, so the flooder is still sending (held
     * back) while machd's queue is counted. */
    const char *fl[] = {"flood", "sink", "262144", "1500", NULL};
    pid_t flooder = mh_spawn_program(&daemon_proc, MACHD_OOL_PEER, fl);
    /* machd queues memfds for the receiver up to its limit; the message that goes past it is
     * taken (the flooder's mach_msg said success) and the flooder is not read again until the
     * queue drains: the rest of its messages wait in its socket, none is refused or lost. */
    int memfds = 0;
    for (int i = 0; i < 1000 && (machd_fds(&memfds), memfds < 64); i++)
        usleep(10000);
    usleep(200000); /* (a flooder not held back would push more in meanwhile) */
    machd_fds(&memfds);
    assert_int_equal(waitpid(flooder, NULL, WNOHANG), 0); /* still held back */
    assert_true(memfds >= 64); /* machd does hold queued spilled messages */
    assert_true(memfds <= 65); /* its per-task limit, plus the one that held the sender back */

    /* The receiver dies with everything unread: the flooder goes on, into a dead port, until its
     * runtime hears of the death: then its send fails with MACH_SEND_INVALID_DEST (exit 1). */
    tc_close(rx);
    assert_int_equal(mh_wait(flooder), 1);
    for (int i = 0; i < 1000 && (tc_stats(obs, &tasks, &ports, &entries, &rss), tasks != 1); i++)
        usleep(10000);
    assert_int_equal(tasks, 1);
    assert_int_equal(ports, 0);
    assert_int_equal(wait_for_fds(base_fds), base_fds);
    machd_fds(&memfds);
    assert_int_equal(memfds, 0);
    long now_rss = machd_rss_kib();
    print_message("machd VmRSS %ld kB -> %ld kB, %d descriptors\n", base_rss, now_rss, base_fds);
    if (RSS_IS_MEANINGFUL) /* under ASan freed memory sits in quarantine; LSan checks at exit */
        assert_true(now_rss <= base_rss + 1024);
    tc_close(obs);
}

/* ---- a held-back sender that exits ---- */

/* A sender machd holds back (it filled a receiver's memfd queue, so machd stops reading it) exits
 * with its last messages still in its socket: its mach_msg said success for each, so every one
 * must be delivered. machd sees the hang-up before (or without) the process's exit; it used to
 * drop the connection unread there, losing the tail of the stream. */
static void a_held_back_sender_that_exits_has_every_message_delivered(void **state) {
    (void)state;
    enum { COUNT = 500 };
    struct tc *rx = tc_open(&daemon_proc);
    uint32_t recv_name;
    assert_int_equal(tc_check_in(rx, "sink.exit", &recv_name), KERN_SUCCESS);
    const char *fl[] = {"flood", "sink.exit", "262144", "500", NULL};
    pid_t flooder = mh_spawn_program(&daemon_proc, MACHD_OOL_PEER, fl);
    /* The receiver reads nothing until the flooder has sent everything and exited. */
    assert_int_equal(mh_wait(flooder), 0);
    uint32_t got = 0;
    while (got < COUNT && machd_conn_recv(&rx->conn, rx->buf, &rx->msg, MH_TIMEOUT_MS) == 0) {
        const struct machd_msg *d = &rx->msg;
        assert_int_equal(d->type, MACHD_MSG_DELIVER);
        assert_int_equal(d->u.deliver.p.msgh_id, 820);
        if (d->u.deliver.p.msgh_bits & MACHD_PAYLOAD_SPILLED)
            close(d->u.deliver.p.spill_fd);
        got++;
    }
    print_message("%u of %u messages delivered after their sender exited\n", got, (unsigned)COUNT);
    assert_int_equal(got, COUNT);
    tc_close(rx);
}

int main(int argc, char **argv) {
    const struct CMUnitTest all[] = {
        cmocka_unit_test_setup_teardown(ool_copy_and_move_of_1_and_64_mib_both_directions, mh_setup, mh_teardown),
        cmocka_unit_test_setup_teardown(large_inline_bodies_both_directions, mh_setup, mh_teardown),
        cmocka_unit_test_setup_teardown(ool_port_arrays_up_to_the_rights_limit, mh_setup, mh_teardown),
        cmocka_unit_test_setup_teardown(hostile_descriptors_are_refused_with_mach_errors, mh_setup, mh_teardown),
        cmocka_unit_test_setup_teardown(receiver_killed_with_spilled_messages_queued_leaves_machd_at_baseline, mh_setup,
                                        mh_teardown),
        cmocka_unit_test_setup_teardown(other_threads_ipc_goes_on_while_a_64_mib_send_is_copied, mh_setup, mh_teardown),
        cmocka_unit_test_setup_teardown(staged_sends_that_fail_give_everything_back, mh_setup, mh_teardown),
        cmocka_unit_test_setup_teardown(a_held_back_sender_that_exits_has_every_message_delivered, mh_setup,
                                        mh_teardown),
    };
    return mh_run_tests("machd_ool_test", all, sizeof all / sizeof all[0], argc, argv);
}
