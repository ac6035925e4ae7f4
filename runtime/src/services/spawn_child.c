/* spawn_child.c: the child's side of openmig_posix_spawn (services/spawn_internal.h). Runs when
 * libmach starts in every program: it installs the server of this task's port (so that a task
 * port that leaves the process is served), and in a child started by openmig_posix_spawn it
 * sends the task port to the parent's one-time name, once, before main() runs. The variable is
 * removed first, so the child's own children never see it. runtime/CMakeLists.txt makes static
 * links keep this file (it is referenced by nothing). */
#include "services/spawn_internal.h"
#include "api/task_server_internal.h"
#include "transport/transport_machd.h"
#include "wire/machd_proto.h"

#include <stdlib.h>
#include <string.h>

/* How long the child's send may wait for room at the parent's port (it has room: one message). */
#define SPAWN_SEND_TIMEOUT_MS 10000u

static bool spawn_name_valid(const char *name) {
  size_t n = strnlen(name, SPAWN_NAME_MAX);
  if (n >= SPAWN_NAME_MAX || strncmp(name, SPAWN_NAME_PREFIX, strlen(SPAWN_NAME_PREFIX)) != 0)
    return false;
  for (const char *p = name + strlen(SPAWN_NAME_PREFIX); *p; p++)
    if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))) return false;
  return true;
}

void spawn_child_hand_over(void) {
  const char *value = getenv(SPAWN_ENV);
  if (!value) return;
  char name[SPAWN_NAME_MAX];
  bool valid = spawn_name_valid(value);
  if (valid) memcpy(name, value, strlen(value) + 1);
  unsetenv(SPAWN_ENV);
  if (!valid) return;
  mach_port_t parent = MACH_PORT_NULL;
  if (transport_machd_bootstrap(MACHD_BOOTSTRAP_LOOK_UP, name, MACH_PORT_NULL, &parent) !=
      KERN_SUCCESS)
    return; /* the parent gave up (its name is gone): it is told nothing, and times out */
  struct spawn_msg m;
  memset(&m, 0, sizeof m);
  m.header.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0) | MACH_MSGH_BITS_COMPLEX;
  m.header.msgh_size = sizeof m;
  m.header.msgh_remote_port = parent;
  m.header.msgh_id = SPAWN_MSG_ID;
  m.body.msgh_descriptor_count = 1;
  m.task.name = mach_task_self();
  m.task.disposition = MACH_MSG_TYPE_COPY_SEND;
  m.task.type = MACH_MSG_PORT_DESCRIPTOR;
  (void)mach_msg(&m.header, MACH_SEND_MSG | MACH_SEND_TIMEOUT, sizeof m, 0, MACH_PORT_NULL,
                 SPAWN_SEND_TIMEOUT_MS, MACH_PORT_NULL);
  (void)mach_port_deallocate(mach_task_self(), parent);
}

__attribute__((constructor)) static void spawn_child_init(void) {
  task_server_install();
  spawn_child_hand_over();
}
