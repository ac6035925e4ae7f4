/* C types of kserver.defs. On the server side a kobj_t is the kernel object a port stands for
 * (convert_port_to_kobj); the client only sees the port. */
#ifndef KSERVER_TYPES_H
#define KSERVER_TYPES_H

#include <mach/mach_types.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kobj *kobj_t;
typedef int *ks_ints_t;
typedef char ks_name_t[32];

/* The object behind `port` with a reference, or NULL (kserver_server.c). */
kobj_t convert_port_to_kobj(mach_port_t port);
/* Drops a reference of convert_port_to_kobj. */
void kobj_deallocate(kobj_t obj);

#ifdef __cplusplus
}
#endif

#endif
