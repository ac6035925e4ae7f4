/* Ports and the transport seam: receive status counters, proxy ports whose messages go to a
 * transport after copyin, delivery of transport-built messages, remote senders holding off
 * no-senders, and a proxy dying like a local port. */
#include "core_test_util.h"

#include "ipc/kmsg_internal.h"
#include "ipc/right_internal.h"
#include "ipc/proxy_internal.h"

static struct ipc_kmsg *captured;
static unsigned released_calls;
static mach_msg_return_t send_result = MACH_MSG_SUCCESS;

static mach_msg_return_t fake_send(struct ipc_port *proxy, struct ipc_kmsg *kmsg,
                                   mach_msg_option_t option, mach_msg_timeout_t timeout) {
  (void)proxy;
  (void)option;
  (void)timeout;
  if (send_result == MACH_MSG_SUCCESS) captured = kmsg;
  return send_result;
}

static void fake_released(struct ipc_port *proxy) {
  (void)proxy;
  released_calls++;
}

static const struct ipc_transport_ops fake_ops = { .send = fake_send, .proxy_released = fake_released };

/* A proxy for remote handle 7 with a send right in our space. */
static mach_port_t insert_proxy(struct ipc_port **out) {
  ipc_lock();
  struct ipc_port *proxy = transport_proxy_create(&fake_ops, 7);
  assert_non_null(proxy);
  port_reference(proxy); /* kept by the test */
  port_copy_send(proxy); /* the right we insert */
  mach_port_name_t name;
  assert_int_equal(right_copyout(ipc_space_current(), proxy, MACH_MSG_TYPE_PORT_SEND, &name),
                   KERN_SUCCESS);
  port_release(proxy); /* the creation reference */
  ipc_unlock();
  *out = proxy;
  return name;
}

static void drop_proxy(struct ipc_port *proxy) {
  ipc_lock();
  port_release(proxy);
  ipc_unlock();
}

static void test_status_counts_rights(void **state) {
  (void)state;
  mach_port_t p = new_port_with_send();
  mach_port_t so;
  mach_msg_type_name_t t;
  assert_int_equal(mach_port_extract_right(SELF, p, MACH_MSG_TYPE_MAKE_SEND_ONCE, &so, &t),
                   KERN_SUCCESS);
  send_to_own(p, 1, 0);
  mach_port_status_t st = status_of(p);
  assert_int_equal(st.mps_srights, TRUE);
  assert_int_equal(st.mps_sorights, 1);
  assert_int_equal(st.mps_mscount, 2);
  assert_int_equal(st.mps_msgcount, 1);
  assert_int_equal(st.mps_qlimit, MACH_PORT_QLIMIT_DEFAULT);
  assert_int_equal(mach_port_set_mscount(SELF, p, 9), KERN_SUCCESS);
  assert_int_equal(status_of(p).mps_mscount, 9);
  mach_msg_type_number_t cnt = MACH_PORT_RECEIVE_STATUS_COUNT - 1;
  assert_int_equal(mach_port_get_attributes(SELF, p, MACH_PORT_RECEIVE_STATUS,
                                            (mach_port_info_t)&st, &cnt),
                   KERN_FAILURE);
  assert_int_equal(mach_port_get_attributes(SELF, so, MACH_PORT_RECEIVE_STATUS,
                                            (mach_port_info_t)&st, &cnt),
                   KERN_INVALID_RIGHT);
  integer_t dn = -1;
  cnt = 1;
  assert_int_equal(mach_port_get_attributes(SELF, p, MACH_PORT_DNREQUESTS_SIZE, &dn, &cnt),
                   KERN_SUCCESS);
  assert_int_equal(dn, 0);
  assert_int_equal(mach_port_deallocate(SELF, so), KERN_SUCCESS);
  assert_int_equal(mach_port_destroy(SELF, p), KERN_SUCCESS);
}

static void test_proxy_messages_go_to_the_transport(void **state) {
  (void)state;
  struct ipc_port *proxy;
  mach_port_t name = insert_proxy(&proxy);
  assert_int_equal(type_of(name), MACH_PORT_TYPE_SEND);
  mach_port_t reply = new_port();
  captured = NULL;
  assert_int_equal(send_msg(name, MACH_MSG_TYPE_COPY_SEND, reply, MACH_MSG_TYPE_MAKE_SEND_ONCE, 44,
                            4, 0, 0),
                   MACH_MSG_SUCCESS);
  assert_non_null(captured);
  assert_ptr_equal(captured->remote, proxy);
  assert_int_equal(captured->remote_type, MACH_MSG_TYPE_PORT_SEND);
  assert_int_equal(captured->id, 44);
  assert_int_equal(captured->local_type, MACH_MSG_TYPE_PORT_SEND_ONCE);
  /* The transport answers through the reply right: a message it builds and delivers. */
  ipc_lock();
  struct ipc_port *reply_right = captured->local;
  captured->local = NULL;
  kmsg_destroy(captured);
  struct ipc_kmsg *answer = kmsg_alloc(offsetof(test_msg_t, trailer), 0);
  assert_non_null(answer);
  memset(answer->data, 0, offsetof(test_msg_t, trailer));
  answer->remote = reply_right;
  answer->remote_type = MACH_MSG_TYPE_PORT_SEND_ONCE;
  answer->id = 144;
  answer->audit.val[5] = 4242; /* the remote sender's identity */
  transport_deliver(answer);
  ipc_unlock();
  test_msg_t m;
  assert_int_equal(recv_msg(reply, &m, MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_AUDIT), 0),
                   MACH_MSG_SUCCESS);
  assert_int_equal(m.header.msgh_id, 144);
  assert_int_equal(m.trailer.msgh_audit.val[5], 4242);
  /* A transport error destroys the message; a timeout gives it back. */
  send_result = MACH_SEND_NO_BUFFER;
  assert_int_equal(send_msg(name, MACH_MSG_TYPE_COPY_SEND, reply, MACH_MSG_TYPE_MAKE_SEND_ONCE, 45,
                            0, 0, 0),
                   MACH_SEND_NO_BUFFER);
  assert_int_equal(recv_msg(reply, &m, 0, 0), MACH_MSG_SUCCESS);
  assert_int_equal(m.header.msgh_id, MACH_NOTIFY_SEND_ONCE);
  send_result = MACH_MSG_SUCCESS;
  /* Releasing the last local send right tells the transport. */
  released_calls = 0;
  assert_int_equal(mach_port_deallocate(SELF, name), KERN_SUCCESS);
  assert_int_equal(released_calls, 1);
  assert_int_equal(mach_port_destroy(SELF, reply), KERN_SUCCESS);
  drop_proxy(proxy);
}

static void test_proxy_death_makes_dead_names(void **state) {
  (void)state;
  struct ipc_port *proxy;
  mach_port_t name = insert_proxy(&proxy);
  mach_port_t notify = new_port();
  mach_port_t prev;
  assert_int_equal(mach_port_request_notification(SELF, name, MACH_NOTIFY_DEAD_NAME, 0, notify,
                                                  MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev),
                   KERN_SUCCESS);
  ipc_lock();
  transport_proxy_dead(proxy);
  ipc_unlock();
  test_msg_t m;
  assert_int_equal(recv_msg(notify, &m, 0, 0), MACH_MSG_SUCCESS);
  assert_int_equal(m.header.msgh_id, MACH_NOTIFY_DEAD_NAME);
  assert_int_equal(type_of(name), MACH_PORT_TYPE_DEAD_NAME);
  assert_int_equal(send_msg(name, MACH_MSG_TYPE_COPY_SEND, 0, 0, 1, 0, 0, 0), MACH_SEND_INVALID_DEST);
  assert_int_equal(mach_port_mod_refs(SELF, name, MACH_PORT_RIGHT_DEAD_NAME, -2), KERN_SUCCESS);
  assert_int_equal(mach_port_destroy(SELF, notify), KERN_SUCCESS);
  drop_proxy(proxy);
}

static void test_remote_senders_hold_off_no_senders(void **state) {
  (void)state;
  mach_port_t p = new_port();
  mach_port_t notify = new_port();
  mach_port_t prev;
  assert_int_equal(mach_port_request_notification(SELF, p, MACH_NOTIFY_NO_SENDERS, 1, notify,
                                                  MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev),
                   KERN_SUCCESS);
  assert_int_equal(mach_port_insert_right(SELF, p, p, MACH_MSG_TYPE_MAKE_SEND), KERN_SUCCESS);
  struct ipc_space *space = ipc_space_current();
  ipc_lock();
  struct ipc_port *port = space_entry_raw(space, p)->port;
  transport_remote_senders(port, 2); /* another task got two send rights */
  ipc_unlock();
  assert_int_equal(mach_port_mod_refs(SELF, p, MACH_PORT_RIGHT_SEND, -1), KERN_SUCCESS);
  test_msg_t m;
  assert_int_equal(recv_msg(notify, &m, MACH_RCV_TIMEOUT, 0), MACH_RCV_TIMED_OUT);
  ipc_lock();
  transport_remote_senders(port, -2);
  ipc_unlock();
  assert_int_equal(recv_msg(notify, &m, 0, 0), MACH_MSG_SUCCESS);
  assert_int_equal(m.header.msgh_id, MACH_NOTIFY_NO_SENDERS);
  assert_int_equal(mach_port_destroy(SELF, p), KERN_SUCCESS);
  assert_int_equal(mach_port_destroy(SELF, notify), KERN_SUCCESS);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    LEAK_CHECKED_TEST(test_status_counts_rights),
    LEAK_CHECKED_TEST(test_proxy_messages_go_to_the_transport),
    LEAK_CHECKED_TEST(test_proxy_death_makes_dead_names),
    LEAK_CHECKED_TEST(test_remote_senders_hold_off_no_senders),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
