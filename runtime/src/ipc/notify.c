/* Notification messages and the dead-name / no-senders / port-destroyed requests. */
#include "ipc/notify_internal.h"
#include "ipc/kmsg_internal.h"
#include "ipc/mqueue_internal.h"
#include "ipc/right_internal.h"

#include <stdlib.h>
#include <string.h>

#pragma pack(push, 4)
struct notify_body_u32 {
  mach_msg_header_t header;
  NDR_record_t ndr;
  uint32_t value;
};
#pragma pack(pop)

static void notify_with_value(struct ipc_port *notify, mach_msg_id_t id, uint32_t value) {
  struct ipc_kmsg *kmsg = kmsg_notification(notify, id, sizeof(struct notify_body_u32));
  if (!kmsg) return;
  struct notify_body_u32 *body = (struct notify_body_u32 *)(void *)kmsg->data;
  body->ndr = NDR_record;
  body->value = value;
  mqueue_deliver(kmsg->remote, kmsg);
}

void notify_no_senders(struct ipc_port *notify, mach_port_mscount_t mscount) {
  notify_with_value(notify, MACH_NOTIFY_NO_SENDERS, mscount);
}

void notify_dead_name(struct ipc_port *notify, mach_port_name_t name) {
  notify_with_value(notify, MACH_NOTIFY_DEAD_NAME, name);
}

void notify_port_deleted(struct ipc_port *notify, mach_port_name_t name) {
  notify_with_value(notify, MACH_NOTIFY_PORT_DELETED, name);
}

void notify_send_once(struct ipc_port *port) {
  struct ipc_kmsg *kmsg = kmsg_notification(port, MACH_NOTIFY_SEND_ONCE, sizeof(mach_msg_header_t));
  if (kmsg) mqueue_deliver(port, kmsg);
}

bool notify_port_destroyed(struct ipc_port *notify, struct ipc_port *port) {
  if (!notify->active || port_check_circularity(port, notify)) return false;
  mach_msg_size_t size = sizeof(mach_msg_base_t) + sizeof(mach_msg_port_descriptor_t);
  struct ipc_kmsg *kmsg = kmsg_alloc(size, 1);
  if (!kmsg) return false;
  memset(kmsg->data, 0, size);
  kmsg->remote = notify;
  kmsg->remote_type = MACH_MSG_TYPE_PORT_SEND_ONCE;
  kmsg->id = MACH_NOTIFY_PORT_DESTROYED;
  kmsg->from_kernel = true;
  kmsg->bits = MACH_MSGH_BITS_COMPLEX;
  mach_msg_base_t *base = (mach_msg_base_t *)(void *)kmsg->data;
  base->body.msgh_descriptor_count = 1;
  mach_msg_port_descriptor_t *pd = (mach_msg_port_descriptor_t *)(void *)(base + 1);
  pd->type = MACH_MSG_PORT_DESCRIPTOR;
  pd->disposition = MACH_MSG_TYPE_PORT_RECEIVE;
  kmsg->desc[0].type = MACH_MSG_PORT_DESCRIPTOR;
  kmsg->desc[0].offset = sizeof(mach_msg_base_t);
  kmsg->desc[0].disp = MACH_MSG_TYPE_PORT_RECEIVE;
  kmsg->desc[0].port = port;
  kmsg->carries_receive = true;
  mqueue_deliver(notify, kmsg);
  return true;
}

static void dnreq_unlink(struct ipc_dnreq *req) {
  struct ipc_dnreq **pp = &req->port->dnrequests;
  while (*pp && *pp != req) pp = &(*pp)->next;
  if (*pp) *pp = req->next;
}

void dnreq_cancel(struct ipc_dnreq *req) {
  struct ipc_entry *e = space_entry_raw(req->space, req->name);
  if (e && e->dnreq == req) e->dnreq = NULL;
  dnreq_unlink(req);
  notify_port_deleted(req->notify, req->name);
  free(req);
}

void dnreq_discard(struct ipc_dnreq *req) {
  struct ipc_entry *e = space_entry_raw(req->space, req->name);
  if (e && e->dnreq == req) e->dnreq = NULL;
  dnreq_unlink(req);
  port_destroy_send_once(req->notify);
  free(req);
}

void dnreq_fire_all(struct ipc_port *port) {
  struct ipc_dnreq *req;
  while ((req = port->dnrequests) != NULL) {
    port->dnrequests = req->next;
    struct ipc_entry *e = space_entry_raw(req->space, req->name);
    if (e && e->dnreq == req) {
      e->dnreq = NULL;
      right_check_dead(req->space, req->name, e);
      if ((e->type & MACH_PORT_TYPE_DEAD_NAME) && e->urefs < IPC_UREFS_MAX) e->urefs++;
    }
    notify_dead_name(req->notify, req->name);
    free(req);
  }
}

static kern_return_t request_dead_name(struct ipc_space *space, mach_port_name_t name,
                                       struct ipc_entry *e, mach_port_mscount_t sync,
                                       struct ipc_port *notify, struct ipc_port **previous) {
  if (e->type & MACH_PORT_TYPE_DEAD_NAME) {
    if (sync == 0 || !notify) {
      if (notify) port_destroy_send_once(notify);
      return KERN_INVALID_ARGUMENT;
    }
    if (e->urefs >= IPC_UREFS_MAX) {
      port_destroy_send_once(notify);
      return KERN_UREFS_OVERFLOW;
    }
    e->urefs++;
    notify_dead_name(notify, name);
    return KERN_SUCCESS;
  }
  if (!(e->type & MACH_PORT_TYPE_PORT_RIGHTS)) {
    if (notify) port_destroy_send_once(notify);
    return KERN_INVALID_RIGHT;
  }
  if (e->dnreq) {
    struct ipc_dnreq *old = e->dnreq;
    dnreq_unlink(old);
    e->dnreq = NULL;
    *previous = old->notify;
    free(old);
  }
  if (!notify) return KERN_SUCCESS;
  struct ipc_dnreq *req = calloc(1, sizeof *req);
  if (!req) {
    port_destroy_send_once(notify);
    return KERN_RESOURCE_SHORTAGE;
  }
  req->space = space;
  req->name = name;
  req->notify = notify;
  req->port = e->port;
  req->next = e->port->dnrequests;
  e->port->dnrequests = req;
  e->dnreq = req;
  return KERN_SUCCESS;
}

kern_return_t notify_request(struct ipc_space *space, mach_port_name_t name, mach_msg_id_t msgid,
                             mach_port_mscount_t sync, struct ipc_port *notify,
                             struct ipc_port **previous) {
  *previous = NULL;
  struct ipc_entry *e = space_lookup(space, name);
  kern_return_t kr = KERN_SUCCESS;
  if (!e) {
    kr = KERN_INVALID_NAME;
  } else if (msgid == MACH_NOTIFY_DEAD_NAME) {
    return request_dead_name(space, name, e, sync, notify, previous);
  } else if (msgid != MACH_NOTIFY_NO_SENDERS && msgid != MACH_NOTIFY_PORT_DESTROYED) {
    kr = KERN_INVALID_VALUE;
  } else if (!(e->type & MACH_PORT_TYPE_RECEIVE)) {
    kr = KERN_INVALID_RIGHT;
  } else if (msgid == MACH_NOTIFY_PORT_DESTROYED && sync != 0) {
    kr = KERN_INVALID_VALUE;
  }
  if (kr != KERN_SUCCESS) {
    if (notify) port_destroy_send_once(notify);
    return kr;
  }
  struct ipc_port *port = e->port;
  if (msgid == MACH_NOTIFY_PORT_DESTROYED) {
    *previous = port->pdrequest;
    port->pdrequest = notify;
    return KERN_SUCCESS;
  }
  *previous = port->nsrequest;
  port->nsrequest = NULL;
  if (notify && port->srights == 0 && port->remote_senders == 0 && sync <= port->mscount) {
    notify_no_senders(notify, port->mscount);
  } else {
    port->nsrequest = notify;
    port->ns_sync = sync;
  }
  return KERN_SUCCESS;
}
