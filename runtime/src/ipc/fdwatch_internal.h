/* Readiness descriptors (<mach/openmig_fd.h>): an eventfd per watched port or port set, kept
 * readable while a message is queued on the port (on any member of the set), so a port
 * can sit in a poll/epoll loop. The queue side calls fdwatch_port_changed wherever a queue may
 * have become empty or non-empty; it records the state on the port (port->ready) and counts
 * ready members on the port's sets; a watch only mirrors that state into its eventfd. The
 * eventfd is written and drained after the IPC lock is released (fdwatch_flush, called by
 * ipc_unlock), not by the thread holding it, and without a lock: each change schedules a sync
 * that applies the latest wanted state and looks again, so once every sync has returned the
 * descriptor is right, and a wake-up is never lost. While a sync of another thread is late (its
 * write() lands after a receive emptied the queue, then it drains again), the descriptor can be
 * readable for a moment with nothing queued: a loop's receive with a zero timeout then returns
 * MACH_RCV_TIMED_OUT. At most one such wake-up per message; never a busy loop. Lock held unless
 * stated. */
#ifndef OPENMIG_FDWATCH_INTERNAL_H
#define OPENMIG_FDWATCH_INTERNAL_H

#include "ipc/ipc_internal.h"

struct ipc_fdwatch;

/* The port's (or set's) watch, created with the eventfd efd (the caller made it before taking
 * the lock; it is closed here when the object already has a watch). Returns a new reference on
 * the watch for fdwatch_fd / fdwatch_release, NULL when out of memory (efd closed). */
struct ipc_fdwatch *fdwatch_of_port(struct ipc_port *port, int efd);
struct ipc_fdwatch *fdwatch_of_pset(struct ipc_pset *pset, int efd);

/* The watch's eventfd (valid while a reference is held). No lock needed. */
int fdwatch_fd(const struct ipc_fdwatch *w);
/* Drops a reference (the last one closes the eventfd). No lock needed. */
void fdwatch_release(struct ipc_fdwatch *w);

/* The wanted state changed: ready (a message queued) or not. */
void fdwatch_set(struct ipc_fdwatch *w, bool ready);

/* The receive right left its name (destroyed, moved out of the space) or the set was
 * destroyed: the descriptor stays readable for good ("hang-up", so a loop notices and its
 * receive fails) and the object forgets its watch. No-op without a watch. */
void fdwatch_port_detach(struct ipc_port *port);
void fdwatch_pset_detach(struct ipc_pset *pset);

/* Readiness bookkeeping, called where queues change: the port's queue may have become empty
 * or non-empty (compares with port->ready, so extra calls cost nothing); a membership of a
 * port in a set was made or is being dropped (the set counts its ready members). */
void fdwatch_port_changed(struct ipc_port *port);
void fdwatch_link_added(struct ipc_pset *pset, struct ipc_port *port);
void fdwatch_link_dropped(struct ipc_pset *pset, struct ipc_port *port);

/* Applies the scheduled syncs of this thread; called by ipc_unlock after the unlock. */
void fdwatch_flush(void);

#endif /* OPENMIG_FDWATCH_INTERNAL_H */
