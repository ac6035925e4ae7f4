/* Tests of libmach's receive path across processes (docs/machd.md 7, "Receive path"): several
 * threads waiting for replies at once, a local message reaching a thread that is reading machd's
 * connection, and events reaching a process where no thread receives. Each test starts its own
 * machd and real peer processes (machd_rpc_peer as the server, machd_threads_peer as the task
 * under test). */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "machd_harness.h"

/* Runs machd_threads_peer MODE against a machd_rpc_peer SERVER_MODE serving NAME, with the
 * test's machd; returns the task's exit status. */
static int run_against(const char *server_mode, const char *name, const char *mode, const char *count) {
    const char *srv[] = {server_mode, name, NULL};
    const struct machd_proc *m = &mh_daemon;
    pid_t server = mh_spawn_program(m, MACHD_RPC_PEER, srv);
    const char *task[] = {mode, name, count, NULL};
    int status = mh_wait(mh_spawn_program(m, MACHD_THREADS_PEER, task));
    kill(server, SIGKILL);
    mh_wait(server);
    return status;
}

/* Four threads of one process each wait for their own replies: whichever reads machd's
 * connection hands the others their messages, and every reply reaches the right thread. */
static void threads_waiting_at_once_each_get_their_replies(void **state) {
    (void)state;
    assert_int_equal(run_against("server", "svc.threads", "rpcs", "500"), 0);
}

/* A thread blocked reading machd's connection is interrupted by a local message for it (one
 * nudge), instead of waiting for its timeout. */
static void local_message_reaches_a_thread_reading_machd(void **state) {
    (void)state;
    assert_int_equal(run_against("server", "svc.nudge", "nudge", NULL), 0);
}

/* No thread receives: the standby thread still reads machd, so a remote port's death turns the
 * name into a dead name. */
static void dead_name_reaches_a_process_where_no_thread_receives(void **state) {
    (void)state;
    assert_int_equal(run_against("drop", "svc.idle", "idle", NULL), 0);
}

/* With an argument, runs only the tests whose names match it (one CTest per test). */
int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(threads_waiting_at_once_each_get_their_replies, mh_setup, mh_teardown),
        cmocka_unit_test_setup_teardown(local_message_reaches_a_thread_reading_machd, mh_setup, mh_teardown),
        cmocka_unit_test_setup_teardown(dead_name_reaches_a_process_where_no_thread_receives, mh_setup, mh_teardown),
    };
    return mh_run_tests("machd_reader_test", tests, sizeof tests / sizeof tests[0], argc, argv);
}
