/* Port sets: a receive-side group of ports a thread can receive from as one. As on Darwin a
 * port may belong to several sets; each membership is one link, on the set's member list and
 * on the port's list of sets. Lock held throughout. */
#ifndef OPENMIG_PORTSET_INTERNAL_H
#define OPENMIG_PORTSET_INTERNAL_H

#include "ipc/ipc_internal.h"

struct ipc_pset_link {
  struct ipc_port *port;
  struct ipc_pset *pset;
  struct ipc_pset_link *set_prev; /* the set's members, in service order */
  struct ipc_pset_link *set_next;
  struct ipc_pset_link *port_next; /* the port's sets */
};

struct ipc_pset {
  uint32_t refs;
  bool active;
  struct ipc_pset_link *head;   /* members; receiving rotates the served member to the tail */
  struct ipc_pset_link *tail;
  uint32_t count;
  struct ipc_waitq rcv_waiters;
  uint32_t ready_members;       /* members with port->ready (fdwatch_internal.h) */
  struct ipc_fdwatch *fdwatch;  /* readiness descriptor, or NULL */
  struct ipc_pset *all_next;    /* every live set, for the fork child handler */
  struct ipc_pset *all_prev;
};

/* A new empty set with one reference (the name's). NULL when out of memory. */
struct ipc_pset *pset_alloc(void);
void pset_reference(struct ipc_pset *pset);
void pset_release(struct ipc_pset *pset);

/* The link of port in pset, or NULL. */
struct ipc_pset_link *pset_find(struct ipc_pset *pset, struct ipc_port *port);
/* Adds port to pset (not already a member); wakes a receiver of the set if the port has
 * messages. KERN_RESOURCE_SHORTAGE when out of memory. */
kern_return_t pset_add(struct ipc_pset *pset, struct ipc_port *port);
/* Removes port from pset if it is a member. */
void pset_remove(struct ipc_pset *pset, struct ipc_port *port);
/* Removes port from every set. */
void pset_remove_all(struct ipc_port *port);
/* Calls fn on every live set (lock held; fn must not free sets). */
void pset_foreach_live(void (*fn)(struct ipc_pset *));
/* Empties the set, wakes its receivers (they get MACH_RCV_PORT_DIED) and drops the name's
 * reference. */
void pset_destroy(struct ipc_pset *pset);
/* Moves a member to the tail of its set (fair service). */
void pset_rotate(struct ipc_pset_link *link);
/* Wakes one receiver waiting on any set holding port; false if there is none. */
bool pset_wake_one(struct ipc_port *port);

#endif /* OPENMIG_PORTSET_INTERNAL_H */
