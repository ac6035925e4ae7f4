/* Ports in an epoll loop across processes (docs/event-loops.md): a task watching a port set's
 * descriptor is woken by messages that other processes send through machd (delivered by the
 * transport's reader into the local queue), with a member of the set dying half-way, and every
 * wake-up finds a message. Each test starts its own machd and real peer processes. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "machd_harness.h"

static void remote_senders_wake_an_epoll_loop(void **state) {
    (void)state;
    const struct machd_proc *m = &mh_daemon;
    const char *srv[] = {"serve", "svc.evloop", "1500", NULL};
    pid_t server = mh_spawn_program(m, MACHD_EVLOOP_PEER, srv);
    const char *snd[] = {"send", "svc.evloop", "500", NULL};
    pid_t senders[3];
    for (int i = 0; i < 3; i++)
        senders[i] = mh_spawn_program(m, MACHD_EVLOOP_PEER, snd);
    for (int i = 0; i < 3; i++)
        assert_int_equal(mh_wait(senders[i]), 0);
    assert_int_equal(mh_wait(server), 0);
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(remote_senders_wake_an_epoll_loop, mh_setup, mh_teardown),
    };
    return mh_run_tests("machd_evloop_test", tests, sizeof tests / sizeof tests[0], argc, argv);
}
