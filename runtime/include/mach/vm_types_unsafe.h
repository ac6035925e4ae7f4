/* The "unsafe" spellings of the VM scalar types (<mach/vm_types_unsafe.h>). xnu's .defs name
 * them as the C types of addresses, sizes and protections in its kernel configuration
 * (VM_KERNEL_SERVER, e.g. -DKERNEL_SERVER) so that the kernel must sanitize them before use. In
 * user space they are plain aliases of the safe types, as Darwin's user headers make them;
 * the kernel-only wrapper records are not provided. */
#ifndef OPENMIG_MACH_VM_TYPES_UNSAFE_H
#define OPENMIG_MACH_VM_TYPES_UNSAFE_H

#include <mach/vm_types.h>
#include <mach/vm_prot.h>
#include <mach/vm_inherit.h>
#include <mach/vm_behavior.h>
#include <mach/memory_object_types.h>

typedef mach_vm_address_t mach_vm_address_ut;
typedef mach_vm_offset_t mach_vm_offset_ut;
typedef mach_vm_size_t mach_vm_size_ut;
typedef vm_address_t vm_address_ut;
typedef vm_offset_t vm_offset_ut;
typedef vm_size_t vm_size_ut;
typedef vm_map_address_t vm_map_address_ut;
typedef vm_map_offset_t vm_map_offset_ut;
typedef vm_map_size_t vm_map_size_ut;
typedef memory_object_offset_t memory_object_offset_ut;
typedef memory_object_size_t memory_object_size_ut;
typedef vm_object_offset_t vm_object_offset_ut;
typedef vm_object_size_t vm_object_size_ut;
typedef pointer_t pointer_ut;
typedef vm_prot_t vm_prot_ut;
typedef vm_inherit_t vm_inherit_ut;
typedef vm_behavior_t vm_behavior_ut;
typedef struct mach_vm_range mach_vm_range_ut;
/* Darwin keeps the 32-bit ones kernel-private; vm32_map.defs (the 32-bit compatibility
 * interface) names them in its KERNEL_SERVER client stubs, so they are given here too. */
typedef vm32_address_t vm32_address_ut;
typedef vm32_offset_t vm32_offset_ut;
typedef vm32_size_t vm32_size_ut;

#endif /* OPENMIG_MACH_VM_TYPES_UNSAFE_H */
