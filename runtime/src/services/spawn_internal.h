/* What a parent started with openmig_posix_spawn (services/spawn.c) and its child's runtime
 * (services/spawn_child.c) agree on: the child finds a one-time bootstrap name in its
 * environment and sends its task port there, in one message. */
#ifndef OPENMIG_SERVICES_SPAWN_INTERNAL_H
#define OPENMIG_SERVICES_SPAWN_INTERNAL_H

#include <mach/mach.h>

#include <stdbool.h>
#include <sys/types.h>

/* The variable naming the bootstrap name; the child's runtime removes it from its environment. */
#define SPAWN_ENV "OPENMIG_SPAWN_PORT"
/* Every such name starts so (then 32 random hex digits); the child ignores any other. */
#define SPAWN_NAME_PREFIX "org.openmig.spawn."
#define SPAWN_NAME_MAX 64u

/* The child's message: its task port, copied. */
#define SPAWN_MSG_ID 0x54534b00 /* 'TSK\0' */

#pragma pack(push, 4)
struct spawn_msg {
  mach_msg_header_t header;
  mach_msg_body_t body;
  mach_msg_port_descriptor_t task;
};
#pragma pack(pop)

/* Waits on the receive right `port` for child pid's message, for at most timeout_ms: 0 with a
 * send right to its task port in *task; ESRCH once the child ended, ETIMEDOUT. Every other
 * message (another sender, another shape) is destroyed and counted in *refused (may be NULL). */
int spawn_accept_task_port(mach_port_t port, pid_t pid, unsigned timeout_ms, mach_port_t *task,
                           unsigned *refused);

/* The child's side, run by libmach when it starts (a constructor): if SPAWN_ENV names a spawn
 * name, removes it from the environment and sends this task's port there. */
void spawn_child_hand_over(void);

#endif /* OPENMIG_SERVICES_SPAWN_INTERNAL_H */
