/* The seam for a cross-process transport (machd, issue 5). A proxy port is a local port object
 * standing for a port whose receive right lives in another task: rights to it live in local
 * spaces like any other, and messages sent to it are handed to the transport after copyin
 * instead of being queued. Messages arriving from other tasks are queued on local ports with
 * transport_deliver. Lock held in every call unless stated. */
#ifndef OPENMIG_TRANSPORT_INTERNAL_H
#define OPENMIG_TRANSPORT_INTERNAL_H

#include "ipc/ipc_internal.h"
#include "ipc/kmsg_internal.h"
#include "ipc/port_internal.h"

struct ipc_transport_ops {
  /* A copied-in message for proxy (kmsg->remote == proxy). Called with the IPC lock held: must
   * not block or call the public API (queue the message and write it out later). Returns
   * MACH_MSG_SUCCESS (the transport now owns kmsg and its rights), MACH_SEND_TIMED_OUT (the core
   * gives the message back to the sender, pseudo-receive) or any other error (the core destroys
   * kmsg, as for a port that died). */
  mach_msg_return_t (*send)(struct ipc_port *proxy, struct ipc_kmsg *kmsg,
                            mach_msg_option_t option, mach_msg_timeout_t timeout);
  /* The last local send right to proxy went away (remote peers should be told). Optional. */
  void (*proxy_released)(struct ipc_port *proxy);
  /* A local port's receive right died (for ports with an export handle). Optional. */
  void (*port_died)(struct ipc_port *port);
  /* A local port with an export handle got room in its queue (a message was received) or a
   * new queue limit: remote senders may be let in. Optional. */
  void (*queue_changed)(struct ipc_port *port);
  /* A local port with an export handle is losing its receive right (destroyed in this task,
   * no local port-destroyed request): the transport may take the right instead (a request held
   * in another process) and returns true; the port then lives on there and the receive right's
   * reference is the transport's. Called with the receive right detached (no receiver, out of
   * its port sets, receivers woken). Optional. */
  bool (*receive_destroyed)(struct ipc_port *port);
};

/* Hooks for LOCAL ports that were exported to other tasks (export_handle != 0): their
 * port_died is called when the receive right dies. Set once, before any export. */
void transport_set_export_ops(const struct ipc_transport_ops *ops);
extern const struct ipc_transport_ops *ipc_export_ops;

/* A new proxy with one reference (the caller's), remote handle handle. NULL on OOM. */
struct ipc_port *transport_proxy_create(const struct ipc_transport_ops *ops, uint64_t handle);

/* The remote receive right died: the proxy dies like a local port (dead names, dead-name
 * notifications, blocked senders get MACH_SEND_INVALID_DEST). */
void transport_proxy_dead(struct ipc_port *proxy);

/* Send rights to a local port held in other tasks: no-senders fires only when local and remote
 * counts are both zero. */
void transport_remote_senders(struct ipc_port *port, int32_t delta);

/* Queues a message built by the transport (rights already as port references, audit token of
 * the remote sender set) on its destination kmsg->remote, ignoring the queue limit (the
 * transport applies flow control). Destroys it if the port is dead. A message for a kernel-object
 * port is handed to ipc_kobject_message instead (port_internal.h), which serves it at once. */
void transport_deliver(struct ipc_kmsg *kmsg);

/* A transport whose messages arrive only when some thread reads its connection (machd) can take
 * over the sleep of threads waiting to receive, so that the waiting thread reads the connection
 * itself instead of being woken by another thread that did (docs/machd.md 7, receive path).
 * `sleep` replaces ipc_sleep for receivers (same contract; it may also return true without a
 * message for the caller, whose receive loop then looks again); `woken` is told of every
 * wake-up (IPC lock held) so a waiter blocked reading the connection can be interrupted.
 * Installed once; NULL (the default): plain futex sleeps. */
struct ipc_receive_hooks {
  bool (*sleep)(struct ipc_waiter *w, const struct timespec *deadline);
  void (*woken)(struct ipc_waiter *w);
  /* Optional: a thread is about to sleep outside the core (a semaphore wait) for something
   * that only arrives when the connection is read; until reading_end, some thread reads it.
   * No lock held. */
  void (*reading_begin)(void);
  void (*reading_end)(void);
};
void transport_set_receive_hooks(const struct ipc_receive_hooks *hooks);
extern const struct ipc_receive_hooks *ipc_receive_hooks;

/* Calls the hooks' reading_begin / reading_end when installed (nothing otherwise). No lock held. */
void ipc_reading_begin(void);
void ipc_reading_end(void);

#endif /* OPENMIG_TRANSPORT_INTERNAL_H */
