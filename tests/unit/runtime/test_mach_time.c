/* <mach/mach_time.h> and mach_reply_port (docs/runtime.md, "Time" and the API table). */
#include "core_test_util.h"

#include <time.h>

#include <mach/mach_time.h>

static uint64_t ns_of(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The timebase is 1/1 and the tick counters follow the Linux clocks they stand for. */
static void ticks_are_nanoseconds_of_the_right_clocks(void **state) {
  (void)state;
  mach_timebase_info_data_t tb = {0, 0};
  assert_int_equal(mach_timebase_info(&tb), KERN_SUCCESS);
  assert_int_equal(tb.numer, 1);
  assert_int_equal(tb.denom, 1);
  assert_int_equal(mach_timebase_info(NULL), KERN_INVALID_ARGUMENT);
  uint64_t before = ns_of(CLOCK_MONOTONIC), t = mach_absolute_time(), after = ns_of(CLOCK_MONOTONIC);
  assert_true(before <= t && t <= after);
  before = ns_of(CLOCK_BOOTTIME);
  t = mach_continuous_time();
  after = ns_of(CLOCK_BOOTTIME);
  assert_true(before <= t && t <= after);
  /* Coarse clocks are at most a tick (a few ms) behind. */
  uint64_t fine = mach_absolute_time(), coarse = mach_approximate_time();
  assert_true(coarse <= fine + 1000000u && fine - coarse < 100000000u);
  assert_true(mach_continuous_approximate_time() >= mach_continuous_time() - 100000000u);
  /* 10 ms of sleep are 10 ms of ticks. */
  t = mach_absolute_time();
  nanosleep(&(struct timespec){0, 10000000}, NULL);
  assert_true(mach_absolute_time() - t >= 10000000u);
}

/* mach_reply_port gives a fresh receive right each call, usable as a reply port. */
static void reply_port_is_a_new_receive_right(void **state) {
  (void)state;
  mach_port_t a = mach_reply_port(), b = mach_reply_port();
  assert_true(MACH_PORT_VALID(a) && MACH_PORT_VALID(b) && a != b);
  assert_int_equal(type_of(a), MACH_PORT_TYPE_RECEIVE);
  assert_int_equal(send_msg(a, MACH_MSG_TYPE_MAKE_SEND, MACH_PORT_NULL, 0, 42, 7, 0, 0), MACH_MSG_SUCCESS);
  test_msg_t m;
  assert_int_equal(mach_msg(&m.header, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof m, a, 1000, MACH_PORT_NULL),
                   MACH_MSG_SUCCESS);
  assert_int_equal(m.header.msgh_id, 42);
  assert_int_equal(m.value, 7);
  assert_int_equal(mach_port_mod_refs(mach_task_self(), a, MACH_PORT_RIGHT_RECEIVE, -1), KERN_SUCCESS);
  assert_int_equal(mach_port_mod_refs(mach_task_self(), b, MACH_PORT_RIGHT_RECEIVE, -1), KERN_SUCCESS);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(ticks_are_nanoseconds_of_the_right_clocks),
    LEAK_CHECKED_TEST(reply_port_is_a_new_receive_right),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
