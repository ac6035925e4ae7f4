/* Mach semaphores (<mach/semaphore.h>, docs/semaphores.md) in one process: counts, FIFO
 * wake-ups, signal_all, signal_thread, timed waits, wait_signal hand-offs, and the error codes
 * (KERN_OPERATION_TIMED_OUT, KERN_ABORTED after a signal handler, KERN_TERMINATED for waiters
 * of a destroyed semaphore, Darwin's name-translation codes). Nothing leaks. */
#include "core_test_util.h"

#include <pthread.h>
#include <signal.h>

#include <mach/semaphore.h>

#include "api/semaphore_internal.h"

/* Darwin's ABI: 8-byte mach_timespec_t, policy values, semaphore_t a port name. */
_Static_assert(sizeof(mach_timespec_t) == 8, "mach_timespec_t");
_Static_assert(offsetof(mach_timespec_t, tv_nsec) == 4, "mach_timespec_t.tv_nsec");
_Static_assert(sizeof(semaphore_t) == sizeof(mach_port_t), "semaphore_t");
_Static_assert(SYNC_POLICY_FIFO == 0 && SYNC_POLICY_FIXED_PRIORITY == 1 && SYNC_POLICY_REVERSED == 2 &&
                   SYNC_POLICY_LIFO == 2 && SYNC_POLICY_ORDER_MASK == 3 && SYNC_POLICY_MAX == 7,
               "sync policies");

static const mach_timespec_t NOW = { 0, 0 };
static const mach_timespec_t LONG_WAIT = { 20, 0 }; /* "forever": a hang fails the test */

static semaphore_t new_sem(int value) {
  semaphore_t s = SEMAPHORE_NULL;
  assert_int_equal(semaphore_create(SELF, &s, SYNC_POLICY_FIFO, value), KERN_SUCCESS);
  assert_true(MACH_PORT_VALID(s));
  return s;
}

static void wait_for_waiters(semaphore_t s, unsigned n) {
  for (int i = 0; i < 20000 && semaphore_waiter_count(s) < n; i++) sleep_ms(1);
  assert_int_equal(semaphore_waiter_count(s), n);
}

static void create_and_destroy_codes(void **state) {
  (void)state;
  semaphore_t s;
  assert_int_equal(semaphore_create(SELF, NULL, SYNC_POLICY_FIFO, 0), KERN_INVALID_ARGUMENT);
  assert_int_equal(semaphore_create(SELF, &s, SYNC_POLICY_FIFO, -1), KERN_INVALID_ARGUMENT);
  assert_int_equal(s, SEMAPHORE_NULL);
  assert_int_equal(semaphore_create(SELF, &s, 0x10, 0), KERN_INVALID_ARGUMENT);
  assert_int_equal(semaphore_create(0x12345603, &s, SYNC_POLICY_FIFO, 0), MACH_SEND_INVALID_DEST);
  assert_int_equal(semaphore_create(SELF, &s, SYNC_POLICY_LIFO, 0), KERN_SUCCESS);
  assert_int_equal(semaphore_destroy(SELF, s), KERN_SUCCESS);
  s = new_sem(3);
  assert_int_equal(type_of(s), MACH_PORT_TYPE_SEND);
  assert_int_equal(refs_of(s, MACH_PORT_RIGHT_SEND), 1);
  assert_int_equal(semaphore_destroy(SELF, SEMAPHORE_NULL), KERN_INVALID_ARGUMENT);
  assert_int_equal(semaphore_destroy(0x12345603, s), MACH_SEND_INVALID_DEST);
  mach_port_t p = new_port_with_send();
  assert_int_equal(semaphore_destroy(SELF, p), KERN_INVALID_ARGUMENT);
  assert_int_equal(semaphore_destroy(SELF, s), KERN_SUCCESS);
  /* The call consumed the only send right: the name is gone. */
  assert_int_equal(semaphore_signal(s), KERN_INVALID_NAME);
  assert_int_equal(semaphore_destroy(SELF, s), KERN_INVALID_NAME);
  assert_int_equal(mach_port_destroy(SELF, p), KERN_SUCCESS);
}

static void name_translation_codes(void **state) {
  (void)state;
  assert_int_equal(semaphore_signal(MACH_PORT_NULL), KERN_INVALID_NAME);
  assert_int_equal(semaphore_wait(MACH_PORT_DEAD), KERN_INVALID_NAME);
  assert_int_equal(semaphore_signal_all(0x7777703), KERN_INVALID_NAME);
  mach_port_t recv_only = new_port();
  assert_int_equal(semaphore_signal(recv_only), KERN_INVALID_RIGHT);
  mach_port_t p = new_port_with_send();
  assert_int_equal(semaphore_signal(p), KERN_INVALID_ARGUMENT);
  assert_int_equal(semaphore_timedwait(p, NOW), KERN_INVALID_ARGUMENT);
  semaphore_t s = new_sem(0);
  assert_int_equal(semaphore_timedwait(s, (mach_timespec_t){ 0, 1000000000 }), KERN_INVALID_VALUE);
  assert_int_equal(semaphore_timedwait(s, (mach_timespec_t){ 0, -1 }), KERN_INVALID_VALUE);
  assert_int_equal(semaphore_wait_signal(s, SEMAPHORE_NULL), KERN_INVALID_NAME);
  assert_int_equal(semaphore_wait_signal(s, p), KERN_INVALID_ARGUMENT);
  /* A second uref: destroy consumes one, the other becomes a dead name. */
  assert_int_equal(mach_port_mod_refs(SELF, s, MACH_PORT_RIGHT_SEND, 1), KERN_SUCCESS);
  assert_int_equal(semaphore_destroy(SELF, s), KERN_SUCCESS);
  assert_int_equal(type_of(s), MACH_PORT_TYPE_DEAD_NAME);
  assert_int_equal(semaphore_signal(s), KERN_INVALID_RIGHT);
  assert_int_equal(mach_port_deallocate(SELF, s), KERN_SUCCESS);
  assert_int_equal(mach_port_destroy(SELF, p), KERN_SUCCESS);
  assert_int_equal(mach_port_destroy(SELF, recv_only), KERN_SUCCESS);
}

static void counts_signal_all_and_signal_thread(void **state) {
  (void)state;
  semaphore_t s = new_sem(2);
  assert_int_equal(semaphore_wait(s), KERN_SUCCESS);
  assert_int_equal(semaphore_timedwait(s, NOW), KERN_SUCCESS);
  assert_int_equal(semaphore_timedwait(s, NOW), KERN_OPERATION_TIMED_OUT);
  /* Signals with nobody waiting are counted... */
  assert_int_equal(semaphore_signal(s), KERN_SUCCESS);
  assert_int_equal(semaphore_signal(s), KERN_SUCCESS);
  assert_int_equal(semaphore_timedwait(s, NOW), KERN_SUCCESS);
  assert_int_equal(semaphore_timedwait(s, NOW), KERN_SUCCESS);
  assert_int_equal(semaphore_timedwait(s, NOW), KERN_OPERATION_TIMED_OUT);
  /* ...but signal_all and signal_thread only wake waiters. */
  assert_int_equal(semaphore_signal_all(s), KERN_SUCCESS);
  assert_int_equal(semaphore_signal_thread(s, THREAD_NULL), KERN_NOT_WAITING);
  assert_int_equal(semaphore_timedwait(s, NOW), KERN_OPERATION_TIMED_OUT);
  assert_int_equal(semaphore_signal_thread(s, 0x1234503), KERN_INVALID_ARGUMENT);
  /* A short timed wait times out and leaves no waiter behind. */
  assert_int_equal(semaphore_timedwait(s, (mach_timespec_t){ 0, 20000000 }), KERN_OPERATION_TIMED_OUT);
  assert_int_equal(semaphore_waiter_count(s), 0);
  assert_int_equal(semaphore_signal(s), KERN_SUCCESS);
  assert_int_equal(semaphore_timedwait(s, NOW), KERN_SUCCESS);
  assert_int_equal(semaphore_destroy(SELF, s), KERN_SUCCESS);
}

struct waiter_arg {
  semaphore_t sem;
  bool timed;
  kern_return_t result;
  int order;
};

static int finished;
static pthread_mutex_t finished_mu = PTHREAD_MUTEX_INITIALIZER;

static void *waiter(void *arg) {
  struct waiter_arg *a = arg;
  a->result = a->timed ? semaphore_timedwait(a->sem, LONG_WAIT) : semaphore_wait(a->sem);
  pthread_mutex_lock(&finished_mu);
  a->order = ++finished;
  pthread_mutex_unlock(&finished_mu);
  return NULL;
}

static int finished_now(void) {
  pthread_mutex_lock(&finished_mu);
  int n = finished;
  pthread_mutex_unlock(&finished_mu);
  return n;
}

static void wait_finished(int n) {
  for (int i = 0; i < 20000 && finished_now() < n; i++) sleep_ms(1);
  assert_int_equal(finished_now(), n);
}

/* Four waiters: each signal wakes exactly one, oldest first; signal_thread(THREAD_NULL) wakes
 * one too; signal_all the rest. */
static void signals_wake_one_waiter_each_in_fifo_order(void **state) {
  (void)state;
  enum { N = 4 };
  semaphore_t s = new_sem(0);
  pthread_t th[N];
  struct waiter_arg a[N];
  finished = 0;
  for (int i = 0; i < N; i++) {
    a[i] = (struct waiter_arg){ .sem = s, .timed = i % 2 == 1, .result = -1 };
    pthread_create(&th[i], NULL, waiter, &a[i]);
    wait_for_waiters(s, (unsigned)i + 1); /* so the FIFO order is known */
  }
  assert_int_equal(semaphore_signal(s), KERN_SUCCESS);
  wait_finished(1);
  assert_int_equal(a[0].order, 1);
  assert_int_equal(semaphore_waiter_count(s), 3);
  assert_int_equal(semaphore_signal_thread(s, THREAD_NULL), KERN_SUCCESS);
  wait_finished(2);
  assert_int_equal(a[1].order, 2);
  assert_int_equal(semaphore_signal_all(s), KERN_SUCCESS);
  wait_finished(4);
  for (int i = 0; i < N; i++) {
    pthread_join(th[i], NULL);
    assert_int_equal(a[i].result, KERN_SUCCESS);
  }
  /* None of those signals was left over. */
  assert_int_equal(semaphore_timedwait(s, NOW), KERN_OPERATION_TIMED_OUT);
  assert_int_equal(semaphore_destroy(SELF, s), KERN_SUCCESS);
}

/* Waiters of a destroyed semaphore (plain and timed) get KERN_TERMINATED. */
static void destroyed_under_waiters(void **state) {
  (void)state;
  enum { N = 3 };
  semaphore_t s = new_sem(0);
  pthread_t th[N];
  struct waiter_arg a[N];
  finished = 0;
  for (int i = 0; i < N; i++) {
    a[i] = (struct waiter_arg){ .sem = s, .timed = i == 2, .result = -1 };
    pthread_create(&th[i], NULL, waiter, &a[i]);
  }
  wait_for_waiters(s, N);
  assert_int_equal(semaphore_destroy(SELF, s), KERN_SUCCESS);
  for (int i = 0; i < N; i++) {
    pthread_join(th[i], NULL);
    assert_int_equal(a[i].result, KERN_TERMINATED);
  }
}

/* The last send right released while a thread waits: the semaphore goes with it. */
static void last_send_right_released_under_a_waiter(void **state) {
  (void)state;
  semaphore_t s = new_sem(0);
  pthread_t th;
  struct waiter_arg a = { .sem = s, .result = -1 };
  finished = 0;
  pthread_create(&th, NULL, waiter, &a);
  wait_for_waiters(s, 1);
  assert_int_equal(mach_port_deallocate(SELF, s), KERN_SUCCESS);
  pthread_join(th, NULL);
  assert_int_equal(a.result, KERN_TERMINATED);
  assert_int_equal(semaphore_signal(s), KERN_INVALID_NAME);
}

static void on_signal(int sig) { (void)sig; }

/* A signal handler running in a waiting thread: KERN_ABORTED, and the wait is undone (a later
 * signal is counted, not lost to a thread that left). */
static void signal_handler_aborts_a_wait(void **state) {
  (void)state;
  struct sigaction sa = { .sa_handler = on_signal }, old;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0; /* no SA_RESTART */
  assert_int_equal(sigaction(SIGUSR1, &sa, &old), 0);
  semaphore_t s = new_sem(0);
  for (int timed = 0; timed < 2; timed++) {
    pthread_t th;
    struct waiter_arg a = { .sem = s, .timed = timed, .result = -1 };
    finished = 0;
    pthread_create(&th, NULL, waiter, &a);
    wait_for_waiters(s, 1);
    /* The thread is listed before it sleeps: send the signal until it has left. */
    while (finished_now() == 0) {
      pthread_kill(th, SIGUSR1);
      sleep_ms(5);
    }
    pthread_join(th, NULL);
    assert_int_equal(a.result, KERN_ABORTED);
    assert_int_equal(semaphore_waiter_count(s), 0);
  }
  assert_int_equal(semaphore_signal(s), KERN_SUCCESS);
  assert_int_equal(semaphore_timedwait(s, NOW), KERN_SUCCESS);
  assert_int_equal(semaphore_destroy(SELF, s), KERN_SUCCESS);
  sigaction(SIGUSR1, &old, NULL);
}

struct pingpong {
  semaphore_t ping, pong;
  int rounds;
  kern_return_t result;
};

static void *ponger(void *arg) {
  struct pingpong *p = arg;
  p->result = semaphore_wait(p->ping);
  for (int i = 1; i < p->rounds && p->result == KERN_SUCCESS; i++)
    p->result = semaphore_wait_signal(p->ping, p->pong);
  if (p->result == KERN_SUCCESS) p->result = semaphore_signal(p->pong);
  return NULL;
}

/* semaphore_wait_signal hands a token back and forth 20,000 times without losing one. */
static void wait_signal_ping_pong(void **state) {
  (void)state;
  struct pingpong p = { new_sem(0), new_sem(0), 20000, -1 };
  pthread_t th;
  pthread_create(&th, NULL, ponger, &p);
  kern_return_t kr = KERN_SUCCESS;
  for (int i = 0; i < p.rounds && kr == KERN_SUCCESS; i++)
    kr = semaphore_timedwait_signal(p.pong, p.ping, LONG_WAIT);
  assert_int_equal(kr, KERN_SUCCESS);
  pthread_join(th, NULL);
  assert_int_equal(p.result, KERN_SUCCESS);
  /* Every signal was consumed: both are at zero. */
  assert_int_equal(semaphore_timedwait(p.ping, NOW), KERN_OPERATION_TIMED_OUT);
  assert_int_equal(semaphore_timedwait(p.pong, NOW), KERN_OPERATION_TIMED_OUT);
  /* A timed-out wait_signal still signals. */
  assert_int_equal(semaphore_timedwait_signal(p.pong, p.ping, NOW), KERN_OPERATION_TIMED_OUT);
  assert_int_equal(semaphore_timedwait(p.ping, NOW), KERN_SUCCESS);
  assert_int_equal(semaphore_destroy(SELF, p.ping), KERN_SUCCESS);
  assert_int_equal(semaphore_destroy(SELF, p.pong), KERN_SUCCESS);
}

/* A semaphore's send right travels in a message like any other; sends to the semaphore port
 * itself are refused (it is a kernel object). */
static void send_right_travels_in_a_message(void **state) {
  (void)state;
  semaphore_t s = new_sem(0);
  mach_port_t p = new_port();
  send_right_to_own(p, s, MACH_MSG_TYPE_COPY_SEND);
  mach_port_t received = recv_right_from(p);
  assert_int_equal(received, s); /* one space: the same name, one more uref */
  assert_int_equal(refs_of(s, MACH_PORT_RIGHT_SEND), 2);
  assert_int_equal(semaphore_signal(received), KERN_SUCCESS);
  assert_int_equal(semaphore_timedwait(s, NOW), KERN_SUCCESS);
  assert_int_equal(send_msg(s, MACH_MSG_TYPE_COPY_SEND, MACH_PORT_NULL, 0, 1, 1, 0, 0), MACH_SEND_INVALID_DEST);
  assert_int_equal(mach_port_deallocate(SELF, s), KERN_SUCCESS);
  assert_int_equal(semaphore_destroy(SELF, s), KERN_SUCCESS);
  assert_int_equal(mach_port_destroy(SELF, p), KERN_SUCCESS);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    LEAK_CHECKED_TEST(create_and_destroy_codes),
    LEAK_CHECKED_TEST(name_translation_codes),
    LEAK_CHECKED_TEST(counts_signal_all_and_signal_thread),
    LEAK_CHECKED_TEST(signals_wake_one_waiter_each_in_fifo_order),
    LEAK_CHECKED_TEST(destroyed_under_waiters),
    LEAK_CHECKED_TEST(last_send_right_released_under_a_waiter),
    LEAK_CHECKED_TEST(signal_handler_aborts_a_wait),
    LEAK_CHECKED_TEST(wait_signal_ping_pong),
    LEAK_CHECKED_TEST(send_right_travels_in_a_message),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
