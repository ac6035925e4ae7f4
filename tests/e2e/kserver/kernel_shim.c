/* The kernel functions of kernel_shim.h mapped onto OpenMIG's user-space runtime, counting
 * every call so that tests can check the KernelServer stubs made them. */
#include "kernel_shim.h"

#include <mach/vm_map.h>

struct kernel_shim_counts kernel_shim;

#define SHIM_COPIES 8
static struct {
  void *address;
  vm_size_t size;
} noted[SHIM_COPIES];

void kernel_shim_note_copy(void *address, vm_size_t size) {
  for (int i = 0; i < SHIM_COPIES; i++)
    if (noted[i].address == NULL) {
      noted[i].address = address;
      noted[i].size = size;
      return;
    }
}

void ipc_port_release_send(ipc_port_t port) {
  kernel_shim.released_sends++;
  (void)mach_port_deallocate(mach_task_self(), port);
}

void vm_map_copy_discard(vm_map_copy_t copy) {
  for (int i = 0; i < SHIM_COPIES; i++)
    if (copy != NULL && noted[i].address == copy) {
      (void)vm_deallocate(mach_task_self(), (vm_address_t)copy, noted[i].size);
      noted[i].address = NULL;
      kernel_shim.discarded_copies++;
      return;
    }
  kernel_shim.unknown_copies++;
}

boolean_t ipc_port_check_circularity(ipc_port_t port, ipc_port_t dest) {
  kernel_shim.circularity_checks++;
  kernel_shim.last_check_port = port;
  kernel_shim.last_check_dest = dest;
  return FALSE;
}
