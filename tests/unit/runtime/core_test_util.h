/* Helpers shared by the IPC core tests (rt-core): ports, simple messages, leak baselines and
 * waiting until another thread is blocked inside the runtime (read under the IPC lock). */
#ifndef OPENMIG_TESTS_CORE_TEST_UTIL_H
#define OPENMIG_TESTS_CORE_TEST_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include <mach/mach.h>
#include <mach/openmig_stats.h>

#include "ipc/ipc_internal.h"
#include "ipc/port_internal.h"
#include "ipc/portset_internal.h"
#include "ipc/space_internal.h"

#define SELF mach_task_self()

/* A message with one int of inline data and room for the largest trailer. */
typedef struct {
  mach_msg_header_t header;
  int32_t value;
  mach_msg_max_trailer_t trailer;
} test_msg_t;

static inline mach_port_t new_port(void) {
  mach_port_t p = MACH_PORT_NULL;
  assert_int_equal(mach_port_allocate(SELF, MACH_PORT_RIGHT_RECEIVE, &p), KERN_SUCCESS);
  return p;
}

static inline mach_port_t new_port_with_send(void) {
  mach_port_t p = new_port();
  assert_int_equal(mach_port_insert_right(SELF, p, p, MACH_MSG_TYPE_MAKE_SEND), KERN_SUCCESS);
  return p;
}

static inline mach_port_urefs_t refs_of(mach_port_t name, mach_port_right_t right) {
  mach_port_urefs_t r = 0xdead;
  assert_int_equal(mach_port_get_refs(SELF, name, right, &r), KERN_SUCCESS);
  return r;
}

static inline mach_port_type_t type_of(mach_port_t name) {
  mach_port_type_t t = 0;
  assert_int_equal(mach_port_type(SELF, name, &t), KERN_SUCCESS);
  return t;
}

static inline mach_port_status_t status_of(mach_port_t name) {
  mach_port_status_t st;
  mach_msg_type_number_t cnt = MACH_PORT_RECEIVE_STATUS_COUNT;
  assert_int_equal(mach_port_get_attributes(SELF, name, MACH_PORT_RECEIVE_STATUS,
                                            (mach_port_info_t)&st, &cnt),
                   KERN_SUCCESS);
  return st;
}

static inline mach_msg_return_t send_msg(mach_port_t dest, mach_msg_type_name_t dest_disp,
                                         mach_port_t reply, mach_msg_type_name_t reply_disp,
                                         mach_msg_id_t id, int32_t value,
                                         mach_msg_option_t extra, mach_msg_timeout_t timeout) {
  test_msg_t m;
  memset(&m, 0, sizeof m);
  m.header.msgh_bits = MACH_MSGH_BITS(dest_disp, reply_disp);
  m.header.msgh_remote_port = dest;
  m.header.msgh_local_port = reply;
  m.header.msgh_id = id;
  m.header.msgh_size = offsetof(test_msg_t, trailer);
  m.value = value;
  return mach_msg(&m.header, MACH_SEND_MSG | extra, offsetof(test_msg_t, trailer), 0,
                  MACH_PORT_NULL, timeout, MACH_PORT_NULL);
}

/* Sends with COPY_SEND-free MAKE_SEND on a receive right we hold. */
static inline void send_to_own(mach_port_t port, mach_msg_id_t id, int32_t value) {
  assert_int_equal(send_msg(port, MACH_MSG_TYPE_MAKE_SEND, MACH_PORT_NULL, 0, id, value, 0, 0),
                   MACH_MSG_SUCCESS);
}

/* A message carrying one port descriptor, with room for the largest trailer. */
typedef struct {
  mach_msg_header_t header;
  mach_msg_body_t body;
  mach_msg_port_descriptor_t port;
  mach_msg_max_trailer_t trailer;
} port_msg_t;

/* Sends the right `name` (disposition disp) in a port descriptor to our receive right dest. */
static inline void send_right_to_own(mach_port_t dest, mach_port_t name, mach_msg_type_name_t disp) {
  port_msg_t m;
  memset(&m, 0, sizeof m);
  m.header.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND, 0) | MACH_MSGH_BITS_COMPLEX;
  m.header.msgh_remote_port = dest;
  m.header.msgh_size = offsetof(port_msg_t, trailer);
  m.body.msgh_descriptor_count = 1;
  m.port.name = name;
  m.port.disposition = disp;
  m.port.type = MACH_MSG_PORT_DESCRIPTOR;
  assert_int_equal(mach_msg(&m.header, MACH_SEND_MSG, m.header.msgh_size, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL),
                   MACH_MSG_SUCCESS);
}

/* Receives such a message from from (queued already); returns the right's name here. */
static inline mach_port_t recv_right_from(mach_port_t from) {
  port_msg_t m;
  memset(&m, 0, sizeof m);
  assert_int_equal(mach_msg(&m.header, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof m, from, 0, MACH_PORT_NULL),
                   MACH_MSG_SUCCESS);
  return m.port.name;
}

static inline mach_msg_return_t recv_msg(mach_port_t from, test_msg_t *m, mach_msg_option_t extra,
                                         mach_msg_timeout_t timeout) {
  memset(m, 0, sizeof *m);
  if (!(extra & MACH_RCV_TIMEOUT)) { /* never hang a test run: 20 s is "forever" here */
    extra |= MACH_RCV_TIMEOUT;
    timeout = 20000;
  }
  return mach_msg(&m->header, MACH_RCV_MSG | extra, 0, sizeof *m, from, timeout, MACH_PORT_NULL);
}

static inline struct openmig_ipc_stats stats_now(void) {
  struct openmig_ipc_stats s;
  (void)ipc_space_current(); /* the task space exists before any baseline is taken */
  openmig_ipc_stats_get(&s);
  return s;
}

/* Every counter back where it was: nothing leaked. */
static inline void assert_stats_equal(const struct openmig_ipc_stats *a,
                                      const struct openmig_ipc_stats *b) {
  assert_int_equal(a->ports, b->ports);
  assert_int_equal(a->port_sets, b->port_sets);
  assert_int_equal(a->spaces, b->spaces);
  assert_int_equal(a->entries, b->entries);
  assert_int_equal(a->messages, b->messages);
  assert_int_equal(a->ool_regions, b->ool_regions);
  assert_int_equal(a->ool_bytes, b->ool_bytes);
  assert_int_equal(a->vm_regions, b->vm_regions);
  assert_int_equal(a->vm_bytes, b->vm_bytes);
}

static inline void sleep_ms(long ms) {
  struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
  nanosleep(&ts, NULL);
}

static inline unsigned waitq_length(const struct ipc_waitq *q) {
  unsigned n = 0;
  for (struct ipc_waiter *w = q->head; w; w = w->next) n++;
  return n;
}

/* How many threads sleep on the port or set `name` (receivers, or blocked senders). */
static inline unsigned sleepers(mach_port_t name, bool senders) {
  struct ipc_space *space = ipc_space_current();
  ipc_lock();
  unsigned n = 0;
  struct ipc_entry *e = space_entry_raw(space, name);
  if (e && (e->type & MACH_PORT_TYPE_RECEIVE))
    n = waitq_length(senders ? &e->port->send_waiters : &e->port->rcv_waiters);
  else if (e && (e->type & MACH_PORT_TYPE_PORT_SET))
    n = waitq_length(&e->pset->rcv_waiters);
  ipc_unlock();
  return n;
}

/* Waits (up to 20 s: generous for a loaded machine) until n threads sleep on name. */
static inline void wait_for_sleepers(mach_port_t name, bool senders, unsigned n) {
  for (int i = 0; i < 20000 && sleepers(name, senders) < n; i++) sleep_ms(1);
  assert_int_equal(sleepers(name, senders), n);
}

/* Leak check around each test: every counter must be back to its value before the test. */
static struct openmig_ipc_stats leak_baseline;

static inline int leak_setup(void **state) {
  (void)state;
  leak_baseline = stats_now();
  return 0;
}

static inline int leak_teardown(void **state) {
  (void)state;
  struct openmig_ipc_stats now = stats_now();
  assert_stats_equal(&leak_baseline, &now);
  return 0;
}

#define LEAK_CHECKED_TEST(f) cmocka_unit_test_setup_teardown(f, leak_setup, leak_teardown)

#endif /* OPENMIG_TESTS_CORE_TEST_UTIL_H */
