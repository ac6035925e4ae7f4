/* Attacks through libmach (docs/machd.md 8.2): a checksummed transfer of 10,000 messages of 0 B
 * to 64 MiB, and SIGKILL storms against an RPC server. CTest runs each test on direct channels
 * and through the relay (MACHD_DIRECT=0). The peers (machd_transfer_peer) check the data and
 * report what they tried and what was lost on stderr.
 *
 * Under ASan (several times slower) the counts are divided by ASAN_SCALE, and the test says so.
 * MACHD_ATTACK_SEED=N replaces the transfer's seed (20261207), to replay another plan. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "machd_harness.h"

#define ASAN_SCALE 2u
#define TRANSFER_MESSAGES 10000u /* both sender threads together */
#define STORM_CLIENTS 200u
#define STORM_AT_ONCE 8u
#define STORM_SEED 4242u
#define RPC_STOP_ID 7399 /* machd_transfer_peer.c */

static uint32_t scaled(uint32_t n) {
    if (mh_rss_is_meaningful())
        return n;
    print_message("under ASan: %u scaled down by %u to %u\n", n, ASAN_SCALE, n / ASAN_SCALE);
    return n / ASAN_SCALE;
}

static const char *path_name(void) {
    const char *v = getenv("MACHD_DIRECT");
    return v && !strcmp(v, "0") ? "relay" : "direct";
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

static pid_t peer(const char *const args[]) { return mh_spawn_program(&mh_daemon, MACHD_TRANSFER_PEER, args); }

/* 10,000 messages from two sender threads (separate sequences) of one process to another whose
 * port has a queue limit of 5, with blocking sends: every message arrives exactly once, intact,
 * in order per thread. Sizes from a fixed seed: 0 B, small, 4 KiB, 64 KiB (a ring record's limit)
 * and just above, up to 1 MiB inline; OOL regions in the datagram, spilled, 1 - 8 MiB and a few
 * of 16 - 64 MiB; one in ten carries a send right. */
static void checksummed_transfer_loses_nothing(void **state) {
    (void)state;
    char per_thread[16], seed[24];
    snprintf(per_thread, sizeof per_thread, "%u", scaled(TRANSFER_MESSAGES) / 2);
    const char *env_seed = getenv("MACHD_ATTACK_SEED"); /* to reproduce another run's plan */
    snprintf(seed, sizeof seed, "%s", env_seed ? env_seed : "20261207");
    const char *recv_args[] = {"xfer_recv", "attack.xfer", per_thread, seed, NULL};
    const char *send_args[] = {"xfer_send", "attack.xfer", per_thread, seed, NULL};
    print_message("path %s, seed %s, %s messages per sender thread\n", path_name(), seed, per_thread);
    double t0 = now_s();
    pid_t receiver = peer(recv_args);
    pid_t sender = peer(send_args);
    int rc = mh_wait(receiver);
    if (rc != 0)
        kill(sender, SIGKILL); /* it may be blocked on the full queue */
    int src = mh_wait(sender);
    print_message("transfer: %.1f s in all\n", now_s() - t0);
    assert_int_equal(rc, 0);
    assert_int_equal(src, 0);
}

/* Issue 12's lost memfd messages: a receiver with a queue limit of 1,024 that stops reading
 * (SIGSTOP, 2 s) after 20 messages, while two sender threads send it 1,000 messages each of
 * 32 - 256 KiB out of line (each a sealed memfd): more memfds than machd queues towards one task
 * (64, docs/machd.md 3.1). Each message must arrive once, intact, in order: the senders wait or
 * are told, nothing is dropped. */
static void a_stopped_receiver_of_many_memfds_loses_nothing(void **state) {
    (void)state;
    char per_thread[16];
    snprintf(per_thread, sizeof per_thread, "%u", scaled(2000) / 2);
    const char *recv_args[] = {"xfer_recv", "attack.stop", per_thread, "7", "spilled", "1024", "20", NULL};
    const char *send_args[] = {"xfer_send", "attack.stop", per_thread, "7", "spilled", NULL};
    print_message("path %s, %s spilled messages per sender thread\n", path_name(), per_thread);
    double t0 = now_s();
    pid_t receiver = peer(recv_args);
    pid_t sender = peer(send_args);
    int status = 0;
    assert_int_equal(waitpid(receiver, &status, WUNTRACED), receiver);
    assert_true(WIFSTOPPED(status));
    sleep_ms(2000);
    kill(receiver, SIGCONT);
    int rc = mh_wait(receiver);
    if (rc != 0)
        kill(sender, SIGKILL);
    int src = mh_wait(sender);
    print_message("transfer: %.1f s in all\n", now_s() - t0);
    assert_int_equal(rc, 0);
    assert_int_equal(src, 0);
}

/* A client process that dies with the test, started without waiting for it to be ready. */
static pid_t spawn_victim(uint32_t seed) {
    char s[16];
    snprintf(s, sizeof s, "%u", seed);
    pid_t test_pid = getpid();
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != test_pid)
            _exit(127);
        setenv("MACHD_SOCKET", mh_daemon.path, 1);
        setenv("MACHD_NO_AUTOSTART", "1", 1);
        const char *args[] = {"rpc_storm", "attack.storm", s, NULL};
        mh_exec(MACHD_TRANSFER_PEER, args);
    }
    return pid;
}

/* Runs `count` victims, `at_once` at a time, each SIGKILLed 0 - 400 ms after it was forked (before
 * it connected, during its look-up, mid-call with any size of request in flight). Each must die
 * of the SIGKILL: a victim that exits on its own met an error. */
static void storm(uint32_t count, uint32_t at_once) {
    pid_t pid[STORM_AT_ONCE] = {0};
    double deadline[STORM_AT_ONCE] = {0};
    uint64_t r = STORM_SEED;
    uint32_t started = 0, killed = 0, self_exits = 0;
    while (killed + self_exits < count) {
        for (uint32_t i = 0; i < at_once; i++)
            if (pid[i] == 0 && started < count) {
                r = r * 6364136223846793005ull + 1442695040888963407ull;
                pid[i] = spawn_victim((uint32_t)(r >> 33));
                deadline[i] = now_s() + (double)((r >> 20) % 400) / 1000.0;
                started++;
            }
        uint32_t next = 0;
        for (uint32_t i = 1; i < at_once; i++)
            if (pid[i] && (!pid[next] || deadline[i] < deadline[next]))
                next = i;
        double wait = deadline[next] - now_s();
        if (wait > 0)
            sleep_ms((long)(wait * 1000) + 1);
        kill(pid[next], SIGKILL);
        int rc = mh_wait(pid[next]);
        if (rc == 128 + SIGKILL)
            killed++;
        else {
            print_message("victim %d exited by itself with %d\n", (int)pid[next], rc);
            self_exits++;
        }
        pid[next] = 0;
    }
    print_message("storm: %u clients SIGKILLed, %u at a time; %u exited on their own\n", killed, at_once, self_exits);
    assert_int_equal(self_exits, 0);
}

/* Starts the RPC server once machd holds nothing but the observer `obs` (its counts then in
 * *ports0, *entries0). */
static pid_t start_server(struct tc *obs, uint32_t *ports0, uint32_t *entries0) {
    tc_settle(obs, 1, ports0, entries0, NULL);
    const char *server_args[] = {"rpc_server", "attack.storm", NULL};
    return peer(server_args);
}

/* Sends the server its STOP (as a raw task), moving the looked-up right with it: `obs` keeps
 * nothing that would bring it a dead-name notification when the server exits. */
static void stop_server(struct tc *obs, const char *name) {
    uint32_t send;
    assert_int_equal(tc_look_up(obs, name, &send), 0);
    assert_int_equal(tc_msg(obs, mh_right(send, MACHD_DISP_MOVE_SEND, 0), MH_NO_RIGHT, RPC_STOP_ID, NULL, NULL, 0, 0),
                     0);
}

/* One long-lived server, 200 clients SIGKILLed at random moments (8 at a time) while one
 * well-behaved client calls the whole time: each of its answers is right and none waits more
 * than the peers' bound (30 s). Afterwards machd's tasks, ports and entries are back to their
 * baseline, so are the server's own ports, names, messages and regions, and machd exits
 * cleanly (the teardown asserts it). */
static void sigkill_storm_leaves_the_server_and_machd_as_they_were(void **state) {
    (void)state;
    struct tc *obs = tc_open(&mh_daemon);
    uint32_t ports0, entries0;
    pid_t server = start_server(obs, &ports0, &entries0);
    uint32_t ports1, entries1;
    tc_settle(obs, 2, &ports1, &entries1, NULL);
    const char *client_args[] = {"rpc_call", "attack.storm", NULL};
    pid_t client = peer(client_args);
    double t0 = now_s();
    uint32_t count = scaled(STORM_CLIENTS);
    print_message("path %s: %u clients to kill\n", path_name(), count);
    storm(count, STORM_AT_ONCE);
    kill(client, SIGUSR1);
    assert_int_equal(mh_wait(client), 0);
    print_message("storm: %.1f s\n", now_s() - t0);
    uint32_t ports2, entries2;
    tc_settle(obs, 2, &ports2, &entries2, NULL);
    for (int i = 0; i < 500 && (ports2 != ports1 || entries2 != entries1); i++) {
        sleep_ms(10); /* the last deaths' rights may still be on their way */
        tc_settle(obs, 2, &ports2, &entries2, NULL);
    }
    print_message("machd: ports %u entries %u with the server, %u %u after the storm\n", ports1, entries1, ports2,
                  entries2);
    assert_int_equal(ports2, ports1);
    assert_int_equal(entries2, entries1);
    stop_server(obs, "attack.storm");
    assert_int_equal(mh_wait(server), 0);
    tc_settle(obs, 1, NULL, NULL, NULL);
    tc_expect_counts(obs, 1, ports0, entries0);
    tc_close(obs);
}

/* The server itself is SIGKILLed while four clients call it and victims come and go: every
 * client gets MIG_SERVER_DIED (the send-once notification) or MACH_SEND_INVALID_DEST, never a
 * hang; machd is back to nothing held. */
static void server_killed_mid_storm_gives_every_client_an_error(void **state) {
    (void)state;
    struct tc *obs = tc_open(&mh_daemon);
    uint32_t ports0, entries0;
    pid_t server = start_server(obs, &ports0, &entries0);
    const char *client_args[] = {"rpc_call", "attack.storm", "die", NULL};
    pid_t clients[4];
    for (int i = 0; i < 4; i++)
        clients[i] = peer(client_args);
    storm(scaled(40), 4);
    kill(server, SIGKILL);
    assert_int_equal(mh_wait(server), 128 + SIGKILL);
    for (int i = 0; i < 4; i++)
        assert_int_equal(mh_wait(clients[i]), 0);
    tc_settle(obs, 1, NULL, NULL, NULL);
    tc_expect_counts(obs, 1, ports0, entries0);
    tc_close(obs);
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(checksummed_transfer_loses_nothing, mh_setup, mh_teardown),
        cmocka_unit_test_setup_teardown(a_stopped_receiver_of_many_memfds_loses_nothing, mh_setup, mh_teardown),
        cmocka_unit_test_setup_teardown(sigkill_storm_leaves_the_server_and_machd_as_they_were, mh_setup,
                                        mh_teardown),
        cmocka_unit_test_setup_teardown(server_killed_mid_storm_gives_every_client_an_error, mh_setup, mh_teardown),
    };
    return mh_run_tests("machd_transfer", tests, sizeof tests / sizeof tests[0], argc, argv);
}
