/* taskport-broker: the Mozilla broker pattern (Windows' DuplicateHandle, done with Mach task
 * ports). The broker starts two children with openmig_posix_spawn, which gives it a send right
 * to each child's task port. Through those it makes a receive right in each child's space
 * (mach_port_allocate), takes a send right to it out (mach_port_extract_right) and puts that into
 * the other child's space (mach_port_insert_right). The children did nothing to get these
 * rights: each is only told the name of its receive right (on its stdin), and they talk directly.
 *   taskport-broker              the broker: prints what the children said, exits 0 if both did
 *   taskport-broker child NAME   a child (started by the broker) */
#define _POSIX_C_SOURCE 200809L /* dprintf */

#include <errno.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mach/mach.h>
#include <mach/openmig_spawn.h>

/* Where the broker puts each child's send right to the other child's port. */
#define PEER_NAME ((mach_port_name_t)0x00007f03)

struct note {
  mach_msg_header_t header;
  char text[64];
};

static int fail(const char *what, kern_return_t kr) {
  fprintf(stderr, "taskport-broker: %s: %s (%#x)\n", what, mach_error_string(kr), kr);
  return 1;
}

/* ---- a child ---- */

static int child(const char *me) {
  mach_port_name_t inbox = MACH_PORT_NULL;
  if (scanf("%x", &inbox) != 1) return fail("no name on stdin", KERN_FAILURE);
  struct note out = {0};
  out.header.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
  out.header.msgh_size = sizeof out;
  out.header.msgh_remote_port = PEER_NAME; /* put there by the broker */
  snprintf(out.text, sizeof out.text, "hello from %s (pid %d)", me, (int)getpid());
  kern_return_t kr = mach_msg(&out.header, MACH_SEND_MSG, sizeof out, 0, MACH_PORT_NULL,
                              MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL);
  if (kr != KERN_SUCCESS) return fail("send to the peer", kr);
  struct {
    struct note n;
    mach_msg_max_trailer_t trailer;
  } in = {0};
  kr = mach_msg(&in.n.header, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof in, inbox, 20000,
                MACH_PORT_NULL);
  if (kr != KERN_SUCCESS) return fail("receive from the peer", kr);
  in.n.text[sizeof in.n.text - 1] = '\0';
  printf("%s got: %s\n", me, in.n.text);
  fflush(stdout);
  return 0;
}

/* ---- the broker ---- */

struct kid {
  pid_t pid;
  mach_port_t task;  /* send right to the child's task port */
  int tell;          /* the child's stdin */
  mach_port_name_t inbox; /* its receive right, a name in its space */
};

static int start(struct kid *k, const char *name) {
  int fds[2];
  if (pipe(fds) != 0) return errno;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, fds[0], STDIN_FILENO);
  posix_spawn_file_actions_addclose(&fa, fds[1]);
  char *argv[] = {"taskport-broker", "child", (char *)name, NULL};
  int err = openmig_posix_spawn(&k->pid, &k->task, "/proc/self/exe", &fa, NULL, argv, NULL);
  posix_spawn_file_actions_destroy(&fa);
  close(fds[0]);
  k->tell = fds[1];
  return err;
}

/* A receive right in `owner`'s space, and a send right to it in `peer`'s space at PEER_NAME. */
static kern_return_t connect_rights(struct kid *owner, struct kid *peer) {
  kern_return_t kr = mach_port_allocate(owner->task, MACH_PORT_RIGHT_RECEIVE, &owner->inbox);
  if (kr != KERN_SUCCESS) return kr;
  mach_port_t send = MACH_PORT_NULL;
  mach_msg_type_name_t type;
  kr = mach_port_extract_right(owner->task, owner->inbox, MACH_MSG_TYPE_MAKE_SEND, &send, &type);
  if (kr != KERN_SUCCESS) return kr;
  return mach_port_insert_right(peer->task, PEER_NAME, send, MACH_MSG_TYPE_MOVE_SEND);
}

static int broker(void) {
  struct kid a = {0}, b = {0};
  int err = start(&a, "A");
  if (err == 0) err = start(&b, "B");
  if (err != 0) {
    fprintf(stderr, "taskport-broker: openmig_posix_spawn: %s\n", strerror(err));
    return 1;
  }
  kern_return_t kr = connect_rights(&a, &b);
  if (kr == KERN_SUCCESS) kr = connect_rights(&b, &a);
  if (kr != KERN_SUCCESS) return fail("giving the children their rights", kr);
  dprintf(a.tell, "%x\n", a.inbox);
  dprintf(b.tell, "%x\n", b.inbox);
  close(a.tell);
  close(b.tell);
  int sa = 0, sb = 0;
  waitpid(a.pid, &sa, 0);
  waitpid(b.pid, &sb, 0);
  mach_port_deallocate(mach_task_self(), a.task);
  mach_port_deallocate(mach_task_self(), b.task);
  bool ok = WIFEXITED(sa) && WEXITSTATUS(sa) == 0 && WIFEXITED(sb) && WEXITSTATUS(sb) == 0;
  printf("%s\n", ok ? "ok: the children talked directly" : "FAIL: a child failed");
  return ok ? 0 : 1;
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "child") == 0) return child(argv[2]);
  return broker();
}
