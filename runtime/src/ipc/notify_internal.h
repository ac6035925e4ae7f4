/* Notifications the runtime sends (no-senders, send-once, dead-name, port-deleted,
 * port-destroyed) and the requests that arm them. Lock held throughout. */
#ifndef OPENMIG_NOTIFY_INTERNAL_H
#define OPENMIG_NOTIFY_INTERNAL_H

#include "ipc/space_internal.h"
#include "ipc/port_internal.h"

/* Each consumes the send-once right notify (a dead notify port just loses the right). */
void notify_no_senders(struct ipc_port *notify, mach_port_mscount_t mscount);
void notify_dead_name(struct ipc_port *notify, mach_port_name_t name);
void notify_port_deleted(struct ipc_port *notify, mach_port_name_t name);
/* Sends the receive right of port (reference consumed) in a port-destroyed notification;
 * returns false (nothing consumed) if notify cannot take it. */
bool notify_port_destroyed(struct ipc_port *notify, struct ipc_port *port);
/* Sends MACH_NOTIFY_SEND_ONCE through the unused send-once right to port (consumed). */
void notify_send_once(struct ipc_port *port);

/* The name holding a dead-name request lost its rights: MACH_NOTIFY_PORT_DELETED. */
void dnreq_cancel(struct ipc_dnreq *req);
/* Drops a request without a notification (its send-once right is destroyed). */
void dnreq_discard(struct ipc_dnreq *req);
/* The port died: every requesting name becomes a dead name with one more uref and gets its
 * MACH_NOTIFY_DEAD_NAME. */
void dnreq_fire_all(struct ipc_port *port);

/* mach_port_request_notification on space/name. notify: a send-once right or NULL (consumed,
 * also on error). *previous: the request replaced (a send-once right) or NULL. */
kern_return_t notify_request(struct ipc_space *space, mach_port_name_t name, mach_msg_id_t msgid,
                             mach_port_mscount_t sync, struct ipc_port *notify,
                             struct ipc_port **previous);

#endif /* OPENMIG_NOTIFY_INTERNAL_H */
