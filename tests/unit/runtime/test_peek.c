/* mach_port_peek (XNU's mach_port.c and its test ipc/port_peek.c), task_info with
 * TASK_SECURITY_TOKEN / TASK_AUDIT_TOKEN, and every trailer element filled. */
#include "core_test_util.h"

#include <unistd.h>

typedef struct {
  mach_msg_header_t header;
  char data[512];
  char trailer[128];
} big_msg_t;

static void send_big(mach_port_t port, mach_msg_id_t id) {
  big_msg_t msg;
  memset(&msg, 0, sizeof msg);
  msg.header.msgh_remote_port = port;
  msg.header.msgh_id = id;
  msg.header.msgh_bits = MACH_MSGH_BITS_SET(MACH_MSG_TYPE_MAKE_SEND, 0, 0, 0);
  msg.header.msgh_size = sizeof msg - 128;
  assert_int_equal(mach_msg(&msg.header, MACH_SEND_MSG, msg.header.msgh_size, 0, MACH_PORT_NULL,
                            MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL),
                   MACH_MSG_SUCCESS);
}

/* XNU's test mach_port_peek: the id and the size (the kernel's: 8 bytes more header) of the
 * first message, with an audit trailer; the message is still there to receive. */
static void test_peek_first_message(void **state) {
  (void)state;
  mach_port_t port = new_port();
  send_big(port, 0x41414141);
  mach_port_seqno_t seqno = 0;
  mach_msg_trailer_type_t tlrtype = MACH_RCV_TRAILER_TYPE(MACH_MSG_TRAILER_FORMAT_0) |
                                    MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_AUDIT);
  mach_msg_audit_trailer_t audit_trailer;
  mach_msg_type_number_t size = sizeof audit_trailer;
  mach_msg_size_t incoming_size = 0;
  mach_msg_id_t incoming_id = 0;
  assert_int_equal(mach_port_peek(SELF, port, tlrtype, &seqno, &incoming_size, &incoming_id,
                                  (mach_msg_trailer_info_t)&audit_trailer, &size),
                   KERN_SUCCESS);
  assert_int_equal(incoming_id, 0x41414141);
  assert_int_equal(incoming_size, sizeof(big_msg_t) - 128 + 8);
  assert_int_equal(size, sizeof(mach_msg_audit_trailer_t));
  assert_int_equal(seqno, 0);
  assert_int_equal(audit_trailer.msgh_trailer_type, MACH_MSG_TRAILER_FORMAT_0);
  assert_int_equal(audit_trailer.msgh_sender.val[0], (unsigned)geteuid());
  assert_int_equal(audit_trailer.msgh_audit.val[5], (unsigned)getpid());
  big_msg_t msg;
  assert_int_equal(mach_msg(&msg.header, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof msg, port, 0,
                            MACH_PORT_NULL),
                   MACH_MSG_SUCCESS);
  assert_int_equal(mach_port_destroy(SELF, port), KERN_SUCCESS);
}

/* A sequence number picks a queued message (from the port's next sequence number on); one that
 * is not queued, or an empty queue, is KERN_FAILURE. */
static void test_peek_by_sequence_number(void **state) {
  (void)state;
  mach_port_t port = new_port();
  assert_int_equal(mach_port_set_seqno(SELF, port, 10), KERN_SUCCESS);
  mach_port_seqno_t seqno = 0;
  mach_msg_size_t msize;
  mach_msg_id_t id;
  mach_msg_seqno_trailer_t t;
  mach_msg_type_number_t tsize = sizeof t;
  mach_msg_trailer_type_t seq = MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_SEQNO);
  assert_int_equal(mach_port_peek(SELF, port, seq, &seqno, &msize, &id, (void *)&t, &tsize),
                   KERN_FAILURE);
  for (int i = 0; i < 3; i++) send_to_own(port, 700 + i, i);
  seqno = 12;
  assert_int_equal(mach_port_peek(SELF, port, seq, &seqno, &msize, &id, (void *)&t, &tsize),
                   KERN_SUCCESS);
  assert_int_equal(id, 702);
  assert_int_equal(t.msgh_seqno, 12);
  assert_int_equal(msize, offsetof(test_msg_t, trailer) + 8);
  seqno = 13;
  assert_int_equal(mach_port_peek(SELF, port, seq, &seqno, &msize, &id, (void *)&t, &tsize),
                   KERN_FAILURE);
  seqno = 9;
  assert_int_equal(mach_port_peek(SELF, port, seq, &seqno, &msize, &id, (void *)&t, &tsize),
                   KERN_FAILURE);
  seqno = 0;
  assert_int_equal(mach_port_peek(SELF, port, seq, &seqno, &msize, &id, (void *)&t, &tsize),
                   KERN_SUCCESS);
  assert_int_equal(seqno, 10);
  assert_int_equal(id, 700);
  assert_int_equal(status_of(port).mps_msgcount, 3);
  assert_int_equal(mach_port_destroy(SELF, port), KERN_SUCCESS);
}

/* mach_port_peek's errors: NULL / DEAD KERN_INVALID_RIGHT; a trailer past the audit elements
 * (the context would leak) or larger than the room given KERN_INVALID_VALUE; no name
 * KERN_INVALID_NAME; not a receive right KERN_INVALID_RIGHT. A port descriptor is 4 bytes
 * longer in the kernel's size. */
static void test_peek_errors_and_sizes(void **state) {
  (void)state;
  mach_port_t port = new_port();
  mach_port_seqno_t seqno = 0;
  mach_msg_size_t msize;
  mach_msg_id_t id;
  mach_msg_max_trailer_t t;
  mach_msg_type_number_t tsize = sizeof t;
  assert_int_equal(mach_port_peek(SELF, MACH_PORT_NULL, 0, &seqno, &msize, &id, (void *)&t, &tsize),
                   KERN_INVALID_RIGHT);
  assert_int_equal(mach_port_peek(SELF, port, MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_CTX),
                                  &seqno, &msize, &id, (void *)&t, &tsize),
                   KERN_INVALID_VALUE);
  tsize = sizeof(mach_msg_security_trailer_t) - 1;
  assert_int_equal(mach_port_peek(SELF, port, MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_SENDER),
                                  &seqno, &msize, &id, (void *)&t, &tsize),
                   KERN_INVALID_VALUE);
  tsize = sizeof t;
  assert_int_equal(mach_port_peek(SELF, 0x5555503, 0, &seqno, &msize, &id, (void *)&t, &tsize),
                   KERN_INVALID_NAME);
  mach_port_t set;
  assert_int_equal(mach_port_allocate(SELF, MACH_PORT_RIGHT_PORT_SET, &set), KERN_SUCCESS);
  assert_int_equal(mach_port_peek(SELF, set, 0, &seqno, &msize, &id, (void *)&t, &tsize),
                   KERN_INVALID_RIGHT);
  assert_int_equal(tsize, sizeof(mach_msg_trailer_t));
  struct {
    mach_msg_header_t header;
    mach_msg_body_t body;
    mach_msg_port_descriptor_t ports[2];
  } m;
  memset(&m, 0, sizeof m);
  m.header.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND, 0) | MACH_MSGH_BITS_COMPLEX;
  m.header.msgh_remote_port = port;
  m.header.msgh_id = 71;
  m.body.msgh_descriptor_count = 2;
  for (int i = 0; i < 2; i++) {
    m.ports[i].name = port;
    m.ports[i].disposition = MACH_MSG_TYPE_MAKE_SEND;
    m.ports[i].type = MACH_MSG_PORT_DESCRIPTOR;
  }
  assert_int_equal(mach_msg(&m.header, MACH_SEND_MSG, sizeof m, 0, 0, 0, 0), MACH_MSG_SUCCESS);
  tsize = sizeof t;
  assert_int_equal(mach_port_peek(SELF, port, 0, &seqno, &msize, &id, (void *)&t, &tsize),
                   KERN_SUCCESS);
  assert_int_equal(msize, sizeof m + 8 + 2 * 4);
  assert_int_equal(mach_port_deallocate(SELF, set), KERN_SUCCESS);
  assert_int_equal(mach_port_destroy(SELF, port), KERN_SUCCESS);
}

/* task_info (XNU's task.c): TASK_SECURITY_TOKEN is {euid, egid}, TASK_AUDIT_TOKEN the task's
 * audit token (the one its messages carry); a count too small or another flavor is
 * KERN_INVALID_ARGUMENT; a name that is no task fails the MIG send. */
static void test_task_info_tokens(void **state) {
  (void)state;
  security_token_t sec;
  mach_msg_type_number_t count = TASK_SECURITY_TOKEN_COUNT;
  assert_int_equal(task_info(SELF, TASK_SECURITY_TOKEN, (task_info_t)&sec, &count), KERN_SUCCESS);
  assert_int_equal(count, 2);
  assert_int_equal(sec.val[0], (unsigned)geteuid());
  assert_int_equal(sec.val[1], (unsigned)getegid());
  audit_token_t audit;
  count = TASK_AUDIT_TOKEN_COUNT;
  assert_int_equal(task_info(SELF, TASK_AUDIT_TOKEN, (task_info_t)&audit, &count), KERN_SUCCESS);
  assert_int_equal(count, 8);
  /* The very token a message from this task carries. */
  mach_port_t p = new_port();
  send_to_own(p, 1, 1);
  test_msg_t m;
  assert_int_equal(recv_msg(p, &m, MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_AUDIT), 0),
                   MACH_MSG_SUCCESS);
  assert_memory_equal(&audit, &m.trailer.msgh_audit, sizeof audit);
  assert_int_equal(audit.val[5], (unsigned)getpid());
  count = TASK_AUDIT_TOKEN_COUNT - 1;
  assert_int_equal(task_info(SELF, TASK_AUDIT_TOKEN, (task_info_t)&audit, &count),
                   KERN_INVALID_ARGUMENT);
  count = TASK_INFO_MAX;
  task_info_data_t data;
  assert_int_equal(task_info(SELF, 4 /* TASK_BASIC_INFO_64 */, data, &count),
                   KERN_INVALID_ARGUMENT);
  assert_int_equal(task_info(p, TASK_AUDIT_TOKEN, data, &count), MACH_SEND_INVALID_DEST);
  assert_int_equal(mach_port_destroy(SELF, p), KERN_SUCCESS);
}

/* Every trailer element: seqno, sender, audit, context, and the filter id and labels (0: no
 * message filters, no MAC labels) in the largest trailer. */
static void test_every_trailer_element(void **state) {
  (void)state;
  mach_port_t p = new_port();
  assert_int_equal(mach_port_set_context(SELF, p, 0xabcdefull), KERN_SUCCESS);
  assert_int_equal(mach_port_set_seqno(SELF, p, 5), KERN_SUCCESS);
  send_to_own(p, 1, 1);
  test_msg_t m;
  memset(&m, 0xcc, sizeof m);
  assert_int_equal(mach_msg(&m.header,
                            MACH_RCV_MSG | MACH_RCV_TIMEOUT |
                                MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_LABELS),
                            0, sizeof m, p, 1000, MACH_PORT_NULL),
                   MACH_MSG_SUCCESS);
  assert_int_equal(m.trailer.msgh_trailer_size, sizeof(mach_msg_max_trailer_t));
  assert_int_equal(m.trailer.msgh_seqno, 5);
  assert_int_equal(m.trailer.msgh_sender.val[1], (unsigned)getegid());
  assert_int_equal(m.trailer.msgh_audit.val[1], (unsigned)geteuid());
  assert_true(m.trailer.msgh_context == 0xabcdefull);
  assert_int_equal(m.trailer.msgh_ad, 0);
  assert_int_equal(m.trailer.msgh_labels.sender, 0);
  assert_int_equal(mach_port_destroy(SELF, p), KERN_SUCCESS);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    LEAK_CHECKED_TEST(test_peek_first_message),
    LEAK_CHECKED_TEST(test_peek_by_sequence_number),
    LEAK_CHECKED_TEST(test_peek_errors_and_sizes),
    LEAK_CHECKED_TEST(test_task_info_tokens),
    LEAK_CHECKED_TEST(test_every_trailer_element),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
