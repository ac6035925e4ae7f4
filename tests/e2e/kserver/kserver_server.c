/* Work functions of kserver.defs. The generated Server.c is compiled with the -iheader output
 * pre-included, so it calls ksrv_<routine>_external: these are the only definitions, and
 * ksrv_ks_sum below (an unrelated kernel-internal function of the same base name) must not be
 * what the stub calls. Rights a KernelServer replies with travel in received form (moved), so
 * each function hands over a right it owns. */
#include <string.h>

#include <mach/mach.h>
#include <mach/vm_map.h>

#include "kernel_shim.h"
#include "kserverInternal.h"
#include "kserverServer.h"
#include "kserver_server.h"

struct kserver_log kserver_log;
static struct kobj *registered;

void kobj_register(struct kobj *obj) { registered = obj; }

kobj_t convert_port_to_kobj(mach_port_t port) {
  if (registered == NULL || registered->port != port)
    return NULL;
  registered->refs++;
  return registered;
}

void kobj_deallocate(kobj_t obj) {
  if (obj != NULL)
    obj->refs--;
}

#undef ksrv_ks_sum
/* A kernel-internal function that happens to share the work function's name: the -iheader
 * renaming is what keeps the stub away from it. */
int ksrv_ks_sum(void);
int ksrv_ks_sum(void) { return -1; }

kern_return_t ksrv_ks_translate_external(mach_port_t server, kobj_t obj, int *value) {
  (void)server;
  if (obj == NULL || obj->value < 0)
    return KERN_INVALID_ARGUMENT;
  *value = obj->value;
  return KERN_SUCCESS;
}

kern_return_t ksrv_ks_notify_external(mach_port_t server, kobj_t obj) {
  (void)server;
  if (obj == NULL || obj->value < 0)
    return KERN_INVALID_ARGUMENT;
  kserver_log.notified++;
  return KERN_SUCCESS;
}

kern_return_t ksrv_ks_make_send_external(mach_port_t server, mach_port_t *port) {
  (void)server;
  mach_port_t p = MACH_PORT_NULL;
  if (mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &p) != KERN_SUCCESS ||
      mach_port_insert_right(mach_task_self(), p, p, MACH_MSG_TYPE_MAKE_SEND) != KERN_SUCCESS)
    return KERN_RESOURCE_SHORTAGE;
  kserver_log.kept_receive = p;
  *port = p; /* the send right made here leaves with the reply */
  return KERN_SUCCESS;
}

kern_return_t ksrv_ks_receive_external(mach_port_t server, mach_port_t *port) {
  (void)server;
  kern_return_t kr = mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, port);
  kserver_log.kept_receive = *port; /* the name it leaves under */
  return kr;
}

kern_return_t ksrv_ks_poly_external(mach_port_t server, mach_port_t *port,
                                    mach_msg_type_name_t *portPoly) {
  (void)server;
  mach_port_t p = MACH_PORT_NULL;
  if (mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &p) != KERN_SUCCESS)
    return KERN_RESOURCE_SHORTAGE;
  if (kserver_log.poly_disposition == MACH_MSG_TYPE_PORT_SEND) {
    if (mach_port_insert_right(mach_task_self(), p, p, MACH_MSG_TYPE_MAKE_SEND) != KERN_SUCCESS)
      return KERN_RESOURCE_SHORTAGE;
    kserver_log.kept_receive = p;
  }
  *port = p;
  *portPoly = kserver_log.poly_disposition;
  return KERN_SUCCESS;
}

kern_return_t ksrv_ks_port_list_external(mach_port_t server, mach_port_array_t *ports,
                                         mach_msg_type_number_t *portsCnt) {
  (void)server;
  vm_address_t list = 0;
  vm_size_t size = 2 * sizeof(mach_port_t);
  if (vm_allocate(mach_task_self(), &list, size, VM_FLAGS_ANYWHERE) != KERN_SUCCESS)
    return KERN_RESOURCE_SHORTAGE;
  mach_port_t *names = (mach_port_t *)list;
  for (int i = 0; i < 2; i++) {
    names[i] = MACH_PORT_NULL;
    if (mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &names[i]) != KERN_SUCCESS ||
        mach_port_insert_right(mach_task_self(), names[i], names[i], MACH_MSG_TYPE_MAKE_SEND) !=
            KERN_SUCCESS)
      return KERN_RESOURCE_SHORTAGE;
  }
  kserver_log.kept_list = names;
  kserver_log.kept_list_size = size;
  *ports = names;
  *portsCnt = 2;
  return KERN_SUCCESS;
}

kern_return_t ksrv_ks_sum_external(mach_port_t server, ks_ints_t data,
                                   mach_msg_type_number_t dataCnt, int *sum) {
  (void)server;
  /* The stub discards the memory after the call (vm_map_copy_discard): tell the shim its size. */
  kernel_shim_note_copy(data, dataCnt * sizeof(int));
  int total = 0;
  for (mach_msg_type_number_t i = 0; i < dataCnt; i++)
    total += data[i];
  *sum = total;
  return KERN_SUCCESS;
}

kern_return_t ksrv_ks_name_external(mach_port_t server, ks_name_t name, int *length) {
  (void)server;
  *length = (int)strlen(name);
  return KERN_SUCCESS;
}
