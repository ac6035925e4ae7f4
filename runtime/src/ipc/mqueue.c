/* Message queues: enqueue under queue limits with FIFO blocked senders, dequeue with sequence
 * numbers, and the receive loop over a port or a port set. */
#include "ipc/mqueue_internal.h"
#include "ipc/fdwatch_internal.h"
#include "ipc/kmsg_internal.h"
#include "ipc/port_internal.h"
#include "ipc/portset_internal.h"
#include "ipc/space_internal.h"
#include "ipc/proxy_internal.h"

static void kmsg_set_destination(struct ipc_kmsg *kmsg, struct ipc_port *dest) {
  if (!kmsg->carries_receive) return;
  for (uint32_t i = 0; i < kmsg->ndesc; i++) {
    struct kmsg_desc *d = &kmsg->desc[i];
    if (d->disp != MACH_MSG_TYPE_PORT_RECEIVE) continue;
    if (IPC_PORT_VALID(d->port)) d->port->destination = dest;
    for (mach_msg_size_t j = 0; j < d->count; j++)
      if (IPC_PORT_VALID(d->ports[j])) d->ports[j]->destination = dest;
  }
}

void mqueue_kmsg_leaves(struct ipc_kmsg *kmsg) { kmsg_set_destination(kmsg, NULL); }

static bool kmsg_is_circular(struct ipc_kmsg *kmsg, struct ipc_port *dest) {
  for (uint32_t i = 0; i < kmsg->ndesc; i++) {
    struct kmsg_desc *d = &kmsg->desc[i];
    if (d->disp != MACH_MSG_TYPE_PORT_RECEIVE) continue;
    if (IPC_PORT_VALID(d->port) && port_check_circularity(d->port, dest)) return true;
    for (mach_msg_size_t j = 0; j < d->count; j++)
      if (IPC_PORT_VALID(d->ports[j]) && port_check_circularity(d->ports[j], dest)) return true;
  }
  return false;
}

static void wake_one_receiver(struct ipc_port *port) {
  struct ipc_waiter *w = waitq_pop(&port->rcv_waiters);
  if (w)
    ipc_wake_later(w);
  else
    pset_wake_one(port);
}

void mqueue_enqueue(struct ipc_port *port, struct ipc_kmsg *kmsg) {
  kmsg->next = NULL;
  if (port->q_tail)
    port->q_tail->next = kmsg;
  else
    port->q_head = kmsg;
  port->q_tail = kmsg;
  port->msgcount++;
  kmsg_set_destination(kmsg, port);
  fdwatch_port_changed(port);
  wake_one_receiver(port);
}

void mqueue_deliver(struct ipc_port *port, struct ipc_kmsg *kmsg) {
  if (port->transport) {
    mach_msg_return_t mr = port->transport->send(port, kmsg, MACH_SEND_ALWAYS, 0);
    if (mr != MACH_MSG_SUCCESS) kmsg_destroy(kmsg);
    return;
  }
  if (!port->active) {
    kmsg_destroy(kmsg);
    return;
  }
  mqueue_enqueue(port, kmsg);
}

/* Lets the oldest blocked sender in: its message is queued on its behalf. */
static void admit_one(struct ipc_port *port) {
  struct ipc_waiter *w = waitq_pop(&port->send_waiters);
  if (!w) return;
  struct ipc_kmsg *kmsg = w->kmsg;
  w->kmsg = NULL;
  w->result = MACH_MSG_SUCCESS;
  ipc_wake_later(w);
  mqueue_enqueue(port, kmsg);
}

void mqueue_admit_senders(struct ipc_port *port) {
  while (port->msgcount < port->qlimit && !waitq_empty(&port->send_waiters)) admit_one(port);
  /* Senders in other processes wait at machd: the transport tells it about the room. */
  if (port->export_handle && ipc_export_ops && ipc_export_ops->queue_changed)
    ipc_export_ops->queue_changed(port);
}

mach_msg_return_t mqueue_send(struct ipc_kmsg *kmsg, mach_msg_option_t option,
                              mach_msg_timeout_t timeout) {
  struct ipc_port *port = kmsg->remote;
  if (port->transport) {
    mach_msg_return_t mr = port->transport->send(port, kmsg, option, timeout);
    if (mr != MACH_MSG_SUCCESS && mr != MACH_SEND_TIMED_OUT) kmsg_destroy(kmsg);
    return mr;
  }
  if (!port->active || (kmsg->carries_receive && kmsg_is_circular(kmsg, port))) {
    kmsg_destroy(kmsg); /* as if received and destroyed: the send itself succeeded */
    return MACH_MSG_SUCCESS;
  }
  if (kmsg->remote_type == MACH_MSG_TYPE_PORT_SEND_ONCE ||
      (port->msgcount < port->qlimit && waitq_empty(&port->send_waiters))) {
    mqueue_enqueue(port, kmsg);
    return MACH_MSG_SUCCESS;
  }
  if ((option & MACH_SEND_TIMEOUT) && timeout == 0) return MACH_SEND_TIMED_OUT;
  struct timespec deadline;
  bool timed = (option & MACH_SEND_TIMEOUT) != 0;
  if (timed) ipc_deadline_after_ms(&deadline, timeout);
  struct ipc_waiter *w = ipc_waiter_self();
  w->kmsg = kmsg;
  w->port = port;
  port_reference(port);
  waitq_push(&port->send_waiters, w);
  fdwatch_port_changed(port); /* a queue limit of 0: a receive would admit it */
  if (port->msgcount == 0) wake_one_receiver(port); /* a queue limit of 0: rendezvous */
  bool woken = ipc_sleep(w, timed ? &deadline : NULL);
  mach_msg_return_t mr = woken ? w->result : MACH_SEND_TIMED_OUT;
  if (!woken) {
    waitq_remove(w);
    fdwatch_port_changed(port);
  }
  w->kmsg = NULL;
  port_release(port);
  return mr;
}

static struct ipc_kmsg *dequeue(struct ipc_port *port, mach_port_seqno_t *seqno) {
  struct ipc_kmsg *kmsg = port->q_head;
  port->q_head = kmsg->next;
  if (!port->q_head) port->q_tail = NULL;
  kmsg->next = NULL;
  port->msgcount--;
  *seqno = port->seqno++;
  mqueue_kmsg_leaves(kmsg);
  mqueue_admit_senders(port);
  fdwatch_port_changed(port);
  return kmsg;
}

/* The member of the set (or the port) with a message ready, admitting a blocked sender into
 * an empty queue (queue limit 0). */
static struct ipc_port *ready_port(struct ipc_port *port) {
  if (!port->q_head && !waitq_empty(&port->send_waiters)) admit_one(port);
  return port->q_head ? port : NULL;
}

static struct ipc_pset_link *ready_member(struct ipc_pset *pset) {
  for (struct ipc_pset_link *l = pset->head; l; l = l->set_next)
    if (ready_port(l->port)) return l;
  return NULL;
}

mach_msg_return_t mqueue_receive(struct ipc_space *space, mach_port_name_t name,
                                 mach_msg_option_t option, mach_msg_timeout_t timeout,
                                 mach_msg_size_t rcv_size, mach_msg_size_t trailer_size,
                                 struct mqueue_rcv *out) {
  *out = (struct mqueue_rcv){ 0 };
  struct ipc_entry *e = space_lookup(space, name);
  struct ipc_port *port = NULL;
  struct ipc_pset *pset = NULL;
  if (e && (e->type & MACH_PORT_TYPE_RECEIVE)) {
    port = e->port;
    port_reference(port);
  } else if (e && (e->type & MACH_PORT_TYPE_PORT_SET)) {
    pset = e->pset;
    pset_reference(pset);
  } else {
    return MACH_RCV_INVALID_NAME;
  }
  bool timed = (option & MACH_RCV_TIMEOUT) != 0;
  struct timespec deadline;
  if (timed && timeout > 0) ipc_deadline_after_ms(&deadline, timeout);
  bool expired = timed && timeout == 0;
  mach_msg_return_t mr;
  for (;;) {
    struct ipc_port *src;
    struct ipc_pset_link *link = NULL;
    if (port) {
      if (!port->active || port->receiver != space || port->receiver_name != name) {
        mr = MACH_RCV_PORT_DIED;
        break;
      }
      src = ready_port(port);
    } else {
      if (!pset->active) {
        mr = MACH_RCV_PORT_DIED;
        break;
      }
      link = ready_member(pset);
      src = link ? link->port : NULL;
    }
    if (src) {
      struct ipc_kmsg *kmsg = src->q_head;
      out->port = src;
      out->port_name = src->receiver_name;
      out->needed = round_msg(kmsg->size) + trailer_size;
      mr = MACH_MSG_SUCCESS;
      if (out->needed > rcv_size) {
        mr = MACH_RCV_TOO_LARGE;
        if (option & MACH_RCV_LARGE) break;
      }
      out->kmsg = dequeue(src, &out->seqno);
      if (link) pset_rotate(link);
      break;
    }
    if (expired) {
      mr = MACH_RCV_TIMED_OUT;
      break;
    }
    struct ipc_waiter *w = ipc_waiter_self();
    waitq_push(port ? &port->rcv_waiters : &pset->rcv_waiters, w);
    bool woken = ipc_sleep_receive(w, timed ? &deadline : NULL);
    waitq_remove(w);
    if (!woken) expired = true;
  }
  if (port) port_release(port);
  if (pset) pset_release(pset);
  return mr;
}

static void forget_port_waiters(struct ipc_port *port) {
  port->rcv_waiters.head = port->rcv_waiters.tail = NULL;
  struct ipc_waiter *w = port->send_waiters.head;
  port->send_waiters.head = port->send_waiters.tail = NULL;
  for (; w; w = w->next)
    if (w->kmsg) kmsg_destroy(w->kmsg);
}

static void forget_pset_waiters(struct ipc_pset *pset) {
  pset->rcv_waiters.head = pset->rcv_waiters.tail = NULL;
}

void mqueue_forget_other_threads(void) {
  port_foreach_live(forget_port_waiters);
  pset_foreach_live(forget_pset_waiters);
}
