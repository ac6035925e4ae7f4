/* Trailers on request: every element count and its size, sequence numbers, sender and audit
 * tokens of this process, port context, invalid requests. */
#include "core_test_util.h"

#include <unistd.h>

static void test_trailer_sizes_per_element_count(void **state) {
  (void)state;
  mach_port_t p = new_port();
  const struct {
    int elements;
    mach_msg_size_t size;
  } cases[] = {
    { MACH_RCV_TRAILER_NULL, 8 },  { MACH_RCV_TRAILER_SEQNO, 12 }, { MACH_RCV_TRAILER_SENDER, 20 },
    { MACH_RCV_TRAILER_AUDIT, 52 }, { MACH_RCV_TRAILER_CTX, 60 },  { MACH_RCV_TRAILER_AV, 68 },
    { MACH_RCV_TRAILER_LABELS, 68 },
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    send_to_own(p, (mach_msg_id_t)i, 0);
    test_msg_t m;
    memset(&m, 0xcc, sizeof m);
    mach_msg_option_t opt = MACH_RCV_MSG | MACH_RCV_TIMEOUT |
                            MACH_RCV_TRAILER_TYPE(MACH_MSG_TRAILER_FORMAT_0) |
                            MACH_RCV_TRAILER_ELEMENTS(cases[i].elements);
    assert_int_equal(mach_msg(&m.header, opt, 0, sizeof m, p, 1000, 0), MACH_MSG_SUCCESS);
    assert_int_equal(m.trailer.msgh_trailer_type, MACH_MSG_TRAILER_FORMAT_0);
    assert_int_equal(m.trailer.msgh_trailer_size, cases[i].size);
    assert_int_equal(REQUESTED_TRAILER_SIZE(opt), cases[i].size);
    /* Nothing written past the requested trailer. */
    unsigned char *after = (unsigned char *)&m.trailer + cases[i].size;
    if (cases[i].size < sizeof m.trailer) assert_int_equal(*after, 0xcc);
    if (cases[i].size >= 12) assert_int_equal(m.trailer.msgh_seqno, (mach_port_seqno_t)i);
  }
  assert_int_equal(mach_port_destroy(SELF, p), KERN_SUCCESS);
}

static void test_sender_and_audit_tokens(void **state) {
  (void)state;
  mach_port_t p = new_port();
  assert_int_equal(mach_port_set_context(SELF, p, 0x1122334455667788ull), KERN_SUCCESS);
  send_to_own(p, 1, 0);
  test_msg_t m;
  assert_int_equal(recv_msg(p, &m, MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_CTX), 0),
                   MACH_MSG_SUCCESS);
  assert_int_equal(m.trailer.msgh_sender.val[0], (unsigned)geteuid());
  assert_int_equal(m.trailer.msgh_sender.val[1], (unsigned)getegid());
  assert_int_equal(m.trailer.msgh_audit.val[1], (unsigned)geteuid());
  assert_int_equal(m.trailer.msgh_audit.val[2], (unsigned)getegid());
  assert_int_equal(m.trailer.msgh_audit.val[3], (unsigned)getuid());
  assert_int_equal(m.trailer.msgh_audit.val[4], (unsigned)getgid());
  assert_int_equal(m.trailer.msgh_audit.val[5], (unsigned)getpid());
  assert_true(m.trailer.msgh_context == 0x1122334455667788ull);
  assert_int_equal(mach_port_destroy(SELF, p), KERN_SUCCESS);
}

static void test_invalid_trailer_requests(void **state) {
  (void)state;
  mach_port_t p = new_port();
  send_to_own(p, 1, 0);
  test_msg_t m;
  assert_int_equal(mach_msg(&m.header, MACH_RCV_MSG | MACH_RCV_TRAILER_TYPE(1), 0, sizeof m, p, 0, 0),
                   MACH_RCV_INVALID_TRAILER);
  assert_int_equal(mach_msg(&m.header, MACH_RCV_MSG | MACH_RCV_TRAILER_ELEMENTS(9), 0, sizeof m, p,
                            0, 0),
                   MACH_RCV_INVALID_TRAILER);
  assert_int_equal(status_of(p).mps_msgcount, 1); /* nothing received */
  /* The trailer starts at round_msg(msgh_size). */
  assert_int_equal(recv_msg(p, &m, 0, 0), MACH_MSG_SUCCESS);
  mach_msg_trailer_t *t =
      (mach_msg_trailer_t *)((unsigned char *)&m.header + round_msg(m.header.msgh_size));
  assert_ptr_equal(t, (mach_msg_trailer_t *)&m.trailer);
  assert_int_equal(mach_port_destroy(SELF, p), KERN_SUCCESS);
}

static void test_sequence_numbers_follow_set_seqno(void **state) {
  (void)state;
  mach_port_t p = new_port();
  assert_int_equal(mach_port_set_seqno(SELF, p, 40), KERN_SUCCESS);
  for (int i = 0; i < 3; i++) send_to_own(p, i, 0);
  for (int i = 0; i < 3; i++) {
    test_msg_t m;
    assert_int_equal(recv_msg(p, &m, MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_SEQNO), 0),
                     MACH_MSG_SUCCESS);
    assert_int_equal(m.trailer.msgh_seqno, 40u + (unsigned)i);
  }
  assert_int_equal(status_of(p).mps_seqno, 43);
  assert_int_equal(mach_port_destroy(SELF, p), KERN_SUCCESS);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_trailer_sizes_per_element_count),
    cmocka_unit_test(test_sender_and_audit_tokens),
    cmocka_unit_test(test_invalid_trailer_requests),
    cmocka_unit_test(test_sequence_numbers_follow_set_seqno),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
