/* mach_msg2 (XNU's mach_msg2_trap in osfmk/ipc/mach_msg.c, ipc_policy.c): 64-bit options, the
 * header passed by value, the vector form with auxiliary data. */
#include "core_test_util.h"

typedef struct {
  mach_msg_header_t header;
  int32_t value;
  mach_msg_max_trailer_t trailer;
} msg2_t;

typedef struct {
  mach_msg_aux_header_t header;
  char payload[32];
} aux_t;

static mach_msg_header_t header_to(mach_port_t dest, mach_msg_id_t id) {
  mach_msg_header_t h = { 0 };
  h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND, 0);
  h.msgh_remote_port = dest;
  h.msgh_id = id;
  return h;
}

/* The header comes from the argument, not from the buffer; the body from the buffer. */
static void test_send_and_receive(void **state) {
  (void)state;
  mach_port_t p = new_port();
  msg2_t m;
  memset(&m, 0xab, sizeof m); /* the buffer's header is garbage */
  m.value = 4242;
  mach_msg_size_t size = offsetof(msg2_t, trailer);
  assert_int_equal(mach_msg2(&m, MACH64_SEND_MSG | MACH64_SEND_MQ_CALL, header_to(p, 77), size, 0,
                             MACH_PORT_NULL, 0, 0),
                   MACH_MSG_SUCCESS);
  msg2_t r;
  memset(&r, 0, sizeof r);
  mach_msg_header_t none = { 0 };
  assert_int_equal(mach_msg2(&r, MACH64_RCV_MSG | MACH64_RCV_TIMEOUT, none, 0, sizeof r, p, 1000, 0),
                   MACH_MSG_SUCCESS);
  assert_int_equal(r.header.msgh_id, 77);
  assert_int_equal(r.header.msgh_size, size);
  assert_int_equal(r.header.msgh_local_port, p);
  assert_int_equal(r.value, 4242);
  assert_int_equal(mach_port_destroy(SELF, p), KERN_SUCCESS);
}

/* ipc_preflight_msg_option64: a send names exactly one of KOBJECT / MQ / ANY / DK call, and the
 * vector form only with MQ or ANY: else MACH_SEND_INVALID_OPTIONS. */
static void test_call_kind_options(void **state) {
  (void)state;
  mach_port_t p = new_port();
  msg2_t m;
  memset(&m, 0, sizeof m);
  mach_msg_size_t size = offsetof(msg2_t, trailer);
  assert_int_equal(mach_msg2(&m, MACH64_SEND_MSG, header_to(p, 1), size, 0, 0, 0, 0),
                   MACH_SEND_INVALID_OPTIONS);
  assert_int_equal(mach_msg2(&m, MACH64_SEND_MSG | MACH64_SEND_MQ_CALL | MACH64_SEND_ANY,
                             header_to(p, 1), size, 0, 0, 0, 0),
                   MACH_SEND_INVALID_OPTIONS);
  mach_msg_vector_t v[1] = { { (mach_vm_address_t)(uintptr_t)&m, 0, size, 0 } };
  assert_int_equal(mach_msg2(v, MACH64_SEND_MSG | MACH64_SEND_KOBJECT_CALL | MACH64_MSG_VECTOR,
                             header_to(p, 1), 1, 0, 0, 0, 0),
                   MACH_SEND_INVALID_OPTIONS);
  assert_int_equal(status_of(p).mps_msgcount, 0);
  assert_int_equal(mach_msg2(&m, MACH64_SEND_MSG | MACH64_SEND_ANY, header_to(p, 1), size, 0, 0, 0, 0),
                   MACH_MSG_SUCCESS);
  assert_int_equal(status_of(p).mps_msgcount, 1);
  assert_int_equal(mach_port_destroy(SELF, p), KERN_SUCCESS);
}

/* Vectors: the message and its auxiliary data travel together; a vector receiver gets the
 * payload (msgdh_size set), or an empty header when there was none; a scalar receiver loses it
 * silently; a vector receiver without room for it gets MACH_RCV_TOO_LARGE (the message is
 * destroyed: MACH_RCV_LARGE does not keep it queued for aux data here). */
static void test_vectors_with_aux_data(void **state) {
  (void)state;
  mach_port_t p = new_port();
  msg2_t m;
  memset(&m, 0, sizeof m);
  m.value = 9;
  aux_t a;
  memset(&a, 0, sizeof a);
  strcpy(a.payload, "hello aux");
  mach_msg_size_t size = offsetof(msg2_t, trailer);
  mach_msg_size_t asize = (mach_msg_size_t)(sizeof a.header + strlen(a.payload) + 1);
  mach_msg_vector_t sv[2] = { { (mach_vm_address_t)(uintptr_t)&m, 0, size, 0 },
                              { (mach_vm_address_t)(uintptr_t)&a, 0, asize, 0 } };
  const mach_msg_option64_t send = MACH64_SEND_MSG | MACH64_SEND_MQ_CALL | MACH64_MSG_VECTOR;
  for (int i = 0; i < 4; i++)
    assert_int_equal(mach_msg2(sv, send, header_to(p, 100 + i), 2, 0, 0, 0, 0), MACH_MSG_SUCCESS);
  assert_int_equal(mach_msg2(sv, send, header_to(p, 104), 1, 0, 0, 0, 0), MACH_MSG_SUCCESS);

  msg2_t r;
  aux_t ra;
  const mach_msg_option64_t rcv = MACH64_RCV_MSG | MACH64_RCV_TIMEOUT | MACH64_MSG_VECTOR;
  mach_msg_header_t none = { 0 };
  /* 1: aux received */
  memset(&ra, 0x55, sizeof ra);
  mach_msg_vector_t rv[2] = { { (mach_vm_address_t)(uintptr_t)&r, 0, 0, sizeof r },
                              { (mach_vm_address_t)(uintptr_t)&ra, 0, 0, sizeof ra } };
  assert_int_equal(mach_msg2(rv, rcv, none, 0, 2, p, 1000, 0), MACH_MSG_SUCCESS);
  assert_int_equal(r.header.msgh_id, 100);
  assert_int_equal(r.value, 9);
  assert_int_equal(ra.header.msgdh_size, asize);
  assert_string_equal(ra.payload, "hello aux");
  /* 2: aux buffer too small */
  rv[1].msgv_rcv_size = sizeof(mach_msg_aux_header_t) + 2;
  assert_int_equal(mach_msg2(rv, rcv, none, 0, 2, p, 1000, 0), MACH_RCV_TOO_LARGE);
  /* 3: a scalar receive drops the aux data */
  memset(&r, 0, sizeof r);
  assert_int_equal(mach_msg2(&r, MACH64_RCV_MSG | MACH64_RCV_TIMEOUT, none, 0, sizeof r, p, 1000, 0),
                   MACH_MSG_SUCCESS);
  assert_int_equal(r.header.msgh_id, 102);
  /* 4: a vector receive without an aux vector has no room for it either (XNU's
   * ipc_mqueue_msg_too_large: only a scalar receive drops aux data silently) */
  assert_int_equal(mach_msg2(rv, rcv, none, 0, 1, p, 1000, 0), MACH_RCV_TOO_LARGE);
  /* 5: no aux data sent: an empty header marks the end */
  rv[1].msgv_rcv_size = sizeof ra;
  memset(&ra, 0x55, sizeof ra);
  assert_int_equal(mach_msg2(rv, rcv, none, 0, 2, p, 1000, 0), MACH_MSG_SUCCESS);
  assert_int_equal(r.header.msgh_id, 104);
  assert_int_equal(ra.header.msgdh_size, 0);
  assert_int_equal(mach_port_destroy(SELF, p), KERN_SUCCESS);
}

/* mach_msg_copyin_data_vectors / mach_msg_validate_data_vectors: more than two vectors
 * MACH_SEND_INVALID_DATA, none MACH_SEND_MSG_TOO_SMALL, aux data smaller than its header
 * MACH_SEND_AUX_TOO_SMALL, larger than 1024 bytes MACH_SEND_AUX_TOO_LARGE; receiving with no
 * vector or an aux buffer smaller than a header MACH_RCV_INVALID_ARGUMENTS. */
static void test_vector_errors(void **state) {
  (void)state;
  mach_port_t p = new_port();
  msg2_t m;
  memset(&m, 0, sizeof m);
  static aux_t big[64];
  mach_msg_size_t size = offsetof(msg2_t, trailer);
  mach_msg_vector_t v[3] = { { (mach_vm_address_t)(uintptr_t)&m, 0, size, sizeof m },
                             { (mach_vm_address_t)(uintptr_t)big, 0, 4, 4 },
                             { 0, 0, 0, 0 } };
  const mach_msg_option64_t send = MACH64_SEND_MSG | MACH64_SEND_MQ_CALL | MACH64_MSG_VECTOR;
  assert_int_equal(mach_msg2(v, send, header_to(p, 1), 3, 0, 0, 0, 0), MACH_SEND_INVALID_DATA);
  assert_int_equal(mach_msg2(v, send, header_to(p, 1), 0, 0, 0, 0, 0), MACH_SEND_MSG_TOO_SMALL);
  assert_int_equal(mach_msg2(v, send, header_to(p, 1), 2, 0, 0, 0, 0), MACH_SEND_AUX_TOO_SMALL);
  v[1].msgv_send_size = 1028;
  assert_int_equal(mach_msg2(v, send, header_to(p, 1), 2, 0, 0, 0, 0), MACH_SEND_AUX_TOO_LARGE);
  v[0].msgv_send_size = 22;
  assert_int_equal(mach_msg2(v, send, header_to(p, 1), 1, 0, 0, 0, 0), MACH_SEND_MSG_TOO_SMALL);
  assert_int_equal(status_of(p).mps_msgcount, 0);
  const mach_msg_option64_t rcv = MACH64_RCV_MSG | MACH64_RCV_TIMEOUT | MACH64_MSG_VECTOR;
  mach_msg_header_t none = { 0 };
  assert_int_equal(mach_msg2(v, rcv, none, 0, 0, p, 0, 0), MACH_RCV_INVALID_ARGUMENTS);
  assert_int_equal(mach_msg2(v, rcv, none, 0, 2, p, 0, 0), MACH_RCV_INVALID_ARGUMENTS);
  assert_int_equal(mach_port_destroy(SELF, p), KERN_SUCCESS);
}

/* A complex message: the descriptor count comes from the arguments (mach_msg2 reads it from the
 * buffer before the call). */
static void test_complex_message(void **state) {
  (void)state;
  mach_port_t p = new_port();
  mach_port_t carried = new_port();
  struct {
    mach_msg_header_t header;
    mach_msg_body_t body;
    mach_msg_port_descriptor_t port;
    mach_msg_max_trailer_t trailer;
  } m;
  memset(&m, 0, sizeof m);
  m.header.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND, 0) | MACH_MSGH_BITS_COMPLEX;
  m.header.msgh_remote_port = p;
  m.header.msgh_id = 5;
  m.body.msgh_descriptor_count = 1;
  m.port.name = carried;
  m.port.disposition = MACH_MSG_TYPE_MAKE_SEND;
  m.port.type = MACH_MSG_PORT_DESCRIPTOR;
  mach_msg_size_t size = offsetof(__typeof__(m), trailer);
  assert_int_equal(mach_msg2(&m, MACH64_SEND_MSG | MACH64_SEND_MQ_CALL | MACH64_RCV_MSG |
                                     MACH64_RCV_TIMEOUT,
                             m.header, size, sizeof m, p, 1000, 0),
                   MACH_MSG_SUCCESS);
  assert_int_equal(m.header.msgh_id, 5);
  assert_int_equal(m.port.name, carried);
  assert_int_equal(type_of(carried), MACH_PORT_TYPE_SEND_RECEIVE);
  assert_int_equal(mach_port_destroy(SELF, carried), KERN_SUCCESS);
  assert_int_equal(mach_port_destroy(SELF, p), KERN_SUCCESS);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    LEAK_CHECKED_TEST(test_send_and_receive),
    LEAK_CHECKED_TEST(test_call_kind_options),
    LEAK_CHECKED_TEST(test_vectors_with_aux_data),
    LEAK_CHECKED_TEST(test_vector_errors),
    LEAK_CHECKED_TEST(test_complex_message),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
