/* Port sets: a receive-side group of ports a thread can receive from as one. A port is in at
 * most one set. Lock held throughout. */
#ifndef OPENMIG_PORTSET_INTERNAL_H
#define OPENMIG_PORTSET_INTERNAL_H

#include "ipc_internal.h"

struct ipc_pset {
  uint32_t refs;
  bool active;
  struct ipc_port *head;        /* members; receiving rotates the served member to the tail */
  struct ipc_port *tail;
  uint32_t count;
  struct ipc_waitq rcv_waiters;
};

/* A new empty set with one reference (the name's). NULL when out of memory. */
struct ipc_pset *pset_alloc(void);
void pset_reference(struct ipc_pset *pset);
void pset_release(struct ipc_pset *pset);

/* Adds port (not in any set); wakes a waiting receiver if the port has messages. */
void pset_add(struct ipc_pset *pset, struct ipc_port *port);
void pset_remove(struct ipc_pset *pset, struct ipc_port *port);
/* Empties the set, wakes its receivers (they get MACH_RCV_PORT_DIED) and drops the name's
 * reference. */
void pset_destroy(struct ipc_pset *pset);
/* Moves port to the tail of the member list (fair service). */
void pset_rotate(struct ipc_pset *pset, struct ipc_port *port);

#endif /* OPENMIG_PORTSET_INTERNAL_H */
