/* IPC name spaces: Darwin-shaped names and generations, name reuse, caller-chosen names,
 * mach_port_names, coalescing through the reverse map, spaces as separate objects, and tables
 * that shrink back after a peak of names (issue 13: memory that comes back). */
#include "core_test_util.h"

#include "ipc/right_internal.h"
#include "ipc/space_internal.h"

#include <pthread.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void test_task_self_is_a_send_right_named_0x103(void **state) {
  (void)state;
  assert_int_equal(mach_task_self(), 0x103);
  assert_int_equal(type_of(SELF), MACH_PORT_TYPE_SEND);
  /* Pinned: deallocating it does not make the task unreachable. */
  assert_int_equal(mach_port_deallocate(SELF, SELF), KERN_SUCCESS);
  assert_int_equal(type_of(SELF), MACH_PORT_TYPE_SEND);
  /* Moving it away in a message leaves the name in place too. */
  mach_port_t p = new_port();
  assert_int_equal(send_msg(p, MACH_MSG_TYPE_MAKE_SEND, SELF, MACH_MSG_TYPE_MOVE_SEND, 1, 0, 0, 0),
                   MACH_MSG_SUCCESS);
  assert_int_equal(type_of(SELF), MACH_PORT_TYPE_SEND);
  assert_int_equal(refs_of(SELF, MACH_PORT_RIGHT_SEND), 1);
  test_msg_t m;
  assert_int_equal(recv_msg(p, &m, 0, 0), MACH_MSG_SUCCESS);
  assert_int_equal(m.header.msgh_remote_port, SELF); /* it comes back to the same name */
  assert_int_equal(refs_of(SELF, MACH_PORT_RIGHT_SEND), 2);
  assert_int_equal(mach_port_deallocate(SELF, SELF), KERN_SUCCESS);
  assert_int_equal(mach_port_destroy(SELF, p), KERN_SUCCESS);
}

static void test_names_have_index_and_generation(void **state) {
  (void)state;
  struct openmig_ipc_stats base = stats_now();
  mach_port_t a = new_port();
  /* Slots start at generation 3 (Darwin's 0x103) and step by 4 on reuse. */
  assert_int_equal((a & 0xff) % 4, 3);
  assert_true(MACH_PORT_INDEX(a) >= 2);
  assert_int_equal(mach_port_mod_refs(SELF, a, MACH_PORT_RIGHT_RECEIVE, -1), KERN_SUCCESS);
  mach_port_t b = new_port();
  /* The freed index comes back with a new generation; the old name is dead for good. */
  assert_int_equal(MACH_PORT_INDEX(b), MACH_PORT_INDEX(a));
  assert_int_not_equal(b, a);
  assert_int_equal(b & 0xff, ((a & 0xff) + 4) & 0xff);
  mach_port_type_t t;
  assert_int_equal(mach_port_type(SELF, a, &t), KERN_INVALID_NAME);
  assert_int_equal(mach_port_destroy(SELF, b), KERN_SUCCESS);
  struct openmig_ipc_stats now = stats_now();
  assert_stats_equal(&base, &now);
}

static void test_allocate_name_chosen_by_caller(void **state) {
  (void)state;
  mach_port_name_t want = 0x12345607;
  assert_int_equal(mach_port_allocate_name(SELF, MACH_PORT_RIGHT_RECEIVE, want), KERN_SUCCESS);
  assert_int_equal(type_of(want), MACH_PORT_TYPE_RECEIVE);
  assert_int_equal(mach_port_allocate_name(SELF, MACH_PORT_RIGHT_RECEIVE, want), KERN_NAME_EXISTS);
  /* Same index, other generation: XNU's ipc_entry_alloc_name refuses with KERN_FAILURE; a
   * generation without both low bits set cannot be a name (KERN_INVALID_VALUE), index 0 is
   * reserved (KERN_FAILURE). */
  assert_int_equal(mach_port_allocate_name(SELF, MACH_PORT_RIGHT_PORT_SET, 0x1234560b),
                   KERN_FAILURE);
  assert_int_equal(mach_port_allocate_name(SELF, MACH_PORT_RIGHT_PORT_SET, 0x12345608),
                   KERN_INVALID_VALUE);
  assert_int_equal(mach_port_allocate_name(SELF, MACH_PORT_RIGHT_PORT_SET, 0x7b),
                   KERN_FAILURE);
  assert_int_equal(mach_port_allocate_name(SELF, MACH_PORT_RIGHT_RECEIVE, MACH_PORT_NULL),
                   KERN_INVALID_VALUE);
  assert_int_equal(mach_port_allocate_name(SELF, MACH_PORT_RIGHT_RECEIVE, MACH_PORT_DEAD),
                   KERN_INVALID_VALUE);
  assert_int_equal(mach_port_allocate_name(SELF, MACH_PORT_RIGHT_SEND, 0x22222203),
                   KERN_INVALID_VALUE);
  /* Fresh names keep working around the claimed one. */
  mach_port_t other = new_port();
  assert_int_not_equal(other, want);
  assert_int_equal(mach_port_destroy(SELF, want), KERN_SUCCESS);
  assert_int_equal(mach_port_destroy(SELF, other), KERN_SUCCESS);
}

static void test_allocate_kinds(void **state) {
  (void)state;
  mach_port_t set, dead;
  assert_int_equal(mach_port_allocate(SELF, MACH_PORT_RIGHT_PORT_SET, &set), KERN_SUCCESS);
  assert_int_equal(type_of(set), MACH_PORT_TYPE_PORT_SET);
  assert_int_equal(mach_port_allocate(SELF, MACH_PORT_RIGHT_DEAD_NAME, &dead), KERN_SUCCESS);
  assert_int_equal(type_of(dead), MACH_PORT_TYPE_DEAD_NAME);
  assert_int_equal(refs_of(dead, MACH_PORT_RIGHT_DEAD_NAME), 1);
  mach_port_t x;
  assert_int_equal(mach_port_allocate(SELF, MACH_PORT_RIGHT_SEND, &x), KERN_INVALID_VALUE);
  assert_int_equal(mach_port_allocate(SELF, MACH_PORT_RIGHT_NUMBER, &x), KERN_INVALID_VALUE);
  assert_int_equal(mach_port_destroy(SELF, set), KERN_SUCCESS);
  assert_int_equal(mach_port_deallocate(SELF, dead), KERN_SUCCESS);
  mach_port_type_t t;
  assert_int_equal(mach_port_type(SELF, dead, &t), KERN_INVALID_NAME);
}

static void test_names_lists_every_name(void **state) {
  (void)state;
  struct openmig_ipc_stats base = stats_now();
  mach_port_t recv = new_port_with_send();
  mach_port_t set;
  assert_int_equal(mach_port_allocate(SELF, MACH_PORT_RIGHT_PORT_SET, &set), KERN_SUCCESS);
  mach_port_name_array_t names;
  mach_port_type_array_t types;
  mach_msg_type_number_t ncnt, tcnt;
  assert_int_equal(mach_port_names(SELF, &names, &ncnt, &types, &tcnt), KERN_SUCCESS);
  assert_int_equal(ncnt, tcnt);
  int seen = 0;
  for (mach_msg_type_number_t i = 0; i < ncnt; i++) {
    if (names[i] == recv) {
      assert_int_equal(types[i], MACH_PORT_TYPE_SEND_RECEIVE);
      seen++;
    } else if (names[i] == set) {
      assert_int_equal(types[i], MACH_PORT_TYPE_PORT_SET);
      seen++;
    } else if (names[i] == SELF) {
      assert_int_equal(types[i], MACH_PORT_TYPE_SEND);
      seen++;
    }
  }
  assert_int_equal(seen, 3);
  assert_int_equal(vm_deallocate(SELF, (vm_address_t)names, ncnt * sizeof *names), KERN_SUCCESS);
  assert_int_equal(vm_deallocate(SELF, (vm_address_t)types, tcnt * sizeof *types), KERN_SUCCESS);
  assert_int_equal(mach_port_destroy(SELF, recv), KERN_SUCCESS);
  assert_int_equal(mach_port_destroy(SELF, set), KERN_SUCCESS);
  struct openmig_ipc_stats now = stats_now();
  assert_stats_equal(&base, &now);
}

static void test_send_rights_to_one_port_share_a_name(void **state) {
  (void)state;
  mach_port_t p = new_port();
  mach_port_t so1, so2;
  mach_msg_type_name_t t;
  /* Receiving a send right to a port we hold the receive right for lands on the same name. */
  mach_port_t got;
  assert_int_equal(mach_port_extract_right(SELF, p, MACH_MSG_TYPE_MAKE_SEND, &got, &t),
                   KERN_SUCCESS);
  assert_int_equal(got, p);
  assert_int_equal(t, MACH_MSG_TYPE_PORT_SEND);
  assert_int_equal(mach_port_extract_right(SELF, p, MACH_MSG_TYPE_MAKE_SEND, &got, &t),
                   KERN_SUCCESS);
  assert_int_equal(got, p);
  assert_int_equal(refs_of(p, MACH_PORT_RIGHT_SEND), 2);
  /* Send-once rights never share names. */
  assert_int_equal(mach_port_extract_right(SELF, p, MACH_MSG_TYPE_MAKE_SEND_ONCE, &so1, &t),
                   KERN_SUCCESS);
  assert_int_equal(mach_port_extract_right(SELF, p, MACH_MSG_TYPE_MAKE_SEND_ONCE, &so2, &t),
                   KERN_SUCCESS);
  assert_int_equal(t, MACH_MSG_TYPE_PORT_SEND_ONCE);
  assert_int_not_equal(so1, p);
  assert_int_not_equal(so1, so2);
  assert_int_equal(status_of(p).mps_sorights, 2);
  assert_int_equal(mach_port_mod_refs(SELF, so1, MACH_PORT_RIGHT_SEND_ONCE, -1), KERN_SUCCESS);
  assert_int_equal(mach_port_mod_refs(SELF, so2, MACH_PORT_RIGHT_SEND_ONCE, -1), KERN_SUCCESS);
  assert_int_equal(mach_port_destroy(SELF, p), KERN_SUCCESS);
}

static void test_many_names_come_and_go(void **state) {
  (void)state;
  struct openmig_ipc_stats base = stats_now();
  enum { N = 3000 };
  static mach_port_t ports[N];
  for (int i = 0; i < N; i++) ports[i] = new_port_with_send();
  /* Free every other one, then re-add: the reverse map must still find every survivor. */
  for (int i = 0; i < N; i += 2) assert_int_equal(mach_port_destroy(SELF, ports[i]), KERN_SUCCESS);
  for (int i = 0; i < N; i += 2) ports[i] = new_port_with_send();
  for (int i = 0; i < N; i++) {
    mach_port_t got;
    mach_msg_type_name_t t;
    assert_int_equal(mach_port_extract_right(SELF, ports[i], MACH_MSG_TYPE_MAKE_SEND, &got, &t),
                     KERN_SUCCESS);
    assert_int_equal(got, ports[i]);
    assert_int_equal(refs_of(ports[i], MACH_PORT_RIGHT_SEND), 2);
  }
  for (int i = 0; i < N; i++) assert_int_equal(mach_port_destroy(SELF, ports[i]), KERN_SUCCESS);
  struct openmig_ipc_stats now = stats_now();
  assert_stats_equal(&base, &now);
}

static struct ipc_space_capacity capacity_now(void) {
  struct ipc_space_capacity c;
  ipc_lock();
  space_capacity(ipc_space_current(), &c);
  ipc_unlock();
  return c;
}

/* 100,000 names (each with a send right, so the reverse map holds them too), then none: the
 * name table, its chunk table and the reverse map are back near where they started; and when
 * the same indices are used again (their chunks made again, or appended again after the table
 * shrank), no name of the first round comes back: each index has a later generation. */
static void test_tables_shrink_after_a_peak_of_names(void **state) {
  (void)state;
  struct openmig_ipc_stats base = stats_now();
  struct ipc_space_capacity c0 = capacity_now();
  enum { N = 100000 };
  static mach_port_t ports[N], first[N];
  for (int round = 0; round < 2; round++) {
    for (int i = 0; i < N; i++) ports[i] = new_port_with_send();
    struct ipc_space_capacity peak = capacity_now();
    assert_true(peak.entry_slots >= N);
    assert_true(peak.chunk_slots >= N / IPC_ENTRY_CHUNK);
    assert_true(peak.rmap_slots >= 2 * N);
    if (round == 1)
      for (int i = 0; i < N; i++) {
        mach_port_type_t t;
        assert_int_equal(mach_port_type(SELF, first[i], &t), KERN_INVALID_NAME);
      }
    memcpy(first, ports, sizeof first);
    for (int i = 0; i < N; i++)
      assert_int_equal(mach_port_destroy(SELF, ports[i]), KERN_SUCCESS);
    struct ipc_space_capacity after = capacity_now();
    /* One spare chunk may stay made; the tables are back to their floor or their start. */
    assert_true(after.entry_slots <= c0.entry_slots + IPC_ENTRY_CHUNK);
    assert_true(after.chunk_slots <= (c0.chunk_slots > 8 ? c0.chunk_slots : 8));
    assert_true(after.rmap_slots <= (c0.rmap_slots > 256 ? c0.rmap_slots : 256));
  }
  struct openmig_ipc_stats now = stats_now();
  assert_stats_equal(&base, &now);
}

/* A name that comes and goes alone in a chunk (the one past a full chunk) keeps that chunk made
 * (the spare) instead of freeing and remaking it at each turn, and keeps working. */
static void test_a_name_alone_in_a_chunk_comes_and_goes(void **state) {
  (void)state;
  enum { N = 2 * IPC_ENTRY_CHUNK };
  static mach_port_t ports[N];
  for (int i = 0; i < N; i++) ports[i] = new_port();
  struct ipc_space_capacity c0 = capacity_now();
  mach_port_t prev = MACH_PORT_NULL;
  for (int i = 0; i < 10000; i++) {
    mach_port_t p = new_port();
    assert_int_not_equal(p, prev);
    assert_int_equal(mach_port_destroy(SELF, p), KERN_SUCCESS);
    prev = p;
  }
  struct ipc_space_capacity c1 = capacity_now();
  assert_true(c1.entry_slots <= c0.entry_slots + IPC_ENTRY_CHUNK);
  for (int i = 0; i < N; i++) assert_int_equal(mach_port_destroy(SELF, ports[i]), KERN_SUCCESS);
}

static void test_second_space_is_reachable_by_its_task_name(void **state) {
  (void)state;
  struct openmig_ipc_stats base = stats_now();
  struct ipc_space *self = ipc_space_current();
  ipc_lock();
  struct ipc_space *other = ipc_space_create(NULL);
  assert_non_null(other);
  port_copy_send(other->task_port);
  mach_port_name_t task2;
  assert_int_equal(right_copyout(self, other->task_port, MACH_MSG_TYPE_PORT_SEND, &task2),
                   KERN_SUCCESS);
  ipc_unlock();
  assert_int_equal(base.spaces + 1, stats_now().spaces);

  mach_port_t there;
  assert_int_equal(mach_port_allocate(task2, MACH_PORT_RIGHT_RECEIVE, &there), KERN_SUCCESS);
  mach_port_type_t t;
  assert_int_equal(mach_port_type(task2, there, &t), KERN_SUCCESS);
  assert_int_equal(t, MACH_PORT_TYPE_RECEIVE);
  /* Give ourselves a send right to the port living in the other space. */
  mach_port_t here;
  mach_msg_type_name_t ht;
  assert_int_equal(mach_port_extract_right(task2, there, MACH_MSG_TYPE_MAKE_SEND, &here, &ht),
                   KERN_SUCCESS);
  assert_int_equal(type_of(here), MACH_PORT_TYPE_SEND);
  send_msg(here, MACH_MSG_TYPE_COPY_SEND, MACH_PORT_NULL, 0, 5, 55, 0, 0);

  mach_port_t notify = new_port();
  mach_port_t prev;
  assert_int_equal(mach_port_request_notification(SELF, task2, MACH_NOTIFY_DEAD_NAME, 0, notify,
                                                  MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev),
                   KERN_SUCCESS);
  /* The other task dies: its receive right dies, our send right becomes a dead name. */
  ipc_lock();
  ipc_space_destroy(other);
  ipc_unlock();
  test_msg_t m;
  assert_int_equal(recv_msg(notify, &m, 0, 0), MACH_MSG_SUCCESS);
  assert_int_equal(m.header.msgh_id, MACH_NOTIFY_DEAD_NAME);
  mach_dead_name_notification_t dn;
  memcpy(&dn, &m, sizeof dn - sizeof dn.trailer);
  assert_int_equal(dn.not_port, task2);
  assert_int_equal(mach_port_destroy(SELF, notify), KERN_SUCCESS);
  assert_int_equal(type_of(here), MACH_PORT_TYPE_DEAD_NAME);
  assert_int_equal(type_of(task2), MACH_PORT_TYPE_DEAD_NAME);
  assert_int_equal(mach_port_allocate(task2, MACH_PORT_RIGHT_RECEIVE, &there),
                   MACH_SEND_INVALID_DEST);
  assert_int_equal(mach_port_deallocate(SELF, here), KERN_SUCCESS);
  assert_int_equal(mach_port_mod_refs(SELF, task2, MACH_PORT_RIGHT_DEAD_NAME, -2), KERN_SUCCESS);
  struct openmig_ipc_stats now = stats_now();
  assert_stats_equal(&base, &now);
}

static void test_calls_on_a_non_task_name_fail(void **state) {
  (void)state;
  mach_port_t p = new_port_with_send();
  mach_port_t x;
  assert_int_equal(mach_port_allocate(p, MACH_PORT_RIGHT_RECEIVE, &x), MACH_SEND_INVALID_DEST);
  assert_int_equal(mach_port_allocate(MACH_PORT_NULL, MACH_PORT_RIGHT_RECEIVE, &x),
                   MACH_SEND_INVALID_DEST);
  assert_int_equal(mach_port_destroy(SELF, p), KERN_SUCCESS);
}

static void *blocked_receiver(void *arg) {
  test_msg_t m;
  return (void *)(intptr_t)recv_msg(*(mach_port_t *)arg, &m, 0, 0);
}

static void test_fork_child_has_its_identity(void **state) {
  (void)state;
  mach_port_t p = new_port();
  mach_port_t busy = new_port();
  /* A parent thread asleep in mach_msg at fork time does not exist in the child. */
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, blocked_receiver, &busy), 0);
  wait_for_sleepers(busy, false, 1);
  pid_t child = fork();
  assert_true(child >= 0);
  if (child == 0) {
    send_to_own(p, 1, 0);
    test_msg_t m;
    int ok = recv_msg(p, &m, MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_AUDIT), 0) ==
                 MACH_MSG_SUCCESS &&
             m.trailer.msgh_audit.val[5] == (unsigned)getpid();
    /* A new thread (likely reusing the parent thread's memory) waits; the port the parent's
     * thread slept on is destroyed: neither may trip over the parent's waiter. */
    mach_port_t q = new_port();
    pthread_t cth;
    ok = ok && pthread_create(&cth, NULL, blocked_receiver, &q) == 0;
    for (int i = 0; i < 20000 && sleepers(q, false) < 1; i++) sleep_ms(1);
    ok = ok && mach_port_destroy(SELF, busy) == KERN_SUCCESS;
    send_to_own(q, 2, 0);
    void *rv = NULL;
    ok = ok && pthread_join(cth, &rv) == 0 && (intptr_t)rv == MACH_MSG_SUCCESS;
    _exit(ok ? 0 : 1);
  }
  int status = 0;
  assert_int_equal(waitpid(child, &status, 0), child);
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 0);
  assert_int_equal(status_of(p).mps_msgcount, 0); /* the child's copy was separate */
  assert_int_equal(mach_port_destroy(SELF, p), KERN_SUCCESS);
  send_to_own(busy, 3, 0); /* the parent's thread is still there */
  void *rv = NULL;
  assert_int_equal(pthread_join(th, &rv), 0);
  assert_int_equal((intptr_t)rv, MACH_MSG_SUCCESS);
  assert_int_equal(mach_port_destroy(SELF, busy), KERN_SUCCESS);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_task_self_is_a_send_right_named_0x103),
    cmocka_unit_test(test_names_have_index_and_generation),
    cmocka_unit_test(test_allocate_name_chosen_by_caller),
    cmocka_unit_test(test_allocate_kinds),
    cmocka_unit_test(test_names_lists_every_name),
    cmocka_unit_test(test_send_rights_to_one_port_share_a_name),
    cmocka_unit_test(test_many_names_come_and_go),
    cmocka_unit_test(test_tables_shrink_after_a_peak_of_names),
    cmocka_unit_test(test_a_name_alone_in_a_chunk_comes_and_goes),
    cmocka_unit_test(test_second_space_is_reachable_by_its_task_name),
    cmocka_unit_test(test_calls_on_a_non_task_name_fail),
    cmocka_unit_test(test_fork_child_has_its_identity),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
