/* Ports: the object behind every send, send-once and receive right. A port has at most one
 * receive right (held by a space, or in transit inside a message), counts its send and send-once
 * rights, owns its message queue and the notification requests armed on it. */
#ifndef OPENMIG_PORT_INTERNAL_H
#define OPENMIG_PORT_INTERNAL_H

#include "ipc/ipc_internal.h"

struct ipc_transport_ops;

enum ipc_kobject_type { IKOT_NONE = 0, IKOT_TASK, IKOT_SEMAPHORE, IKOT_THREAD, IKOT_FILEPORT, IKOT_COUNT };

/* Dead-name request armed by space on name, answered through the send-once right notify. */
struct ipc_dnreq {
  struct ipc_space *space;
  mach_port_name_t name;
  struct ipc_port *notify;      /* send-once right (reference held) */
  struct ipc_port *port;        /* the port watched */
  struct ipc_dnreq *next;       /* on port->dnrequests */
};

struct ipc_port {
  uint32_t refs;                /* rights, messages, waiters and requests referring to it */
  bool active;                  /* false once the receive right is destroyed */
  struct ipc_space *receiver;   /* space holding the receive right, NULL in transit / kobject */
  mach_port_name_t receiver_name;
  struct ipc_port *destination; /* receive right in transit: the port whose queue holds it */
  struct ipc_pset_link *psets;  /* the port sets holding it */
  uint32_t npsets;

  mach_port_rights_t srights;   /* send rights in spaces and in transit */
  mach_port_rights_t sorights;  /* send-once rights */
  mach_port_mscount_t mscount;  /* make-send count */
  mach_port_seqno_t seqno;      /* sequence number of the next message received */
  mach_port_msgcount_t qlimit;
  mach_port_msgcount_t msgcount;
  struct ipc_kmsg *q_head;
  struct ipc_kmsg *q_tail;
  struct ipc_waitq rcv_waiters;  /* threads receiving on this port directly */
  struct ipc_waitq send_waiters; /* senders blocked on a full queue, FIFO */
  bool ready;                   /* a receive would find a message (fdwatch_internal.h) */
  struct ipc_fdwatch *fdwatch;  /* readiness descriptor, or NULL */

  struct ipc_port *nsrequest;   /* no-senders notify (send-once right) */
  mach_port_mscount_t ns_sync;
  struct ipc_port *pdrequest;   /* port-destroyed notify (send-once right) */
  struct ipc_dnreq *dnrequests;

  mach_port_context_t context;
  bool guarded;
  bool strict_guard;
  bool immovable_receive;
  uint32_t mpo_flags;           /* MPO_* given at construction (the port type bits included) */
  mach_service_port_info_data_t *service_info; /* MPO_SERVICE_PORT: its name (owned) */

  enum ipc_kobject_type kotype;
  void *kobject;

  /* Seam for a cross-process transport (proxy_internal.h): a proxy port stands for a port
   * received in another task; the transport owns the two handles. */
  const struct ipc_transport_ops *transport;
  uint64_t transport_handle;
  uint32_t export_handle;
  uint32_t remote_senders;      /* send rights held in other tasks (counted by the transport) */

  struct ipc_port *destroy_next; /* on the deferred-destruction list */
  bool destroy_pending;
  struct ipc_port *all_next;    /* every live port, for the fork child handler */
  struct ipc_port *all_prev;
};

/* A new active port with one reference, qlimit MACH_PORT_QLIMIT_DEFAULT, no receiver. NULL when
 * out of memory. Lock held. */
struct ipc_port *port_alloc(void);

/* Calls fn on every live port (lock held; fn must not free ports). */
void port_foreach_live(void (*fn)(struct ipc_port *));

/* Reference counting. port_release frees the port when the last reference goes. Lock held. */
void port_reference(struct ipc_port *port);
void port_release(struct ipc_port *port);

/* Destroys the receive right: unless a port-destroyed request takes the right, the port dies:
 * queued messages are destroyed, senders and receivers blocked on it are woken with errors,
 * dead-name notifications are sent and send rights become dead names. The caller gives up the
 * reference that the receive right held. Runs later, in ipc_unlock, when called while a
 * destruction is in progress, so chains of ports die iteratively. Lock held. */
void port_destroy_receive(struct ipc_port *port);

/* Queues a port whose receive right is to be destroyed (see port_destroy_receive). */
void port_destroy_later(struct ipc_port *port);
/* Destroys the queued ports; called by ipc_unlock. */
void port_destroy_drain(void);

/* Right bookkeeping (lock held): a new send right (make_send also bumps mscount) or send-once
 * right takes a reference; releasing one drops it and may send a no-senders notification. */
void port_make_send(struct ipc_port *port);
void port_copy_send(struct ipc_port *port);
void port_make_send_once(struct ipc_port *port);
void port_release_send(struct ipc_port *port);
/* Releases an unused send-once right: sends MACH_NOTIFY_SEND_ONCE to the port if it is alive. */
void port_destroy_send_once(struct ipc_port *port);
/* Releases a send-once right consumed by a delivered message (no notification). */
void port_release_send_once(struct ipc_port *port);

/* Called when the last send right to an active kernel object port of that kotype goes away,
 * lock held; each set once by the layer that makes such objects (api/semaphore.c,
 * api/fileport.c). NULL: nothing happens. */
extern void (*ipc_kobject_no_senders[IKOT_COUNT])(struct ipc_port *port);

/* Called for a message that another task sent to an active kernel-object port of that kotype
 * (not a proxy), lock held, instead of queueing it: returns true when it took kmsg (the object
 * served it at once, without blocking), false to queue it as usual. Each set once by the layer
 * that makes such objects (api/semaphore.c serves IKOT_SEMAPHORE requests, services/task_server.c
 * IKOT_TASK ones). NULL: the message is queued. */
extern bool (*ipc_kobject_message[IKOT_COUNT])(struct ipc_port *port, struct ipc_kmsg *kmsg);

/* Removes port from every port set holding it. Lock held. */
void port_leave_psets(struct ipc_port *port);

/* True if queueing a message carrying port's receive right into dest's queue would make the
 * port unreachable (dest is port, or dest's receive right travels in port's queue...). */
bool port_check_circularity(struct ipc_port *port, struct ipc_port *dest);

#endif /* OPENMIG_PORT_INTERNAL_H */
