/* Processor identification types (<mach/machine.h>): the cpu type words of host and processor
 * info, and the machine_info / machine_slot records. Only the types and the cpu types of
 * current Darwin hardware are given, not the full subtype catalogue. */
#ifndef OPENMIG_MACH_MACHINE_H
#define OPENMIG_MACH_MACHINE_H

#include <stdint.h>
#include <mach/machine/vm_types.h>
#include <mach/boolean.h>

typedef integer_t cpu_type_t;
typedef integer_t cpu_subtype_t;
typedef integer_t cpu_threadtype_t;

#define CPU_STATE_MAX 4
#define CPU_STATE_USER 0
#define CPU_STATE_SYSTEM 1
#define CPU_STATE_IDLE 2
#define CPU_STATE_NICE 3

#define CPU_ARCH_MASK 0xff000000
#define CPU_ARCH_ABI64 0x01000000
#define CPU_ARCH_ABI64_32 0x02000000
#define CPU_TYPE_ANY ((cpu_type_t)-1)
#define CPU_TYPE_X86 ((cpu_type_t)7)
#define CPU_TYPE_I386 CPU_TYPE_X86
#define CPU_TYPE_X86_64 (CPU_TYPE_X86 | CPU_ARCH_ABI64)
#define CPU_TYPE_ARM ((cpu_type_t)12)
#define CPU_TYPE_ARM64 (CPU_TYPE_ARM | CPU_ARCH_ABI64)
#define CPU_TYPE_ARM64_32 (CPU_TYPE_ARM | CPU_ARCH_ABI64_32)
#define CPU_TYPE_POWERPC ((cpu_type_t)18)
#define CPU_TYPE_POWERPC64 (CPU_TYPE_POWERPC | CPU_ARCH_ABI64)

#define CPU_SUBTYPE_MASK 0xff000000
#define CPU_SUBTYPE_LIB64 0x80000000
#define CPU_SUBTYPE_ANY ((cpu_subtype_t)-1)
#define CPU_SUBTYPE_X86_ALL ((cpu_subtype_t)3)
#define CPU_SUBTYPE_X86_64_ALL ((cpu_subtype_t)3)
#define CPU_SUBTYPE_X86_64_H ((cpu_subtype_t)8)
#define CPU_SUBTYPE_ARM64_ALL ((cpu_subtype_t)0)
#define CPU_SUBTYPE_ARM64_V8 ((cpu_subtype_t)1)
#define CPU_SUBTYPE_ARM64E ((cpu_subtype_t)2)

#define CPU_THREADTYPE_NONE ((cpu_threadtype_t)0)

/* Old host description (host_info of the OSF era); 40 bytes on LP64. */
struct machine_info {
  integer_t major_version;
  integer_t minor_version;
  integer_t max_cpus;
  uint32_t memory_size;
  uint64_t max_mem;
  uint32_t physical_cpu;
  integer_t physical_cpu_max;
  uint32_t logical_cpu;
  integer_t logical_cpu_max;
};
typedef struct machine_info *machine_info_t;
typedef struct machine_info machine_info_data_t;

#endif /* OPENMIG_MACH_MACHINE_H */
