/* Port sets: memberships (a port may be in several sets) and the receivers waiting on a set. */
#include "ipc/portset_internal.h"
#include "ipc/port_internal.h"
#include "ipc/fdwatch_internal.h"

#include <stdlib.h>

static struct ipc_pset *all_psets;

struct ipc_pset *pset_alloc(void) {
  struct ipc_pset *pset = calloc(1, sizeof *pset);
  if (!pset) return NULL;
  pset->refs = 1;
  pset->active = true;
  pset->all_next = all_psets;
  if (all_psets) all_psets->all_prev = pset;
  all_psets = pset;
  ipc_stats.port_sets++;
  return pset;
}

void pset_foreach_live(void (*fn)(struct ipc_pset *)) {
  for (struct ipc_pset *s = all_psets; s; s = s->all_next) fn(s);
}

void pset_reference(struct ipc_pset *pset) { pset->refs++; }

void pset_release(struct ipc_pset *pset) {
  if (--pset->refs > 0) return;
  if (pset->all_prev)
    pset->all_prev->all_next = pset->all_next;
  else
    all_psets = pset->all_next;
  if (pset->all_next) pset->all_next->all_prev = pset->all_prev;
  ipc_stats.port_sets--;
  free(pset);
}

static void unlink_from_set(struct ipc_pset_link *link) {
  struct ipc_pset *pset = link->pset;
  if (link->set_prev)
    link->set_prev->set_next = link->set_next;
  else
    pset->head = link->set_next;
  if (link->set_next)
    link->set_next->set_prev = link->set_prev;
  else
    pset->tail = link->set_prev;
  link->set_next = link->set_prev = NULL;
}

static void link_at_tail(struct ipc_pset_link *link) {
  struct ipc_pset *pset = link->pset;
  link->set_next = NULL;
  link->set_prev = pset->tail;
  if (pset->tail)
    pset->tail->set_next = link;
  else
    pset->head = link;
  pset->tail = link;
}

struct ipc_pset_link *pset_find(struct ipc_pset *pset, struct ipc_port *port) {
  for (struct ipc_pset_link *l = port->psets; l; l = l->port_next)
    if (l->pset == pset) return l;
  return NULL;
}

kern_return_t pset_add(struct ipc_pset *pset, struct ipc_port *port) {
  struct ipc_pset_link *link = calloc(1, sizeof *link);
  if (!link) return KERN_RESOURCE_SHORTAGE;
  link->port = port;
  link->pset = pset;
  link_at_tail(link);
  link->port_next = port->psets;
  port->psets = link;
  port->npsets++;
  pset->count++;
  fdwatch_link_added(pset, port);
  if (port->msgcount > 0 || !waitq_empty(&port->send_waiters)) {
    struct ipc_waiter *w = waitq_pop(&pset->rcv_waiters);
    if (w) ipc_wake_later(w);
  }
  return KERN_SUCCESS;
}

static void drop_link(struct ipc_pset_link *link) {
  struct ipc_port *port = link->port;
  fdwatch_link_dropped(link->pset, port);
  struct ipc_pset_link **pp = &port->psets;
  while (*pp != link) pp = &(*pp)->port_next;
  *pp = link->port_next;
  port->npsets--;
  unlink_from_set(link);
  link->pset->count--;
  free(link);
}

void pset_remove(struct ipc_pset *pset, struct ipc_port *port) {
  struct ipc_pset_link *link = pset_find(pset, port);
  if (link) drop_link(link);
}

void pset_remove_all(struct ipc_port *port) {
  while (port->psets) drop_link(port->psets);
}

void pset_rotate(struct ipc_pset_link *link) {
  if (link->pset->tail == link) return;
  unlink_from_set(link);
  link_at_tail(link);
}

bool pset_wake_one(struct ipc_port *port) {
  for (struct ipc_pset_link *l = port->psets; l; l = l->port_next) {
    struct ipc_waiter *w = waitq_pop(&l->pset->rcv_waiters);
    if (w) {
      ipc_wake_later(w);
      return true;
    }
  }
  return false;
}

void pset_destroy(struct ipc_pset *pset) {
  while (pset->head) drop_link(pset->head);
  pset->active = false;
  fdwatch_pset_detach(pset);
  for (struct ipc_waiter *w; (w = waitq_pop(&pset->rcv_waiters)) != NULL;) ipc_wake_later(w);
  pset_release(pset);
}
