/* Virtual-memory scalar types (<mach/vm_types.h>) of the Darwin 64-bit user ABI. */
#ifndef OPENMIG_MACH_VM_TYPES_H
#define OPENMIG_MACH_VM_TYPES_H

#include <stdint.h>
#include <mach/port.h>
#include <mach/machine/vm_types.h>

typedef vm_offset_t pointer_t;
typedef vm_offset_t vm_address_t;

typedef uint64_t addr64_t;
typedef uint32_t reg64_t;
typedef uint32_t ppnum_t;

typedef mach_port_t vm_map_t;
typedef mach_port_t vm_map_read_t;
typedef mach_port_t vm_map_inspect_t;

#define VM_MAP_NULL ((vm_map_t)0)
#define VM_MAP_INSPECT_NULL ((vm_map_inspect_t)0)
#define VM_MAP_READ_NULL ((vm_map_read_t)0)

typedef uint64_t vm_object_offset_t;
typedef uint64_t vm_object_size_t;

typedef mach_port_t upl_t;
typedef mach_port_t vm_named_entry_t;

#define UPL_NULL ((upl_t)0)

/* mach_vm_range_create (mach_vm.defs): an address range, the recipe flavor and the recipes
 * as raw bytes. The recipe record itself (mach_vm_range_recipe_v1_t) uses 64-bit bit-fields
 * and is not provided. */
typedef struct mach_vm_range {
  mach_vm_offset_t min_address;
  mach_vm_offset_t max_address;
} *mach_vm_range_t;
typedef uint32_t mach_vm_range_flavor_t;
enum {
  MACH_VM_RANGE_FLAVOR_INVALID,
  MACH_VM_RANGE_FLAVOR_V1,
};
#define MACH_VM_RANGE_FLAVOR_DEFAULT MACH_VM_RANGE_FLAVOR_V1
typedef uint64_t mach_vm_range_flags_t;
#define MACH_VM_RANGE_NONE ((mach_vm_range_flags_t)0)
typedef uint16_t mach_vm_range_tag_t;
enum {
  MACH_VM_RANGE_DEFAULT,
  MACH_VM_RANGE_DATA,
  MACH_VM_RANGE_FIXED,
};
typedef uint8_t *mach_vm_range_recipes_raw_t;
#define VM_NAMED_ENTRY_NULL ((vm_named_entry_t)0)

#endif /* OPENMIG_MACH_VM_TYPES_H */
