/* Port sets: membership and the receivers waiting on a set. */
#include "portset_internal.h"
#include "port_internal.h"

#include <stdlib.h>

struct ipc_pset *pset_alloc(void) {
  struct ipc_pset *pset = calloc(1, sizeof *pset);
  if (!pset) return NULL;
  pset->refs = 1;
  pset->active = true;
  ipc_stats.port_sets++;
  return pset;
}

void pset_reference(struct ipc_pset *pset) { pset->refs++; }

void pset_release(struct ipc_pset *pset) {
  if (--pset->refs > 0) return;
  ipc_stats.port_sets--;
  free(pset);
}

static void unlink_member(struct ipc_pset *pset, struct ipc_port *port) {
  if (port->pset_prev)
    port->pset_prev->pset_next = port->pset_next;
  else
    pset->head = port->pset_next;
  if (port->pset_next)
    port->pset_next->pset_prev = port->pset_prev;
  else
    pset->tail = port->pset_prev;
  port->pset_next = port->pset_prev = NULL;
}

static void link_member_tail(struct ipc_pset *pset, struct ipc_port *port) {
  port->pset_next = NULL;
  port->pset_prev = pset->tail;
  if (pset->tail)
    pset->tail->pset_next = port;
  else
    pset->head = port;
  pset->tail = port;
}

void pset_add(struct ipc_pset *pset, struct ipc_port *port) {
  link_member_tail(pset, port);
  port->pset = pset;
  pset->count++;
  if (port->msgcount > 0 || !waitq_empty(&port->send_waiters)) {
    struct ipc_waiter *w = waitq_pop(&pset->rcv_waiters);
    if (w) ipc_wake_later(w);
  }
}

void pset_remove(struct ipc_pset *pset, struct ipc_port *port) {
  unlink_member(pset, port);
  port->pset = NULL;
  pset->count--;
}

void pset_rotate(struct ipc_pset *pset, struct ipc_port *port) {
  if (pset->tail == port) return;
  unlink_member(pset, port);
  link_member_tail(pset, port);
}

void pset_destroy(struct ipc_pset *pset) {
  while (pset->head) pset_remove(pset, pset->head);
  pset->active = false;
  for (struct ipc_waiter *w; (w = waitq_pop(&pset->rcv_waiters)) != NULL;) ipc_wake_later(w);
  pset_release(pset);
}
