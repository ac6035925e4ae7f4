/* Task ports across processes (docs/runtime.md, "Task ports across processes"): a broker starts
 * a child with openmig_posix_spawn and calls mach_port_* on the child's space through its task
 * port; the child's runtime serves them. Each test starts its own machd and a broker
 * (machd_taskport_peer), which checks codes, counts and bytes and exits with the failed step. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "machd_harness.h"

static void run_broker(const char *mode) {
    const char *args[] = {mode, NULL};
    pid_t broker = mh_spawn_program(&mh_daemon, MACHD_TASKPORT_PEER, args);
    assert_int_equal(mh_wait(broker), 0);
}

/* Every call on the child's space gives the answer it gives on the broker's own, Darwin's;
 * rights made in the child carry a message intact; neither space keeps anything. */
static void task_port_calls_across_processes(void **state) {
    (void)state;
    run_broker("calls");
}

/* A dead child's task port: MACH_SEND_INVALID_DEST once machd has told of the death (a call
 * sent before gets MIG_SERVER_DIED), and the name is a dead name. */
static void task_port_of_a_dead_task(void **state) {
    (void)state;
    run_broker("dead");
}

/* The child dies while a call waits for its answer: the broker gets MIG_SERVER_DIED, no hang. */
static void task_dying_under_a_call_never_hangs_the_caller(void **state) {
    (void)state;
    run_broker("die-in-call");
}

/* A process that is not the spawned child cannot pass its task port off as the child's. */
static void task_port_from_another_process_is_refused(void **state) {
    (void)state;
    run_broker("intruder");
}

/* Malformed requests to a task port: refused with MIG's codes or destroyed; the owner serves on,
 * keeps nothing, and ends cleanly. */
static void task_port_survives_malformed_requests(void **state) {
    (void)state;
    run_broker("hostile");
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(task_port_calls_across_processes, mh_setup, mh_teardown),
        cmocka_unit_test_setup_teardown(task_port_of_a_dead_task, mh_setup, mh_teardown),
        cmocka_unit_test_setup_teardown(task_dying_under_a_call_never_hangs_the_caller, mh_setup, mh_teardown),
        cmocka_unit_test_setup_teardown(task_port_from_another_process_is_refused, mh_setup, mh_teardown),
        cmocka_unit_test_setup_teardown(task_port_survives_malformed_requests, mh_setup, mh_teardown),
    };
    return mh_run_tests("machd_taskport", tests, sizeof tests / sizeof tests[0], argc, argv);
}
