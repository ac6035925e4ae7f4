/* Rights: user-reference arithmetic and its limits, send-once consumption, dead-name
 * conversion, insert/extract, deallocate/destroy/mod_refs error codes. */
#include "core_test_util.h"

static void test_send_urefs_arithmetic(void **state) {
  (void)state;
  mach_port_t p = new_port_with_send();
  assert_int_equal(refs_of(p, MACH_PORT_RIGHT_SEND), 1);
  assert_int_equal(mach_port_insert_right(SELF, p, p, MACH_MSG_TYPE_MAKE_SEND), KERN_SUCCESS);
  assert_int_equal(refs_of(p, MACH_PORT_RIGHT_SEND), 2);
  assert_int_equal(mach_port_mod_refs(SELF, p, MACH_PORT_RIGHT_SEND, 10), KERN_SUCCESS);
  assert_int_equal(refs_of(p, MACH_PORT_RIGHT_SEND), 12);
  assert_int_equal(mach_port_deallocate(SELF, p), KERN_SUCCESS);
  assert_int_equal(refs_of(p, MACH_PORT_RIGHT_SEND), 11);
  /* One send right whatever the urefs: srights counts rights, not references. */
  mach_port_rights_t sr;
  assert_int_equal(mach_port_get_srights(SELF, p, &sr), KERN_SUCCESS);
  assert_int_equal(sr, 1);
  assert_int_equal(mach_port_mod_refs(SELF, p, MACH_PORT_RIGHT_SEND, -12), KERN_INVALID_VALUE);
  assert_int_equal(refs_of(p, MACH_PORT_RIGHT_SEND), 11);
  assert_int_equal(mach_port_mod_refs(SELF, p, MACH_PORT_RIGHT_SEND, -11), KERN_SUCCESS);
  assert_int_equal(type_of(p), MACH_PORT_TYPE_RECEIVE);
  assert_int_equal(refs_of(p, MACH_PORT_RIGHT_SEND), 0);
  assert_int_equal(mach_port_get_srights(SELF, p, &sr), KERN_SUCCESS);
  assert_int_equal(sr, 0);
  assert_int_equal(mach_port_mod_refs(SELF, p, MACH_PORT_RIGHT_SEND, 1), KERN_INVALID_RIGHT);
  assert_int_equal(mach_port_deallocate(SELF, p), KERN_INVALID_RIGHT);
  assert_int_equal(mach_port_destroy(SELF, p), KERN_SUCCESS);
}

/* XNU pegs user references at MACH_PORT_UREFS_MAX (0xffff) instead of failing: a count that
 * reaches it stays there (deallocate, mod_refs, MOVE_SEND leave it), and only mod_refs by
 * -0xffff removes it (ipc_right_delta, ipc_right_dealloc, ipc_right_copyout). */
static void test_urefs_peg_at_the_maximum(void **state) {
  (void)state;
  mach_port_t p = new_port_with_send();
  assert_int_equal(mach_port_mod_refs(SELF, p, MACH_PORT_RIGHT_SEND, 0xfffe), KERN_SUCCESS);
  assert_int_equal(refs_of(p, MACH_PORT_RIGHT_SEND), 0xffff);
  assert_int_equal(mach_port_mod_refs(SELF, p, MACH_PORT_RIGHT_SEND, 1), KERN_SUCCESS);
  assert_int_equal(mach_port_insert_right(SELF, p, p, MACH_MSG_TYPE_MAKE_SEND), KERN_SUCCESS);
  assert_int_equal(refs_of(p, MACH_PORT_RIGHT_SEND), 0xffff);
  assert_int_equal(mach_port_deallocate(SELF, p), KERN_SUCCESS);
  assert_int_equal(mach_port_mod_refs(SELF, p, MACH_PORT_RIGHT_SEND, -5), KERN_SUCCESS);
  assert_int_equal(refs_of(p, MACH_PORT_RIGHT_SEND), 0xffff);
  /* Receiving one more send right saturates too. */
  assert_int_equal(send_msg(p, MACH_MSG_TYPE_MAKE_SEND, MACH_PORT_NULL, 0, 1, 0, 0, 0),
                   MACH_MSG_SUCCESS);
  mach_port_t got;
  mach_msg_type_name_t t;
  assert_int_equal(mach_port_extract_right(SELF, p, MACH_MSG_TYPE_MAKE_SEND, &got, &t),
                   KERN_SUCCESS);
  assert_int_equal(refs_of(p, MACH_PORT_RIGHT_SEND), 0xffff);
  test_msg_t m;
  assert_int_equal(recv_msg(p, &m, 0, 0), MACH_MSG_SUCCESS);
  mach_port_rights_t sr;
  assert_int_equal(mach_port_get_srights(SELF, p, &sr), KERN_SUCCESS);
  assert_int_equal(sr, 1);
  /* A delta beyond the maximum is a bad value; -0xffff removes the pegged count. */
  assert_int_equal(mach_port_mod_refs(SELF, p, MACH_PORT_RIGHT_SEND, -0x10000), KERN_INVALID_VALUE);
  assert_int_equal(mach_port_mod_refs(SELF, p, MACH_PORT_RIGHT_SEND, -0xffff), KERN_SUCCESS);
  assert_int_equal(type_of(p), MACH_PORT_TYPE_RECEIVE);
  assert_int_equal(mach_port_destroy(SELF, p), KERN_SUCCESS);

  mach_port_t dead;
  assert_int_equal(mach_port_allocate(SELF, MACH_PORT_RIGHT_DEAD_NAME, &dead), KERN_SUCCESS);
  assert_int_equal(mach_port_mod_refs(SELF, dead, MACH_PORT_RIGHT_DEAD_NAME, 0x10000),
                   KERN_INVALID_VALUE);
  assert_int_equal(mach_port_mod_refs(SELF, dead, MACH_PORT_RIGHT_DEAD_NAME, 0xfffe), KERN_SUCCESS);
  assert_int_equal(mach_port_mod_refs(SELF, dead, MACH_PORT_RIGHT_DEAD_NAME, 1), KERN_SUCCESS);
  assert_int_equal(refs_of(dead, MACH_PORT_RIGHT_DEAD_NAME), 0xffff);
  assert_int_equal(mach_port_mod_refs(SELF, dead, MACH_PORT_RIGHT_DEAD_NAME, -0x10000),
                   KERN_INVALID_VALUE);
  assert_int_equal(mach_port_mod_refs(SELF, dead, MACH_PORT_RIGHT_DEAD_NAME, -0xffff),
                   KERN_SUCCESS);
  mach_port_type_t ty;
  assert_int_equal(mach_port_type(SELF, dead, &ty), KERN_INVALID_NAME);
}

static void test_mod_refs_argument_errors(void **state) {
  (void)state;
  mach_port_t p = new_port();
  assert_int_equal(mach_port_mod_refs(SELF, p, MACH_PORT_RIGHT_NUMBER, 0), KERN_INVALID_VALUE);
  assert_int_equal(mach_port_mod_refs(SELF, p, MACH_PORT_RIGHT_RECEIVE, 1), KERN_INVALID_VALUE);
  assert_int_equal(mach_port_mod_refs(SELF, p, MACH_PORT_RIGHT_RECEIVE, -2), KERN_INVALID_VALUE);
  assert_int_equal(mach_port_mod_refs(SELF, p, MACH_PORT_RIGHT_RECEIVE, 0), KERN_SUCCESS);
  assert_int_equal(mach_port_mod_refs(SELF, p, MACH_PORT_RIGHT_SEND_ONCE, -1), KERN_INVALID_RIGHT);
  assert_int_equal(mach_port_mod_refs(SELF, p, MACH_PORT_RIGHT_PORT_SET, -1), KERN_INVALID_RIGHT);
  assert_int_equal(mach_port_mod_refs(SELF, p, MACH_PORT_RIGHT_DEAD_NAME, 1), KERN_INVALID_RIGHT);
  assert_int_equal(mach_port_mod_refs(SELF, MACH_PORT_NULL, MACH_PORT_RIGHT_SEND, -1), KERN_SUCCESS);
  assert_int_equal(mach_port_mod_refs(SELF, MACH_PORT_NULL, MACH_PORT_RIGHT_RECEIVE, -1),
                   KERN_INVALID_NAME);
  assert_int_equal(mach_port_mod_refs(SELF, 0x7777703, MACH_PORT_RIGHT_SEND, -1), KERN_INVALID_NAME);
  /* XNU's mach_port_deallocate: nothing to release for NULL and DEAD. */
  assert_int_equal(mach_port_deallocate(SELF, MACH_PORT_NULL), KERN_SUCCESS);
  assert_int_equal(mach_port_deallocate(SELF, MACH_PORT_DEAD), KERN_SUCCESS);
  assert_int_equal(mach_port_deallocate(SELF, 0x7777703), KERN_INVALID_NAME);
  mach_port_urefs_t r;
  assert_int_equal(mach_port_get_refs(SELF, p, MACH_PORT_RIGHT_NUMBER, &r), KERN_INVALID_VALUE);
  /* XNU's mach_port_get_refs counts NULL as one send (or send-once) reference. */
  assert_int_equal(mach_port_get_refs(SELF, MACH_PORT_NULL, MACH_PORT_RIGHT_SEND, &r), KERN_SUCCESS);
  assert_int_equal(r, 1);
  assert_int_equal(mach_port_get_refs(SELF, 0x7777703, MACH_PORT_RIGHT_SEND, &r), KERN_INVALID_NAME);
  assert_int_equal(refs_of(p, MACH_PORT_RIGHT_RECEIVE), 1);
  assert_int_equal(refs_of(p, MACH_PORT_RIGHT_SEND_ONCE), 0);
  assert_int_equal(mach_port_mod_refs(SELF, p, MACH_PORT_RIGHT_RECEIVE, -1), KERN_SUCCESS);
  mach_port_type_t t;
  assert_int_equal(mach_port_type(SELF, p, &t), KERN_INVALID_NAME);
}

static void test_send_once_is_consumed_once(void **state) {
  (void)state;
  mach_port_t p = new_port();
  mach_port_t so;
  mach_msg_type_name_t t;
  assert_int_equal(mach_port_extract_right(SELF, p, MACH_MSG_TYPE_MAKE_SEND_ONCE, &so, &t),
                   KERN_SUCCESS);
  assert_int_equal(type_of(so), MACH_PORT_TYPE_SEND_ONCE);
  assert_int_equal(refs_of(so, MACH_PORT_RIGHT_SEND_ONCE), 1);
  assert_int_equal(mach_port_mod_refs(SELF, so, MACH_PORT_RIGHT_SEND_ONCE, 1), KERN_INVALID_VALUE);
  assert_int_equal(status_of(p).mps_sorights, 1);
  /* Using it for a message consumes it: the name is gone, no send-once notification. */
  assert_int_equal(send_msg(so, MACH_MSG_TYPE_MOVE_SEND_ONCE, MACH_PORT_NULL, 0, 9, 1, 0, 0),
                   MACH_MSG_SUCCESS);
  mach_port_type_t ty;
  assert_int_equal(mach_port_type(SELF, so, &ty), KERN_INVALID_NAME);
  assert_int_equal(send_msg(so, MACH_MSG_TYPE_MOVE_SEND_ONCE, MACH_PORT_NULL, 0, 9, 1, 0, 0),
                   MACH_SEND_INVALID_DEST);
  test_msg_t m;
  assert_int_equal(recv_msg(p, &m, 0, 0), MACH_MSG_SUCCESS);
  assert_int_equal(m.header.msgh_id, 9);
  assert_int_equal(MACH_MSGH_BITS_LOCAL(m.header.msgh_bits), MACH_MSG_TYPE_PORT_SEND_ONCE);
  assert_int_equal(status_of(p).mps_sorights, 0);
  assert_int_equal(recv_msg(p, &m, MACH_RCV_TIMEOUT, 0), MACH_RCV_TIMED_OUT);
  /* Copying a send-once right is not a thing. */
  assert_int_equal(mach_port_extract_right(SELF, p, MACH_MSG_TYPE_MAKE_SEND_ONCE, &so, &t),
                   KERN_SUCCESS);
  mach_port_t copy;
  assert_int_equal(mach_port_extract_right(SELF, so, MACH_MSG_TYPE_COPY_SEND, &copy, &t),
                   KERN_INVALID_RIGHT);
  assert_int_equal(mach_port_deallocate(SELF, so), KERN_SUCCESS); /* -> send-once notification */
  assert_int_equal(recv_msg(p, &m, 0, 0), MACH_MSG_SUCCESS);
  assert_int_equal(m.header.msgh_id, MACH_NOTIFY_SEND_ONCE);
  assert_int_equal(mach_port_destroy(SELF, p), KERN_SUCCESS);
}

static void test_rights_to_a_dead_port_become_dead_names(void **state) {
  (void)state;
  mach_port_t p = new_port();
  mach_port_t snd, so;
  mach_msg_type_name_t t;
  /* A send right under another name than the receive right: move the receive right away. */
  assert_int_equal(mach_port_extract_right(SELF, p, MACH_MSG_TYPE_MAKE_SEND_ONCE, &so, &t),
                   KERN_SUCCESS);
  mach_port_t holder = new_port();
  assert_int_equal(mach_port_insert_right(SELF, p, p, MACH_MSG_TYPE_MAKE_SEND), KERN_SUCCESS);
  assert_int_equal(mach_port_mod_refs(SELF, p, MACH_PORT_RIGHT_SEND, 2), KERN_SUCCESS);
  snd = p;
  assert_int_equal(mach_port_mod_refs(SELF, p, MACH_PORT_RIGHT_RECEIVE, -1), KERN_SUCCESS);
  /* The name that held send + receive keeps its send urefs as a dead name. */
  assert_int_equal(type_of(snd), MACH_PORT_TYPE_DEAD_NAME);
  assert_int_equal(refs_of(snd, MACH_PORT_RIGHT_DEAD_NAME), 3);
  assert_int_equal(refs_of(snd, MACH_PORT_RIGHT_SEND), 0);
  assert_int_equal(type_of(so), MACH_PORT_TYPE_DEAD_NAME);
  assert_int_equal(refs_of(so, MACH_PORT_RIGHT_DEAD_NAME), 1);
  /* Sending to a dead name fails without consuming it. */
  assert_int_equal(send_msg(snd, MACH_MSG_TYPE_COPY_SEND, MACH_PORT_NULL, 0, 1, 0, 0, 0),
                   MACH_SEND_INVALID_DEST);
  assert_int_equal(refs_of(snd, MACH_PORT_RIGHT_DEAD_NAME), 3);
  assert_int_equal(mach_port_mod_refs(SELF, snd, MACH_PORT_RIGHT_DEAD_NAME, -3), KERN_SUCCESS);
  assert_int_equal(mach_port_deallocate(SELF, so), KERN_SUCCESS);
  assert_int_equal(mach_port_destroy(SELF, holder), KERN_SUCCESS);
}

static void test_insert_right_errors(void **state) {
  (void)state;
  mach_port_t a = new_port();
  mach_port_t b = new_port();
  /* The name holds another port while this one is named a: XNU's ipc_object_copyout_name
   * looks for the port's own name first (KERN_RIGHT_EXISTS); a send-once right has no such
   * name, so it finds the name taken (KERN_NAME_EXISTS, the right destroyed: a notification). */
  assert_int_equal(mach_port_insert_right(SELF, b, a, MACH_MSG_TYPE_MAKE_SEND), KERN_RIGHT_EXISTS);
  assert_int_equal(status_of(a).mps_srights, 0);
  assert_int_equal(mach_port_insert_right(SELF, b, a, MACH_MSG_TYPE_MAKE_SEND_ONCE),
                   KERN_NAME_EXISTS);
  test_msg_t so_note;
  assert_int_equal(recv_msg(a, &so_note, 0, 0), MACH_MSG_SUCCESS);
  assert_int_equal(so_note.header.msgh_id, MACH_NOTIFY_SEND_ONCE);
  assert_int_equal(status_of(a).mps_sorights, 0);
  /* The port is already held under another name. */
  assert_int_equal(mach_port_insert_right(SELF, 0x4242403, a, MACH_MSG_TYPE_MAKE_SEND),
                   KERN_RIGHT_EXISTS);
  /* On the own task Darwin's call is a trap that takes poly first: a NULL poly is no name. */
  assert_int_equal(mach_port_insert_right(SELF, a, MACH_PORT_NULL, MACH_MSG_TYPE_MAKE_SEND),
                   KERN_INVALID_NAME);
  assert_int_equal(mach_port_insert_right(SELF, a, a, MACH_MSG_TYPE_COPY_SEND), KERN_INVALID_RIGHT);
  assert_int_equal(mach_port_insert_right(SELF, a, a, 12), KERN_INVALID_RIGHT);
  assert_int_equal(mach_port_insert_right(SELF, 0x4242403, 0x5555503, MACH_MSG_TYPE_COPY_SEND),
                   KERN_INVALID_NAME);
  /* A send-once right under a chosen name. */
  assert_int_equal(mach_port_insert_right(SELF, 0x4242403, a, MACH_MSG_TYPE_MAKE_SEND_ONCE),
                   KERN_SUCCESS);
  assert_int_equal(type_of(0x4242403), MACH_PORT_TYPE_SEND_ONCE);
  assert_int_equal(mach_port_deallocate(SELF, 0x4242403), KERN_SUCCESS);
  test_msg_t m;
  assert_int_equal(recv_msg(a, &m, 0, 0), MACH_MSG_SUCCESS);
  assert_int_equal(m.header.msgh_id, MACH_NOTIFY_SEND_ONCE);
  assert_int_equal(mach_port_destroy(SELF, a), KERN_SUCCESS);
  assert_int_equal(mach_port_destroy(SELF, b), KERN_SUCCESS);
}

static void test_extract_receive_right(void **state) {
  (void)state;
  mach_port_t p = new_port_with_send();
  send_to_own(p, 3, 33);
  mach_port_t got;
  mach_msg_type_name_t t;
  assert_int_equal(mach_port_extract_right(SELF, p, MACH_MSG_TYPE_MOVE_RECEIVE, &got, &t),
                   KERN_SUCCESS);
  /* Extracted into the same space: it rejoins the send right's name. */
  assert_int_equal(t, MACH_MSG_TYPE_PORT_RECEIVE);
  assert_int_equal(got, p);
  assert_int_equal(type_of(p), MACH_PORT_TYPE_SEND_RECEIVE);
  test_msg_t m;
  assert_int_equal(recv_msg(p, &m, 0, 0), MACH_MSG_SUCCESS);
  assert_int_equal(m.value, 33);
  assert_int_equal(mach_port_extract_right(SELF, p, MACH_MSG_TYPE_COPY_RECEIVE, &got, &t),
                   KERN_INVALID_VALUE);
  assert_int_equal(mach_port_destroy(SELF, p), KERN_SUCCESS);
}

static void test_destroy_removes_every_right(void **state) {
  (void)state;
  mach_port_t p = new_port_with_send();
  assert_int_equal(mach_port_mod_refs(SELF, p, MACH_PORT_RIGHT_SEND, 5), KERN_SUCCESS);
  assert_int_equal(mach_port_destroy(SELF, p), KERN_SUCCESS);
  mach_port_type_t t;
  assert_int_equal(mach_port_type(SELF, p, &t), KERN_INVALID_NAME);
  assert_int_equal(mach_port_destroy(SELF, p), KERN_INVALID_NAME);
  assert_int_equal(mach_port_destroy(SELF, MACH_PORT_NULL), KERN_SUCCESS);
}

static void test_construct_and_destruct(void **state) {
  (void)state;
  mach_port_options_t opts;
  memset(&opts, 0, sizeof opts);
  opts.flags = MPO_INSERT_SEND_RIGHT | MPO_QLIMIT | MPO_CONTEXT_AS_GUARD | MPO_STRICT;
  opts.mpl.mpl_qlimit = 7;
  mach_port_t p;
  assert_int_equal(mach_port_construct(SELF, &opts, 0xfeed, &p), KERN_SUCCESS);
  assert_int_equal(type_of(p), MACH_PORT_TYPE_SEND_RECEIVE);
  assert_int_equal(refs_of(p, MACH_PORT_RIGHT_SEND), 1);
  mach_port_status_t st = status_of(p);
  assert_int_equal(st.mps_qlimit, 7);
  assert_int_equal(st.mps_mscount, 1);
  assert_true(st.mps_flags & MACH_PORT_STATUS_FLAG_GUARDED);
  assert_true(st.mps_flags & MACH_PORT_STATUS_FLAG_STRICT_GUARD);
  /* A guarded receive right cannot be destroyed by accident. */
  assert_int_equal(mach_port_destroy(SELF, p), KERN_INVALID_RIGHT);
  assert_int_equal(mach_port_mod_refs(SELF, p, MACH_PORT_RIGHT_RECEIVE, -1), KERN_INVALID_RIGHT);
  assert_int_equal(mach_port_set_context(SELF, p, 1), KERN_INVALID_ARGUMENT);
  assert_int_equal(mach_port_destruct(SELF, p, -1, 0xbad), KERN_INVALID_ARGUMENT);
  assert_int_equal(mach_port_destruct(SELF, p, 1, 0xfeed), KERN_INVALID_VALUE);
  assert_int_equal(mach_port_destruct(SELF, p, -1, 0xfeed), KERN_SUCCESS);
  mach_port_type_t t;
  assert_int_equal(mach_port_type(SELF, p, &t), KERN_INVALID_NAME);

  opts.flags = MPO_QLIMIT;
  opts.mpl.mpl_qlimit = MACH_PORT_QLIMIT_MAX + 1;
  assert_int_equal(mach_port_construct(SELF, &opts, 0, &p), KERN_INVALID_VALUE);
  opts.flags = MPO_CONTEXT_AS_GUARD | MPO_IMMOVABLE_RECEIVE;
  assert_int_equal(mach_port_construct(SELF, &opts, 0x77, &p), KERN_SUCCESS);
  mach_port_t holder = new_port_with_send();
  /* An immovable receive right cannot travel. */
  mach_port_t got;
  mach_msg_type_name_t ty;
  assert_int_equal(mach_port_extract_right(SELF, p, MACH_MSG_TYPE_MOVE_RECEIVE, &got, &ty),
                   KERN_INVALID_CAPABILITY);
  assert_int_equal(mach_port_unguard(SELF, p, 0x78), KERN_INVALID_ARGUMENT);
  assert_int_equal(mach_port_unguard(SELF, p, 0x77), KERN_SUCCESS);
  assert_int_equal(mach_port_destroy(SELF, p), KERN_SUCCESS);
  assert_int_equal(mach_port_destroy(SELF, holder), KERN_SUCCESS);
}

static void test_context_and_guard(void **state) {
  (void)state;
  mach_port_t p = new_port();
  mach_port_context_t c = 1;
  assert_int_equal(mach_port_get_context(SELF, p, &c), KERN_SUCCESS);
  assert_int_equal(c, 0);
  assert_int_equal(mach_port_set_context(SELF, p, 0xabcdef0123ull), KERN_SUCCESS);
  assert_int_equal(mach_port_get_context(SELF, p, &c), KERN_SUCCESS);
  assert_true(c == 0xabcdef0123ull);
  /* XNU's mach_port_guard_locked: only a port whose context is 0 takes a guard. */
  assert_int_equal(mach_port_guard(SELF, p, 5, FALSE), KERN_INVALID_ARGUMENT);
  assert_int_equal(mach_port_set_context(SELF, p, 0), KERN_SUCCESS);
  assert_int_equal(mach_port_guard(SELF, p, 5, FALSE), KERN_SUCCESS);
  assert_int_equal(mach_port_guard(SELF, p, 5, FALSE), KERN_INVALID_ARGUMENT);
  assert_int_equal(mach_port_unguard(SELF, p, 5), KERN_SUCCESS);
  assert_int_equal(mach_port_get_context(SELF, p, &c), KERN_SUCCESS);
  assert_int_equal(c, 0); /* unguarding clears the context */
  assert_int_equal(mach_port_unguard(SELF, p, 5), KERN_INVALID_ARGUMENT);
  mach_port_t s = new_port_with_send();
  mach_port_t so;
  mach_msg_type_name_t t;
  assert_int_equal(mach_port_extract_right(SELF, s, MACH_MSG_TYPE_MAKE_SEND_ONCE, &so, &t),
                   KERN_SUCCESS);
  assert_int_equal(mach_port_get_context(SELF, so, &c), KERN_INVALID_RIGHT);
  assert_int_equal(mach_port_deallocate(SELF, so), KERN_SUCCESS);
  assert_int_equal(mach_port_destroy(SELF, s), KERN_SUCCESS);
  assert_int_equal(mach_port_destroy(SELF, p), KERN_SUCCESS);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    LEAK_CHECKED_TEST(test_send_urefs_arithmetic),
    LEAK_CHECKED_TEST(test_urefs_peg_at_the_maximum),
    LEAK_CHECKED_TEST(test_mod_refs_argument_errors),
    LEAK_CHECKED_TEST(test_send_once_is_consumed_once),
    LEAK_CHECKED_TEST(test_rights_to_a_dead_port_become_dead_names),
    LEAK_CHECKED_TEST(test_insert_right_errors),
    LEAK_CHECKED_TEST(test_extract_receive_right),
    LEAK_CHECKED_TEST(test_destroy_removes_every_right),
    LEAK_CHECKED_TEST(test_construct_and_destruct),
    LEAK_CHECKED_TEST(test_context_and_guard),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
