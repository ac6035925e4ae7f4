/* The work functions of kserver.defs and the objects behind its kobj_t ports (kserver_server.c). */
#ifndef KSERVER_SERVER_H
#define KSERVER_SERVER_H

#include <mach/mach.h>

#include "kserver_types.h"

/* A kernel object reachable through a port: `value` is what ks_translate answers (a negative
 * value makes the work functions fail), `refs` the references convert_port_to_kobj handed out
 * and kobj_deallocate has not dropped. */
struct kobj {
  mach_port_t port;
  int value;
  int refs;
};

/* Makes `obj` the object behind obj->port (one at a time). */
void kobj_register(struct kobj *obj);

/* What the work functions saw and kept. */
struct kserver_log {
  int notified;               /* ks_notify calls that succeeded */
  mach_port_t kept_receive;   /* the receive right behind ks_make_send's send right */
  void *kept_list;            /* ks_port_list's array (deallocate FALSE: the server keeps it) */
  vm_size_t kept_list_size;
  mach_msg_type_name_t poly_disposition; /* what ks_poly answers (received form) */
};
extern struct kserver_log kserver_log;

#endif
