/* Guarded port descriptors across processes through machd: a client moves receive rights to a
 * server in guarded descriptors; the server checks XNU's copyout rules (machd_guard_peer.c).
 * machd holds nothing afterwards. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "machd_harness.h"

static void guarded_descriptors_between_processes(void **state) {
    (void)state;
    const char *server_args[] = {"server", "svc.guard", NULL};
    const char *client_args[] = {"client", "svc.guard", NULL};
    pid_t server = mh_spawn_peer(&mh_daemon, server_args);
    pid_t client = mh_spawn_peer(&mh_daemon, client_args);
    assert_int_equal(mh_wait(client), 0);
    assert_int_equal(mh_wait(server), 0);
    struct tc *obs = tc_open(&mh_daemon);
    tc_settle(obs, 1, NULL, NULL, NULL);
    tc_expect_counts(obs, 1, 0, 0);
    tc_close(obs);
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(guarded_descriptors_between_processes, mh_setup, mh_teardown),
    };
    return mh_run_tests("machd_guard", tests, sizeof tests / sizeof tests[0], argc, argv);
}
