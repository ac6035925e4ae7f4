/* mach_msg: header rights and bits as received, send errors and what they consume, complex
 * messages carrying every disposition, moving a receive right with messages queued, RPC
 * between threads, pseudo-receive on timeout, mach_msg_destroy. */
#include "core_test_util.h"

#include <pthread.h>

typedef struct {
  mach_msg_header_t header;
  mach_msg_body_t body;
  mach_msg_port_descriptor_t ports[6];
  mach_msg_max_trailer_t trailer;
} ports_msg_t;

static void test_simple_round_trip_header(void **state) {
  (void)state;
  mach_port_t server = new_port_with_send();
  mach_port_t reply = new_port();
  assert_int_equal(send_msg(server, MACH_MSG_TYPE_COPY_SEND, reply, MACH_MSG_TYPE_MAKE_SEND_ONCE,
                            1234, 77, 0, 0),
                   MACH_MSG_SUCCESS);
  test_msg_t m;
  assert_int_equal(recv_msg(server, &m, 0, 0), MACH_MSG_SUCCESS);
  assert_int_equal(m.header.msgh_id, 1234);
  assert_int_equal(m.value, 77);
  assert_int_equal(m.header.msgh_size, offsetof(test_msg_t, trailer));
  assert_int_equal(m.header.msgh_local_port, server);
  assert_int_equal(MACH_MSGH_BITS_LOCAL(m.header.msgh_bits), MACH_MSG_TYPE_PORT_SEND);
  assert_int_equal(MACH_MSGH_BITS_REMOTE(m.header.msgh_bits), MACH_MSG_TYPE_PORT_SEND_ONCE);
  mach_port_t so = m.header.msgh_remote_port;
  assert_int_equal(type_of(so), MACH_PORT_TYPE_SEND_ONCE);
  assert_int_equal(m.trailer.msgh_trailer_type, MACH_MSG_TRAILER_FORMAT_0);
  assert_int_equal(m.trailer.msgh_trailer_size, sizeof(mach_msg_trailer_t));
  /* Reply as a MIG server does. */
  assert_int_equal(send_msg(so, MACH_MSGH_BITS_REMOTE(m.header.msgh_bits), MACH_PORT_NULL, 0, 1334,
                            78, 0, 0),
                   MACH_MSG_SUCCESS);
  assert_int_equal(recv_msg(reply, &m, 0, 0), MACH_MSG_SUCCESS);
  assert_int_equal(m.header.msgh_id, 1334);
  assert_int_equal(m.header.msgh_remote_port, MACH_PORT_NULL);
  assert_int_equal(MACH_MSGH_BITS_REMOTE(m.header.msgh_bits), 0);
  assert_int_equal(MACH_MSGH_BITS_LOCAL(m.header.msgh_bits), MACH_MSG_TYPE_PORT_SEND_ONCE);
  assert_int_equal(status_of(reply).mps_sorights, 0);
  assert_int_equal(mach_port_destroy(SELF, server), KERN_SUCCESS);
  assert_int_equal(mach_port_destroy(SELF, reply), KERN_SUCCESS);
}

static void test_header_errors_consume_nothing(void **state) {
  (void)state;
  mach_port_t p = new_port_with_send();
  mach_port_t reply = new_port();
  test_msg_t m;
  memset(&m, 0, sizeof m);
  m.header.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
  m.header.msgh_remote_port = p;
  assert_int_equal(mach_msg(&m.header, MACH_SEND_MSG, 20, 0, 0, 0, 0), MACH_SEND_MSG_TOO_SMALL);
  assert_int_equal(mach_msg(&m.header, MACH_SEND_MSG, 26, 0, 0, 0, 0), MACH_SEND_MSG_TOO_SMALL);
  assert_int_equal(send_msg(MACH_PORT_NULL, MACH_MSG_TYPE_COPY_SEND, 0, 0, 1, 0, 0, 0),
                   MACH_SEND_INVALID_DEST);
  assert_int_equal(send_msg(0x7777703, MACH_MSG_TYPE_COPY_SEND, 0, 0, 1, 0, 0, 0),
                   MACH_SEND_INVALID_DEST);
  assert_int_equal(send_msg(reply, MACH_MSG_TYPE_COPY_SEND, 0, 0, 1, 0, 0, 0),
                   MACH_SEND_INVALID_DEST);
  assert_int_equal(send_msg(p, MACH_MSG_TYPE_MOVE_RECEIVE, 0, 0, 1, 0, 0, 0),
                   MACH_SEND_INVALID_HEADER);
  assert_int_equal(send_msg(p, 0, 0, 0, 1, 0, 0, 0), MACH_SEND_INVALID_HEADER);
  /* A bad reply right: the destination right must still be there (MOVE_SEND not taken). */
  assert_int_equal(send_msg(p, MACH_MSG_TYPE_MOVE_SEND, reply, MACH_MSG_TYPE_COPY_SEND, 1, 0, 0, 0),
                   MACH_SEND_INVALID_REPLY);
  assert_int_equal(send_msg(p, MACH_MSG_TYPE_MOVE_SEND, 0x7777703, MACH_MSG_TYPE_MAKE_SEND_ONCE, 1,
                            0, 0, 0),
                   MACH_SEND_INVALID_REPLY);
  assert_int_equal(send_msg(p, MACH_MSG_TYPE_MOVE_SEND, reply, MACH_MSG_TYPE_MOVE_RECEIVE, 1, 0, 0,
                            0),
                   MACH_SEND_INVALID_HEADER);
  assert_int_equal(refs_of(p, MACH_PORT_RIGHT_SEND), 1);
  /* Same name twice: MOVE_SEND for both needs two user references. */
  assert_int_equal(send_msg(p, MACH_MSG_TYPE_MOVE_SEND, p, MACH_MSG_TYPE_MOVE_SEND, 1, 0, 0, 0),
                   MACH_SEND_INVALID_REPLY);
  assert_int_equal(refs_of(p, MACH_PORT_RIGHT_SEND), 1);
  /* Vouchers are not supported: a voucher name is refused. */
  memset(&m, 0, sizeof m);
  m.header.msgh_bits = MACH_MSGH_BITS_SET(MACH_MSG_TYPE_COPY_SEND, 0, MACH_MSG_TYPE_COPY_SEND, 0);
  m.header.msgh_remote_port = p;
  m.header.msgh_voucher_port = p;
  assert_int_equal(mach_msg(&m.header, MACH_SEND_MSG, 28, 0, 0, 0, 0), MACH_SEND_INVALID_VOUCHER);
  assert_int_equal(status_of(p).mps_msgcount, 0);
  assert_int_equal(recv_msg(p, &m, MACH_RCV_TIMEOUT, 0), MACH_RCV_TIMED_OUT);
  assert_int_equal(recv_msg(0x7777703, &m, 0, 0), MACH_RCV_INVALID_NAME);
  mach_port_t so;
  mach_msg_type_name_t t;
  assert_int_equal(mach_port_extract_right(SELF, p, MACH_MSG_TYPE_MAKE_SEND_ONCE, &so, &t),
                   KERN_SUCCESS);
  assert_int_equal(recv_msg(so, &m, 0, 0), MACH_RCV_INVALID_NAME);
  assert_int_equal(mach_port_deallocate(SELF, so), KERN_SUCCESS);
  assert_int_equal(recv_msg(p, &m, 0, 0), MACH_MSG_SUCCESS); /* the send-once notification */
  assert_int_equal(mach_port_destroy(SELF, p), KERN_SUCCESS);
  assert_int_equal(mach_port_destroy(SELF, reply), KERN_SUCCESS);
}

static void test_same_name_destination_and_reply(void **state) {
  (void)state;
  mach_port_t p = new_port_with_send();
  assert_int_equal(send_msg(p, MACH_MSG_TYPE_COPY_SEND, p, MACH_MSG_TYPE_MAKE_SEND_ONCE, 5, 0, 0, 0),
                   MACH_MSG_SUCCESS);
  assert_int_equal(send_msg(p, MACH_MSG_TYPE_MAKE_SEND, p, MACH_MSG_TYPE_MOVE_SEND, 6, 0, 0, 0),
                   MACH_MSG_SUCCESS);
  /* The MOVE_SEND took the name's only send right along. */
  assert_int_equal(type_of(p), MACH_PORT_TYPE_RECEIVE);
  test_msg_t m;
  assert_int_equal(recv_msg(p, &m, 0, 0), MACH_MSG_SUCCESS);
  assert_int_equal(type_of(m.header.msgh_remote_port), MACH_PORT_TYPE_SEND_ONCE);
  assert_int_equal(mach_port_deallocate(SELF, m.header.msgh_remote_port), KERN_SUCCESS);
  assert_int_equal(recv_msg(p, &m, 0, 0), MACH_MSG_SUCCESS);
  assert_int_equal(m.header.msgh_id, 6);
  /* The moved send right comes back under the receive right's name. */
  assert_int_equal(m.header.msgh_remote_port, p);
  assert_int_equal(MACH_MSGH_BITS_REMOTE(m.header.msgh_bits), MACH_MSG_TYPE_PORT_SEND);
  assert_int_equal(refs_of(p, MACH_PORT_RIGHT_SEND), 1);
  assert_int_equal(recv_msg(p, &m, 0, 0), MACH_MSG_SUCCESS);
  assert_int_equal(m.header.msgh_id, MACH_NOTIFY_SEND_ONCE);
  assert_int_equal(mach_port_destroy(SELF, p), KERN_SUCCESS);
}

static mach_msg_size_t fill_ports_msg(ports_msg_t *m, mach_port_t dest, unsigned n,
                                      const mach_port_t *names, const mach_msg_type_name_t *disps) {
  memset(m, 0, sizeof *m);
  m->header.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0) | MACH_MSGH_BITS_COMPLEX;
  m->header.msgh_remote_port = dest;
  m->header.msgh_id = 500;
  m->body.msgh_descriptor_count = n;
  for (unsigned i = 0; i < n; i++) {
    m->ports[i].name = names[i];
    m->ports[i].disposition = disps[i];
    m->ports[i].type = MACH_MSG_PORT_DESCRIPTOR;
  }
  return (mach_msg_size_t)(sizeof(mach_msg_base_t) + n * sizeof(mach_msg_port_descriptor_t));
}

static void test_every_disposition_in_descriptors(void **state) {
  (void)state;
  mach_port_t dest = new_port_with_send();
  mach_port_t a = new_port_with_send(); /* MOVE_SEND, COPY_SEND */
  mach_port_t b = new_port();          /* MAKE_SEND, MAKE_SEND_ONCE */
  mach_port_t c = new_port();          /* MOVE_RECEIVE */
  mach_port_t so;
  mach_msg_type_name_t t;
  assert_int_equal(mach_port_extract_right(SELF, b, MACH_MSG_TYPE_MAKE_SEND_ONCE, &so, &t),
                   KERN_SUCCESS);
  assert_int_equal(mach_port_mod_refs(SELF, a, MACH_PORT_RIGHT_SEND, 1), KERN_SUCCESS);
  mach_port_t names[6] = { a, a, b, b, so, c };
  mach_msg_type_name_t disps[6] = { MACH_MSG_TYPE_MOVE_SEND,  MACH_MSG_TYPE_COPY_SEND,
                                    MACH_MSG_TYPE_MAKE_SEND,  MACH_MSG_TYPE_MAKE_SEND_ONCE,
                                    MACH_MSG_TYPE_MOVE_SEND_ONCE, MACH_MSG_TYPE_MOVE_RECEIVE };
  ports_msg_t m;
  mach_msg_size_t size = fill_ports_msg(&m, dest, 6, names, disps);
  assert_int_equal(mach_msg(&m.header, MACH_SEND_MSG, size, 0, 0, 0, 0), MACH_MSG_SUCCESS);
  /* Taken from the sender at send time. */
  assert_int_equal(refs_of(a, MACH_PORT_RIGHT_SEND), 1);
  mach_port_type_t ty;
  assert_int_equal(mach_port_type(SELF, so, &ty), KERN_INVALID_NAME);
  assert_int_equal(mach_port_type(SELF, c, &ty), KERN_INVALID_NAME);
  assert_int_equal(status_of(b).mps_mscount, 1);

  memset(&m, 0, sizeof m);
  assert_int_equal(mach_msg(&m.header, MACH_RCV_MSG, 0, sizeof m, dest, 0, 0), MACH_MSG_SUCCESS);
  assert_true(m.header.msgh_bits & MACH_MSGH_BITS_COMPLEX);
  assert_int_equal(m.body.msgh_descriptor_count, 6);
  mach_msg_type_name_t want[6] = { MACH_MSG_TYPE_PORT_SEND, MACH_MSG_TYPE_PORT_SEND,
                                   MACH_MSG_TYPE_PORT_SEND, MACH_MSG_TYPE_PORT_SEND_ONCE,
                                   MACH_MSG_TYPE_PORT_SEND_ONCE, MACH_MSG_TYPE_PORT_RECEIVE };
  for (int i = 0; i < 6; i++) {
    assert_int_equal(m.ports[i].type, MACH_MSG_PORT_DESCRIPTOR);
    assert_int_equal(m.ports[i].disposition, want[i]);
  }
  assert_int_equal(m.ports[0].name, a);
  assert_int_equal(m.ports[1].name, a);
  assert_int_equal(refs_of(a, MACH_PORT_RIGHT_SEND), 3);
  assert_int_equal(m.ports[2].name, b);
  assert_int_equal(type_of(b), MACH_PORT_TYPE_SEND_RECEIVE);
  assert_int_equal(type_of(m.ports[3].name), MACH_PORT_TYPE_SEND_ONCE);
  assert_int_equal(type_of(m.ports[4].name), MACH_PORT_TYPE_SEND_ONCE);
  mach_port_t c2 = m.ports[5].name;
  assert_int_equal(type_of(c2), MACH_PORT_TYPE_RECEIVE);
  /* mach_msg_destroy releases what the message gave us. */
  mach_msg_destroy(&m.header);
  assert_int_equal(refs_of(a, MACH_PORT_RIGHT_SEND), 1);
  assert_int_equal(type_of(b), MACH_PORT_TYPE_RECEIVE);
  assert_int_equal(mach_port_type(SELF, c2, &ty), KERN_INVALID_NAME);
  test_msg_t n;
  for (int i = 0; i < 2; i++) {
    assert_int_equal(recv_msg(b, &n, 0, 0), MACH_MSG_SUCCESS);
    assert_int_equal(n.header.msgh_id, MACH_NOTIFY_SEND_ONCE);
  }
  assert_int_equal(mach_port_destroy(SELF, dest), KERN_SUCCESS);
  assert_int_equal(mach_port_destroy(SELF, a), KERN_SUCCESS);
  assert_int_equal(mach_port_destroy(SELF, b), KERN_SUCCESS);
}

static void test_body_error_destroys_what_was_taken(void **state) {
  (void)state;
  mach_port_t dest = new_port_with_send();
  mach_port_t reply = new_port();
  mach_port_t a = new_port_with_send();
  mach_port_t names[3] = { a, 0x7777703, a };
  mach_msg_type_name_t disps[3] = { MACH_MSG_TYPE_MOVE_SEND, MACH_MSG_TYPE_COPY_SEND,
                                    MACH_MSG_TYPE_COPY_SEND };
  assert_int_equal(mach_port_mod_refs(SELF, a, MACH_PORT_RIGHT_SEND, 1), KERN_SUCCESS);
  ports_msg_t m;
  mach_msg_size_t size = fill_ports_msg(&m, dest, 3, names, disps);
  m.header.msgh_bits |= MACH_MSGH_BITS(0, MACH_MSG_TYPE_MAKE_SEND_ONCE);
  m.header.msgh_local_port = reply;
  assert_int_equal(mach_msg(&m.header, MACH_SEND_MSG, size, 0, 0, 0, 0), MACH_SEND_INVALID_RIGHT);
  /* The first descriptor's right was taken and destroyed; the third one never was. */
  assert_int_equal(refs_of(a, MACH_PORT_RIGHT_SEND), 1);
  assert_int_equal(status_of(dest).mps_msgcount, 0);
  /* The reply right made from `reply` was destroyed: a send-once notification. */
  test_msg_t n;
  assert_int_equal(recv_msg(reply, &n, 0, 0), MACH_MSG_SUCCESS);
  assert_int_equal(n.header.msgh_id, MACH_NOTIFY_SEND_ONCE);

  m.ports[1].name = a;
  m.ports[1].disposition = 11; /* not a port disposition */
  assert_int_equal(mach_msg(&m.header, MACH_SEND_MSG, size, 0, 0, 0, 0), MACH_SEND_INVALID_TYPE);
  assert_int_equal(recv_msg(reply, &n, 0, 0), MACH_MSG_SUCCESS);
  /* That took a's last send right (the first descriptor moved it). */
  assert_int_equal(type_of(a), MACH_PORT_TYPE_RECEIVE);
  assert_int_equal(mach_port_insert_right(SELF, a, a, MACH_MSG_TYPE_MAKE_SEND), KERN_SUCCESS);
  m.ports[1].disposition = MACH_MSG_TYPE_COPY_SEND;
  m.ports[1].type = 9;
  assert_int_equal(mach_msg(&m.header, MACH_SEND_MSG, size, 0, 0, 0, 0), MACH_SEND_INVALID_TYPE);
  assert_int_equal(recv_msg(reply, &n, 0, 0), MACH_MSG_SUCCESS);
  assert_int_equal(mach_port_insert_right(SELF, a, a, MACH_MSG_TYPE_MAKE_SEND), KERN_SUCCESS);
  /* More descriptors announced than the message holds: nothing is taken. */
  m.body.msgh_descriptor_count = 40;
  assert_int_equal(mach_msg(&m.header, MACH_SEND_MSG, size, 0, 0, 0, 0), MACH_SEND_MSG_TOO_SMALL);
  assert_int_equal(refs_of(a, MACH_PORT_RIGHT_SEND), 1);
  assert_int_equal(recv_msg(reply, &n, MACH_RCV_TIMEOUT, 0), MACH_RCV_TIMED_OUT);
  /* A send-once destination taken by a failing send is destroyed with a notification too (a
   * server's bad reply must not leave its client waiting). */
  mach_port_t so;
  mach_msg_type_name_t st;
  assert_int_equal(mach_port_extract_right(SELF, reply, MACH_MSG_TYPE_MAKE_SEND_ONCE, &so, &st),
                   KERN_SUCCESS);
  m.body.msgh_descriptor_count = 3;
  m.header.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0) | MACH_MSGH_BITS_COMPLEX;
  m.header.msgh_remote_port = so;
  m.header.msgh_local_port = MACH_PORT_NULL;
  m.ports[0].name = 0x7777703;
  assert_int_equal(mach_msg(&m.header, MACH_SEND_MSG, size, 0, 0, 0, 0), MACH_SEND_INVALID_RIGHT);
  mach_port_type_t ty;
  assert_int_equal(mach_port_type(SELF, so, &ty), KERN_INVALID_NAME);
  assert_int_equal(recv_msg(reply, &n, 0, 0), MACH_MSG_SUCCESS);
  assert_int_equal(n.header.msgh_id, MACH_NOTIFY_SEND_ONCE);
  assert_int_equal(mach_port_destroy(SELF, dest), KERN_SUCCESS);
  assert_int_equal(mach_port_destroy(SELF, reply), KERN_SUCCESS);
  assert_int_equal(mach_port_destroy(SELF, a), KERN_SUCCESS);
}

static void test_move_receive_right_with_messages_queued(void **state) {
  (void)state;
  mach_port_t carrier = new_port_with_send();
  mach_port_t p = new_port();
  for (int i = 0; i < 3; i++) send_to_own(p, 100 + i, i);
  test_msg_t m;
  assert_int_equal(recv_msg(p, &m, MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_SEQNO), 0),
                   MACH_MSG_SUCCESS);
  assert_int_equal(m.trailer.msgh_seqno, 0);
  mach_port_t names[1] = { p };
  mach_msg_type_name_t disps[1] = { MACH_MSG_TYPE_MOVE_RECEIVE };
  ports_msg_t pm;
  mach_msg_size_t size = fill_ports_msg(&pm, carrier, 1, names, disps);
  assert_int_equal(mach_msg(&pm.header, MACH_SEND_MSG, size, 0, 0, 0, 0), MACH_MSG_SUCCESS);
  mach_port_type_t ty;
  assert_int_equal(mach_port_type(SELF, p, &ty), KERN_INVALID_NAME);
  assert_int_equal(mach_msg(&pm.header, MACH_RCV_MSG, 0, sizeof pm, carrier, 0, 0),
                   MACH_MSG_SUCCESS);
  mach_port_t q = pm.ports[0].name;
  assert_int_equal(pm.ports[0].disposition, MACH_MSG_TYPE_PORT_RECEIVE);
  assert_int_equal(type_of(q), MACH_PORT_TYPE_RECEIVE);
  /* The queue travelled with the right, in order; sequence numbers start over at 0, as XNU's
   * ipc_port_clear_receiver resets them when a receive right leaves its space. */
  assert_int_equal(status_of(q).mps_msgcount, 2);
  for (int i = 1; i < 3; i++) {
    assert_int_equal(recv_msg(q, &m, MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_SEQNO), 0),
                     MACH_MSG_SUCCESS);
    assert_int_equal(m.header.msgh_id, 100 + i);
    assert_int_equal(m.header.msgh_local_port, q);
    assert_int_equal(m.trailer.msgh_seqno, (mach_port_seqno_t)(i - 1));
  }
  assert_int_equal(mach_port_destroy(SELF, q), KERN_SUCCESS);
  assert_int_equal(mach_port_destroy(SELF, carrier), KERN_SUCCESS);
}

struct rcv_arg {
  mach_port_t port;
  mach_msg_return_t mr;
};

static void *receiver_thread(void *p) {
  struct rcv_arg *a = p;
  test_msg_t m;
  a->mr = recv_msg(a->port, &m, 0, 0);
  return NULL;
}

static void test_receive_right_moved_while_a_thread_waits(void **state) {
  (void)state;
  mach_port_t carrier = new_port_with_send();
  mach_port_t p = new_port();
  struct rcv_arg arg = { p, 0 };
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, receiver_thread, &arg), 0);
  wait_for_sleepers(p, false, 1);
  mach_port_t names[1] = { p };
  mach_msg_type_name_t disps[1] = { MACH_MSG_TYPE_MOVE_RECEIVE };
  ports_msg_t pm;
  mach_msg_size_t size = fill_ports_msg(&pm, carrier, 1, names, disps);
  assert_int_equal(mach_msg(&pm.header, MACH_SEND_MSG, size, 0, 0, 0, 0), MACH_MSG_SUCCESS);
  pthread_join(th, NULL);
  assert_int_equal(arg.mr, MACH_RCV_PORT_DIED);
  assert_int_equal(mach_port_destroy(SELF, carrier), KERN_SUCCESS); /* destroys p in its queue */
}

static void test_receive_right_sent_to_itself_dies(void **state) {
  (void)state;
  mach_port_t p = new_port_with_send();
  mach_port_t names[1] = { p };
  mach_msg_type_name_t disps[1] = { MACH_MSG_TYPE_MOVE_RECEIVE };
  ports_msg_t pm;
  mach_msg_size_t size = fill_ports_msg(&pm, p, 1, names, disps);
  /* Mach accepts the send but the port can never be received again: it is destroyed. */
  assert_int_equal(mach_msg(&pm.header, MACH_SEND_MSG, size, 0, 0, 0, 0), MACH_MSG_SUCCESS);
  assert_int_equal(type_of(p), MACH_PORT_TYPE_DEAD_NAME);
  assert_int_equal(mach_port_deallocate(SELF, p), KERN_SUCCESS);
}

static void test_message_destroyed_with_its_port(void **state) {
  (void)state;
  mach_port_t p = new_port();
  mach_port_t reply = new_port();
  assert_int_equal(send_msg(p, MACH_MSG_TYPE_MAKE_SEND, reply, MACH_MSG_TYPE_MAKE_SEND_ONCE, 1, 0,
                            0, 0),
                   MACH_MSG_SUCCESS);
  assert_int_equal(mach_port_destroy(SELF, p), KERN_SUCCESS);
  /* The queued request died with p: its reply right tells the client (MIG_SERVER_DIED). */
  test_msg_t m;
  assert_int_equal(recv_msg(reply, &m, 0, 0), MACH_MSG_SUCCESS);
  assert_int_equal(m.header.msgh_id, MACH_NOTIFY_SEND_ONCE);
  assert_int_equal(mach_port_destroy(SELF, reply), KERN_SUCCESS);
}

static void *echo_server(void *arg) {
  mach_port_t port = *(mach_port_t *)arg;
  for (;;) {
    test_msg_t m;
    if (recv_msg(port, &m, 0, 0) != MACH_MSG_SUCCESS) return NULL;
    if (m.header.msgh_id == 0) return NULL;
    m.header.msgh_bits = MACH_MSGH_BITS(MACH_MSGH_BITS_REMOTE(m.header.msgh_bits), 0);
    m.header.msgh_local_port = MACH_PORT_NULL;
    m.header.msgh_id += 100;
    m.value *= 2;
    mach_msg(&m.header, MACH_SEND_MSG, offsetof(test_msg_t, trailer), 0, 0, 0, 0);
  }
}

static void test_rpc_between_threads(void **state) {
  (void)state;
  mach_port_t server = new_port_with_send();
  mach_port_t reply = new_port();
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, echo_server, &server), 0);
  for (int i = 1; i <= 200; i++) {
    test_msg_t m;
    memset(&m, 0, sizeof m);
    m.header.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE);
    m.header.msgh_remote_port = server;
    m.header.msgh_local_port = reply;
    m.header.msgh_id = 7;
    m.value = i;
    assert_int_equal(mach_msg(&m.header, MACH_SEND_MSG | MACH_RCV_MSG,
                              offsetof(test_msg_t, trailer), sizeof m, reply, 0, 0),
                     MACH_MSG_SUCCESS);
    assert_int_equal(m.header.msgh_id, 107);
    assert_int_equal(m.value, 2 * i);
  }
  assert_int_equal(send_msg(server, MACH_MSG_TYPE_COPY_SEND, 0, 0, 0, 0, 0, 0), MACH_MSG_SUCCESS);
  pthread_join(th, NULL);
  assert_int_equal(mach_port_destroy(SELF, server), KERN_SUCCESS);
  assert_int_equal(mach_port_destroy(SELF, reply), KERN_SUCCESS);
}

static void test_send_timeout_gives_the_message_back(void **state) {
  (void)state;
  mach_port_t p = new_port_with_send();
  mach_port_t reply = new_port();
  mach_port_limits_t lim = { 1 };
  assert_int_equal(mach_port_set_attributes(SELF, p, MACH_PORT_LIMITS_INFO, (mach_port_info_t)&lim,
                                            MACH_PORT_LIMITS_INFO_COUNT),
                   KERN_SUCCESS);
  send_to_own(p, 1, 1);
  test_msg_t m;
  memset(&m, 0, sizeof m);
  m.header.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE);
  m.header.msgh_remote_port = p;
  m.header.msgh_local_port = reply;
  m.header.msgh_id = 2;
  assert_int_equal(mach_msg(&m.header, MACH_SEND_MSG | MACH_SEND_TIMEOUT,
                            offsetof(test_msg_t, trailer), 0, 0, 0, 0),
                   MACH_SEND_TIMED_OUT);
  /* Pseudo-received: the rights the message carried are back with the sender. */
  assert_int_equal(m.header.msgh_remote_port, p);
  assert_int_equal(MACH_MSGH_BITS_REMOTE(m.header.msgh_bits), MACH_MSG_TYPE_PORT_SEND);
  assert_int_equal(refs_of(p, MACH_PORT_RIGHT_SEND), 2);
  assert_int_equal(type_of(m.header.msgh_local_port), MACH_PORT_TYPE_SEND_ONCE);
  /* As on Darwin, mach_msg_destroy releases the destination field only; the reply right in
   * msgh_local_port is the caller's to release. */
  mach_port_t so = m.header.msgh_local_port;
  mach_msg_destroy(&m.header);
  assert_int_equal(refs_of(p, MACH_PORT_RIGHT_SEND), 1);
  assert_int_equal(mach_port_deallocate(SELF, so), KERN_SUCCESS);
  assert_int_equal(recv_msg(reply, &m, 0, 0), MACH_MSG_SUCCESS);
  assert_int_equal(m.header.msgh_id, MACH_NOTIFY_SEND_ONCE);
  assert_int_equal(mach_port_destroy(SELF, p), KERN_SUCCESS);
  assert_int_equal(mach_port_destroy(SELF, reply), KERN_SUCCESS);
}

static void test_no_options_is_a_no_op(void **state) {
  (void)state;
  test_msg_t m;
  memset(&m, 0, sizeof m);
  assert_int_equal(mach_msg(&m.header, MACH_MSG_OPTION_NONE, 0, 0, 0, 0, 0), MACH_MSG_SUCCESS);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    LEAK_CHECKED_TEST(test_simple_round_trip_header),
    LEAK_CHECKED_TEST(test_header_errors_consume_nothing),
    LEAK_CHECKED_TEST(test_same_name_destination_and_reply),
    LEAK_CHECKED_TEST(test_every_disposition_in_descriptors),
    LEAK_CHECKED_TEST(test_body_error_destroys_what_was_taken),
    LEAK_CHECKED_TEST(test_move_receive_right_with_messages_queued),
    LEAK_CHECKED_TEST(test_receive_right_moved_while_a_thread_waits),
    LEAK_CHECKED_TEST(test_receive_right_sent_to_itself_dies),
    LEAK_CHECKED_TEST(test_message_destroyed_with_its_port),
    LEAK_CHECKED_TEST(test_rpc_between_threads),
    LEAK_CHECKED_TEST(test_send_timeout_gives_the_message_back),
    LEAK_CHECKED_TEST(test_no_options_is_a_no_op),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
