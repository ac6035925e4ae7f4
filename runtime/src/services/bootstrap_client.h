/* bootstrap_client.h: how the bootstrap_* calls (bootstrap.c) reach a name service other than
 * the in-process one. By default they are RPCs (bootstrap_proto.h) to whatever bootstrap_port
 * names; a transport (machd) may instead take the calls for its own bootstrap port. Private to
 * runtime/src. */
#ifndef OPENMIG_BOOTSTRAP_CLIENT_H
#define OPENMIG_BOOTSTRAP_CLIENT_H

#include <mach/kern_return.h>
#include <mach/port.h>

#include <stdint.h>

/* Serves one bootstrap call. op is a BOOTSTRAP_MSG_* id (bootstrap_proto.h); name is valid
 * (non-empty, terminated within BOOTSTRAP_MAX_NAME_LEN). right_in: the send right for REGISTER
 * (MACH_PORT_NULL to unregister; the caller keeps its reference), else MACH_PORT_NULL.
 * *right_out: the right CHECK_IN (receive), LOOK_UP and CREATE_SERVICE (send, one new user
 * reference) return, or the bootstrap_status_t for STATUS. Returns a BOOTSTRAP_* / KERN_* /
 * mach_msg code; *right_out is written only on success. Thread-safe. */
typedef kern_return_t (*bootstrap_transport_fn)(uint32_t op, const char *name,
                                                mach_port_t right_in, mach_port_t *right_out);

/* Makes `port` (a send right the caller gives to the runtime) the task's bootstrap port, and
 * routes bootstrap_* calls made on it to `serve` (NULL: plain RPCs to the port). Updates
 * bootstrap_port and TASK_BOOTSTRAP_PORT. Call during start-up, before other threads use the
 * bootstrap port; the in-process service then never starts. */
void bootstrap_client_use_port(mach_port_t port, bootstrap_transport_fn serve);

/* Makes machd's name service the task's bootstrap port unless the program chose a private,
 * in-process one (MACH_BOOTSTRAP=private or MACHD_DISABLE=1; docs/machd.md 7):
 * bootstrap_check_in/look_up/register/status on bootstrap_port then go to machd through the
 * transport (the connection is made on the first call). Called from the bootstrap constructor;
 * idempotent (bootstrap_machd.c). */
void bootstrap_client_use_machd(void);

#endif /* OPENMIG_BOOTSTRAP_CLIENT_H */
