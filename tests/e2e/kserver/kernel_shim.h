/* Test-only stand-ins for the xnu functions and types that KernelServer stubs use under
 * __MigKernelSpecificCode, so that kernel-flavoured server code compiles (and, with
 * kernel_shim.c, runs) in user space over OpenMIG's runtime. Not a kernel: a port is a name in
 * the task's space, ipc_port_release_send drops a send right, vm_map_copy_discard frees
 * out-of-line memory it was told about. */
#ifndef KERNEL_SHIM_H
#define KERNEL_SHIM_H

#if !defined(__cplusplus) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L /* strnlen */
#endif
#include <string.h>
#include <mach/mach.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef mach_port_t ipc_port_t;
typedef void *vm_map_copy_t;

#define IP_NULL ((ipc_port_t)MACH_PORT_NULL)
#define IP_VALID(port) ((port) != IP_NULL && (port) != (ipc_port_t)MACH_PORT_DEAD)

/* Drops one send right of `port` from the task's space. */
void ipc_port_release_send(ipc_port_t port);
/* Frees out-of-line memory received in a request. */
void vm_map_copy_discard(vm_map_copy_t copy);
/* TRUE if queueing `port` (a receive right) on `dest` would make a cycle. */
boolean_t ipc_port_check_circularity(ipc_port_t port, ipc_port_t dest);

/* Test side of the shim (kernel_shim.c). A vm_map_copy_t knows its size in the kernel; here the
 * work function tells the shim the size of the out-of-line memory it was given. */
void kernel_shim_note_copy(void *address, vm_size_t size);
struct kernel_shim_counts {
  int released_sends;       /* ipc_port_release_send calls */
  int discarded_copies;     /* vm_map_copy_discard calls on noted memory */
  int unknown_copies;       /* vm_map_copy_discard calls on memory never noted */
  int circularity_checks;   /* ipc_port_check_circularity calls */
  ipc_port_t last_check_port, last_check_dest;
};
extern struct kernel_shim_counts kernel_shim;

#ifdef __cplusplus
}
#endif

#endif /* KERNEL_SHIM_H */
