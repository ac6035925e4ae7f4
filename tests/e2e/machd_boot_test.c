/* Bootstrap name service tests (docs/machd.md 6, docs/runtime.md "Bootstrap"): the exact return
 * codes, in-process and through machd (the same program, both must pass); names another task
 * owns; bootstrap_create_service with messages queued before the check-in; names bound again
 * by the runtime after machd restarts. The peers (machd_boot_peer) check codes and data; this
 * program runs them and checks machd's counts afterwards. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include "machd_harness.h"

static pid_t peer(const char *mode, const char *name, const char *arg) {
    const char *args[] = {mode, name, arg, NULL};
    return mh_spawn_program(&mh_daemon, MACHD_BOOT_PEER, args);
}

/* machd holds nothing once only the observer is left: no port, no entry (the keeper's
 * included), no name. */
static void expect_machd_empty(struct tc *obs) {
    uint32_t ports = 99, entries = 99;
    tc_settle(obs, 1, &ports, &entries, NULL);
    assert_int_equal(ports, 0);
    assert_int_equal(entries, 0);
}

/* Every call in every state of a name, same task: identical codes without machd and with it. */
static void same_codes_in_process_and_through_machd(void **state) {
    (void)state;
    setenv("MACHD_DISABLE", "1", 1); /* inherited by the peer: the in-process service */
    pid_t p = peer("codes", "svc.codes", "inproc");
    unsetenv("MACHD_DISABLE");
    assert_int_equal(mh_wait(p), 0);
    assert_int_equal(mh_wait(peer("codes", "svc.codes", "machd")), 0);
    struct tc *obs = tc_open(&mh_daemon);
    expect_machd_empty(obs);
    tc_close(obs);
}

/* Another task's names: BOOTSTRAP_NOT_PRIVILEGED for check-in, register and unregister; the
 * names go when their owner dies. */
static void names_of_another_task_are_not_privileged(void **state) {
    (void)state;
    pid_t owner = peer("owner", "svc.own", "");
    assert_int_equal(mh_wait(peer("intruder", "svc.own", "")), 0);
    assert_int_equal(mh_wait(owner), 0);
}

/* bootstrap_create_service across processes: the creator queues messages (with a send right
 * and a send-once reply right of its own) before anyone checks in; another process checks in
 * and receives them in order, with the creator's audit identity, and answers through them. */
static void created_service_queues_until_another_process_checks_in(void **state) {
    (void)state;
    struct tc *obs = tc_open(&mh_daemon);
    pid_t creator = peer("creator", "svc.created", "");
    char pid[16];
    snprintf(pid, sizeof pid, "%d", (int)creator);
    assert_int_equal(mh_wait(peer("checker", "svc.created", pid)), 0);
    assert_int_equal(mh_wait(creator), 0);
    expect_machd_empty(obs);
    tc_close(obs);
}

/* A created service whose creator dies before anyone checks in: the name and the port go, with
 * the messages queued on it (their rights released: machd's counts come back to empty). */
static void created_service_dies_with_its_creator(void **state) {
    (void)state;
    struct tc *obs = tc_open(&mh_daemon);
    pid_t creator = peer("creator", "svc.orphan", "");
    kill(creator, SIGKILL);
    assert_int_equal(mh_wait(creator), 128 + SIGKILL);
    expect_machd_empty(obs);
    uint32_t h = 0;
    assert_int_equal(tc_look_up(obs, "svc.orphan", &h), 1102); /* BOOTSTRAP_UNKNOWN_SERVICE */
    tc_close(obs);
}

/* machd killed and restarted under a server: the runtime binds the server's names again (the
 * checked-in one to the receive right it still holds, the registered one to its port), so a
 * new client finds them and makes RPCs. */
static void names_bound_again_after_machd_restarts(void **state) {
    (void)state;
    pid_t server = peer("server", "svc.restart", "");
    assert_int_equal(mh_wait(peer("client", "svc.restart", "")), 0); /* before the restart */
    mh_kill(&mh_daemon);
    mh_restart(&mh_daemon);
    assert_int_equal(mh_wait(peer("client", "svc.restart", "quit")), 0);
    assert_int_equal(mh_wait(server), 0);
    struct tc *obs = tc_open(&mh_daemon);
    expect_machd_empty(obs);
    tc_close(obs);
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(same_codes_in_process_and_through_machd, mh_setup, mh_teardown),
        cmocka_unit_test_setup_teardown(names_of_another_task_are_not_privileged, mh_setup, mh_teardown),
        cmocka_unit_test_setup_teardown(created_service_queues_until_another_process_checks_in, mh_setup, mh_teardown),
        cmocka_unit_test_setup_teardown(created_service_dies_with_its_creator, mh_setup, mh_teardown),
        cmocka_unit_test_setup_teardown(names_bound_again_after_machd_restarts, mh_setup, mh_teardown),
    };
    return mh_run_tests("machd_boot", tests, sizeof tests / sizeof tests[0], argc, argv);
}
