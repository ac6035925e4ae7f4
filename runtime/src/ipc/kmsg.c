/* Messages in transit: allocation, destruction (releasing every right and region they hold),
 * and the notification messages the runtime itself sends. */
#include "ipc/kmsg_internal.h"
#include "ipc/ool_internal.h"
#include "ipc/ool_stage_internal.h"
#include "ipc/port_internal.h"
#include "ipc/right_internal.h"

#include <stdlib.h>
#include <string.h>

struct ipc_kmsg *kmsg_alloc(mach_msg_size_t size, uint32_t ndesc) {
  size_t desc_bytes = (size_t)ndesc * sizeof(struct kmsg_desc);
  struct ipc_kmsg *kmsg = malloc(sizeof *kmsg + desc_bytes + size);
  if (!kmsg) return NULL;
  memset(kmsg, 0, sizeof *kmsg + desc_bytes);
  kmsg->size = size;
  kmsg->ndesc = ndesc;
  kmsg->desc = (struct kmsg_desc *)(void *)(kmsg + 1);
  kmsg->data = (unsigned char *)(kmsg + 1) + desc_bytes;
  ipc_stats.messages++;
  return kmsg;
}

void kmsg_free(struct ipc_kmsg *kmsg) {
  ool_stage_drop(kmsg);
  free(kmsg->aux);
  ipc_stats.messages--;
  free(kmsg);
}

void kmsg_clean_descriptors(struct ipc_kmsg *kmsg, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) {
    struct kmsg_desc *d = &kmsg->desc[i];
    switch (d->type) {
    case MACH_MSG_PORT_DESCRIPTOR:
    case MACH_MSG_GUARDED_PORT_DESCRIPTOR:
      right_destroy(d->port, d->disp);
      d->port = NULL;
      break;
    case MACH_MSG_OOL_DESCRIPTOR:
    case MACH_MSG_OOL_VOLATILE_DESCRIPTOR:
      if (d->addr) ool_discard(d->addr, d->size);
      d->addr = NULL;
      break;
    case MACH_MSG_OOL_PORTS_DESCRIPTOR:
      for (mach_msg_size_t j = 0; j < d->count; j++) right_destroy(d->ports[j], d->disp);
      free(d->ports);
      d->ports = NULL;
      d->count = 0;
      break;
    default:
      break;
    }
  }
}

void kmsg_destroy(struct ipc_kmsg *kmsg) {
  /* The destination right was used by sending: released without a notification. */
  if (IPC_PORT_VALID(kmsg->remote)) {
    if (kmsg->remote_type == MACH_MSG_TYPE_PORT_SEND_ONCE)
      port_release_send_once(kmsg->remote);
    else
      port_release_send(kmsg->remote);
  }
  right_destroy(kmsg->local, kmsg->local_type);
  kmsg_clean_descriptors(kmsg, kmsg->ndesc);
  kmsg_free(kmsg);
}

struct ipc_kmsg *kmsg_notification(struct ipc_port *notify, mach_msg_id_t id,
                                   mach_msg_size_t size) {
  struct ipc_kmsg *kmsg = kmsg_alloc(size, 0);
  if (!kmsg) {
    port_release_send_once(notify);
    return NULL;
  }
  memset(kmsg->data, 0, size);
  kmsg->remote = notify;
  kmsg->remote_type = MACH_MSG_TYPE_PORT_SEND_ONCE;
  kmsg->id = id;
  kmsg->from_kernel = true;
  return kmsg;
}
