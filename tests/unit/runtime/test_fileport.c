/* Fileports (<sys/fileport.h>, docs/fileports.md) in one process: a port holding a duplicate of a
 * descriptor, new descriptors made from it, errno codes, and the duplicate closed when the last
 * send right goes (deallocated, or destroyed inside a message). Nothing leaks. */
#include "core_test_util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <mach/semaphore.h>
#include <sys/fileport.h>

_Static_assert(sizeof(fileport_t) == sizeof(mach_port_t) && FILEPORT_NULL == 0, "fileport_t");

/* Whether the write end of the pipe whose read end is rd is closed everywhere (EOF). */
static bool writer_gone(int rd) {
  struct pollfd p = { .fd = rd, .events = POLLIN };
  return poll(&p, 1, 0) == 1 && (p.revents & POLLHUP);
}

/* A pipe (p) whose write end only a new fileport holds. */
static fileport_t pipe_writer_port(int p[2]) {
  assert_int_equal(pipe(p), 0);
  fileport_t port = FILEPORT_NULL;
  assert_int_equal(fileport_makeport(p[1], &port), 0);
  assert_int_equal(close(p[1]), 0);
  return port;
}

static void makefd_gives_a_new_descriptor_of_the_same_file(void **state) {
  (void)state;
  int p[2];
  assert_int_equal(pipe(p), 0);
  fileport_t port = FILEPORT_NULL;
  assert_int_equal(fileport_makeport(p[1], &port), 0);
  assert_true(MACH_PORT_VALID(port));
  assert_int_equal(type_of(port), MACH_PORT_TYPE_SEND);
  assert_int_equal(close(p[1]), 0); /* the port keeps the file open */
  assert_false(writer_gone(p[0]));
  int fd = fileport_makefd(port);
  assert_true(fd >= 0);
  assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
  assert_int_equal(write(fd, "x", 1), 1);
  char c = 0;
  assert_int_equal(read(p[0], &c, 1), 1);
  assert_int_equal(c, 'x');
  int fd2 = fileport_makefd(port); /* as many as asked, the right stays */
  assert_true(fd2 >= 0 && fd2 != fd);
  assert_int_equal(refs_of(port, MACH_PORT_RIGHT_SEND), 1);
  /* The port's descriptor and ours are independent: the file stays open while either is. */
  assert_int_equal(mach_port_deallocate(SELF, port), KERN_SUCCESS);
  assert_false(writer_gone(p[0]));
  close(fd);
  close(fd2);
  assert_true(writer_gone(p[0]));
  close(p[0]);
}

static void errno_codes(void **state) {
  (void)state;
  fileport_t port = 123;
  errno = 0;
  assert_int_equal(fileport_makeport(-1, &port), -1);
  assert_int_equal(errno, EBADF);
  assert_int_equal(port, FILEPORT_NULL);
  int p[2];
  assert_int_equal(pipe(p), 0);
  close(p[1]);
  assert_int_equal(fileport_makeport(p[1], &port), -1); /* closed */
  assert_int_equal(errno, EBADF);
  assert_int_equal(fileport_makeport(p[0], NULL), -1);
  assert_int_equal(errno, EFAULT);
  /* Not a fileport: no name, a receive right, a semaphore, a dead name. */
  errno = 0;
  assert_int_equal(fileport_makefd(FILEPORT_NULL), -1);
  assert_int_equal(errno, EINVAL);
  assert_int_equal(fileport_makefd(0x12345603), -1);
  assert_int_equal(errno, EINVAL);
  mach_port_t rcv = new_port();
  assert_int_equal(fileport_makefd(rcv), -1);
  assert_int_equal(errno, EINVAL);
  semaphore_t sem;
  assert_int_equal(semaphore_create(SELF, &sem, SYNC_POLICY_FIFO, 0), KERN_SUCCESS);
  assert_int_equal(fileport_makefd(sem), -1);
  assert_int_equal(errno, EINVAL);
  assert_int_equal(semaphore_destroy(SELF, sem), KERN_SUCCESS);
  mach_port_t send = new_port_with_send();
  assert_int_equal(mach_port_insert_right(SELF, send, send, MACH_MSG_TYPE_MAKE_SEND), KERN_SUCCESS);
  assert_int_equal(mach_port_mod_refs(SELF, send, MACH_PORT_RIGHT_RECEIVE, -1), KERN_SUCCESS);
  assert_int_equal(type_of(send), MACH_PORT_TYPE_DEAD_NAME);
  assert_int_equal(fileport_makefd(send), -1);
  assert_int_equal(errno, EINVAL);
  assert_int_equal(mach_port_deallocate(SELF, send), KERN_SUCCESS);
  assert_int_equal(mach_port_deallocate(SELF, send), KERN_SUCCESS);
  assert_int_equal(mach_port_mod_refs(SELF, rcv, MACH_PORT_RIGHT_RECEIVE, -1), KERN_SUCCESS);
  close(p[0]);
}

static void last_send_right_closes_the_descriptor(void **state) {
  (void)state;
  int p[2];
  fileport_t port = pipe_writer_port(p);
  assert_int_equal(mach_port_mod_refs(SELF, port, MACH_PORT_RIGHT_SEND, 2), KERN_SUCCESS);
  assert_int_equal(mach_port_deallocate(SELF, port), KERN_SUCCESS);
  assert_int_equal(mach_port_deallocate(SELF, port), KERN_SUCCESS);
  assert_false(writer_gone(p[0])); /* one reference left */
  assert_int_equal(mach_port_deallocate(SELF, port), KERN_SUCCESS);
  assert_true(writer_gone(p[0]));
  assert_int_equal(fileport_makefd(port), -1); /* the name is gone */
  assert_int_equal(errno, EINVAL);
  close(p[0]);
}

/* The send right travels in a message like any other; destroying the message that holds the
 * last one closes the descriptor. */
static void send_right_in_a_message(void **state) {
  (void)state;
  int p[2];
  fileport_t port = pipe_writer_port(p);
  mach_port_t q = new_port();
  send_right_to_own(q, port, MACH_MSG_TYPE_MOVE_SEND);
  assert_false(writer_gone(p[0])); /* in the message */
  port = recv_right_from(q);
  int fd = fileport_makefd(port);
  assert_true(fd >= 0);
  close(fd);
  /* Moved into the queue again, then the queue's port dies with the message in it. */
  send_right_to_own(q, port, MACH_MSG_TYPE_MOVE_SEND);
  assert_int_equal(mach_port_mod_refs(SELF, q, MACH_PORT_RIGHT_RECEIVE, -1), KERN_SUCCESS);
  assert_true(writer_gone(p[0]));
  close(p[0]);
}

/* fileport_moveport closes the caller's descriptor (the port's is the file's only one here);
 * fileport_movefd gives a descriptor and takes one user reference of the right. Failures leave
 * the descriptor and the right as they were. */
static void moving_a_descriptor_in_and_out(void **state) {
  (void)state;
  int p[2];
  assert_int_equal(pipe(p), 0);
  fileport_t port = FILEPORT_NULL;
  assert_int_equal(fileport_moveport(p[1], &port), 0);
  assert_int_equal(fcntl(p[1], F_GETFD), -1); /* closed */
  assert_int_equal(errno, EBADF);
  assert_false(writer_gone(p[0]));
  assert_int_equal(mach_port_mod_refs(SELF, port, MACH_PORT_RIGHT_SEND, 1), KERN_SUCCESS);
  int fd = fileport_movefd(port);
  assert_true(fd >= 0);
  mach_port_urefs_t refs = 0;
  assert_int_equal(mach_port_get_refs(SELF, port, MACH_PORT_RIGHT_SEND, &refs), KERN_SUCCESS);
  assert_int_equal(refs, 1);
  int fd2 = fileport_movefd(port); /* the last reference: the name goes */
  assert_true(fd2 >= 0);
  mach_port_type_t type;
  assert_int_equal(mach_port_type(SELF, port, &type), KERN_INVALID_NAME);
  assert_int_equal(write(fd, "a", 1), 1);
  assert_int_equal(write(fd2, "b", 1), 1);
  char got[2];
  assert_int_equal(read(p[0], got, 2), 2);
  assert_memory_equal(got, "ab", 2);
  close(fd);
  assert_false(writer_gone(p[0]));
  close(fd2);
  assert_true(writer_gone(p[0]));
  /* Failures: a bad descriptor, a name that is no fileport. */
  assert_int_equal(fileport_moveport(-1, &port), -1);
  assert_int_equal(errno, EBADF);
  assert_int_equal(fileport_moveport(p[0], NULL), -1);
  assert_int_equal(errno, EFAULT);
  assert_true(fcntl(p[0], F_GETFD) >= 0); /* left open */
  mach_port_t q = new_port();
  assert_int_equal(fileport_movefd(q), -1);
  assert_int_equal(errno, EINVAL);
  assert_int_equal(mach_port_mod_refs(SELF, q, MACH_PORT_RIGHT_RECEIVE, -1), KERN_SUCCESS);
  close(p[0]);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    LEAK_CHECKED_TEST(makefd_gives_a_new_descriptor_of_the_same_file),
    LEAK_CHECKED_TEST(errno_codes),
    LEAK_CHECKED_TEST(last_send_right_closes_the_descriptor),
    LEAK_CHECKED_TEST(send_right_in_a_message),
    LEAK_CHECKED_TEST(moving_a_descriptor_in_and_out),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
