/* Message queues: queue limits, blocked senders and their wake-up order, send and receive
 * timeouts (0 and not), MACH_RCV_LARGE / MACH_RCV_TOO_LARGE, sequence numbers, queue limit 0. */
#include "core_test_util.h"

#include <pthread.h>
#include <mach/notify.h>

static void set_qlimit(mach_port_t p, mach_port_msgcount_t n) {
  mach_port_limits_t lim = { n };
  assert_int_equal(mach_port_set_attributes(SELF, p, MACH_PORT_LIMITS_INFO, (mach_port_info_t)&lim,
                                            MACH_PORT_LIMITS_INFO_COUNT),
                   KERN_SUCCESS);
}

static void test_default_limit_is_five(void **state) {
  (void)state;
  mach_port_t p = new_port_with_send();
  mach_port_limits_t lim;
  mach_msg_type_number_t cnt = MACH_PORT_LIMITS_INFO_COUNT;
  assert_int_equal(mach_port_get_attributes(SELF, p, MACH_PORT_LIMITS_INFO, (mach_port_info_t)&lim,
                                            &cnt),
                   KERN_SUCCESS);
  assert_int_equal(lim.mpl_qlimit, MACH_PORT_QLIMIT_DEFAULT);
  for (int i = 0; i < 5; i++)
    assert_int_equal(send_msg(p, MACH_MSG_TYPE_COPY_SEND, 0, 0, i, i, MACH_SEND_TIMEOUT, 0),
                     MACH_MSG_SUCCESS);
  assert_int_equal(send_msg(p, MACH_MSG_TYPE_COPY_SEND, 0, 0, 5, 5, MACH_SEND_TIMEOUT, 0),
                   MACH_SEND_TIMED_OUT);
  assert_int_equal(send_msg(p, MACH_MSG_TYPE_COPY_SEND, 0, 0, 5, 5, MACH_SEND_TIMEOUT, 30),
                   MACH_SEND_TIMED_OUT);
  /* Send-once messages (replies, notifications) are not held back by the limit. */
  assert_int_equal(send_msg(p, MACH_MSG_TYPE_MAKE_SEND_ONCE, 0, 0, 6, 6, MACH_SEND_TIMEOUT, 0),
                   MACH_MSG_SUCCESS);
  assert_int_equal(status_of(p).mps_msgcount, 6);
  test_msg_t m;
  for (int i = 0; i < 5; i++) {
    assert_int_equal(recv_msg(p, &m, MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_SEQNO), 0),
                     MACH_MSG_SUCCESS);
    assert_int_equal(m.header.msgh_id, i);
    assert_int_equal(m.trailer.msgh_seqno, (mach_port_seqno_t)i);
  }
  assert_int_equal(recv_msg(p, &m, 0, 0), MACH_MSG_SUCCESS);
  assert_int_equal(m.header.msgh_id, 6);
  assert_int_equal(status_of(p).mps_seqno, 6);
  /* Limits are checked. */
  mach_port_limits_t big = { MACH_PORT_QLIMIT_MAX + 1 };
  assert_int_equal(mach_port_set_attributes(SELF, p, MACH_PORT_LIMITS_INFO, (mach_port_info_t)&big,
                                            MACH_PORT_LIMITS_INFO_COUNT),
                   KERN_INVALID_VALUE);
  cnt = 0;
  assert_int_equal(mach_port_get_attributes(SELF, p, MACH_PORT_LIMITS_INFO, (mach_port_info_t)&lim,
                                            &cnt),
                   KERN_FAILURE);
  set_qlimit(p, MACH_PORT_QLIMIT_MAX);
  for (int i = 0; i < MACH_PORT_QLIMIT_MAX; i++)
    assert_int_equal(send_msg(p, MACH_MSG_TYPE_COPY_SEND, 0, 0, i, i, MACH_SEND_TIMEOUT, 0),
                     MACH_MSG_SUCCESS);
  assert_int_equal(send_msg(p, MACH_MSG_TYPE_COPY_SEND, 0, 0, 0, 0, MACH_SEND_TIMEOUT, 0),
                   MACH_SEND_TIMED_OUT);
  assert_int_equal(mach_port_destroy(SELF, p), KERN_SUCCESS);
}

struct sender_arg {
  mach_port_t port;
  mach_msg_id_t id;
  mach_msg_option_t option;
  mach_msg_timeout_t timeout;
  mach_msg_return_t mr;
  mach_port_t reply; /* when set: a send-once reply right made from it travels along */
};

static void *sender_thread(void *p) {
  struct sender_arg *a = p;
  a->mr = send_msg(a->port, MACH_MSG_TYPE_COPY_SEND, a->reply,
                   a->reply ? MACH_MSG_TYPE_MAKE_SEND_ONCE : 0, a->id, 0, a->option, a->timeout);
  return NULL;
}

static void test_blocked_senders_wake_in_order(void **state) {
  (void)state;
  mach_port_t p = new_port_with_send();
  set_qlimit(p, 1);
  send_to_own(p, 100, 0);
  enum { N = 4 };
  struct sender_arg args[N];
  pthread_t th[N];
  for (int i = 0; i < N; i++) {
    args[i] = (struct sender_arg){ p, 101 + i, 0, 0, -1, MACH_PORT_NULL };
    assert_int_equal(pthread_create(&th[i], NULL, sender_thread, &args[i]), 0);
    wait_for_sleepers(p, true, (unsigned)i + 1); /* each one blocks before the next starts */
  }
  test_msg_t m;
  for (int i = 0; i <= N; i++) {
    assert_int_equal(recv_msg(p, &m, 0, 0), MACH_MSG_SUCCESS);
    assert_int_equal(m.header.msgh_id, 100 + i);
  }
  for (int i = 0; i < N; i++) {
    pthread_join(th[i], NULL);
    assert_int_equal(args[i].mr, MACH_MSG_SUCCESS);
  }
  assert_int_equal(mach_port_destroy(SELF, p), KERN_SUCCESS);
}

static void test_raising_the_limit_admits_blocked_senders(void **state) {
  (void)state;
  mach_port_t p = new_port_with_send();
  set_qlimit(p, 1);
  send_to_own(p, 1, 0);
  struct sender_arg args[2] = { { p, 2, 0, 0, -1, MACH_PORT_NULL }, { p, 3, 0, 0, -1, MACH_PORT_NULL } };
  pthread_t th[2];
  for (int i = 0; i < 2; i++) {
    assert_int_equal(pthread_create(&th[i], NULL, sender_thread, &args[i]), 0);
    wait_for_sleepers(p, true, (unsigned)i + 1);
  }
  set_qlimit(p, 3);
  for (int i = 0; i < 2; i++) {
    pthread_join(th[i], NULL);
    assert_int_equal(args[i].mr, MACH_MSG_SUCCESS);
  }
  assert_int_equal(status_of(p).mps_msgcount, 3);
  assert_int_equal(mach_port_destroy(SELF, p), KERN_SUCCESS);
}

static void test_blocked_sender_times_out(void **state) {
  (void)state;
  mach_port_t p = new_port_with_send();
  set_qlimit(p, 1);
  send_to_own(p, 1, 0);
  struct sender_arg arg = { p, 2, MACH_SEND_TIMEOUT, 50, -1, MACH_PORT_NULL };
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, sender_thread, &arg), 0);
  pthread_join(th, NULL);
  assert_int_equal(arg.mr, MACH_SEND_TIMED_OUT);
  assert_int_equal(sleepers(p, true), 0);
  assert_int_equal(status_of(p).mps_msgcount, 1);
  assert_int_equal(mach_port_destroy(SELF, p), KERN_SUCCESS);
}

static void test_port_death_wakes_blocked_sender(void **state) {
  (void)state;
  mach_port_t p = new_port();
  mach_port_t snd;
  mach_msg_type_name_t t;
  assert_int_equal(mach_port_extract_right(SELF, p, MACH_MSG_TYPE_MAKE_SEND, &snd, &t), KERN_SUCCESS);
  set_qlimit(p, 1);
  send_to_own(p, 1, 0);
  mach_port_t reply = new_port();
  struct sender_arg arg = { snd, 2, 0, 0, -1, reply };
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, sender_thread, &arg), 0);
  wait_for_sleepers(p, true, 1);
  assert_int_equal(mach_port_mod_refs(SELF, p, MACH_PORT_RIGHT_RECEIVE, -1), KERN_SUCCESS);
  pthread_join(th, NULL);
  /* XNU (ipc_kmsg_send): a port destroyed while the sender waits is a successful delivery; the
   * message is destroyed with its rights: the reply right's send-once notification comes. */
  assert_int_equal(arg.mr, MACH_MSG_SUCCESS);
  assert_int_equal(type_of(snd), MACH_PORT_TYPE_DEAD_NAME);
  test_msg_t n;
  assert_int_equal(mach_msg(&n.header, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof n, reply, 1000, MACH_PORT_NULL),
                   MACH_MSG_SUCCESS);
  assert_int_equal(n.header.msgh_id, MACH_NOTIFY_SEND_ONCE);
  assert_int_equal(mach_port_mod_refs(SELF, reply, MACH_PORT_RIGHT_RECEIVE, -1), KERN_SUCCESS);
  assert_int_equal(mach_port_deallocate(SELF, snd), KERN_SUCCESS);
}

static void test_receive_timeouts(void **state) {
  (void)state;
  mach_port_t p = new_port();
  test_msg_t m;
  assert_int_equal(recv_msg(p, &m, MACH_RCV_TIMEOUT, 0), MACH_RCV_TIMED_OUT);
  assert_int_equal(recv_msg(p, &m, MACH_RCV_TIMEOUT, 30), MACH_RCV_TIMED_OUT);
  assert_int_equal(sleepers(p, false), 0);
  send_to_own(p, 4, 4);
  assert_int_equal(recv_msg(p, &m, MACH_RCV_TIMEOUT, 0), MACH_MSG_SUCCESS);
  assert_int_equal(m.header.msgh_id, 4);
  assert_int_equal(mach_port_destroy(SELF, p), KERN_SUCCESS);
}

struct rcv_arg {
  mach_port_t port;
  mach_msg_return_t mr;
  mach_msg_id_t id;
};

static void *receiver_thread(void *p) {
  struct rcv_arg *a = p;
  test_msg_t m;
  a->mr = recv_msg(a->port, &m, 0, 0);
  a->id = m.header.msgh_id;
  return NULL;
}

static void test_blocked_receiver_is_woken_by_a_send(void **state) {
  (void)state;
  mach_port_t p = new_port_with_send();
  struct rcv_arg arg = { p, -1, 0 };
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, receiver_thread, &arg), 0);
  wait_for_sleepers(p, false, 1);
  send_to_own(p, 42, 0);
  pthread_join(th, NULL);
  assert_int_equal(arg.mr, MACH_MSG_SUCCESS);
  assert_int_equal(arg.id, 42);
  /* Destroying the port under a waiting receiver. */
  assert_int_equal(pthread_create(&th, NULL, receiver_thread, &arg), 0);
  wait_for_sleepers(p, false, 1);
  assert_int_equal(mach_port_mod_refs(SELF, p, MACH_PORT_RIGHT_RECEIVE, -1), KERN_SUCCESS);
  pthread_join(th, NULL);
  assert_int_equal(arg.mr, MACH_RCV_PORT_DIED);
  assert_int_equal(mach_port_deallocate(SELF, p), KERN_SUCCESS);
}

typedef struct {
  mach_msg_header_t header;
  char data[200];
} big_msg_t;

static void test_receive_large(void **state) {
  (void)state;
  mach_port_t p = new_port();
  mach_port_t reply = new_port();
  big_msg_t big;
  memset(&big, 0, sizeof big);
  big.header.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE);
  big.header.msgh_remote_port = p;
  big.header.msgh_local_port = reply;
  big.header.msgh_id = 77;
  memset(big.data, 'x', sizeof big.data);
  assert_int_equal(mach_msg(&big.header, MACH_SEND_MSG, sizeof big, 0, 0, 0, 0), MACH_MSG_SUCCESS);
  test_msg_t small;
  memset(&small, 0, sizeof small);
  /* MACH_RCV_LARGE: the message stays queued and the needed size is reported. */
  assert_int_equal(mach_msg(&small.header, MACH_RCV_MSG | MACH_RCV_LARGE | MACH_RCV_LARGE_IDENTITY,
                            0, sizeof small, p, 0, 0),
                   MACH_RCV_TOO_LARGE);
  assert_int_equal(small.header.msgh_size, sizeof big + sizeof(mach_msg_trailer_t));
  assert_int_equal(small.header.msgh_local_port, p);
  assert_int_equal(status_of(p).mps_msgcount, 1);
  assert_int_equal(status_of(p).mps_seqno, 0);
  struct {
    big_msg_t m;
    mach_msg_trailer_t t;
  } room;
  assert_int_equal(mach_msg(&room.m.header, MACH_RCV_MSG, 0, sizeof room, p, 0, 0),
                   MACH_MSG_SUCCESS);
  assert_int_equal(room.m.header.msgh_id, 77);
  assert_int_equal(room.m.data[199], 'x');
  assert_int_equal(mach_port_deallocate(SELF, room.m.header.msgh_remote_port), KERN_SUCCESS);
  test_msg_t n;
  assert_int_equal(recv_msg(reply, &n, 0, 0), MACH_MSG_SUCCESS); /* send-once notification */
  /* Without MACH_RCV_LARGE the message is dequeued and destroyed. */
  assert_int_equal(mach_msg(&big.header, MACH_SEND_MSG, sizeof big, 0, 0, 0, 0), MACH_MSG_SUCCESS);
  big.header.msgh_remote_port = p;
  big.header.msgh_local_port = reply;
  big.header.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE);
  assert_int_equal(mach_msg(&small.header, MACH_RCV_MSG, 0, sizeof small, p, 0, 0),
                   MACH_RCV_TOO_LARGE);
  assert_int_equal(small.header.msgh_size, sizeof big + sizeof(mach_msg_trailer_t));
  assert_int_equal(status_of(p).mps_msgcount, 0);
  assert_int_equal(status_of(p).mps_seqno, 2);
  assert_int_equal(recv_msg(reply, &n, 0, 0), MACH_MSG_SUCCESS); /* its reply right died */
  assert_int_equal(n.header.msgh_id, MACH_NOTIFY_SEND_ONCE);
  /* The trailer counts: a buffer fitting the message but not the requested trailer. */
  send_to_own(p, 5, 5);
  assert_int_equal(mach_msg(&n.header, MACH_RCV_MSG | MACH_RCV_LARGE |
                                           MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_AUDIT),
                            0, offsetof(test_msg_t, trailer) + 20, p, 0, 0),
                   MACH_RCV_TOO_LARGE);
  assert_int_equal(n.header.msgh_size, offsetof(test_msg_t, trailer) + 52);
  assert_int_equal(recv_msg(p, &n, 0, 0), MACH_MSG_SUCCESS);
  assert_int_equal(mach_port_destroy(SELF, p), KERN_SUCCESS);
  assert_int_equal(mach_port_destroy(SELF, reply), KERN_SUCCESS);
}

static void test_queue_limit_zero_is_a_rendezvous(void **state) {
  (void)state;
  mach_port_t p = new_port_with_send();
  set_qlimit(p, 0);
  assert_int_equal(send_msg(p, MACH_MSG_TYPE_COPY_SEND, 0, 0, 1, 0, MACH_SEND_TIMEOUT, 0),
                   MACH_SEND_TIMED_OUT);
  struct sender_arg arg = { p, 9, 0, 0, -1, MACH_PORT_NULL };
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, sender_thread, &arg), 0);
  wait_for_sleepers(p, true, 1);
  test_msg_t m;
  assert_int_equal(recv_msg(p, &m, 0, 0), MACH_MSG_SUCCESS);
  assert_int_equal(m.header.msgh_id, 9);
  pthread_join(th, NULL);
  assert_int_equal(arg.mr, MACH_MSG_SUCCESS);
  assert_int_equal(mach_port_destroy(SELF, p), KERN_SUCCESS);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    LEAK_CHECKED_TEST(test_default_limit_is_five),
    LEAK_CHECKED_TEST(test_blocked_senders_wake_in_order),
    LEAK_CHECKED_TEST(test_raising_the_limit_admits_blocked_senders),
    LEAK_CHECKED_TEST(test_blocked_sender_times_out),
    LEAK_CHECKED_TEST(test_port_death_wakes_blocked_sender),
    LEAK_CHECKED_TEST(test_receive_timeouts),
    LEAK_CHECKED_TEST(test_blocked_receiver_is_woken_by_a_send),
    LEAK_CHECKED_TEST(test_receive_large),
    LEAK_CHECKED_TEST(test_queue_limit_zero_is_a_rendezvous),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
