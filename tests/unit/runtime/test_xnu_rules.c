/* The answers of the mach_port_* calls where XNU's rules are subtle, one test per rule, each
 * named after the XNU routine that decides it (osfmk/ipc/ipc_right.c, mach_port.c,
 * ipc_object.c, ipc_entry.c; libsyscall's mach_port.c for what a caller on its own task really
 * calls). docs/runtime.md tables the same rules. */
#include "core_test_util.h"
#include "ipc/right_internal.h"

/* A second space, reachable from ours through a send right to its task port. */
static mach_port_t other_task(struct ipc_space **out) {
  ipc_lock();
  struct ipc_space *other = ipc_space_create(NULL);
  assert_non_null(other);
  port_copy_send(other->task_port);
  mach_port_name_t task;
  assert_int_equal(
      right_copyout(ipc_space_current(), other->task_port, MACH_MSG_TYPE_PORT_SEND, &task),
      KERN_SUCCESS);
  ipc_unlock();
  *out = other;
  return task;
}

static void drop_other_task(struct ipc_space *other, mach_port_t task) {
  ipc_lock();
  ipc_space_destroy(other);
  ipc_unlock();
  assert_int_equal(mach_port_deallocate(SELF, task), KERN_SUCCESS);
}

/* ipc_right_dealloc: deallocating a port-set name destroys the set (its members leave it). */
static void test_deallocate_destroys_a_port_set(void **state) {
  (void)state;
  mach_port_t set, member = new_port();
  assert_int_equal(mach_port_allocate(SELF, MACH_PORT_RIGHT_PORT_SET, &set), KERN_SUCCESS);
  assert_int_equal(mach_port_move_member(SELF, member, set), KERN_SUCCESS);
  assert_int_equal(status_of(member).mps_pset, 1);
  assert_int_equal(mach_port_deallocate(SELF, set), KERN_SUCCESS);
  mach_port_type_t t;
  assert_int_equal(mach_port_type(SELF, set, &t), KERN_INVALID_NAME);
  assert_int_equal(status_of(member).mps_pset, 0);
  /* The empty case of XNU's own test (mach_port_deallocate_21692215): members gone first. */
  assert_int_equal(mach_port_allocate(SELF, MACH_PORT_RIGHT_PORT_SET, &set), KERN_SUCCESS);
  assert_int_equal(mach_port_move_member(SELF, member, set), KERN_SUCCESS);
  assert_int_equal(mach_port_mod_refs(SELF, member, MACH_PORT_RIGHT_RECEIVE, -1), KERN_SUCCESS);
  assert_int_equal(mach_port_deallocate(SELF, set), KERN_SUCCESS);
}

/* mach_port_deallocate_kernel: NULL and DEAD release nothing and succeed; a name without a
 * send, send-once, dead-name or set right is KERN_INVALID_RIGHT; no name, KERN_INVALID_NAME. */
static void test_deallocate_answers(void **state) {
  (void)state;
  assert_int_equal(mach_port_deallocate(SELF, MACH_PORT_NULL), KERN_SUCCESS);
  assert_int_equal(mach_port_deallocate(SELF, MACH_PORT_DEAD), KERN_SUCCESS);
  mach_port_t p = new_port();
  assert_int_equal(mach_port_deallocate(SELF, p), KERN_INVALID_RIGHT);
  assert_int_equal(mach_port_deallocate(SELF, 0x7777703), KERN_INVALID_NAME);
  assert_int_equal(mach_port_mod_refs(SELF, p, MACH_PORT_RIGHT_RECEIVE, -1), KERN_SUCCESS);
}

/* ipc_entry_alloc_name, through mach_port_insert_right (XNU's test mach_port_insert_right): a
 * name whose index is 0 is KERN_FAILURE, one without both low generation bits set
 * KERN_INVALID_VALUE, and a port the task already names (another name) KERN_RIGHT_EXISTS. */
static void test_insert_right_chosen_name_rules(void **state) {
  (void)state;
  mach_port_t port = new_port_with_send();
  mach_port_t port2 = new_port();
  assert_int_equal(mach_port_insert_right(SELF, 123, port, MACH_MSG_TYPE_MAKE_SEND), KERN_FAILURE);
  assert_int_equal(mach_port_insert_right(SELF, 122, port, MACH_MSG_TYPE_MAKE_SEND),
                   KERN_INVALID_VALUE);
  assert_int_equal(mach_port_insert_right(SELF, port, port2, MACH_MSG_TYPE_MAKE_SEND),
                   KERN_RIGHT_EXISTS);
  /* A second name for a port already named here: the port's own name wins. */
  assert_int_equal(mach_port_insert_right(SELF, 0x4242403, port, MACH_MSG_TYPE_MAKE_SEND),
                   KERN_RIGHT_EXISTS);
  /* The index of a taken name under another generation: KERN_FAILURE. */
  mach_port_name_t regen = (port & ~0xffu) | ((port + 4u) & 0xffu);
  assert_int_equal(mach_port_insert_right(SELF, regen, port2, MACH_MSG_TYPE_MAKE_SEND_ONCE),
                   KERN_FAILURE);
  /* Every failed insert destroyed the right it had made. */
  assert_int_equal(refs_of(port, MACH_PORT_RIGHT_SEND), 1);
  assert_int_equal(status_of(port2).mps_srights, 0);
  test_msg_t m;
  assert_int_equal(recv_msg(port2, &m, 0, 0), MACH_MSG_SUCCESS);
  assert_int_equal(m.header.msgh_id, MACH_NOTIFY_SEND_ONCE);
  assert_int_equal(mach_port_destroy(SELF, port), KERN_SUCCESS);
  assert_int_equal(mach_port_destroy(SELF, port2), KERN_SUCCESS);
}

/* _kernelrpc_mach_port_insert_right_trap (what libsyscall calls for the own task): name == poly
 * with MAKE_SEND / COPY_SEND works in place (unknown name KERN_INVALID_NAME, dead name
 * KERN_INVALID_CAPABILITY, no port right KERN_INVALID_RIGHT); otherwise poly is copied in first,
 * so its errors come first (NULL / DEAD / unknown: KERN_INVALID_NAME; a disposition that is not
 * a port disposition: KERN_INVALID_RIGHT), then the name (NULL: KERN_INVALID_VALUE), then a dead
 * poly (KERN_INVALID_CAPABILITY, its uref consumed). */
static void test_insert_right_on_the_own_task(void **state) {
  (void)state;
  mach_port_t p = new_port();
  mach_port_t set, dead;
  assert_int_equal(mach_port_allocate(SELF, MACH_PORT_RIGHT_PORT_SET, &set), KERN_SUCCESS);
  assert_int_equal(mach_port_allocate(SELF, MACH_PORT_RIGHT_DEAD_NAME, &dead), KERN_SUCCESS);
  assert_int_equal(mach_port_insert_right(SELF, 0x5555503, 0x5555503, MACH_MSG_TYPE_MAKE_SEND),
                   KERN_INVALID_NAME);
  assert_int_equal(mach_port_insert_right(SELF, dead, dead, MACH_MSG_TYPE_COPY_SEND),
                   KERN_INVALID_CAPABILITY);
  assert_int_equal(mach_port_insert_right(SELF, set, set, MACH_MSG_TYPE_MAKE_SEND),
                   KERN_INVALID_RIGHT);
  assert_int_equal(mach_port_insert_right(SELF, p, p, MACH_MSG_TYPE_COPY_SEND), KERN_INVALID_RIGHT);
  assert_int_equal(mach_port_insert_right(SELF, p, MACH_PORT_NULL, MACH_MSG_TYPE_MAKE_SEND),
                   KERN_INVALID_NAME);
  assert_int_equal(mach_port_insert_right(SELF, p, MACH_PORT_DEAD, MACH_MSG_TYPE_MOVE_SEND),
                   KERN_INVALID_NAME);
  assert_int_equal(mach_port_insert_right(SELF, MACH_PORT_NULL, p, 12), KERN_INVALID_RIGHT);
  assert_int_equal(mach_port_insert_right(SELF, MACH_PORT_NULL, p, MACH_MSG_TYPE_MAKE_SEND),
                   KERN_INVALID_VALUE);
  assert_int_equal(status_of(p).mps_srights, 0);
  assert_int_equal(mach_port_mod_refs(SELF, dead, MACH_PORT_RIGHT_DEAD_NAME, 1), KERN_SUCCESS);
  assert_int_equal(mach_port_insert_right(SELF, 0x5555503, dead, MACH_MSG_TYPE_MOVE_SEND),
                   KERN_INVALID_CAPABILITY);
  assert_int_equal(refs_of(dead, MACH_PORT_RIGHT_DEAD_NAME), 1);
  assert_int_equal(mach_port_deallocate(SELF, dead), KERN_SUCCESS);
  assert_int_equal(mach_port_deallocate(SELF, set), KERN_SUCCESS);
  assert_int_equal(mach_port_destroy(SELF, p), KERN_SUCCESS);
}

/* mach_port_insert_right on another task is a MIG request: poly travels as a port descriptor
 * (a bad disposition fails the send with MACH_SEND_INVALID_TYPE, a right the caller lacks with
 * MACH_SEND_INVALID_RIGHT), then the kernel checks the name (KERN_INVALID_VALUE) and poly
 * (NULL / DEAD: KERN_INVALID_CAPABILITY). */
static void test_insert_right_on_another_task(void **state) {
  (void)state;
  struct ipc_space *other;
  mach_port_t task = other_task(&other);
  mach_port_t p = new_port();
  assert_int_equal(mach_port_insert_right(task, 0x5555503, p, 12), MACH_SEND_INVALID_TYPE);
  assert_int_equal(mach_port_insert_right(task, 0x5555503, p, MACH_MSG_TYPE_COPY_SEND),
                   MACH_SEND_INVALID_RIGHT);
  assert_int_equal(mach_port_insert_right(task, MACH_PORT_NULL, p, MACH_MSG_TYPE_MAKE_SEND),
                   KERN_INVALID_VALUE);
  assert_int_equal(mach_port_insert_right(task, 0x5555503, MACH_PORT_NULL, MACH_MSG_TYPE_MOVE_SEND),
                   KERN_INVALID_CAPABILITY);
  assert_int_equal(mach_port_insert_right(task, 0x5555503, p, MACH_MSG_TYPE_MAKE_SEND),
                   KERN_SUCCESS);
  assert_int_equal(mach_port_insert_right(task, 0x5555603, p, MACH_MSG_TYPE_MAKE_SEND),
                   KERN_RIGHT_EXISTS);
  assert_int_equal(status_of(p).mps_srights, 1);
  drop_other_task(other, task);
  assert_int_equal(status_of(p).mps_srights, 0);
  assert_int_equal(mach_port_destroy(SELF, p), KERN_SUCCESS);
}

/* mach_port_extract_right: a disposition that is not a port disposition is KERN_INVALID_VALUE;
 * NULL and DEAD are KERN_INVALID_RIGHT (not a name lookup); a dead name gives MACH_PORT_DEAD;
 * an immovable receive right KERN_INVALID_CAPABILITY (ipc_right_copyin). */
static void test_extract_right_answers(void **state) {
  (void)state;
  mach_port_t got = 1;
  mach_msg_type_name_t t = 0;
  assert_int_equal(mach_port_extract_right(SELF, MACH_PORT_NULL, MACH_MSG_TYPE_MOVE_SEND, &got, &t),
                   KERN_INVALID_RIGHT);
  assert_int_equal(mach_port_extract_right(SELF, MACH_PORT_DEAD, MACH_MSG_TYPE_COPY_SEND, &got, &t),
                   KERN_INVALID_RIGHT);
  assert_int_equal(mach_port_extract_right(SELF, 0x5555503, MACH_MSG_TYPE_COPY_SEND, &got, &t),
                   KERN_INVALID_NAME);
  mach_port_t p = new_port();
  assert_int_equal(mach_port_extract_right(SELF, p, 15, &got, &t), KERN_INVALID_VALUE);
  assert_int_equal(mach_port_extract_right(SELF, p, MACH_MSG_TYPE_COPY_SEND, &got, &t),
                   KERN_INVALID_RIGHT);
  mach_port_t dead;
  assert_int_equal(mach_port_allocate(SELF, MACH_PORT_RIGHT_DEAD_NAME, &dead), KERN_SUCCESS);
  assert_int_equal(mach_port_extract_right(SELF, dead, MACH_MSG_TYPE_MOVE_SEND, &got, &t),
                   KERN_SUCCESS);
  assert_int_equal(got, MACH_PORT_DEAD);
  assert_int_equal(t, MACH_MSG_TYPE_PORT_SEND);
  mach_port_options_t opts = { .flags = MPO_IMMOVABLE_RECEIVE };
  mach_port_t imm;
  assert_int_equal(mach_port_construct(SELF, &opts, 0, &imm), KERN_SUCCESS);
  assert_int_equal(mach_port_extract_right(SELF, imm, MACH_MSG_TYPE_MOVE_RECEIVE, &got, &t),
                   KERN_INVALID_CAPABILITY);
  assert_int_equal(mach_port_destroy(SELF, imm), KERN_SUCCESS);
  assert_int_equal(mach_port_destroy(SELF, p), KERN_SUCCESS);
}

/* ipc_right_delta, by XNU's test mach_port_mod_refs: every known right type the name lacks is
 * KERN_INVALID_RIGHT, MACH_PORT_RIGHT_LABELH included; only a type at or past
 * MACH_PORT_RIGHT_NUMBER is KERN_INVALID_VALUE. */
static void test_mod_refs_right_types(void **state) {
  (void)state;
  mach_port_t port = new_port();
  mach_port_t set;
  assert_int_equal(mach_port_allocate(SELF, MACH_PORT_RIGHT_PORT_SET, &set), KERN_SUCCESS);
  const mach_port_right_t not_on_port[] = { MACH_PORT_RIGHT_SEND, MACH_PORT_RIGHT_SEND_ONCE,
                                            MACH_PORT_RIGHT_PORT_SET, MACH_PORT_RIGHT_DEAD_NAME,
                                            MACH_PORT_RIGHT_LABELH };
  const mach_port_right_t not_on_set[] = { MACH_PORT_RIGHT_SEND, MACH_PORT_RIGHT_SEND_ONCE,
                                           MACH_PORT_RIGHT_RECEIVE, MACH_PORT_RIGHT_DEAD_NAME,
                                           MACH_PORT_RIGHT_LABELH };
  for (size_t i = 0; i < sizeof not_on_port / sizeof *not_on_port; i++) {
    assert_int_equal(mach_port_mod_refs(SELF, port, not_on_port[i], -1), KERN_INVALID_RIGHT);
    assert_int_equal(mach_port_mod_refs(SELF, set, not_on_set[i], -1), KERN_INVALID_RIGHT);
  }
  assert_int_equal(mach_port_mod_refs(SELF, port, MACH_PORT_RIGHT_NUMBER, -1), KERN_INVALID_VALUE);
  assert_int_equal(mach_port_mod_refs(SELF, port, MACH_PORT_RIGHT_NUMBER + 1, -1),
                   KERN_INVALID_VALUE);
  assert_int_equal(mach_port_mod_refs(SELF, set, MACH_PORT_RIGHT_NUMBER, -1), KERN_INVALID_VALUE);
  /* The type is checked before the name: NULL is fine for send rights only. */
  assert_int_equal(mach_port_mod_refs(SELF, MACH_PORT_NULL, MACH_PORT_RIGHT_NUMBER, 0),
                   KERN_INVALID_VALUE);
  assert_int_equal(mach_port_mod_refs(SELF, MACH_PORT_NULL, MACH_PORT_RIGHT_SEND_ONCE, -1),
                   KERN_SUCCESS);
  assert_int_equal(mach_port_mod_refs(SELF, MACH_PORT_NULL, MACH_PORT_RIGHT_LABELH, -1),
                   KERN_INVALID_NAME);
  assert_int_equal(mach_port_mod_refs(SELF, set, MACH_PORT_RIGHT_PORT_SET, -1), KERN_SUCCESS);
  assert_int_equal(mach_port_mod_refs(SELF, port, MACH_PORT_RIGHT_RECEIVE, -1), KERN_SUCCESS);
}

/* mach_port_get_refs: a type at or past MACH_PORT_RIGHT_NUMBER is KERN_INVALID_VALUE; a known
 * type the name lacks (LABELH too) is 0 references; NULL and DEAD count one send or send-once
 * reference. */
static void test_get_refs_answers(void **state) {
  (void)state;
  mach_port_t p = new_port();
  mach_port_urefs_t r = 7;
  assert_int_equal(mach_port_get_refs(SELF, p, MACH_PORT_RIGHT_LABELH, &r), KERN_SUCCESS);
  assert_int_equal(r, 0);
  assert_int_equal(mach_port_get_refs(SELF, p, MACH_PORT_RIGHT_NUMBER, &r), KERN_INVALID_VALUE);
  assert_int_equal(mach_port_get_refs(SELF, MACH_PORT_DEAD, MACH_PORT_RIGHT_SEND_ONCE, &r),
                   KERN_SUCCESS);
  assert_int_equal(r, 1);
  assert_int_equal(mach_port_get_refs(SELF, MACH_PORT_DEAD, MACH_PORT_RIGHT_RECEIVE, &r),
                   KERN_INVALID_NAME);
  assert_int_equal(mach_port_destroy(SELF, p), KERN_SUCCESS);
}

/* ipc_right_delta / ipc_right_destroy: a guarded receive right is a guard violation,
 * KERN_INVALID_RIGHT (XNU raises EXC_GUARD too); destroy checks the guard against 0. */
static void test_guarded_receive_right_answers(void **state) {
  (void)state;
  mach_port_t p = new_port();
  assert_int_equal(mach_port_guard(SELF, p, 0x99, FALSE), KERN_SUCCESS);
  assert_int_equal(mach_port_mod_refs(SELF, p, MACH_PORT_RIGHT_RECEIVE, -1), KERN_INVALID_RIGHT);
  assert_int_equal(mach_port_mod_refs(SELF, p, MACH_PORT_RIGHT_RECEIVE, 0), KERN_SUCCESS);
  assert_int_equal(mach_port_destroy(SELF, p), KERN_INVALID_RIGHT);
  assert_int_equal(mach_port_unguard(SELF, p, 0x99), KERN_SUCCESS);
  assert_int_equal(mach_port_guard(SELF, p, 0, FALSE), KERN_SUCCESS);
  assert_int_equal(mach_port_destroy(SELF, p), KERN_SUCCESS);
}

/* ipc_right_destruct: not a receive right KERN_INVALID_RIGHT; a send delta without a send right
 * KERN_INVALID_RIGHT (before its sign is looked at); a positive delta KERN_INVALID_VALUE; a
 * wrong guard KERN_INVALID_ARGUMENT; more send references taken than held KERN_INVALID_VALUE;
 * NULL / DEAD / unknown KERN_INVALID_NAME. */
static void test_destruct_answers(void **state) {
  (void)state;
  assert_int_equal(mach_port_destruct(SELF, MACH_PORT_NULL, 0, 0), KERN_INVALID_NAME);
  assert_int_equal(mach_port_destruct(SELF, MACH_PORT_DEAD, 0, 0), KERN_INVALID_NAME);
  assert_int_equal(mach_port_destruct(SELF, 0x5555503, 0, 0), KERN_INVALID_NAME);
  mach_port_t p = new_port();
  mach_port_t s;
  mach_msg_type_name_t t;
  assert_int_equal(mach_port_extract_right(SELF, p, MACH_MSG_TYPE_MAKE_SEND_ONCE, &s, &t),
                   KERN_SUCCESS);
  assert_int_equal(mach_port_destruct(SELF, s, 0, 0), KERN_INVALID_RIGHT);
  assert_int_equal(mach_port_destruct(SELF, p, 1, 0), KERN_INVALID_RIGHT);
  assert_int_equal(mach_port_destruct(SELF, p, -1, 0), KERN_INVALID_RIGHT);
  assert_int_equal(mach_port_insert_right(SELF, p, p, MACH_MSG_TYPE_MAKE_SEND), KERN_SUCCESS);
  assert_int_equal(mach_port_destruct(SELF, p, 1, 0), KERN_INVALID_VALUE);
  assert_int_equal(mach_port_guard(SELF, p, 0x44, TRUE), KERN_SUCCESS);
  assert_int_equal(mach_port_destruct(SELF, p, -1, 0x45), KERN_INVALID_ARGUMENT);
  assert_int_equal(mach_port_destruct(SELF, p, -2, 0x44), KERN_INVALID_VALUE);
  assert_int_equal(type_of(p), MACH_PORT_TYPE_SEND_RECEIVE);
  /* Keeping the send reference: the name becomes a dead name. */
  assert_int_equal(mach_port_destruct(SELF, p, 0, 0x44), KERN_SUCCESS);
  assert_int_equal(type_of(p), MACH_PORT_TYPE_DEAD_NAME);
  assert_int_equal(type_of(s), MACH_PORT_TYPE_DEAD_NAME);
  assert_int_equal(mach_port_deallocate(SELF, p), KERN_SUCCESS);
  assert_int_equal(mach_port_deallocate(SELF, s), KERN_SUCCESS);
}

/* mach_port_construct (macOS 26): an unknown flag bit, or two port types at once, is
 * KERN_INVALID_ARGUMENT; MPO_CONNECTION_PORT needs a service port name; MPO_SERVICE_PORT needs
 * its info, a terminated name, and a strict guard if any; a queue limit past the maximum is
 * KERN_INVALID_VALUE; MPO_TG_BLOCK_TRACKING is for the graphics server only (KERN_DENIED);
 * MPO_IMMOVABLE_RECEIVE makes the receive right immovable, guarded or not. */
static void test_construct_answers(void **state) {
  (void)state;
  const uint32_t types[] = { MPO_REPLY_PORT, MPO_CONNECTION_PORT, MPO_SERVICE_PORT,
                             MPO_WEAK_REPLY_PORT, MPO_EXCEPTION_PORT,
                             MPO_CONNECTION_PORT_WITH_PORT_ARRAY };
  mach_port_t p;
  for (size_t i = 0; i < sizeof types / sizeof *types; i++) {
    for (size_t j = i + 1; j < sizeof types / sizeof *types; j++) {
      /* The type is a field, not bits: service | weak reply spells a notification port. */
      if ((types[i] | types[j]) == MPO_NOTIFICATION_PORT) continue;
      mach_port_options_t opts = { .flags = types[i] | types[j] };
      assert_int_equal(mach_port_construct(SELF, &opts, 0, &p), KERN_INVALID_ARGUMENT);
    }
  }
  mach_port_options_t opts = { .flags = 0x20000 };
  assert_int_equal(mach_port_construct(SELF, &opts, 0, &p), KERN_INVALID_ARGUMENT);
  opts = (mach_port_options_t){ .flags = MPO_CONNECTION_PORT, .service_port_name = 0 };
  assert_int_equal(mach_port_construct(SELF, &opts, 0, &p), KERN_INVALID_ARGUMENT);
  opts = (mach_port_options_t){ .flags = MPO_SERVICE_PORT };
  assert_int_equal(mach_port_construct(SELF, &opts, 0, &p), KERN_INVALID_ARGUMENT);
  mach_service_port_info_data_t info;
  memset(info.mspi_string_name, 'x', sizeof info.mspi_string_name);
  info.mspi_domain_type = 0;
  opts.service_port_info = &info;
  assert_int_equal(mach_port_construct(SELF, &opts, 0, &p), KERN_INVALID_ARGUMENT);
  info.mspi_string_name[10] = '\0';
  opts.flags = MPO_SERVICE_PORT | MPO_CONTEXT_AS_GUARD;
  assert_int_equal(mach_port_construct(SELF, &opts, 0, &p), KERN_INVALID_ARGUMENT);
  opts = (mach_port_options_t){ .flags = MPO_QLIMIT, .mpl.mpl_qlimit = MACH_PORT_QLIMIT_MAX + 1 };
  assert_int_equal(mach_port_construct(SELF, &opts, 0, &p), KERN_INVALID_VALUE);
  opts = (mach_port_options_t){ .flags = MPO_TG_BLOCK_TRACKING };
  assert_int_equal(mach_port_construct(SELF, &opts, 0, &p), KERN_DENIED);
  /* Each port type alone is fine. */
  const uint32_t alone[] = { MPO_PORT, MPO_REPLY_PORT, MPO_WEAK_REPLY_PORT, MPO_NOTIFICATION_PORT,
                             MPO_EXCEPTION_PORT, MPO_CONNECTION_PORT_WITH_PORT_ARRAY };
  for (size_t i = 0; i < sizeof alone / sizeof *alone; i++) {
    opts = (mach_port_options_t){ .flags = alone[i] | MPO_INSERT_SEND_RIGHT };
    assert_int_equal(mach_port_construct(SELF, &opts, 0x10, &p), KERN_SUCCESS);
    assert_int_equal(type_of(p), MACH_PORT_TYPE_SEND_RECEIVE);
    assert_int_equal(mach_port_destruct(SELF, p, -1, 0), KERN_SUCCESS);
  }
  opts = (mach_port_options_t){ .flags = MPO_IMMOVABLE_RECEIVE };
  assert_int_equal(mach_port_construct(SELF, &opts, 0, &p), KERN_SUCCESS);
  assert_true(status_of(p).mps_flags & MACH_PORT_STATUS_FLAG_GUARD_IMMOVABLE_RECEIVE);
  assert_int_equal(mach_port_destruct(SELF, p, 0, 0), KERN_SUCCESS);
}

/* ipc_port_clear_receiver: a receive right that leaves its space starts over: make-send count,
 * sequence number, context and guard are 0 where it lands. */
static void test_moved_receive_right_starts_over(void **state) {
  (void)state;
  mach_port_t p = new_port();
  assert_int_equal(mach_port_set_mscount(SELF, p, 9), KERN_SUCCESS);
  assert_int_equal(mach_port_set_seqno(SELF, p, 40), KERN_SUCCESS);
  assert_int_equal(mach_port_guard(SELF, p, 0x77, FALSE), KERN_SUCCESS);
  assert_int_equal(mach_port_unguard(SELF, p, 0x77), KERN_SUCCESS);
  assert_int_equal(mach_port_set_context(SELF, p, 0x1234), KERN_SUCCESS);
  mach_port_t got;
  mach_msg_type_name_t t;
  assert_int_equal(mach_port_extract_right(SELF, p, MACH_MSG_TYPE_MOVE_RECEIVE, &got, &t),
                   KERN_SUCCESS);
  mach_port_status_t st = status_of(got);
  assert_int_equal(st.mps_mscount, 0);
  assert_int_equal(st.mps_seqno, 0);
  mach_port_context_t c = 1;
  assert_int_equal(mach_port_get_context(SELF, got, &c), KERN_SUCCESS);
  assert_int_equal(c, 0);
  assert_int_equal(mach_port_destroy(SELF, got), KERN_SUCCESS);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    LEAK_CHECKED_TEST(test_deallocate_destroys_a_port_set),
    LEAK_CHECKED_TEST(test_deallocate_answers),
    LEAK_CHECKED_TEST(test_insert_right_chosen_name_rules),
    LEAK_CHECKED_TEST(test_insert_right_on_the_own_task),
    LEAK_CHECKED_TEST(test_insert_right_on_another_task),
    LEAK_CHECKED_TEST(test_extract_right_answers),
    LEAK_CHECKED_TEST(test_mod_refs_right_types),
    LEAK_CHECKED_TEST(test_get_refs_answers),
    LEAK_CHECKED_TEST(test_guarded_receive_right_answers),
    LEAK_CHECKED_TEST(test_destruct_answers),
    LEAK_CHECKED_TEST(test_construct_answers),
    LEAK_CHECKED_TEST(test_moved_receive_right_starts_over),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
