/* Readiness descriptors (<mach/openmig_fd.h>, docs/event-loops.md): a port's or port set's
 * descriptor is readable exactly while a message is queued (level-triggered), from local
 * threads, in poll and epoll; a set of 10,000 ports needs one descriptor; a member that dies
 * takes its messages' readiness with it; a destroyed or moved receive right and a destroyed set
 * hang up (readable for good); the port source helper runs its handler and serves MIG-style
 * requests without blocking. Nothing leaks (ports, sets, messages, descriptors). */
#include "core_test_util.h"

#include <dirent.h>
#include <poll.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <mach/openmig_fd.h>

static bool readable(int fd) {
  struct pollfd p = { .fd = fd, .events = POLLIN };
  int n = poll(&p, 1, 0);
  assert_true(n >= 0);
  return n == 1 && (p.revents & POLLIN);
}

static int open_fds(void) {
  int n = 0;
  DIR *d = opendir("/proc/self/fd");
  assert_non_null(d);
  while (readdir(d)) n++;
  closedir(d);
  return n;
}

static int fd_baseline;
static int fd_setup(void **state) {
  fd_baseline = open_fds();
  return leak_setup(state);
}
static int fd_teardown(void **state) {
  assert_int_equal(open_fds(), fd_baseline); /* every watch's eventfd closed */
  return leak_teardown(state);
}
#define FD_TEST(f) cmocka_unit_test_setup_teardown(f, fd_setup, fd_teardown)

static int get_fd(mach_port_t name) {
  int fd = -1;
  assert_int_equal(mach_port_get_fd(SELF, name, &fd), KERN_SUCCESS);
  assert_true(fd >= 0);
  return fd;
}

static void destroy(mach_port_t name) { assert_int_equal(mach_port_destroy(SELF, name), KERN_SUCCESS); }

static void bad_arguments_get_darwin_codes(void **state) {
  (void)state;
  int fd = 7;
  assert_int_equal(mach_port_get_fd(SELF, MACH_PORT_NULL, &fd), KERN_INVALID_NAME);
  assert_int_equal(fd, -1);
  assert_int_equal(mach_port_get_fd(SELF, 0x7777703, &fd), KERN_INVALID_NAME);
  mach_port_t p = new_port_with_send();
  mach_port_t send_only = MACH_PORT_NULL;
  mach_msg_type_name_t t;
  assert_int_equal(mach_port_extract_right(SELF, p, MACH_MSG_TYPE_MAKE_SEND_ONCE, &send_only, &t),
                   KERN_SUCCESS);
  assert_int_equal(mach_port_get_fd(SELF, send_only, &fd), KERN_INVALID_RIGHT);
  assert_int_equal(mach_port_get_fd(SELF, p, NULL), KERN_INVALID_ARGUMENT);
  mach_port_t dead;
  assert_int_equal(mach_port_allocate(SELF, MACH_PORT_RIGHT_DEAD_NAME, &dead), KERN_SUCCESS);
  assert_int_equal(mach_port_get_fd(SELF, dead, &fd), KERN_INVALID_RIGHT);
  assert_int_equal(mach_port_get_fd(0x12345603, p, &fd), MACH_SEND_INVALID_DEST);
  assert_int_equal(mach_port_deallocate(SELF, dead), KERN_SUCCESS);
  assert_int_equal(mach_port_deallocate(SELF, send_only), KERN_SUCCESS); /* send-once notification */
  test_msg_t m;
  assert_int_equal(recv_msg(p, &m, MACH_RCV_TIMEOUT, 0), MACH_MSG_SUCCESS);
  assert_int_equal(m.header.msgh_id, MACH_NOTIFY_SEND_ONCE);
  destroy(p);
}

/* Readable while at least one message is queued: two messages, two receives. */
static void port_descriptor_is_level_triggered(void **state) {
  (void)state;
  mach_port_t p = new_port();
  int fd = get_fd(p);
  int fd2 = get_fd(p); /* a second descriptor shares the state */
  assert_int_not_equal(fd, fd2);
  assert_false(readable(fd));
  send_to_own(p, 1, 10);
  send_to_own(p, 2, 20);
  assert_true(readable(fd));
  assert_true(readable(fd));  /* polling does not consume */
  assert_true(readable(fd2));
  test_msg_t m;
  assert_int_equal(recv_msg(p, &m, 0, 0), MACH_MSG_SUCCESS);
  assert_int_equal(m.value, 10);
  assert_true(readable(fd));
  assert_int_equal(recv_msg(p, &m, 0, 0), MACH_MSG_SUCCESS);
  assert_int_equal(m.value, 20);
  assert_false(readable(fd));
  assert_false(readable(fd2));
  /* A message received with MACH_RCV_LARGE into a small buffer stays queued: still readable. */
  send_to_own(p, 3, 30);
  mach_msg_header_t small;
  assert_int_equal(mach_msg(&small, MACH_RCV_MSG | MACH_RCV_LARGE | MACH_RCV_TIMEOUT, 0, sizeof small, p,
                            0, MACH_PORT_NULL),
                   MACH_RCV_TOO_LARGE);
  assert_true(readable(fd));
  assert_int_equal(recv_msg(p, &m, 0, 0), MACH_MSG_SUCCESS);
  assert_false(readable(fd));
  close(fd);
  close(fd2);
  destroy(p);
}

/* Messages queued before the descriptor was asked for make it readable at once. */
static void descriptor_made_after_the_messages_is_readable(void **state) {
  (void)state;
  mach_port_t p = new_port();
  mach_port_t set;
  assert_int_equal(mach_port_allocate(SELF, MACH_PORT_RIGHT_PORT_SET, &set), KERN_SUCCESS);
  send_to_own(p, 1, 1);
  assert_int_equal(mach_port_move_member(SELF, p, set), KERN_SUCCESS);
  int pfd = get_fd(p), sfd = get_fd(set);
  assert_true(readable(pfd));
  assert_true(readable(sfd));
  /* Out of the set: the set is no longer readable, the port still is. */
  assert_int_equal(mach_port_move_member(SELF, p, MACH_PORT_NULL), KERN_SUCCESS);
  assert_false(readable(sfd));
  assert_true(readable(pfd));
  /* Back in: readable again. */
  assert_int_equal(mach_port_insert_member(SELF, p, set), KERN_SUCCESS);
  assert_true(readable(sfd));
  test_msg_t m;
  assert_int_equal(recv_msg(set, &m, 0, 0), MACH_MSG_SUCCESS);
  assert_false(readable(sfd));
  assert_false(readable(pfd));
  close(pfd);
  close(sfd);
  destroy(p);
  destroy(set);
}

#define MANY 10000

/* 10,000 ports in one set, one descriptor: readable while any member has a message, and every
 * message is received exactly once through the loop. */
static void ten_thousand_ports_in_one_set(void **state) {
  (void)state;
  static mach_port_t ports[MANY];
  mach_port_t set;
  assert_int_equal(mach_port_allocate(SELF, MACH_PORT_RIGHT_PORT_SET, &set), KERN_SUCCESS);
  for (int i = 0; i < MANY; i++) {
    ports[i] = new_port();
    assert_int_equal(mach_port_move_member(SELF, ports[i], set), KERN_SUCCESS);
  }
  int fd = get_fd(set);
  int ep = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event ev = { .events = EPOLLIN, .data.u32 = 42 };
  assert_int_equal(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev), 0);
  struct epoll_event out[4];
  assert_int_equal(epoll_wait(ep, out, 4, 0), 0);

  /* One message on one member in the middle. */
  send_to_own(ports[7777], 7777, 7777);
  assert_int_equal(epoll_wait(ep, out, 4, 0), 1);
  assert_int_equal(out[0].data.u32, 42);
  test_msg_t m;
  assert_int_equal(recv_msg(set, &m, MACH_RCV_TIMEOUT, 0), MACH_MSG_SUCCESS);
  assert_int_equal(m.value, 7777);
  assert_int_equal(m.header.msgh_local_port, ports[7777]);
  assert_int_equal(epoll_wait(ep, out, 4, 0), 0);

  /* One message on every member (every third one gets two), drained through the loop. */
  unsigned sent = 0;
  for (int i = 0; i < MANY; i++) {
    send_to_own(ports[i], i, i);
    sent++;
    if (i % 3 == 0) {
      send_to_own(ports[i], i, i);
      sent++;
    }
  }
  static unsigned char seen[MANY];
  memset(seen, 0, sizeof seen);
  unsigned received = 0, wakeups = 0;
  while (epoll_wait(ep, out, 4, 0) == 1) {
    wakeups++;
    while (recv_msg(set, &m, MACH_RCV_TIMEOUT, 0) == MACH_MSG_SUCCESS) {
      assert_true(m.value >= 0 && m.value < MANY);
      assert_int_equal(m.header.msgh_local_port, ports[m.value]);
      seen[m.value]++;
      received++;
    }
  }
  assert_int_equal(received, sent);
  assert_int_equal(wakeups, 1); /* the loop drained everything in one go */
  for (int i = 0; i < MANY; i++) assert_int_equal(seen[i], i % 3 == 0 ? 2 : 1);
  assert_false(readable(fd));

  close(ep);
  close(fd);
  for (int i = 0; i < MANY; i++) destroy(ports[i]);
  destroy(set);
}

/* A member that dies with messages queued: the set is no longer readable on its account, the
 * other members still wake the loop, and the dead member's name is gone. */
static void set_with_a_dead_member(void **state) {
  (void)state;
  mach_port_t set, a = new_port_with_send(), b = new_port();
  assert_int_equal(mach_port_allocate(SELF, MACH_PORT_RIGHT_PORT_SET, &set), KERN_SUCCESS);
  assert_int_equal(mach_port_move_member(SELF, a, set), KERN_SUCCESS);
  assert_int_equal(mach_port_move_member(SELF, b, set), KERN_SUCCESS);
  int fd = get_fd(set);
  int afd = get_fd(a);
  send_to_own(a, 1, 1);
  send_to_own(a, 2, 2);
  assert_true(readable(fd));
  /* a dies: its receive right is destroyed, its send right becomes a dead name. */
  assert_int_equal(mach_port_mod_refs(SELF, a, MACH_PORT_RIGHT_RECEIVE, -1), KERN_SUCCESS);
  assert_int_equal(type_of(a), MACH_PORT_TYPE_DEAD_NAME);
  assert_false(readable(fd));
  assert_true(readable(afd)); /* a's own descriptor hangs up */
  test_msg_t m;
  assert_int_equal(recv_msg(a, &m, MACH_RCV_TIMEOUT, 0), MACH_RCV_INVALID_NAME);
  assert_int_equal(recv_msg(set, &m, MACH_RCV_TIMEOUT, 0), MACH_RCV_TIMED_OUT);
  /* The set still works for b. */
  send_to_own(b, 3, 3);
  assert_true(readable(fd));
  assert_int_equal(recv_msg(set, &m, MACH_RCV_TIMEOUT, 0), MACH_MSG_SUCCESS);
  assert_int_equal(m.value, 3);
  assert_false(readable(fd));
  assert_true(readable(afd)); /* for good */
  close(afd);
  close(fd);
  assert_int_equal(mach_port_deallocate(SELF, a), KERN_SUCCESS);
  destroy(b);
  destroy(set);
}

/* A destroyed set and a receive right moved out of its name hang up. */
static void destroyed_set_and_moved_receive_right_hang_up(void **state) {
  (void)state;
  mach_port_t set, p = new_port();
  assert_int_equal(mach_port_allocate(SELF, MACH_PORT_RIGHT_PORT_SET, &set), KERN_SUCCESS);
  assert_int_equal(mach_port_move_member(SELF, p, set), KERN_SUCCESS);
  int sfd = get_fd(set), pfd = get_fd(p);
  destroy(set);
  assert_true(readable(sfd));
  test_msg_t m;
  assert_int_equal(recv_msg(set, &m, MACH_RCV_TIMEOUT, 0), MACH_RCV_INVALID_NAME);
  assert_false(readable(pfd));
  mach_port_t moved;
  mach_msg_type_name_t t;
  assert_int_equal(mach_port_extract_right(SELF, p, MACH_MSG_TYPE_MOVE_RECEIVE, &moved, &t), KERN_SUCCESS);
  assert_true(readable(pfd));
  /* The right is back under a new name: a new descriptor follows it. */
  mach_port_t again = MACH_PORT_NULL;
  assert_int_equal(mach_port_allocate(SELF, MACH_PORT_RIGHT_DEAD_NAME, &again), KERN_SUCCESS);
  assert_int_equal(mach_port_deallocate(SELF, again), KERN_SUCCESS);
  assert_int_equal(mach_port_insert_right(SELF, again, moved, MACH_MSG_TYPE_PORT_RECEIVE), KERN_SUCCESS);
  int nfd = get_fd(again);
  assert_false(readable(nfd));
  send_to_own(again, 1, 1);
  assert_true(readable(nfd));
  close(sfd);
  close(pfd);
  close(nfd);
  destroy(again);
}

struct sender_arg {
  mach_port_t port;
  int count;
};

static void *sender(void *arg) {
  struct sender_arg *a = arg;
  for (int i = 0; i < a->count; i++) {
    assert_int_equal(send_msg(a->port, MACH_MSG_TYPE_COPY_SEND, MACH_PORT_NULL, 0, i, i, 0, 0),
                     MACH_MSG_SUCCESS);
    if (i % 16 == 0) sleep_ms(1);
  }
  return NULL;
}

/* A loop sleeping in epoll_wait is woken by senders on other threads; with a queue limit the
 * senders block until the loop receives. Every message arrives once, in order per sender. */
static void epoll_loop_woken_by_other_threads(void **state) {
  (void)state;
  enum { THREADS = 3, EACH = 400 };
  mach_port_t set, ports[THREADS];
  assert_int_equal(mach_port_allocate(SELF, MACH_PORT_RIGHT_PORT_SET, &set), KERN_SUCCESS);
  pthread_t th[THREADS];
  struct sender_arg args[THREADS];
  for (int i = 0; i < THREADS; i++) {
    ports[i] = new_port_with_send();
    assert_int_equal(mach_port_move_member(SELF, ports[i], set), KERN_SUCCESS);
  }
  int fd = get_fd(set);
  int ep = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event ev = { .events = EPOLLIN };
  assert_int_equal(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev), 0);
  for (int i = 0; i < THREADS; i++) {
    args[i] = (struct sender_arg){ ports[i], EACH };
    pthread_create(&th[i], NULL, sender, &args[i]);
  }
  int next[THREADS] = { 0 };
  int received = 0, empty = 0;
  while (received < THREADS * EACH) {
    struct epoll_event out;
    int n = epoll_wait(ep, &out, 1, 20000); /* "forever": a hang fails, never a slow run */
    assert_int_equal(n, 1);
    test_msg_t m;
    mach_msg_return_t mr = recv_msg(set, &m, MACH_RCV_TIMEOUT, 0);
    if (mr == MACH_RCV_TIMED_OUT) { /* a sender's late write (openmig_fd.h): rare, bounded */
      empty++;
      assert_true(empty <= received + 1);
      continue;
    }
    assert_int_equal(mr, MACH_MSG_SUCCESS);
    int who = -1;
    for (int i = 0; i < THREADS; i++)
      if (m.header.msgh_local_port == ports[i]) who = i;
    assert_true(who >= 0);
    assert_int_equal(m.value, next[who]);
    next[who]++;
    received++;
  }
  for (int i = 0; i < THREADS; i++) pthread_join(th[i], NULL);
  assert_false(readable(fd));
  close(ep);
  close(fd);
  for (int i = 0; i < THREADS; i++) destroy(ports[i]);
  destroy(set);
}

/* A queue limit of 0: a blocked sender makes the port readable (a receive admits it), and a
 * sender that gives up (timeout) takes the readiness back. */
static void rendezvous_sender_counts_as_ready(void **state) {
  (void)state;
  mach_port_t p = new_port_with_send();
  mach_port_limits_t lim = { 0 };
  assert_int_equal(mach_port_set_attributes(SELF, p, MACH_PORT_LIMITS_INFO, (mach_port_info_t)&lim,
                                            MACH_PORT_LIMITS_INFO_COUNT),
                   KERN_SUCCESS);
  int fd = get_fd(p);
  assert_int_equal(send_msg(p, MACH_MSG_TYPE_COPY_SEND, MACH_PORT_NULL, 0, 1, 1, MACH_SEND_TIMEOUT, 30),
                   MACH_SEND_TIMED_OUT);
  assert_false(readable(fd));
  struct sender_arg a = { p, 1 };
  pthread_t th;
  pthread_create(&th, NULL, sender, &a);
  wait_for_sleepers(p, true, 1);
  struct pollfd pfd = { .fd = fd, .events = POLLIN };
  assert_int_equal(poll(&pfd, 1, 20000), 1); /* the sender's thread writes it after its unlock */
  test_msg_t m;
  assert_int_equal(recv_msg(p, &m, MACH_RCV_TIMEOUT, 0), MACH_MSG_SUCCESS);
  pthread_join(th, NULL);
  assert_false(readable(fd));
  close(fd);
  destroy(p);
}

/* ---- the port source helper ---- */

static int handler_calls;

static void count_handler(openmig_port_source_t source, void *context) {
  handler_calls++;
  assert_ptr_equal(context, &handler_calls);
  test_msg_t m;
  /* Receives one message per call: the descriptor stays readable for the rest. */
  assert_int_equal(recv_msg(openmig_port_source_get_port(source), &m, MACH_RCV_TIMEOUT, 0),
                   MACH_MSG_SUCCESS);
}

static void source_fires_once_per_readable_poll(void **state) {
  (void)state;
  mach_port_t p = new_port();
  openmig_port_source_t src;
  assert_int_equal(openmig_port_source_create(p, NULL, NULL, &src), KERN_INVALID_ARGUMENT);
  assert_int_equal(openmig_port_source_create(MACH_PORT_NULL, count_handler, NULL, &src), KERN_INVALID_NAME);
  assert_int_equal(openmig_port_source_create(p, count_handler, &handler_calls, &src), KERN_SUCCESS);
  assert_int_equal(openmig_port_source_get_port(src), p);
  assert_ptr_equal(openmig_port_source_get_context(src), &handler_calls);
  handler_calls = 0;
  assert_int_equal(openmig_port_source_fire(src), KERN_SUCCESS); /* nothing queued: not called */
  assert_int_equal(handler_calls, 0);
  send_to_own(p, 1, 1);
  send_to_own(p, 2, 2);
  int fires = 0;
  while (readable(openmig_port_source_get_fd(src))) {
    assert_int_equal(openmig_port_source_fire(src), KERN_SUCCESS);
    fires++;
  }
  assert_int_equal(fires, 2);
  assert_int_equal(handler_calls, 2);
  destroy(p);
  assert_true(readable(openmig_port_source_get_fd(src)));
  assert_int_equal(openmig_port_source_fire(src), KERN_TERMINATED);
  assert_int_equal(handler_calls, 2);
  openmig_port_source_destroy(src);
}

/* A MIG-style demux: request id 500 with an int, reply 600 with the int doubled (RetCode 0);
 * id 501 answers with an error; other ids are unknown (MIG_BAD_ID). */
typedef struct {
  mach_msg_header_t Head;
  NDR_record_t NDR;
  int32_t value;
} dbl_request_t;
typedef struct {
  mach_msg_header_t Head;
  NDR_record_t NDR;
  kern_return_t RetCode;
  int32_t value;
} dbl_reply_t;

static int demux_calls;

static boolean_t double_demux(mach_msg_header_t *in, mach_msg_header_t *out) {
  demux_calls++;
  mig_reply_setup(in, out);
  dbl_reply_t *r = (dbl_reply_t *)out;
  if (in->msgh_id == 500) {
    r->Head.msgh_size = sizeof *r;
    r->RetCode = KERN_SUCCESS;
    r->value = ((dbl_request_t *)in)->value * 2;
    return TRUE;
  }
  if (in->msgh_id == 501) {
    r->RetCode = KERN_INVALID_VALUE;
    return TRUE;
  }
  return FALSE;
}

static void send_request(mach_port_t service, mach_port_t reply, mach_msg_id_t id, int32_t value) {
  dbl_request_t req;
  memset(&req, 0, sizeof req);
  req.Head.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE);
  req.Head.msgh_size = sizeof req;
  req.Head.msgh_remote_port = service;
  req.Head.msgh_local_port = reply;
  req.Head.msgh_id = id;
  req.NDR = NDR_record;
  req.value = value;
  assert_int_equal(mach_msg(&req.Head, MACH_SEND_MSG, sizeof req, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL),
                   MACH_MSG_SUCCESS);
}

struct mig_ctx {
  unsigned limit;
  mach_msg_return_t last;
};

static void mig_handler(openmig_port_source_t source, void *context) {
  struct mig_ctx *c = context;
  c->last = openmig_port_source_mig_server(source, double_demux, sizeof(dbl_request_t), 0, c->limit);
}

static void source_serves_mig_requests_without_blocking(void **state) {
  (void)state;
  mach_port_t service = new_port(), reply = new_port();
  mach_port_limits_t lim = { 16 };
  assert_int_equal(mach_port_set_attributes(SELF, service, MACH_PORT_LIMITS_INFO, (mach_port_info_t)&lim,
                                            MACH_PORT_LIMITS_INFO_COUNT),
                   KERN_SUCCESS);
  assert_int_equal(mach_port_set_attributes(SELF, reply, MACH_PORT_LIMITS_INFO, (mach_port_info_t)&lim,
                                            MACH_PORT_LIMITS_INFO_COUNT),
                   KERN_SUCCESS);
  struct mig_ctx ctx = { .limit = 3, .last = 12345 };
  openmig_port_source_t src;
  assert_int_equal(openmig_port_source_create(service, mig_handler, &ctx, &src), KERN_SUCCESS);
  demux_calls = 0;
  for (int i = 0; i < 5; i++) send_request(service, reply, 500, i);
  send_request(service, reply, 501, 0);
  send_request(service, reply, 999, 0);
  /* 7 requests, at most 3 per firing: three firings, then not readable. */
  int fires = 0;
  while (readable(openmig_port_source_get_fd(src))) {
    assert_int_equal(openmig_port_source_fire(src), KERN_SUCCESS);
    assert_int_equal(ctx.last, MACH_MSG_SUCCESS);
    fires++;
  }
  assert_int_equal(fires, 3);
  assert_int_equal(demux_calls, 7);
  for (int i = 0; i < 7; i++) {
    struct {
      dbl_reply_t r;
      mach_msg_max_trailer_t t;
    } m;
    assert_int_equal(mach_msg(&m.r.Head, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof m, reply, 0, MACH_PORT_NULL),
                     MACH_MSG_SUCCESS);
    if (i < 5) {
      assert_int_equal(m.r.Head.msgh_id, 600);
      assert_int_equal(m.r.RetCode, KERN_SUCCESS);
      assert_int_equal(m.r.value, 2 * i);
    } else {
      assert_int_equal(m.r.Head.msgh_id, i == 5 ? 601 : 1099);
      assert_int_equal(m.r.RetCode, i == 5 ? KERN_INVALID_VALUE : MIG_BAD_ID);
    }
  }
  /* No limit: one firing serves everything; an empty queue returns at once. */
  ctx.limit = 0;
  for (int i = 0; i < 4; i++) send_request(service, reply, 500, i);
  assert_int_equal(openmig_port_source_fire(src), KERN_SUCCESS);
  assert_false(readable(openmig_port_source_get_fd(src)));
  assert_int_equal(openmig_port_source_mig_server(src, double_demux, sizeof(dbl_request_t), 0, 0),
                   MACH_MSG_SUCCESS);
  assert_int_equal(status_of(reply).mps_msgcount, 4);
  destroy(service);
  assert_int_equal(openmig_port_source_mig_server(src, double_demux, sizeof(dbl_request_t), 0, 0),
                   MACH_RCV_INVALID_NAME);
  openmig_port_source_destroy(src);
  destroy(reply);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    FD_TEST(bad_arguments_get_darwin_codes),
    FD_TEST(port_descriptor_is_level_triggered),
    FD_TEST(descriptor_made_after_the_messages_is_readable),
    FD_TEST(ten_thousand_ports_in_one_set),
    FD_TEST(set_with_a_dead_member),
    FD_TEST(destroyed_set_and_moved_receive_right_hang_up),
    FD_TEST(epoll_loop_woken_by_other_threads),
    FD_TEST(rendezvous_sender_counts_as_ready),
    FD_TEST(source_fires_once_per_readable_poll),
    FD_TEST(source_serves_mig_requests_without_blocking),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
