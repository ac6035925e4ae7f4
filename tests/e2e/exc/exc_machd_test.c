/* Exception ports across processes through machd: a crash reporter process registers a port,
 * another process faults, the reporter gets the Mach exception and answers it; a reporter that
 * dies before answering leaves the faulting process to die of its signal, never to hang. */
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "machd_harness.h"

static void a_crash_reporter_in_another_process_gets_the_fault_and_resumes_it(void **state) {
  (void)state;
  const char *rargs[] = {"reporter", "exc.reporter", NULL};
  pid_t reporter = mh_spawn_peer(&mh_daemon, rargs);
  const char *cargs[] = {"crasher", "exc.reporter", NULL};
  pid_t crasher = mh_spawn_peer(&mh_daemon, cargs);
  assert_int_equal(mh_wait(crasher), 0);
  assert_int_equal(mh_wait(reporter), 0);
}

static void a_reporter_dying_before_it_replies_leaves_the_crasher_to_die_of_sigsegv(void **state) {
  (void)state;
  const char *rargs[] = {"reporter-dies", "exc.dying", NULL};
  pid_t reporter = mh_spawn_peer(&mh_daemon, rargs);
  const char *cargs[] = {"crasher", "exc.dying", NULL};
  pid_t crasher = mh_spawn_peer(&mh_daemon, cargs);
  assert_int_equal(mh_wait(reporter), 0);
  assert_int_equal(mh_wait(crasher), 128 + SIGSEGV);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(a_crash_reporter_in_another_process_gets_the_fault_and_resumes_it,
                                    mh_setup, mh_teardown),
    cmocka_unit_test_setup_teardown(a_reporter_dying_before_it_replies_leaves_the_crasher_to_die_of_sigsegv,
                                    mh_setup, mh_teardown),
  };
  return mh_run_tests("exc_machd", tests, sizeof tests / sizeof tests[0], argc, argv);
}
