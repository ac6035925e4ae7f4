/* Mach semaphores across processes (docs/semaphores.md, "Across processes"): a semaphore's send
 * right registered through machd reaches other processes, whose semaphore calls the owner's
 * runtime serves. Each test starts its own machd, an owner and remote peers
 * (machd_semaphore_peer), and checks their exit status; the peers check codes and counts. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "machd_harness.h"

static pid_t peer(const char *mode, const char *name, const char *n) {
    const char *args[] = {mode, name, n, NULL};
    return mh_spawn_program(&mh_daemon, MACHD_SEMAPHORE_PEER, args);
}

/* 1,000 signal / wait round trips between two processes, each side counting its waits. */
static void semaphore_ping_pong_across_processes(void **state) {
    (void)state;
    pid_t owner = peer("owner-pingpong", "svc.sem", "1000");
    pid_t remote = peer("remote-pingpong", "svc.sem", "1000");
    assert_int_equal(mh_wait(remote), 0);
    assert_int_equal(mh_wait(owner), 0);
}

/* A timed wait on another task's semaphore times out (the owner's timer answers), no sooner
 * than asked, and leaves no waiter behind. */
static void semaphore_timed_wait_times_out_across_processes(void **state) {
    (void)state;
    pid_t owner = peer("owner-timeout", "svc.sem", NULL);
    pid_t remote = peer("remote-timeout", "svc.sem", "300");
    assert_int_equal(mh_wait(remote), 0);
    assert_int_equal(mh_wait(owner), 0);
}

/* The owner destroys its semaphore while another process waits on it: KERN_TERMINATED, then
 * the name is dead there. */
static void semaphore_destroyed_under_a_remote_waiter(void **state) {
    (void)state;
    pid_t owner = peer("owner-destroy", "svc.sem", NULL);
    pid_t remote = peer("remote-destroyed", "svc.sem", NULL);
    assert_int_equal(mh_wait(owner), 0);
    assert_int_equal(mh_wait(remote), 0);
}

/* The owner exits while another process waits: the waiter gets KERN_TERMINATED, as Darwin's
 * task termination destroys the task's semaphores, and never hangs. */
static void semaphore_owner_dies_under_a_remote_waiter(void **state) {
    (void)state;
    pid_t owner = peer("owner-die", "svc.sem", NULL);
    pid_t remote = peer("remote-owner-died", "svc.sem", NULL);
    assert_int_equal(mh_wait(owner), 0);
    assert_int_equal(mh_wait(remote), 0);
}

/* semaphore_signal_all wakes waiters in three other processes. */
static void semaphore_signal_all_wakes_every_remote_waiter(void **state) {
    (void)state;
    pid_t owner = peer("owner-all", "svc.sem", "3");
    pid_t remotes[3];
    for (int i = 0; i < 3; i++)
        remotes[i] = peer("remote-all", "svc.sem", NULL);
    for (int i = 0; i < 3; i++)
        assert_int_equal(mh_wait(remotes[i]), 0);
    assert_int_equal(mh_wait(owner), 0);
}

/* A process dies while it waits on another task's semaphore: its waiter is answered into a dead
 * port, takes at most one signal, and the semaphore goes on working. */
static void semaphore_remote_waiter_that_dies_leaves_no_trace(void **state) {
    (void)state;
    pid_t owner = peer("owner-deadwaiter", "svc.sem", NULL);
    pid_t remote = peer("remote-die", "svc.sem", NULL);
    assert_int_equal(mh_wait(remote), 128 + SIGALRM);
    assert_int_equal(mh_wait(owner), 0);
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(semaphore_ping_pong_across_processes, mh_setup, mh_teardown),
        cmocka_unit_test_setup_teardown(semaphore_timed_wait_times_out_across_processes, mh_setup, mh_teardown),
        cmocka_unit_test_setup_teardown(semaphore_destroyed_under_a_remote_waiter, mh_setup, mh_teardown),
        cmocka_unit_test_setup_teardown(semaphore_owner_dies_under_a_remote_waiter, mh_setup, mh_teardown),
        cmocka_unit_test_setup_teardown(semaphore_signal_all_wakes_every_remote_waiter, mh_setup, mh_teardown),
        cmocka_unit_test_setup_teardown(semaphore_remote_waiter_that_dies_leaves_no_trace, mh_setup, mh_teardown),
    };
    return mh_run_tests("machd_semaphore_test", tests, sizeof tests / sizeof tests[0], argc, argv);
}
