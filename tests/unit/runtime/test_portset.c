/* Port sets: receiving from members, members added and removed while a thread waits, the set
 * destroyed under a waiter, membership calls and their errors, fair service. */
#include "core_test_util.h"

#include <pthread.h>

static mach_port_t new_set(void) {
  mach_port_t s;
  assert_int_equal(mach_port_allocate(SELF, MACH_PORT_RIGHT_PORT_SET, &s), KERN_SUCCESS);
  return s;
}

struct rcv_arg {
  mach_port_t name;
  mach_msg_timeout_t timeout;
  mach_msg_return_t mr;
  mach_msg_id_t id;
  mach_port_t local;
};

static void *receiver_thread(void *p) {
  struct rcv_arg *a = p;
  test_msg_t m;
  a->mr = recv_msg(a->name, &m, a->timeout ? MACH_RCV_TIMEOUT : 0, a->timeout);
  a->id = m.header.msgh_id;
  a->local = m.header.msgh_local_port;
  return NULL;
}

static void test_receive_from_members(void **state) {
  (void)state;
  mach_port_t set = new_set();
  mach_port_t a = new_port(), b = new_port();
  assert_int_equal(mach_port_move_member(SELF, a, set), KERN_SUCCESS);
  assert_int_equal(mach_port_insert_member(SELF, b, set), KERN_SUCCESS);
  assert_int_equal(status_of(a).mps_pset, 1);
  mach_port_name_array_t members;
  mach_msg_type_number_t n;
  assert_int_equal(mach_port_get_set_status(SELF, set, &members, &n), KERN_SUCCESS);
  assert_int_equal(n, 2);
  assert_true((members[0] == a && members[1] == b) || (members[0] == b && members[1] == a));
  assert_int_equal(vm_deallocate(SELF, (vm_address_t)members, n * sizeof *members), KERN_SUCCESS);
  send_to_own(b, 2, 0);
  test_msg_t m;
  assert_int_equal(recv_msg(set, &m, 0, 0), MACH_MSG_SUCCESS);
  assert_int_equal(m.header.msgh_id, 2);
  assert_int_equal(m.header.msgh_local_port, b);
  /* Members stay receivable on their own. */
  send_to_own(a, 1, 0);
  assert_int_equal(recv_msg(a, &m, 0, 0), MACH_MSG_SUCCESS);
  assert_int_equal(recv_msg(set, &m, MACH_RCV_TIMEOUT, 0), MACH_RCV_TIMED_OUT);
  /* Fair service: a busy member does not starve the other one. */
  for (int i = 0; i < 3; i++) {
    send_to_own(a, 10 + i, 0);
    send_to_own(b, 20 + i, 0);
  }
  int from_a = 0, from_b = 0;
  for (int i = 0; i < 4; i++) {
    assert_int_equal(recv_msg(set, &m, 0, 0), MACH_MSG_SUCCESS);
    if (m.header.msgh_local_port == a) from_a++;
    if (m.header.msgh_local_port == b) from_b++;
  }
  assert_int_equal(from_a, 2);
  assert_int_equal(from_b, 2);
  assert_int_equal(mach_port_destroy(SELF, set), KERN_SUCCESS);
  /* Destroying the set leaves its members alone, out of any set. */
  assert_int_equal(status_of(a).mps_pset, 0);
  assert_int_equal(status_of(a).mps_msgcount, 1);
  assert_int_equal(mach_port_destroy(SELF, a), KERN_SUCCESS);
  assert_int_equal(mach_port_destroy(SELF, b), KERN_SUCCESS);
}

static void test_member_added_while_waiting(void **state) {
  (void)state;
  mach_port_t set = new_set();
  mach_port_t p = new_port();
  send_to_own(p, 5, 0); /* already queued before the port joins */
  struct rcv_arg arg = { set, 0, -1, 0, 0 };
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, receiver_thread, &arg), 0);
  wait_for_sleepers(set, false, 1);
  assert_int_equal(mach_port_move_member(SELF, p, set), KERN_SUCCESS);
  pthread_join(th, NULL);
  assert_int_equal(arg.mr, MACH_MSG_SUCCESS);
  assert_int_equal(arg.id, 5);
  assert_int_equal(arg.local, p);
  /* A member added while waiting gets a message later: the waiter sees it too. */
  mach_port_t q = new_port();
  assert_int_equal(pthread_create(&th, NULL, receiver_thread, &arg), 0);
  wait_for_sleepers(set, false, 1);
  assert_int_equal(mach_port_insert_member(SELF, q, set), KERN_SUCCESS);
  send_to_own(q, 6, 0);
  pthread_join(th, NULL);
  assert_int_equal(arg.mr, MACH_MSG_SUCCESS);
  assert_int_equal(arg.local, q);
  assert_int_equal(mach_port_destroy(SELF, set), KERN_SUCCESS);
  assert_int_equal(mach_port_destroy(SELF, p), KERN_SUCCESS);
  assert_int_equal(mach_port_destroy(SELF, q), KERN_SUCCESS);
}

static void test_member_removed_while_waiting(void **state) {
  (void)state;
  mach_port_t set = new_set();
  mach_port_t p = new_port();
  assert_int_equal(mach_port_move_member(SELF, p, set), KERN_SUCCESS);
  struct rcv_arg arg = { set, 1500, -1, 0, 0 };
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, receiver_thread, &arg), 0);
  wait_for_sleepers(set, false, 1);
  assert_int_equal(mach_port_move_member(SELF, p, MACH_PORT_NULL), KERN_SUCCESS);
  send_to_own(p, 7, 0); /* must not reach the set's waiter any more */
  pthread_join(th, NULL);
  assert_int_equal(arg.mr, MACH_RCV_TIMED_OUT);
  assert_int_equal(status_of(p).mps_msgcount, 1);
  assert_int_equal(mach_port_destroy(SELF, set), KERN_SUCCESS);
  assert_int_equal(mach_port_destroy(SELF, p), KERN_SUCCESS);
}

static void test_set_destroyed_while_waiting(void **state) {
  (void)state;
  mach_port_t set = new_set();
  struct rcv_arg arg = { set, 0, -1, 0, 0 };
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, receiver_thread, &arg), 0);
  wait_for_sleepers(set, false, 1);
  assert_int_equal(mach_port_mod_refs(SELF, set, MACH_PORT_RIGHT_PORT_SET, -1), KERN_SUCCESS);
  pthread_join(th, NULL);
  assert_int_equal(arg.mr, MACH_RCV_PORT_DIED);
}

static void test_member_dies_while_set_waits(void **state) {
  (void)state;
  mach_port_t set = new_set();
  mach_port_t p = new_port(), q = new_port();
  assert_int_equal(mach_port_move_member(SELF, p, set), KERN_SUCCESS);
  assert_int_equal(mach_port_move_member(SELF, q, set), KERN_SUCCESS);
  struct rcv_arg arg = { set, 0, -1, 0, 0 };
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, receiver_thread, &arg), 0);
  wait_for_sleepers(set, false, 1);
  assert_int_equal(mach_port_destroy(SELF, p), KERN_SUCCESS);
  send_to_own(q, 8, 0);
  pthread_join(th, NULL);
  assert_int_equal(arg.mr, MACH_MSG_SUCCESS);
  assert_int_equal(arg.local, q);
  mach_msg_type_number_t n;
  mach_port_name_array_t members;
  assert_int_equal(mach_port_get_set_status(SELF, set, &members, &n), KERN_SUCCESS);
  assert_int_equal(n, 1);
  assert_int_equal(members[0], q);
  assert_int_equal(vm_deallocate(SELF, (vm_address_t)members, sizeof *members), KERN_SUCCESS);
  assert_int_equal(mach_port_destroy(SELF, set), KERN_SUCCESS);
  assert_int_equal(mach_port_destroy(SELF, q), KERN_SUCCESS);
}

static void test_membership_errors(void **state) {
  (void)state;
  mach_port_t set = new_set(), set2 = new_set();
  mach_port_t p = new_port_with_send();
  mach_port_t so;
  mach_msg_type_name_t t;
  assert_int_equal(mach_port_extract_right(SELF, p, MACH_MSG_TYPE_MAKE_SEND_ONCE, &so, &t),
                   KERN_SUCCESS);
  assert_int_equal(mach_port_move_member(SELF, p, MACH_PORT_NULL), KERN_NOT_IN_SET);
  assert_int_equal(mach_port_extract_member(SELF, p, set), KERN_NOT_IN_SET);
  assert_int_equal(mach_port_move_member(SELF, set2, set), KERN_INVALID_RIGHT);
  assert_int_equal(mach_port_move_member(SELF, so, set), KERN_INVALID_RIGHT);
  assert_int_equal(mach_port_move_member(SELF, p, p), KERN_INVALID_RIGHT);
  assert_int_equal(mach_port_move_member(SELF, 0x7777703, set), KERN_INVALID_NAME);
  assert_int_equal(mach_port_move_member(SELF, p, 0x7777703), KERN_INVALID_NAME);
  assert_int_equal(mach_port_insert_member(SELF, p, set), KERN_SUCCESS);
  assert_int_equal(mach_port_insert_member(SELF, p, set), KERN_ALREADY_IN_SET);
  assert_int_equal(mach_port_move_member(SELF, p, set), KERN_SUCCESS); /* already there: fine */
  /* move_member puts it in that set only. */
  assert_int_equal(mach_port_move_member(SELF, p, set2), KERN_SUCCESS);
  assert_int_equal(mach_port_extract_member(SELF, p, set), KERN_NOT_IN_SET);
  assert_int_equal(mach_port_extract_member(SELF, p, set2), KERN_SUCCESS);
  /* Sets cannot be sent, receiving on a send right is refused. */
  assert_int_equal(send_msg(set, MACH_MSG_TYPE_COPY_SEND, 0, 0, 1, 0, 0, 0), MACH_SEND_INVALID_DEST);
  mach_port_name_array_t members;
  mach_msg_type_number_t n;
  assert_int_equal(mach_port_get_set_status(SELF, p, &members, &n), KERN_INVALID_RIGHT);
  assert_int_equal(mach_port_deallocate(SELF, so), KERN_SUCCESS);
  test_msg_t m;
  assert_int_equal(recv_msg(p, &m, 0, 0), MACH_MSG_SUCCESS);
  assert_int_equal(mach_port_destroy(SELF, set), KERN_SUCCESS);
  assert_int_equal(mach_port_destroy(SELF, set2), KERN_SUCCESS);
  assert_int_equal(mach_port_destroy(SELF, p), KERN_SUCCESS);
}

static void test_moved_member_leaves_its_set(void **state) {
  (void)state;
  mach_port_t set = new_set();
  mach_port_t p = new_port();
  assert_int_equal(mach_port_move_member(SELF, p, set), KERN_SUCCESS);
  mach_port_t got;
  mach_msg_type_name_t t;
  assert_int_equal(mach_port_extract_right(SELF, p, MACH_MSG_TYPE_MOVE_RECEIVE, &got, &t),
                   KERN_SUCCESS);
  assert_int_equal(status_of(got).mps_pset, 0);
  mach_port_name_array_t members;
  mach_msg_type_number_t n;
  assert_int_equal(mach_port_get_set_status(SELF, set, &members, &n), KERN_SUCCESS);
  assert_int_equal(n, 0);
  assert_int_equal(vm_deallocate(SELF, (vm_address_t)members, sizeof *members), KERN_SUCCESS);
  assert_int_equal(mach_port_destroy(SELF, set), KERN_SUCCESS);
  assert_int_equal(mach_port_destroy(SELF, got), KERN_SUCCESS);
}

static void test_port_in_two_sets(void **state) {
  (void)state;
  mach_port_t s1 = new_set(), s2 = new_set();
  mach_port_t p = new_port();
  assert_int_equal(mach_port_insert_member(SELF, p, s1), KERN_SUCCESS);
  assert_int_equal(mach_port_insert_member(SELF, p, s2), KERN_SUCCESS);
  assert_int_equal(status_of(p).mps_pset, 2);
  /* A receiver waiting on either set gets the port's messages. */
  struct rcv_arg arg = { s2, 0, -1, 0, 0 };
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, receiver_thread, &arg), 0);
  wait_for_sleepers(s2, false, 1);
  send_to_own(p, 11, 0);
  pthread_join(th, NULL);
  assert_int_equal(arg.mr, MACH_MSG_SUCCESS);
  assert_int_equal(arg.local, p);
  send_to_own(p, 12, 0);
  test_msg_t m;
  assert_int_equal(recv_msg(s1, &m, 0, 0), MACH_MSG_SUCCESS);
  assert_int_equal(m.header.msgh_id, 12);
  /* Leaving one set keeps the other; move_member keeps exactly one. */
  assert_int_equal(mach_port_extract_member(SELF, p, s1), KERN_SUCCESS);
  assert_int_equal(status_of(p).mps_pset, 1);
  assert_int_equal(mach_port_insert_member(SELF, p, s1), KERN_SUCCESS);
  assert_int_equal(mach_port_move_member(SELF, p, s2), KERN_SUCCESS);
  assert_int_equal(status_of(p).mps_pset, 1);
  assert_int_equal(mach_port_extract_member(SELF, p, s1), KERN_NOT_IN_SET);
  assert_int_equal(mach_port_insert_member(SELF, p, s1), KERN_SUCCESS);
  /* The port dies: both sets lose it. */
  assert_int_equal(mach_port_destroy(SELF, p), KERN_SUCCESS);
  mach_port_name_array_t members;
  mach_msg_type_number_t n;
  assert_int_equal(mach_port_get_set_status(SELF, s1, &members, &n), KERN_SUCCESS);
  assert_int_equal(n, 0);
  assert_int_equal(vm_deallocate(SELF, (vm_address_t)members, sizeof *members), KERN_SUCCESS);
  assert_int_equal(mach_port_destroy(SELF, s1), KERN_SUCCESS);
  assert_int_equal(mach_port_destroy(SELF, s2), KERN_SUCCESS);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    LEAK_CHECKED_TEST(test_receive_from_members),
    LEAK_CHECKED_TEST(test_member_added_while_waiting),
    LEAK_CHECKED_TEST(test_member_removed_while_waiting),
    LEAK_CHECKED_TEST(test_set_destroyed_while_waiting),
    LEAK_CHECKED_TEST(test_member_dies_while_set_waits),
    LEAK_CHECKED_TEST(test_membership_errors),
    LEAK_CHECKED_TEST(test_moved_member_leaves_its_set),
    LEAK_CHECKED_TEST(test_port_in_two_sets),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
