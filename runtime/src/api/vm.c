/* vm_allocate / vm_deallocate on the task's region registry (ipc/vm.c). */
#include <stdint.h>
#include <sys/mman.h>

#include "ipc/ipc.h"

static bool is_this_task(vm_map_t task) { return task == mach_task_self(); }

kern_return_t vm_allocate(vm_map_t target_task, vm_address_t *address, vm_size_t size,
                          int flags) {
  if (!is_this_task(target_task)) return KERN_INVALID_ARGUMENT;
  if (!address) return KERN_INVALID_ARGUMENT;
  if (size == 0) {
    *address = 0;
    return KERN_SUCCESS;
  }
  size_t len = vm_round(size);
  if (len < size) return KERN_NO_SPACE;
  void *addr;
  if (flags & VM_FLAGS_ANYWHERE) {
    /* Large regions can then move to another process without a copy (docs/machd.md 9.5). */
    addr = len >= VM_MEMFD_MIN ? vm_memfd_alloc(len) : NULL;
    if (!addr) addr = vm_region_alloc(len, true);
    if (!addr) return KERN_NO_SPACE;
  } else {
    if (*address & vm_page_mask) return KERN_INVALID_ARGUMENT;
    vm_cache_evict_range(*address, *address + len);
    addr = mmap((void *)*address, len, PROT_READ | PROT_WRITE,
                MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (addr == MAP_FAILED) return KERN_NO_SPACE;
    if (addr != (void *)*address) { /* old kernels ignore MAP_FIXED_NOREPLACE */
      munmap(addr, len);
      return KERN_NO_SPACE;
    }
  }
  vm_region_register(addr, len);
  *address = (vm_address_t)addr;
  return KERN_SUCCESS;
}

kern_return_t vm_deallocate(vm_map_t target_task, vm_address_t address, vm_size_t size) {
  if (!is_this_task(target_task)) return KERN_INVALID_ARGUMENT;
  if (size == 0) return KERN_SUCCESS;
  if (address + size < address) return KERN_INVALID_ARGUMENT;
  vm_release_range((void *)address, size);
  return KERN_SUCCESS;
}
