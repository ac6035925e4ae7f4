/* bootstrap_server.h: serving the bootstrap protocol (bootstrap_proto.h) from a
 * bootstrap_registry, and the in-process name service that libmach runs when no machd
 * provides one. Private to runtime/src (and machd). */
#ifndef OPENMIG_BOOTSTRAP_SERVER_H
#define OPENMIG_BOOTSTRAP_SERVER_H

#include "services/bootstrap_registry.h"

#include <mach/message.h>

/* MIG-style demux for one bootstrap request against registry: fills the reply (a port reply,
 * a status reply or a mig_reply_error_t) and returns TRUE; FALSE (reply MIG_BAD_ID) for an id
 * outside the protocol. Follows the MIG ownership rule, so drive it with mach_msg_server() or
 * the server pool. */
boolean_t bootstrap_server_demux_with(struct bootstrap_registry *registry,
                                      mach_msg_header_t *in, mach_msg_header_t *out);

/* bootstrap_server_demux_with() on the in-process service's registry. */
boolean_t bootstrap_server_demux(mach_msg_header_t *in, mach_msg_header_t *out);

/* Creates the in-process registry and a thread serving service_port (a receive right the
 * caller gives up) until the process exits; an atexit handler then destroys the port, joins the
 * thread and frees the table. Returns KERN_SUCCESS or KERN_RESOURCE_SHORTAGE. Call once. */
kern_return_t bootstrap_local_service_start(mach_port_t service_port);

/* In a child process after fork(): the service thread is gone; forget it (and the table, whose
 * lock it may have held) so that the next start makes a new one. Async-signal-safe. */
void bootstrap_local_service_forget_after_fork(void);

/* The in-process service's registry (NULL before it starts); for tests. */
struct bootstrap_registry *bootstrap_local_registry(void);

#endif /* OPENMIG_BOOTSTRAP_SERVER_H */
