/* spawn.c: openmig_posix_spawn (<mach/openmig_spawn.h>), the parent's side. The parent makes a
 * receive right, binds it in machd's name service under a one-time name of 32 random hex digits,
 * starts the child with that name in its environment, and takes from the right the one message
 * whose sender machd reports as the child's pid (the audit trailer, which the kernel's
 * credentials fill): the child's task port. Anything else sent there is destroyed. The name is
 * unbound and the right destroyed before the call returns, so nobody can reach it afterwards.
 * Who may hold a task port: docs/security.md. */
#include "services/spawn_internal.h"
#include "transport/transport_machd.h"
#include "wire/machd_proto.h"

#include <mach/openmig_spawn.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

/* How long the parent waits for the child's port, and how often it looks whether the child
 * ended meanwhile. */
#define SPAWN_WAIT_MS 30000u
#define SPAWN_POLL_MS 50u

static bool child_ended(pid_t pid) {
  siginfo_t si;
  memset(&si, 0, sizeof si);
  if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) != 0) return errno == ECHILD;
  return si.si_pid == pid;
}

static uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* The child's message: its shape, and its sender as machd reports it. */
static bool from_child(const struct spawn_msg *m, const mach_msg_audit_trailer_t *t, pid_t pid) {
  return m->header.msgh_id == SPAWN_MSG_ID && m->header.msgh_size == sizeof *m &&
         (m->header.msgh_bits & MACH_MSGH_BITS_COMPLEX) && m->body.msgh_descriptor_count == 1 &&
         m->task.type == MACH_MSG_PORT_DESCRIPTOR &&
         m->task.disposition == MACH_MSG_TYPE_PORT_SEND && MACH_PORT_VALID(m->task.name) &&
         t->msgh_trailer_size >= sizeof *t && t->msgh_audit.val[5] == (unsigned)pid;
}

int spawn_accept_task_port(mach_port_t port, pid_t pid, unsigned timeout_ms, mach_port_t *task,
                           unsigned *refused) {
  uint64_t deadline = now_ms() + timeout_ms;
  struct {
    struct spawn_msg m;
    mach_msg_audit_trailer_t trailer;
    uint8_t spare[256]; /* anything larger is destroyed on receipt */
  } buf;
  for (;;) {
    memset(&buf, 0, sizeof buf);
    mach_msg_return_t mr =
        mach_msg(&buf.m.header,
                 MACH_RCV_MSG | MACH_RCV_TIMEOUT |
                     MACH_RCV_TRAILER_TYPE(MACH_MSG_TRAILER_FORMAT_0) |
                     MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_AUDIT),
                 0, sizeof buf, port, SPAWN_POLL_MS, MACH_PORT_NULL);
    if (mr == MACH_MSG_SUCCESS) {
      const mach_msg_audit_trailer_t *t =
          (const void *)((const uint8_t *)&buf + buf.m.header.msgh_size);
      if (buf.m.header.msgh_size == sizeof buf.m && from_child(&buf.m, t, pid)) {
        *task = buf.m.task.name;
        return 0;
      }
      mach_msg_destroy(&buf.m.header);
      if (refused) (*refused)++;
    } else if (mr == MACH_RCV_TOO_LARGE) {
      if (refused) (*refused)++; /* destroyed on receipt */
    } else if (mr != MACH_RCV_TIMED_OUT && mr != MACH_RCV_INTERRUPTED) {
      return EIO;
    }
    if (child_ended(pid)) return ESRCH;
    if (now_ms() >= deadline) return ETIMEDOUT;
  }
}

/* envp without any SPAWN_ENV, and SPAWN_ENV=name at the end; NULL when out of memory. */
static char **child_environment(char *const envp[], const char *name, char **entry) {
  size_t n = 0;
  while (envp[n]) n++;
  char **env = calloc(n + 2, sizeof *env);
  size_t len = strlen(SPAWN_ENV) + 1 + strlen(name) + 1;
  *entry = malloc(len);
  if (!env || !*entry) {
    free(env);
    free(*entry);
    *entry = NULL;
    return NULL;
  }
  snprintf(*entry, len, "%s=%s", SPAWN_ENV, name);
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    if (strncmp(envp[i], SPAWN_ENV "=", strlen(SPAWN_ENV) + 1) != 0) env[k++] = envp[i];
  env[k++] = *entry;
  env[k] = NULL;
  return env;
}

static bool random_name(char name[SPAWN_NAME_MAX]) {
  unsigned char r[16];
  if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r) return false;
  int at = snprintf(name, SPAWN_NAME_MAX, "%s", SPAWN_NAME_PREFIX);
  for (size_t i = 0; i < sizeof r; i++) at += snprintf(name + at, SPAWN_NAME_MAX - (size_t)at, "%02x", r[i]);
  return true;
}

int openmig_posix_spawn(pid_t *pid, mach_port_t *task, const char *path,
                        const posix_spawn_file_actions_t *file_actions,
                        const posix_spawnattr_t *attrp, char *const argv[], char *const envp[]) {
  if (!pid || !task || !path) return EINVAL;
  *task = MACH_PORT_NULL;
  mach_port_t self = mach_task_self(), port = MACH_PORT_NULL;
  char name[SPAWN_NAME_MAX];
  if (!random_name(name)) return errno ? errno : EIO;
  if (mach_port_allocate(self, MACH_PORT_RIGHT_RECEIVE, &port) != KERN_SUCCESS) return ENOMEM;
  if (mach_port_insert_right(self, port, port, MACH_MSG_TYPE_MAKE_SEND) != KERN_SUCCESS ||
      transport_machd_bootstrap(MACHD_BOOTSTRAP_REGISTER, name, port, NULL) != KERN_SUCCESS) {
    (void)mach_port_destruct(self, port, -1, 0);
    return ENOTCONN;
  }
  (void)mach_port_deallocate(self, port); /* machd holds its own send right now */
  char *entry = NULL;
  char **env = child_environment(envp ? envp : environ, name, &entry);
  int err = env ? posix_spawn(pid, path, file_actions, attrp, argv, env) : ENOMEM;
  free(env);
  free(entry);
  if (err == 0) err = spawn_accept_task_port(port, *pid, SPAWN_WAIT_MS, task, NULL);
  (void)transport_machd_bootstrap(MACHD_BOOTSTRAP_UNREGISTER, name, MACH_PORT_NULL, NULL);
  (void)mach_port_mod_refs(self, port, MACH_PORT_RIGHT_RECEIVE, -1);
  return err;
}
