/* Guards and immovable receive rights: mach_port_guard_with_flags, mach_port_swap_guard,
 * MPO_IMMOVABLE_RECEIVE / MPG_IMMOVABLE_RECEIVE enforced in messages, and guarded port
 * descriptors (MACH_MSG_GUARDED_PORT_DESCRIPTOR, MACH_RCV_GUARDED_DESC) as XNU checks them. */
#include "core_test_util.h"

typedef struct {
  mach_msg_header_t header;
  mach_msg_body_t body;
  mach_msg_guarded_port_descriptor_t desc;
  mach_msg_max_trailer_t trailer;
} guarded_msg_t;

static mach_msg_return_t send_guarded(mach_port_t dest, mach_port_t name,
                                      mach_msg_type_name_t disp, mach_msg_guard_flags_t flags,
                                      mach_port_context_t context) {
  guarded_msg_t m;
  memset(&m, 0, sizeof m);
  m.header.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND, 0) | MACH_MSGH_BITS_COMPLEX;
  m.header.msgh_remote_port = dest;
  m.header.msgh_id = 600;
  m.body.msgh_descriptor_count = 1;
  m.desc.name = name;
  m.desc.disposition = disp;
  m.desc.flags = flags;
  m.desc.context = context;
  m.desc.type = MACH_MSG_GUARDED_PORT_DESCRIPTOR;
  return mach_msg(&m.header, MACH_SEND_MSG, offsetof(guarded_msg_t, trailer), 0, MACH_PORT_NULL,
                  0, MACH_PORT_NULL);
}

static mach_msg_return_t receive_guarded(mach_port_t from, guarded_msg_t *m,
                                         mach_msg_option_t extra) {
  memset(m, 0, sizeof *m);
  return mach_msg(&m->header, MACH_RCV_MSG | MACH_RCV_TIMEOUT | extra, 0, sizeof *m, from, 5000,
                  MACH_PORT_NULL);
}

/* mach_port_guard_with_flags: the guard calls' answers (XNU's mach_port_guard_locked). */
static void test_guard_with_flags(void **state) {
  (void)state;
  mach_port_t p = new_port();
  assert_int_equal(mach_port_guard_with_flags(SELF, MACH_PORT_NULL, 1, 0), KERN_INVALID_NAME);
  assert_int_equal(mach_port_guard_with_flags(SELF, 0x5555503, 1, 0), KERN_INVALID_NAME);
  assert_int_equal(mach_port_guard_with_flags(SELF, p, 0x10, MPG_STRICT | MPG_IMMOVABLE_RECEIVE),
                   KERN_SUCCESS);
  mach_port_status_t st = status_of(p);
  assert_true(st.mps_flags & MACH_PORT_STATUS_FLAG_GUARDED);
  assert_true(st.mps_flags & MACH_PORT_STATUS_FLAG_STRICT_GUARD);
  assert_true(st.mps_flags & MACH_PORT_STATUS_FLAG_GUARD_IMMOVABLE_RECEIVE);
  assert_int_equal(mach_port_guard_with_flags(SELF, p, 0x11, 0), KERN_INVALID_ARGUMENT);
  mach_port_context_t c = 1;
  assert_int_equal(mach_port_get_context(SELF, p, &c), KERN_SUCCESS);
  assert_int_equal(c, 0); /* strict: not disclosed */
  mach_port_t got;
  mach_msg_type_name_t t;
  assert_int_equal(mach_port_extract_right(SELF, p, MACH_MSG_TYPE_MOVE_RECEIVE, &got, &t),
                   KERN_INVALID_CAPABILITY);
  /* Unguarding leaves the right immovable (sticky), as XNU. */
  assert_int_equal(mach_port_unguard(SELF, p, 0x10), KERN_SUCCESS);
  assert_true(status_of(p).mps_flags & MACH_PORT_STATUS_FLAG_GUARD_IMMOVABLE_RECEIVE);
  assert_int_equal(mach_port_extract_right(SELF, p, MACH_MSG_TYPE_MOVE_RECEIVE, &got, &t),
                   KERN_INVALID_CAPABILITY);
  assert_int_equal(mach_port_destroy(SELF, p), KERN_SUCCESS);
}

/* mach_port_swap_guard: needs a guarded, not strictly guarded port and its current guard
 * (KERN_INVALID_ARGUMENT otherwise); NULL is KERN_INVALID_NAME, a non-receive name
 * KERN_INVALID_RIGHT. */
static void test_swap_guard(void **state) {
  (void)state;
  mach_port_t p = new_port_with_send();
  assert_int_equal(mach_port_swap_guard(SELF, MACH_PORT_NULL, 0, 1), KERN_INVALID_NAME);
  assert_int_equal(mach_port_swap_guard(SELF, p, 0, 1), KERN_INVALID_ARGUMENT);
  assert_int_equal(mach_port_guard(SELF, p, 0x20, FALSE), KERN_SUCCESS);
  assert_int_equal(mach_port_swap_guard(SELF, p, 0x21, 0x30), KERN_INVALID_ARGUMENT);
  assert_int_equal(mach_port_swap_guard(SELF, p, 0x20, 0x30), KERN_SUCCESS);
  assert_int_equal(mach_port_unguard(SELF, p, 0x20), KERN_INVALID_ARGUMENT);
  assert_int_equal(mach_port_unguard(SELF, p, 0x30), KERN_SUCCESS);
  assert_int_equal(mach_port_guard(SELF, p, 0x40, TRUE), KERN_SUCCESS);
  assert_int_equal(mach_port_swap_guard(SELF, p, 0x40, 0x50), KERN_INVALID_ARGUMENT);
  assert_int_equal(mach_port_destruct(SELF, p, -1, 0x40), KERN_SUCCESS);
  mach_port_t so_port = new_port();
  mach_port_t so;
  mach_msg_type_name_t t;
  assert_int_equal(mach_port_extract_right(SELF, so_port, MACH_MSG_TYPE_MAKE_SEND_ONCE, &so, &t),
                   KERN_SUCCESS);
  assert_int_equal(mach_port_swap_guard(SELF, so, 0, 1), KERN_INVALID_RIGHT);
  assert_int_equal(mach_port_deallocate(SELF, so), KERN_SUCCESS);
  assert_int_equal(mach_port_destroy(SELF, so_port), KERN_SUCCESS);
}

/* An immovable receive right cannot travel in a plain port descriptor either. */
static void test_immovable_receive_right_in_a_message(void **state) {
  (void)state;
  mach_port_t dest = new_port();
  mach_port_options_t opts = { .flags = MPO_IMMOVABLE_RECEIVE | MPO_CONTEXT_AS_GUARD };
  mach_port_t imm;
  assert_int_equal(mach_port_construct(SELF, &opts, 0x61, &imm), KERN_SUCCESS);
  struct {
    mach_msg_header_t header;
    mach_msg_body_t body;
    mach_msg_port_descriptor_t desc;
  } m;
  memset(&m, 0, sizeof m);
  m.header.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND, 0) | MACH_MSGH_BITS_COMPLEX;
  m.header.msgh_remote_port = dest;
  m.body.msgh_descriptor_count = 1;
  m.desc.name = imm;
  m.desc.disposition = MACH_MSG_TYPE_MOVE_RECEIVE;
  m.desc.type = MACH_MSG_PORT_DESCRIPTOR;
  assert_int_equal(mach_msg(&m.header, MACH_SEND_MSG, sizeof m, 0, 0, 0, 0), MACH_SEND_INVALID_RIGHT);
  /* Not even a guarded descriptor with the right guard moves it. */
  assert_int_equal(send_guarded(dest, imm, MACH_MSG_TYPE_MOVE_RECEIVE,
                                MACH_MSG_GUARD_FLAGS_IMMOVABLE_RECEIVE, 0x61),
                   MACH_SEND_INVALID_RIGHT);
  assert_int_equal(type_of(imm), MACH_PORT_TYPE_RECEIVE);
  assert_int_equal(mach_port_destruct(SELF, imm, 0, 0x61), KERN_SUCCESS);
  assert_int_equal(mach_port_destroy(SELF, dest), KERN_SUCCESS);
}

/* ipc_kmsg_inflate_guarded_port_descriptor: only MOVE_RECEIVE; flags nonzero and within
 * IMMOVABLE_RECEIVE | UNGUARDED_ON_SEND; UNGUARDED_ON_SEND with context 0: else
 * MACH_SEND_INVALID_TYPE. ipc_right_copyin_check_guard_locked: the context must be the port's
 * guard, or the port unguarded with UNGUARDED_ON_SEND: else MACH_SEND_INVALID_RIGHT. */
static void test_guarded_descriptor_send_checks(void **state) {
  (void)state;
  mach_port_t dest = new_port();
  mach_port_t p = new_port();
  const mach_msg_guard_flags_t imm = MACH_MSG_GUARD_FLAGS_IMMOVABLE_RECEIVE;
  const mach_msg_guard_flags_t ugs = MACH_MSG_GUARD_FLAGS_UNGUARDED_ON_SEND;
  assert_int_equal(send_guarded(dest, p, MACH_MSG_TYPE_MAKE_SEND, ugs, 0), MACH_SEND_INVALID_TYPE);
  assert_int_equal(send_guarded(dest, p, MACH_MSG_TYPE_MOVE_RECEIVE, 0, 0), MACH_SEND_INVALID_TYPE);
  assert_int_equal(send_guarded(dest, p, MACH_MSG_TYPE_MOVE_RECEIVE, 4, 0), MACH_SEND_INVALID_TYPE);
  assert_int_equal(send_guarded(dest, p, MACH_MSG_TYPE_MOVE_RECEIVE, ugs, 9), MACH_SEND_INVALID_TYPE);
  /* An unguarded port with a context: the context is no guard. */
  assert_int_equal(send_guarded(dest, p, MACH_MSG_TYPE_MOVE_RECEIVE, imm, 0), MACH_SEND_INVALID_RIGHT);
  assert_int_equal(mach_port_guard(SELF, p, 0x70, FALSE), KERN_SUCCESS);
  assert_int_equal(send_guarded(dest, p, MACH_MSG_TYPE_MOVE_RECEIVE, ugs, 0), MACH_SEND_INVALID_RIGHT);
  assert_int_equal(send_guarded(dest, p, MACH_MSG_TYPE_MOVE_RECEIVE, imm, 0x71),
                   MACH_SEND_INVALID_RIGHT);
  assert_int_equal(type_of(p), MACH_PORT_TYPE_RECEIVE);
  assert_int_equal(status_of(dest).mps_msgcount, 0);
  assert_int_equal(mach_port_unguard(SELF, p, 0x70), KERN_SUCCESS);
  assert_int_equal(mach_port_destroy(SELF, p), KERN_SUCCESS);
  assert_int_equal(mach_port_destroy(SELF, dest), KERN_SUCCESS);
}

/* ipc_kmsg_copyout_guarded_port_descriptor: a receiver that did not pass MACH_RCV_GUARDED_DESC
 * does not get the right (destroyed; name and context 0). */
static void test_guarded_descriptor_needs_the_receive_option(void **state) {
  (void)state;
  mach_port_t dest = new_port();
  mach_port_t p = new_port_with_send();
  assert_int_equal(send_guarded(dest, p, MACH_MSG_TYPE_MOVE_RECEIVE,
                                MACH_MSG_GUARD_FLAGS_UNGUARDED_ON_SEND, 0),
                   MACH_MSG_SUCCESS);
  guarded_msg_t m;
  assert_int_equal(receive_guarded(dest, &m, 0), MACH_MSG_SUCCESS);
  assert_int_equal(m.desc.type, MACH_MSG_GUARDED_PORT_DESCRIPTOR);
  assert_int_equal(m.desc.name, MACH_PORT_NULL);
  assert_true(m.desc.context == 0);
  /* The port died: our send right is a dead name now. */
  assert_int_equal(type_of(p), MACH_PORT_TYPE_DEAD_NAME);
  assert_int_equal(mach_port_deallocate(SELF, p), KERN_SUCCESS);
  assert_int_equal(mach_port_destroy(SELF, dest), KERN_SUCCESS);
}

/* With MACH_RCV_GUARDED_DESC and IMMOVABLE_RECEIVE the right lands guarded (not strictly) by the
 * receive buffer's address, immovable; the descriptor carries that guard and drops
 * UNGUARDED_ON_SEND (ipc_right_copyout). mach_msg_destroy unguards it before destroying. */
static void test_guarded_descriptor_lands_immovable(void **state) {
  (void)state;
  mach_port_t dest = new_port();
  mach_port_t p = new_port();
  assert_int_equal(mach_port_guard(SELF, p, 0x88, TRUE), KERN_SUCCESS);
  assert_int_equal(send_guarded(dest, p, MACH_MSG_TYPE_MOVE_RECEIVE,
                                MACH_MSG_GUARD_FLAGS_IMMOVABLE_RECEIVE, 0x88),
                   MACH_MSG_SUCCESS);
  mach_port_type_t ty;
  assert_int_equal(mach_port_type(SELF, p, &ty), KERN_INVALID_NAME);
  guarded_msg_t m;
  assert_int_equal(receive_guarded(dest, &m, MACH_RCV_GUARDED_DESC), MACH_MSG_SUCCESS);
  mach_port_t q = m.desc.name;
  assert_true(MACH_PORT_VALID(q));
  assert_int_equal(m.desc.disposition, MACH_MSG_TYPE_PORT_RECEIVE);
  assert_int_equal(m.desc.flags, MACH_MSG_GUARD_FLAGS_IMMOVABLE_RECEIVE);
  assert_true(m.desc.context == (mach_port_context_t)(uintptr_t)&m);
  mach_port_status_t st = status_of(q);
  assert_true(st.mps_flags & MACH_PORT_STATUS_FLAG_GUARDED);
  assert_false(st.mps_flags & MACH_PORT_STATUS_FLAG_STRICT_GUARD);
  assert_true(st.mps_flags & MACH_PORT_STATUS_FLAG_GUARD_IMMOVABLE_RECEIVE);
  mach_port_context_t c = 0;
  assert_int_equal(mach_port_get_context(SELF, q, &c), KERN_SUCCESS);
  assert_true(c == (mach_port_context_t)(uintptr_t)&m);
  mach_port_t got;
  mach_msg_type_name_t t;
  assert_int_equal(mach_port_extract_right(SELF, q, MACH_MSG_TYPE_MOVE_RECEIVE, &got, &t),
                   KERN_INVALID_CAPABILITY);
  mach_msg_destroy(&m.header);
  assert_int_equal(mach_port_type(SELF, q, &ty), KERN_INVALID_NAME);
  assert_int_equal(mach_port_destroy(SELF, dest), KERN_SUCCESS);
}

/* Without IMMOVABLE_RECEIVE the right arrives as it left: unguarded, movable, the descriptor
 * saying UNGUARDED_ON_SEND and keeping the sender's context. */
static void test_guarded_descriptor_without_immovable(void **state) {
  (void)state;
  mach_port_t dest = new_port();
  mach_port_t p = new_port();
  assert_int_equal(mach_port_guard(SELF, p, 0x99, FALSE), KERN_SUCCESS);
  assert_int_equal(send_guarded(dest, p, MACH_MSG_TYPE_MOVE_RECEIVE,
                                MACH_MSG_GUARD_FLAGS_UNGUARDED_ON_SEND, 0),
                   MACH_SEND_INVALID_RIGHT); /* guarded: UNGUARDED_ON_SEND does not hold */
  assert_int_equal(mach_port_unguard(SELF, p, 0x99), KERN_SUCCESS);
  assert_int_equal(send_guarded(dest, p, MACH_MSG_TYPE_MOVE_RECEIVE,
                                MACH_MSG_GUARD_FLAGS_UNGUARDED_ON_SEND, 0),
                   MACH_MSG_SUCCESS);
  guarded_msg_t m;
  assert_int_equal(receive_guarded(dest, &m, MACH_RCV_GUARDED_DESC), MACH_MSG_SUCCESS);
  mach_port_t q = m.desc.name;
  assert_int_equal(m.desc.flags, MACH_MSG_GUARD_FLAGS_UNGUARDED_ON_SEND);
  assert_true(m.desc.context == 0);
  assert_int_equal(status_of(q).mps_flags, 0);
  mach_msg_destroy(&m.header);
  mach_port_type_t ty;
  assert_int_equal(mach_port_type(SELF, q, &ty), KERN_INVALID_NAME);
  assert_int_equal(mach_port_destroy(SELF, dest), KERN_SUCCESS);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    LEAK_CHECKED_TEST(test_guard_with_flags),
    LEAK_CHECKED_TEST(test_swap_guard),
    LEAK_CHECKED_TEST(test_immovable_receive_right_in_a_message),
    LEAK_CHECKED_TEST(test_guarded_descriptor_send_checks),
    LEAK_CHECKED_TEST(test_guarded_descriptor_needs_the_receive_option),
    LEAK_CHECKED_TEST(test_guarded_descriptor_lands_immovable),
    LEAK_CHECKED_TEST(test_guarded_descriptor_without_immovable),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
