/* Machine-dependent integer and VM types of the Darwin 64-bit user ABI. */
#ifndef OPENMIG_MACH_MACHINE_VM_TYPES_H
#define OPENMIG_MACH_MACHINE_VM_TYPES_H

#include <stdint.h>

typedef unsigned int natural_t;
typedef int integer_t;

typedef uintptr_t vm_offset_t;
typedef uintptr_t vm_size_t;

typedef uint64_t mach_vm_address_t;
typedef uint64_t mach_vm_offset_t;
typedef uint64_t mach_vm_size_t;

typedef uint64_t vm_map_offset_t;
typedef uint64_t vm_map_address_t;
typedef uint64_t vm_map_size_t;

typedef uint32_t vm32_offset_t;
typedef uint32_t vm32_address_t;
typedef uint32_t vm32_size_t;

typedef mach_vm_address_t mach_port_context_t;

#endif /* OPENMIG_MACH_MACHINE_VM_TYPES_H */
