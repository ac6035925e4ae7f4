/* Mach semantics across processes through machd (docs/machd.md, "Queue limits across
 * processes" and section 8): each test starts a private machd and real libmach processes
 * (machd_sem_peer) and checks their exit status; the peers check return codes and data. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <time.h>

#include <cmocka.h>

#include "machd_harness.h"

static struct machd_proc daemon_proc;

static int setup(void **state) {
    (void)state;
    mh_start(&daemon_proc);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    if (daemon_proc.pid > 0)
        assert_int_equal(mh_stop(&daemon_proc), 0); /* machd survived and stops cleanly */
    mh_cleanup(&daemon_proc);
    return 0;
}

static pid_t peer(const char *mode, const char *name) {
    const char *args[] = {mode, name, NULL};
    return mh_spawn_program(&daemon_proc, MACHD_SEM_PEER, args);
}

/* The sender blocks while the receiver's queue (another process) is at its limit; timeouts,
 * timeout 0, and the send-once reply path that is never held back. */
static void sender_blocks_on_a_full_queue_in_another_process(void **state) {
    (void)state;
    pid_t receiver = peer("qrecv", "svc.limit");
    pid_t sender = peer("qsend", "svc.limit");
    assert_int_equal(mh_wait(sender), 0);
    assert_int_equal(mh_wait(receiver), 0);
}

/* The receive right is destroyed while a sender in another process waits on the full queue: the
 * send succeeds (the message destroyed as if delivered, XNU's rule) and the reply right's
 * send-once notification comes. */
static void port_destroyed_under_a_blocked_remote_sender_counts_as_delivered(void **state) {
    (void)state;
    pid_t receiver = peer("qdie", "svc.qdie");
    pid_t sender = peer("qdiesend", "svc.qdie");
    assert_int_equal(mh_wait(sender), 0);
    assert_int_equal(mh_wait(receiver), 0);
}

/* A sender killed while blocked on a full queue leaves no waiter behind: the room the
 * receiver makes goes to the next sender. */
static void sender_killed_while_blocked_leaves_nothing_behind(void **state) {
    (void)state;
    pid_t receiver = peer("qhold", "svc.hold");
    pid_t blocked = peer("qblock", "svc.hold");
    /* Give its request time to reach machd (not an assertion: the test stays valid if it has
     * not, it only checks less). */
    struct timespec ts = {0, 300 * 1000000L};
    nanosleep(&ts, NULL);
    kill(blocked, SIGKILL);
    assert_int_equal(mh_wait(blocked), 128 + SIGKILL);
    assert_int_equal(mh_wait(peer("qafter", "svc.hold")), 0);
    assert_int_equal(mh_wait(receiver), 0);
}

/* bootstrap_register and unregistering through machd; names released when their receive
 * right dies (checked in or registered), in the process that held it. */
static void bootstrap_register_unregister_and_release(void **state) {
    (void)state;
    pid_t p = peer("boot", "svc.boot");
    assert_int_equal(mh_wait(p), 0);
}

/* A port set holding a local port and ports fed by another process: every message once, on
 * its member, with per-port sequence numbers; MACH_RCV_LARGE on a relayed message. */
static void port_set_sequence_numbers_and_rcv_large_across_processes(void **state) {
    (void)state;
    pid_t receiver = peer("pset", "svc.pset");
    assert_int_equal(mh_wait(peer("feed", "svc.pset")), 0);
    assert_int_equal(mh_wait(receiver), 0);
}

/* A dead-name notification when the receive right dies in another, live process; then
 * MACH_SEND_INVALID_DEST and BOOTSTRAP_UNKNOWN_SERVICE. */
static void dead_name_notification_and_look_up_after_the_receiver_died(void **state) {
    (void)state;
    pid_t owner = peer("owner", "svc.dn");
    assert_int_equal(mh_wait(peer("dn", "svc.dn")), 0);
    kill(owner, SIGKILL);
    assert_int_equal(mh_wait(owner), 128 + SIGKILL);
}

/* No-senders fires once, with the right make-send count, after a send right went to another
 * process and came back. */
static void no_senders_once_after_a_round_trip_of_the_send_right(void **state) {
    (void)state;
    pid_t owner = peer("nsown", "svc.ns");
    assert_int_equal(mh_wait(peer("ns", "svc.ns")), 0);
    assert_int_equal(mh_wait(owner), 0);
}

/* A receive right moved in the very message that first makes it known to machd, with messages
 * queued and a send right kept by the sender: the messages follow, the send right works. */
static void receive_right_moved_in_the_message_that_exports_it(void **state) {
    (void)state;
    pid_t receiver = peer("mrecv", "svc.move");
    assert_int_equal(mh_wait(peer("mmove", "svc.move")), 0);
    assert_int_equal(mh_wait(receiver), 0);
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(sender_blocks_on_a_full_queue_in_another_process, setup, teardown),
        cmocka_unit_test_setup_teardown(port_destroyed_under_a_blocked_remote_sender_counts_as_delivered, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(sender_killed_while_blocked_leaves_nothing_behind, setup, teardown),
        cmocka_unit_test_setup_teardown(bootstrap_register_unregister_and_release, setup, teardown),
        cmocka_unit_test_setup_teardown(port_set_sequence_numbers_and_rcv_large_across_processes, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(dead_name_notification_and_look_up_after_the_receiver_died, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(no_senders_once_after_a_round_trip_of_the_send_right, setup, teardown),
        cmocka_unit_test_setup_teardown(receive_right_moved_in_the_message_that_exports_it, setup, teardown),
    };
    return mh_run_tests("machd_sem_test", tests, sizeof tests / sizeof tests[0], argc, argv);
}
