/* The transport seam: proxy ports and delivery of messages from other tasks. */
#include "ipc/proxy_internal.h"
#include "ipc/mqueue_internal.h"

const struct ipc_transport_ops *ipc_export_ops;

void transport_set_export_ops(const struct ipc_transport_ops *ops) { ipc_export_ops = ops; }

const struct ipc_receive_hooks *ipc_receive_hooks;

void transport_set_receive_hooks(const struct ipc_receive_hooks *hooks) { ipc_receive_hooks = hooks; }

bool ipc_sleep_receive(struct ipc_waiter *w, const struct timespec *deadline) {
  return ipc_receive_hooks ? ipc_receive_hooks->sleep(w, deadline) : ipc_sleep(w, deadline);
}

struct ipc_port *transport_proxy_create(const struct ipc_transport_ops *ops, uint64_t handle) {
  struct ipc_port *proxy = port_alloc();
  if (!proxy) return NULL;
  proxy->transport = ops;
  proxy->transport_handle = handle;
  return proxy;
}

void transport_proxy_dead(struct ipc_port *proxy) {
  if (!proxy->active) return;
  proxy->transport = NULL; /* from now on a plain dead port */
  port_reference(proxy);   /* port_destroy_receive consumes a receive right's reference */
  port_destroy_receive(proxy);
}

void transport_remote_senders(struct ipc_port *port, int32_t delta) {
  if (delta < 0 && (uint32_t)(-delta) > port->remote_senders)
    port->remote_senders = 0;
  else
    port->remote_senders = (uint32_t)((int64_t)port->remote_senders + delta);
  if (delta < 0) {
    /* Same check as the last local send right going away. */
    port_copy_send(port);
    port_release_send(port);
  }
}

bool (*ipc_kobject_message[IKOT_COUNT])(struct ipc_port *port, struct ipc_kmsg *kmsg);

void ipc_reading_begin(void) {
  if (ipc_receive_hooks && ipc_receive_hooks->reading_begin) ipc_receive_hooks->reading_begin();
}

void ipc_reading_end(void) {
  if (ipc_receive_hooks && ipc_receive_hooks->reading_end) ipc_receive_hooks->reading_end();
}

void transport_deliver(struct ipc_kmsg *kmsg) {
  struct ipc_port *port = kmsg->remote;
  if (port->kotype != IKOT_NONE && port->active && !port->transport &&
      ipc_kobject_message[port->kotype]) {
    port_reference(port); /* the message's destination right goes with it */
    bool served = ipc_kobject_message[port->kotype](port, kmsg);
    /* Served at once, as if received: the transport's flow control hears about the room. */
    if (served && port->active) mqueue_admit_senders(port);
    port_release(port);
    if (served) return;
  }
  mqueue_deliver(port, kmsg);
}
