/* Notifications: no-senders (with make-send count and sync), dead-name (and the uref it adds),
 * port-deleted, port-destroyed (the receive right and its queue come back), send-once, the
 * kernel audit token on them, and the cases where each must NOT fire. */
#include "core_test_util.h"

typedef struct {
  mach_msg_header_t header;
  NDR_record_t ndr;
  uint32_t value;
  mach_msg_max_trailer_t trailer;
} notif_t;

static mach_msg_return_t recv_notif(mach_port_t port, notif_t *n, mach_msg_timeout_t timeout) {
  memset(n, 0, sizeof *n);
  return mach_msg(&n->header,
                  MACH_RCV_MSG | MACH_RCV_TIMEOUT | MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_AUDIT),
                  0, sizeof *n, port, timeout, MACH_PORT_NULL);
}

static void request(mach_port_t name, mach_msg_id_t id, mach_port_mscount_t sync,
                    mach_port_t notify, kern_return_t want) {
  mach_port_t prev = 0xdead;
  assert_int_equal(mach_port_request_notification(SELF, name, id, sync, notify,
                                                  MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev),
                   want);
  if (want == KERN_SUCCESS) assert_int_equal(prev, MACH_PORT_NULL);
}

static void test_no_senders(void **state) {
  (void)state;
  mach_port_t p = new_port();
  mach_port_t notify = new_port();
  request(p, MACH_NOTIFY_NO_SENDERS, 1, notify, KERN_SUCCESS);
  notif_t n;
  /* Must not fire before any send right existed (sync 1 > mscount 0). */
  assert_int_equal(recv_notif(notify, &n, 0), MACH_RCV_TIMED_OUT);
  assert_int_equal(status_of(p).mps_nsrequest, TRUE);
  assert_int_equal(mach_port_insert_right(SELF, p, p, MACH_MSG_TYPE_MAKE_SEND), KERN_SUCCESS);
  assert_int_equal(mach_port_insert_right(SELF, p, p, MACH_MSG_TYPE_MAKE_SEND), KERN_SUCCESS);
  /* A send right travelling in a message still counts. */
  assert_int_equal(send_msg(p, MACH_MSG_TYPE_MAKE_SEND, 0, 0, 1, 0, 0, 0), MACH_MSG_SUCCESS);
  assert_int_equal(mach_port_mod_refs(SELF, p, MACH_PORT_RIGHT_SEND, -2), KERN_SUCCESS);
  assert_int_equal(recv_notif(notify, &n, 0), MACH_RCV_TIMED_OUT);
  test_msg_t m;
  assert_int_equal(recv_msg(p, &m, 0, 0), MACH_MSG_SUCCESS); /* its destination right is used */
  assert_int_equal(recv_notif(notify, &n, 0), MACH_MSG_SUCCESS);
  assert_int_equal(n.header.msgh_id, MACH_NOTIFY_NO_SENDERS);
  assert_int_equal(n.header.msgh_size, 36);
  assert_int_equal(n.value, 3); /* make-send count */
  assert_int_equal(n.header.msgh_local_port, notify);
  assert_int_equal(MACH_MSGH_BITS_LOCAL(n.header.msgh_bits), MACH_MSG_TYPE_PORT_SEND_ONCE);
  assert_int_equal(n.trailer.msgh_audit.val[5], 0); /* sent by the kernel */
  assert_int_equal(n.trailer.msgh_sender.val[1], 1);
  assert_int_equal(status_of(p).mps_nsrequest, FALSE);
  /* One-shot: a new send right and its release fire nothing more. */
  assert_int_equal(mach_port_insert_right(SELF, p, p, MACH_MSG_TYPE_MAKE_SEND), KERN_SUCCESS);
  assert_int_equal(mach_port_deallocate(SELF, p), KERN_SUCCESS);
  assert_int_equal(recv_notif(notify, &n, 0), MACH_RCV_TIMED_OUT);
  /* Armed when there are no senders and sync <= mscount: fires at once. */
  request(p, MACH_NOTIFY_NO_SENDERS, 4, notify, KERN_SUCCESS);
  assert_int_equal(recv_notif(notify, &n, 0), MACH_MSG_SUCCESS);
  assert_int_equal(n.value, 4);
  /* Destroying the port with the request armed: the request's right dies (send-once). */
  request(p, MACH_NOTIFY_NO_SENDERS, 5, notify, KERN_SUCCESS);
  assert_int_equal(mach_port_destroy(SELF, p), KERN_SUCCESS);
  assert_int_equal(recv_notif(notify, &n, 0), MACH_MSG_SUCCESS);
  assert_int_equal(n.header.msgh_id, MACH_NOTIFY_SEND_ONCE);
  assert_int_equal(recv_notif(notify, &n, 0), MACH_RCV_TIMED_OUT);
  assert_int_equal(mach_port_destroy(SELF, notify), KERN_SUCCESS);
}

static void test_request_replaces_and_cancels(void **state) {
  (void)state;
  mach_port_t p = new_port();
  mach_port_t notify = new_port();
  request(p, MACH_NOTIFY_NO_SENDERS, 1, notify, KERN_SUCCESS);
  mach_port_t prev;
  assert_int_equal(mach_port_request_notification(SELF, p, MACH_NOTIFY_NO_SENDERS, 1,
                                                  MACH_PORT_NULL, 0, &prev),
                   KERN_SUCCESS);
  assert_int_equal(type_of(prev), MACH_PORT_TYPE_SEND_ONCE);
  assert_int_equal(mach_port_deallocate(SELF, prev), KERN_SUCCESS);
  notif_t n;
  assert_int_equal(recv_notif(notify, &n, 0), MACH_MSG_SUCCESS);
  assert_int_equal(n.header.msgh_id, MACH_NOTIFY_SEND_ONCE);
  /* Errors: wrong right, unknown id, a notify right that is not send-once. */
  mach_port_t snd = new_port_with_send();
  request(snd, MACH_NOTIFY_NO_SENDERS, 0, MACH_PORT_NULL, KERN_SUCCESS);
  mach_port_t so;
  mach_msg_type_name_t t;
  assert_int_equal(mach_port_extract_right(SELF, snd, MACH_MSG_TYPE_MAKE_SEND_ONCE, &so, &t),
                   KERN_SUCCESS);
  assert_int_equal(mach_port_request_notification(SELF, so, MACH_NOTIFY_NO_SENDERS, 0, notify,
                                                  MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev),
                   KERN_INVALID_RIGHT);
  assert_int_equal(recv_notif(notify, &n, 0), MACH_MSG_SUCCESS); /* the refused right died */
  assert_int_equal(mach_port_request_notification(SELF, p, 99, 0, notify,
                                                  MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev),
                   KERN_INVALID_VALUE);
  assert_int_equal(recv_notif(notify, &n, 0), MACH_MSG_SUCCESS);
  assert_int_equal(mach_port_request_notification(SELF, p, MACH_NOTIFY_NO_SENDERS, 0, snd,
                                                  MACH_MSG_TYPE_COPY_SEND, &prev),
                   KERN_INVALID_CAPABILITY);
  assert_int_equal(refs_of(snd, MACH_PORT_RIGHT_SEND), 1);
  assert_int_equal(mach_port_request_notification(SELF, 0x7777703, MACH_NOTIFY_DEAD_NAME, 0,
                                                  notify, MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev),
                   KERN_INVALID_NAME);
  assert_int_equal(recv_notif(notify, &n, 0), MACH_MSG_SUCCESS);
  assert_int_equal(mach_port_deallocate(SELF, so), KERN_SUCCESS);
  test_msg_t m;
  assert_int_equal(recv_msg(snd, &m, 0, 0), MACH_MSG_SUCCESS);
  assert_int_equal(mach_port_destroy(SELF, snd), KERN_SUCCESS);
  assert_int_equal(mach_port_destroy(SELF, p), KERN_SUCCESS);
  assert_int_equal(mach_port_destroy(SELF, notify), KERN_SUCCESS);
}

static void test_dead_name(void **state) {
  (void)state;
  mach_port_t p = new_port();
  mach_port_t notify = new_port();
  mach_port_t snd;
  mach_msg_type_name_t t;
  /* Our send right lives under p's name; move the receive right into a carrier queue so the
   * send right stands alone, then kill the port by destroying the carrier. */
  assert_int_equal(mach_port_insert_right(SELF, p, p, MACH_MSG_TYPE_MAKE_SEND), KERN_SUCCESS);
  snd = p;
  request(snd, MACH_NOTIFY_DEAD_NAME, 0, notify, KERN_SUCCESS);
  assert_true(type_of(snd) & MACH_PORT_TYPE_DNREQUEST);
  mach_port_t carrier = new_port();
  mach_port_t got;
  assert_int_equal(mach_port_extract_right(SELF, p, MACH_MSG_TYPE_MOVE_RECEIVE, &got, &t),
                   KERN_SUCCESS);
  assert_int_equal(got, p); /* rejoined our send right's name: move it into a message */
  struct {
    mach_msg_header_t h;
    mach_msg_body_t b;
    mach_msg_port_descriptor_t d;
  } cm;
  memset(&cm, 0, sizeof cm);
  cm.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND, 0) | MACH_MSGH_BITS_COMPLEX;
  cm.h.msgh_remote_port = carrier;
  cm.b.msgh_descriptor_count = 1;
  cm.d.name = p;
  cm.d.disposition = MACH_MSG_TYPE_MOVE_RECEIVE;
  cm.d.type = MACH_MSG_PORT_DESCRIPTOR;
  assert_int_equal(mach_msg(&cm.h, MACH_SEND_MSG, sizeof cm, 0, 0, 0, 0), MACH_MSG_SUCCESS);
  assert_int_equal(type_of(snd) & ~MACH_PORT_TYPE_DNREQUEST, MACH_PORT_TYPE_SEND);
  notif_t n;
  assert_int_equal(recv_notif(notify, &n, 0), MACH_RCV_TIMED_OUT); /* still alive, in transit */
  assert_int_equal(mach_port_destroy(SELF, carrier), KERN_SUCCESS);
  assert_int_equal(recv_notif(notify, &n, 0), MACH_MSG_SUCCESS);
  assert_int_equal(n.header.msgh_id, MACH_NOTIFY_DEAD_NAME);
  assert_int_equal(n.value, snd);
  /* The name is dead and carries one more user reference, owned by the notification. */
  assert_int_equal(type_of(snd), MACH_PORT_TYPE_DEAD_NAME);
  assert_int_equal(refs_of(snd, MACH_PORT_RIGHT_DEAD_NAME), 2);
  /* A request on a dead name: refused with sync 0, immediate with sync != 0. */
  mach_port_t prev;
  assert_int_equal(mach_port_request_notification(SELF, snd, MACH_NOTIFY_DEAD_NAME, 0, notify,
                                                  MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev),
                   KERN_INVALID_ARGUMENT);
  assert_int_equal(recv_notif(notify, &n, 0), MACH_MSG_SUCCESS);
  assert_int_equal(n.header.msgh_id, MACH_NOTIFY_SEND_ONCE);
  request(snd, MACH_NOTIFY_DEAD_NAME, 1, notify, KERN_SUCCESS);
  assert_int_equal(recv_notif(notify, &n, 0), MACH_MSG_SUCCESS);
  assert_int_equal(n.header.msgh_id, MACH_NOTIFY_DEAD_NAME);
  assert_int_equal(refs_of(snd, MACH_PORT_RIGHT_DEAD_NAME), 3);
  assert_int_equal(mach_port_mod_refs(SELF, snd, MACH_PORT_RIGHT_DEAD_NAME, -3), KERN_SUCCESS);
  assert_int_equal(mach_port_destroy(SELF, notify), KERN_SUCCESS);
}

static void test_port_deleted_instead_of_dead_name(void **state) {
  (void)state;
  mach_port_t p = new_port();
  mach_port_t notify = new_port();
  mach_port_t so;
  mach_msg_type_name_t t;
  assert_int_equal(mach_port_extract_right(SELF, p, MACH_MSG_TYPE_MAKE_SEND_ONCE, &so, &t),
                   KERN_SUCCESS);
  request(so, MACH_NOTIFY_DEAD_NAME, 0, notify, KERN_SUCCESS);
  /* The right goes away before the port dies: port-deleted, and later no dead-name. */
  assert_int_equal(send_msg(so, MACH_MSG_TYPE_MOVE_SEND_ONCE, 0, 0, 1, 0, 0, 0), MACH_MSG_SUCCESS);
  notif_t n;
  assert_int_equal(recv_notif(notify, &n, 0), MACH_MSG_SUCCESS);
  assert_int_equal(n.header.msgh_id, MACH_NOTIFY_PORT_DELETED);
  assert_int_equal(n.value, so);
  assert_int_equal(mach_port_destroy(SELF, p), KERN_SUCCESS);
  assert_int_equal(recv_notif(notify, &n, 0), MACH_RCV_TIMED_OUT);
  assert_int_equal(mach_port_destroy(SELF, notify), KERN_SUCCESS);
}

typedef struct {
  mach_msg_header_t header;
  mach_msg_body_t body;
  mach_msg_port_descriptor_t port;
  mach_msg_max_trailer_t trailer;
} destroyed_t;

static void test_port_destroyed_returns_the_receive_right(void **state) {
  (void)state;
  mach_port_t p = new_port();
  mach_port_t notify = new_port();
  send_to_own(p, 1, 11);
  send_to_own(p, 2, 22);
  request(p, MACH_NOTIFY_PORT_DESTROYED, 0, notify, KERN_SUCCESS);
  assert_int_equal(status_of(p).mps_pdrequest, TRUE);
  assert_int_equal(mach_port_destroy(SELF, p), KERN_SUCCESS);
  destroyed_t d;
  memset(&d, 0, sizeof d);
  assert_int_equal(mach_msg(&d.header, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof d, notify, 0, 0),
                   MACH_MSG_SUCCESS);
  assert_int_equal(d.header.msgh_id, MACH_NOTIFY_PORT_DESTROYED);
  assert_true(d.header.msgh_bits & MACH_MSGH_BITS_COMPLEX);
  assert_int_equal(d.header.msgh_size, 40);
  assert_int_equal(d.port.disposition, MACH_MSG_TYPE_PORT_RECEIVE);
  mach_port_t back = d.port.name;
  assert_int_equal(type_of(back), MACH_PORT_TYPE_RECEIVE);
  assert_int_equal(status_of(back).mps_pdrequest, FALSE); /* one-shot */
  test_msg_t m;
  assert_int_equal(recv_msg(back, &m, 0, 0), MACH_MSG_SUCCESS);
  assert_int_equal(m.value, 11);
  assert_int_equal(recv_msg(back, &m, 0, 0), MACH_MSG_SUCCESS);
  assert_int_equal(m.value, 22);
  assert_int_equal(mach_port_destroy(SELF, back), KERN_SUCCESS); /* now it really dies */
  assert_int_equal(recv_msg(notify, &m, MACH_RCV_TIMEOUT, 0), MACH_RCV_TIMED_OUT);
  /* Port-destroyed to a dead notify port: the port just dies. */
  mach_port_t q = new_port();
  mach_port_t gone = new_port();
  request(q, MACH_NOTIFY_PORT_DESTROYED, 0, gone, KERN_SUCCESS);
  assert_int_equal(mach_port_destroy(SELF, gone), KERN_SUCCESS);
  assert_int_equal(mach_port_destroy(SELF, q), KERN_SUCCESS);
  assert_int_equal(mach_port_destroy(SELF, notify), KERN_SUCCESS);
}

static void test_send_once_notification_only_when_unused(void **state) {
  (void)state;
  mach_port_t p = new_port();
  mach_port_t so1, so2;
  mach_msg_type_name_t t;
  assert_int_equal(mach_port_extract_right(SELF, p, MACH_MSG_TYPE_MAKE_SEND_ONCE, &so1, &t),
                   KERN_SUCCESS);
  assert_int_equal(mach_port_extract_right(SELF, p, MACH_MSG_TYPE_MAKE_SEND_ONCE, &so2, &t),
                   KERN_SUCCESS);
  assert_int_equal(send_msg(so1, MACH_MSG_TYPE_MOVE_SEND_ONCE, 0, 0, 3, 0, 0, 0), MACH_MSG_SUCCESS);
  assert_int_equal(mach_port_destroy(SELF, so2), KERN_SUCCESS);
  test_msg_t m;
  assert_int_equal(recv_msg(p, &m, MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_AUDIT), 0),
                   MACH_MSG_SUCCESS);
  assert_int_equal(m.header.msgh_id, 3); /* the used right: a message, no notification */
  assert_int_equal(recv_msg(p, &m, MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_AUDIT), 0),
                   MACH_MSG_SUCCESS);
  assert_int_equal(m.header.msgh_id, MACH_NOTIFY_SEND_ONCE);
  assert_int_equal(m.header.msgh_size, sizeof(mach_msg_header_t));
  assert_int_equal(m.header.msgh_remote_port, MACH_PORT_NULL);
  assert_int_equal(recv_msg(p, &m, MACH_RCV_TIMEOUT, 0), MACH_RCV_TIMED_OUT);
  assert_int_equal(status_of(p).mps_sorights, 0);
  assert_int_equal(mach_port_destroy(SELF, p), KERN_SUCCESS);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    LEAK_CHECKED_TEST(test_no_senders),
    LEAK_CHECKED_TEST(test_request_replaces_and_cancels),
    LEAK_CHECKED_TEST(test_dead_name),
    LEAK_CHECKED_TEST(test_port_deleted_instead_of_dead_name),
    LEAK_CHECKED_TEST(test_port_destroyed_returns_the_receive_right),
    LEAK_CHECKED_TEST(test_send_once_notification_only_when_unused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
