/* Ports: allocation, references, send/send-once right counts with the no-senders and
 * send-once notifications they trigger, and destruction of the receive right. */
#include "ipc/port_internal.h"
#include "ipc/fdwatch_internal.h"
#include "ipc/kmsg_internal.h"
#include "ipc/mqueue_internal.h"
#include "ipc/notify_internal.h"
#include "ipc/portset_internal.h"
#include "ipc/proxy_internal.h"

#include <stdlib.h>

static struct ipc_port *all_ports;
void (*ipc_kobject_no_senders[IKOT_COUNT])(struct ipc_port *port);

struct ipc_port *port_alloc(void) {
  struct ipc_port *port = calloc(1, sizeof *port);
  if (!port) return NULL;
  port->refs = 1;
  port->active = true;
  port->qlimit = MACH_PORT_QLIMIT_DEFAULT;
  port->all_next = all_ports;
  if (all_ports) all_ports->all_prev = port;
  all_ports = port;
  ipc_stats.ports++;
  return port;
}

void port_foreach_live(void (*fn)(struct ipc_port *)) {
  for (struct ipc_port *p = all_ports; p; p = p->all_next) fn(p);
}

void port_reference(struct ipc_port *port) { port->refs++; }

void port_release(struct ipc_port *port) {
  if (--port->refs > 0) return;
  if (port->all_prev)
    port->all_prev->all_next = port->all_next;
  else
    all_ports = port->all_next;
  if (port->all_next) port->all_next->all_prev = port->all_prev;
  ipc_stats.ports--;
  free(port->service_info);
  fdwatch_port_detach(port);
  free(port);
}

void port_make_send(struct ipc_port *port) {
  port->mscount++;
  port_copy_send(port);
}

void port_copy_send(struct ipc_port *port) {
  port->srights++;
  port->refs++;
}

void port_make_send_once(struct ipc_port *port) {
  port->sorights++;
  port->refs++;
}

/* Sends the no-senders notification (or tells the transport) once no send right is left. */
static void port_check_no_senders(struct ipc_port *port) {
  if (port->srights != 0 || port->remote_senders != 0) return;
  if (port->transport && port->transport->proxy_released) {
    port->transport->proxy_released(port);
    return;
  }
  if (port->active && port->kotype != IKOT_NONE && ipc_kobject_no_senders[port->kotype]) {
    ipc_kobject_no_senders[port->kotype](port);
    return;
  }
  if (port->active && port->nsrequest) {
    struct ipc_port *notify = port->nsrequest;
    port->nsrequest = NULL;
    notify_no_senders(notify, port->mscount);
  }
}

void port_release_send(struct ipc_port *port) {
  port->srights--;
  port_check_no_senders(port);
  port_release(port);
}

void port_release_send_once(struct ipc_port *port) {
  port->sorights--;
  port_release(port);
}

void port_destroy_send_once(struct ipc_port *port) {
  if (port->active) {
    notify_send_once(port); /* the right travels as the notification's destination */
    return;
  }
  port_release_send_once(port);
}

void port_leave_psets(struct ipc_port *port) { pset_remove_all(port); }

bool port_check_circularity(struct ipc_port *port, struct ipc_port *dest) {
  for (struct ipc_port *d = dest; d && d != IPC_PORT_DEAD; d = d->destination) {
    if (d == port) return true;
    if (d->receiver) break;
  }
  return false;
}

static struct ipc_port *destroy_head;
static struct ipc_port *destroy_tail;
static bool destroy_draining;

void port_destroy_later(struct ipc_port *port) {
  port->destroy_pending = true;
  port->destroy_next = NULL;
  if (destroy_tail)
    destroy_tail->destroy_next = port;
  else
    destroy_head = port;
  destroy_tail = port;
}

void port_destroy_receive(struct ipc_port *port) {
  port_destroy_later(port);
  port_destroy_drain();
}

static void wake_all(struct ipc_waitq *q) {
  for (struct ipc_waiter *w; (w = waitq_pop(q)) != NULL;) ipc_wake_later(w);
}

/* The receive right leaves its space: no receiver, out of its port sets, receivers woken. */
static void detach_receiver(struct ipc_port *port) {
  port->receiver = NULL;
  port->receiver_name = MACH_PORT_NULL;
  port_leave_psets(port);
  fdwatch_port_detach(port);
  wake_all(&port->rcv_waiters);
}

static void port_die(struct ipc_port *port) {
  if (port->pdrequest) {
    struct ipc_port *notify = port->pdrequest;
    port->pdrequest = NULL;
    detach_receiver(port);
    if (notify_port_destroyed(notify, port)) return; /* the receive right lives on */
    port_destroy_send_once(notify);
  }
  if (port->export_handle && ipc_export_ops && ipc_export_ops->receive_destroyed) {
    detach_receiver(port);
    if (ipc_export_ops->receive_destroyed(port)) return; /* it lives on in another task */
  }
  port->active = false;
  port->receiver = NULL;
  port->receiver_name = MACH_PORT_NULL;
  port->destination = NULL;
  port_leave_psets(port);
  wake_all(&port->rcv_waiters);
  /* A sender blocked on the full queue: its message counts as delivered and destroyed (rights
   * destroyed, a reply right's send-once notification sent), and its send succeeds, as XNU's
   * ipc_kmsg_send treats a port destroyed while the sender waited (the same as a send to an
   * inactive port). */
  for (struct ipc_waiter *w; (w = waitq_pop(&port->send_waiters)) != NULL;) {
    struct ipc_kmsg *kmsg = w->kmsg;
    w->kmsg = NULL;
    w->result = MACH_MSG_SUCCESS;
    ipc_wake_later(w);
    kmsg_destroy(kmsg);
  }
  for (struct ipc_kmsg *kmsg; (kmsg = port->q_head) != NULL;) {
    port->q_head = kmsg->next;
    if (!port->q_head) port->q_tail = NULL;
    port->msgcount--;
    mqueue_kmsg_leaves(kmsg);
    kmsg_destroy(kmsg);
  }
  fdwatch_port_changed(port);
  fdwatch_port_detach(port);
  if (port->nsrequest) {
    struct ipc_port *notify = port->nsrequest;
    port->nsrequest = NULL;
    port_destroy_send_once(notify);
  }
  dnreq_fire_all(port);
  if (port->transport && port->transport->port_died)
    port->transport->port_died(port);
  else if (port->export_handle && ipc_export_ops && ipc_export_ops->port_died)
    ipc_export_ops->port_died(port);
  port_release(port); /* the receive right's reference */
}

void port_destroy_drain(void) {
  if (destroy_draining) return;
  destroy_draining = true;
  while (destroy_head) {
    struct ipc_port *port = destroy_head;
    destroy_head = port->destroy_next;
    if (!destroy_head) destroy_tail = NULL;
    port->destroy_pending = false;
    port_die(port);
  }
  destroy_draining = false;
}
