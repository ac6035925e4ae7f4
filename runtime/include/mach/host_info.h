/* Host information (<mach/host_info.h>): the flavors and records of host_info,
 * host_statistics and host_statistics64, and the fixed-size strings host_kernel_version and
 * host_get_boot_info return. Counts are in integer_t units, as the *Cnt arguments take them. */
#ifndef OPENMIG_MACH_HOST_INFO_H
#define OPENMIG_MACH_HOST_INFO_H

#include <stdint.h>
#include <mach/message.h>
#include <mach/machine.h>
#include <mach/machine/vm_types.h>
#include <mach/time_value.h>
#include <mach/vm_statistics.h>

typedef integer_t *host_info_t;
typedef integer_t *host_info64_t;
#define HOST_INFO_MAX (1024)
typedef integer_t host_info_data_t[HOST_INFO_MAX];

#define KERNEL_VERSION_MAX (512)
typedef char kernel_version_t[KERNEL_VERSION_MAX];
#define KERNEL_BOOT_INFO_MAX (4096)
typedef char kernel_boot_info_t[KERNEL_BOOT_INFO_MAX];

typedef integer_t host_flavor_t;

/* host_info flavors. */
#define HOST_BASIC_INFO 1
#define HOST_SCHED_INFO 3
#define HOST_RESOURCE_SIZES 4
#define HOST_PRIORITY_INFO 5
#define HOST_SEMAPHORE_TRAPS 7
#define HOST_MACH_MSG_TRAP 8
#define HOST_VM_PURGABLE 9
#define HOST_DEBUG_INFO_INTERNAL 10
#define HOST_CAN_HAS_DEBUGGER 11
#define HOST_PREFERRED_USER_ARCH 12

/* host_statistics / host_statistics64 flavors. */
#define HOST_LOAD_INFO 1
#define HOST_VM_INFO 2
#define HOST_CPU_LOAD_INFO 3
#define HOST_VM_INFO64 4
#define HOST_EXTMOD_INFO64 5
#define HOST_EXPIRED_TASK_INFO 6

struct host_can_has_debugger_info {
  boolean_t can_has_debugger;
};
typedef struct host_can_has_debugger_info host_can_has_debugger_info_data_t;
typedef struct host_can_has_debugger_info *host_can_has_debugger_info_t;

/* HOST_BASIC_INFO: 48 bytes, packed to 4 so that max_mem sits at offset 40 in 32- and
 * 64-bit code alike. */
#pragma pack(push, 4)
struct host_basic_info {
  integer_t max_cpus;
  integer_t avail_cpus;
  natural_t memory_size; /* bytes, saturated at 2 GiB; see max_mem */
  cpu_type_t cpu_type;
  cpu_subtype_t cpu_subtype;
  cpu_threadtype_t cpu_threadtype;
  integer_t physical_cpu;
  integer_t physical_cpu_max;
  integer_t logical_cpu;
  integer_t logical_cpu_max;
  uint64_t max_mem;
};
#pragma pack(pop)
typedef struct host_basic_info host_basic_info_data_t;
typedef struct host_basic_info *host_basic_info_t;

struct host_sched_info {
  integer_t min_timeout;
  integer_t min_quantum;
};
typedef struct host_sched_info host_sched_info_data_t;
typedef struct host_sched_info *host_sched_info_t;

struct kernel_resource_sizes {
  natural_t task;
  natural_t thread;
  natural_t port;
  natural_t memory_region;
  natural_t memory_object;
};
typedef struct kernel_resource_sizes kernel_resource_sizes_data_t;
typedef struct kernel_resource_sizes *kernel_resource_sizes_t;

struct host_priority_info {
  integer_t kernel_priority;
  integer_t system_priority;
  integer_t server_priority;
  integer_t user_priority;
  integer_t depress_priority;
  integer_t idle_priority;
  integer_t minimum_priority;
  integer_t maximum_priority;
};
typedef struct host_priority_info host_priority_info_data_t;
typedef struct host_priority_info *host_priority_info_t;

struct host_load_info {
  integer_t avenrun[3];     /* load averages, scaled by LOAD_SCALE */
  integer_t mach_factor[3];
};
typedef struct host_load_info host_load_info_data_t;
typedef struct host_load_info *host_load_info_t;

struct host_cpu_load_info {
  natural_t cpu_ticks[CPU_STATE_MAX];
};
typedef struct host_cpu_load_info host_cpu_load_info_data_t;
typedef struct host_cpu_load_info *host_cpu_load_info_t;

struct host_preferred_user_arch {
  cpu_type_t cpu_type;
  cpu_subtype_t cpu_subtype;
};
typedef struct host_preferred_user_arch host_preferred_user_arch_data_t;
typedef struct host_preferred_user_arch *host_preferred_user_arch_t;

typedef struct vm_purgeable_info host_purgable_info_data_t;
typedef struct vm_purgeable_info *host_purgable_info_t;

#define __OPENMIG_HOST_COUNT(type) ((mach_msg_type_number_t)(sizeof(type) / sizeof(integer_t)))
#define HOST_CAN_HAS_DEBUGGER_COUNT __OPENMIG_HOST_COUNT(host_can_has_debugger_info_data_t)
#define HOST_BASIC_INFO_COUNT __OPENMIG_HOST_COUNT(host_basic_info_data_t)
#define HOST_SCHED_INFO_COUNT __OPENMIG_HOST_COUNT(host_sched_info_data_t)
#define HOST_RESOURCE_SIZES_COUNT __OPENMIG_HOST_COUNT(kernel_resource_sizes_data_t)
#define HOST_PRIORITY_INFO_COUNT __OPENMIG_HOST_COUNT(host_priority_info_data_t)
#define HOST_LOAD_INFO_COUNT __OPENMIG_HOST_COUNT(host_load_info_data_t)
#define HOST_CPU_LOAD_INFO_COUNT __OPENMIG_HOST_COUNT(host_cpu_load_info_data_t)
#define HOST_PREFERRED_USER_ARCH_COUNT __OPENMIG_HOST_COUNT(host_preferred_user_arch_data_t)
#define HOST_VM_PURGABLE_COUNT __OPENMIG_HOST_COUNT(host_purgable_info_data_t)
#define HOST_VM_INFO_COUNT __OPENMIG_HOST_COUNT(vm_statistics_data_t)
#define HOST_VM_INFO_LATEST_COUNT HOST_VM_INFO_COUNT
#define HOST_VM_INFO_REV2_COUNT HOST_VM_INFO_LATEST_COUNT
#define HOST_VM_INFO_REV1_COUNT ((mach_msg_type_number_t)(HOST_VM_INFO_REV2_COUNT - 1))
#define HOST_VM_INFO_REV0_COUNT ((mach_msg_type_number_t)(HOST_VM_INFO_REV1_COUNT - 2))
#define HOST_VM_INFO64_COUNT __OPENMIG_HOST_COUNT(vm_statistics64_data_t)
#define HOST_VM_INFO64_LATEST_COUNT HOST_VM_INFO64_COUNT
#define HOST_VM_INFO64_REV1_COUNT HOST_VM_INFO64_LATEST_COUNT
#define HOST_VM_INFO64_REV0_COUNT ((mach_msg_type_number_t)(HOST_VM_INFO64_REV1_COUNT - 14))
#define HOST_EXTMOD_INFO64_COUNT __OPENMIG_HOST_COUNT(vm_extmod_statistics_data_t)
#define HOST_EXTMOD_INFO64_LATEST_COUNT HOST_EXTMOD_INFO64_COUNT

#endif /* OPENMIG_MACH_HOST_INFO_H */
