/* vm_allocate and vm_deallocate (<mach/vm_map.h> subset): page-aligned, zero-filled memory
 * in this task, the memory out-of-line message data lives in. */
#ifndef OPENMIG_MACH_VM_MAP_H
#define OPENMIG_MACH_VM_MAP_H

#include <mach/openmig_export.h>
#include <mach/mach_types.h>
#include <mach/vm_statistics.h>

__BEGIN_DECLS

/* Allocates size bytes (rounded up to pages) of zeroed memory. flags: VM_FLAGS_ANYWHERE
 * (choose the address) or VM_FLAGS_FIXED (at *address, which must be page-aligned and free:
 * KERN_NO_SPACE otherwise). size 0 returns KERN_SUCCESS with *address 0 untouched by Darwin;
 * here *address is set to 0. Only mach_task_self() is accepted as target_task. */
extern OPENMIG_API kern_return_t vm_allocate(vm_map_t target_task, vm_address_t *address,
                                             vm_size_t size, int flags);

/* Releases the pages covering [address, address + size). size 0 is a no-op. */
extern OPENMIG_API kern_return_t vm_deallocate(vm_map_t target_task, vm_address_t address,
                                               vm_size_t size);

__END_DECLS

#endif /* OPENMIG_MACH_VM_MAP_H */
