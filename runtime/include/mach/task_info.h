/* Task information (<mach/task_info.h>): the flavor numbers of task_info and the records of
 * the common flavors. As on Darwin the records are packed to 4 bytes (64-bit members may sit
 * at offsets that are multiples of 4 only). Counts are in natural_t units. */
#ifndef OPENMIG_MACH_TASK_INFO_H
#define OPENMIG_MACH_TASK_INFO_H

#include <stdint.h>
#include <mach/message.h>
#include <mach/machine/vm_types.h>
#include <mach/time_value.h>
#include <mach/policy.h>
#include <mach/vm_statistics.h>

typedef natural_t task_flavor_t;
typedef integer_t *task_info_t;
#define TASK_INFO_MAX (1024)
typedef integer_t task_info_data_t[TASK_INFO_MAX];

#define __OPENMIG_TASK_COUNT(type) ((mach_msg_type_number_t)(sizeof(type) / sizeof(natural_t)))

/* Flavors. */
#define TASK_ABSOLUTETIME_INFO 1
#define TASK_EVENTS_INFO 2
#define TASK_THREAD_TIMES_INFO 3
#define TASK_BASIC_INFO_32 4
/* TASK_BASIC_INFO_64 is 5 on x86_64 and TASK_BASIC_INFO_64_2 on arm64, as on Darwin (below). */
#define TASK_BASIC2_INFO_32 6
#define TASK_KERNELMEMORY_INFO 7
#define TASK_SCHED_TIMESHARE_INFO 10
#define TASK_SCHED_RR_INFO 11
#define TASK_SCHED_FIFO_INFO 12
#define TASK_SECURITY_TOKEN 13
#define TASK_SCHED_INFO 14
#define TASK_AUDIT_TOKEN 15
#define TASK_AFFINITY_TAG_INFO 16
#define TASK_DYLD_INFO 17
#define TASK_BASIC_INFO_64_2 18
#define TASK_EXTMOD_INFO 19
#define MACH_TASK_BASIC_INFO 20
#define TASK_POWER_INFO 21
#define TASK_VM_INFO 22
#define TASK_VM_INFO_PURGEABLE 23
#define TASK_TRACE_MEMORY_INFO 24
#define TASK_WAIT_STATE_INFO 25
#define TASK_POWER_INFO_V2 26
#define TASK_VM_INFO_PURGEABLE_ACCOUNT 27
#define TASK_FLAGS_INFO 28
#define TASK_DEBUG_INFO_INTERNAL 29
#define TASK_SUSPEND_STATS_INFO 30
#define TASK_SUSPEND_SOURCES_INFO 31

#pragma pack(push, 4)

/* TASK_BASIC_INFO (deprecated for MACH_TASK_BASIC_INFO): 40 bytes on LP64. */
struct task_basic_info {
  integer_t suspend_count;
  vm_size_t virtual_size;
  vm_size_t resident_size;
  time_value_t user_time;   /* of terminated threads */
  time_value_t system_time;
  policy_t policy;          /* default for new threads */
};
typedef struct task_basic_info task_basic_info_data_t;
typedef struct task_basic_info *task_basic_info_t;
#define TASK_BASIC_INFO_COUNT (sizeof(task_basic_info_data_t) / sizeof(natural_t))
#if defined(__LP64__)
#define TASK_BASIC_INFO TASK_BASIC_INFO_64
#else
#define TASK_BASIC_INFO TASK_BASIC_INFO_32
#endif

/* MACH_TASK_BASIC_INFO: the same with 64-bit sizes everywhere: 48 bytes. */
struct mach_task_basic_info {
  mach_vm_size_t virtual_size;
  mach_vm_size_t resident_size;
  mach_vm_size_t resident_size_max;
  time_value_t user_time;
  time_value_t system_time;
  policy_t policy;
  integer_t suspend_count;
};
typedef struct mach_task_basic_info mach_task_basic_info_data_t;
typedef struct mach_task_basic_info *mach_task_basic_info_t;
#define MACH_TASK_BASIC_INFO_COUNT __OPENMIG_TASK_COUNT(mach_task_basic_info_data_t)

struct task_events_info {
  integer_t faults;
  integer_t pageins;
  integer_t cow_faults;
  integer_t messages_sent;
  integer_t messages_received;
  integer_t syscalls_mach;
  integer_t syscalls_unix;
  integer_t csw;
};
typedef struct task_events_info task_events_info_data_t;
typedef struct task_events_info *task_events_info_t;
#define TASK_EVENTS_INFO_COUNT __OPENMIG_TASK_COUNT(task_events_info_data_t)

struct task_thread_times_info {
  time_value_t user_time;   /* of live threads */
  time_value_t system_time;
};
typedef struct task_thread_times_info task_thread_times_info_data_t;
typedef struct task_thread_times_info *task_thread_times_info_t;
#define TASK_THREAD_TIMES_INFO_COUNT __OPENMIG_TASK_COUNT(task_thread_times_info_data_t)

/* TASK_DYLD_INFO: where dyld keeps its image list: 20 bytes. */
struct task_dyld_info {
  mach_vm_address_t all_image_info_addr;
  mach_vm_size_t all_image_info_size;
  integer_t all_image_info_format; /* TASK_DYLD_ALL_IMAGE_INFO_32 / _64 */
};
typedef struct task_dyld_info task_dyld_info_data_t;
typedef struct task_dyld_info *task_dyld_info_t;
#define TASK_DYLD_INFO_COUNT (sizeof(task_dyld_info_data_t) / sizeof(natural_t))
#define TASK_DYLD_ALL_IMAGE_INFO_32 0
#define TASK_DYLD_ALL_IMAGE_INFO_64 1

/* TASK_BASIC_INFO_32 and TASK_BASIC_INFO_64 (on arm64 the latter is TASK_BASIC_INFO_64_2, same record). */
struct task_basic_info_32 {
  integer_t suspend_count;
  natural_t virtual_size;
  natural_t resident_size;
  time_value_t user_time;
  time_value_t system_time;
  policy_t policy;
};
typedef struct task_basic_info_32 task_basic_info_32_data_t;
typedef struct task_basic_info_32 *task_basic_info_32_t;
#define TASK_BASIC_INFO_32_COUNT (sizeof(task_basic_info_32_data_t) / sizeof(natural_t))
struct task_basic_info_64 {
  integer_t suspend_count;
  mach_vm_size_t virtual_size;
  mach_vm_size_t resident_size;
  time_value_t user_time;
  time_value_t system_time;
  policy_t policy;
};
typedef struct task_basic_info_64 task_basic_info_64_data_t;
typedef struct task_basic_info_64 *task_basic_info_64_t;
#if defined(__aarch64__) || defined(__arm__)
struct task_basic_info_64_2 {
  integer_t suspend_count;
  mach_vm_size_t virtual_size;
  mach_vm_size_t resident_size;
  time_value_t user_time;
  time_value_t system_time;
  policy_t policy;
};
typedef struct task_basic_info_64_2 task_basic_info_64_2_data_t;
typedef struct task_basic_info_64_2 *task_basic_info_64_2_t;
#define TASK_BASIC_INFO_64_2_COUNT (sizeof(task_basic_info_64_2_data_t) / sizeof(natural_t))
#define TASK_BASIC_INFO_64 TASK_BASIC_INFO_64_2
#define TASK_BASIC_INFO_64_COUNT TASK_BASIC_INFO_64_2_COUNT
#else
#define TASK_BASIC_INFO_64 5
#define TASK_BASIC_INFO_64_COUNT (sizeof(task_basic_info_64_data_t) / sizeof(natural_t))
#endif

/* TASK_ABSOLUTETIME_INFO: mach_absolute_time units. */
struct task_absolutetime_info {
  uint64_t total_user;
  uint64_t total_system;
  uint64_t threads_user;   /* of live threads */
  uint64_t threads_system;
};
typedef struct task_absolutetime_info task_absolutetime_info_data_t;
typedef struct task_absolutetime_info *task_absolutetime_info_t;
#define TASK_ABSOLUTETIME_INFO_COUNT __OPENMIG_TASK_COUNT(task_absolutetime_info_data_t)

struct task_kernelmemory_info {
  uint64_t total_palloc; /* private kernel memory allocated / freed */
  uint64_t total_pfree;
  uint64_t total_salloc; /* shared kernel memory allocated / freed */
  uint64_t total_sfree;
};
typedef struct task_kernelmemory_info task_kernelmemory_info_data_t;
typedef struct task_kernelmemory_info *task_kernelmemory_info_t;
#define TASK_KERNELMEMORY_INFO_COUNT __OPENMIG_TASK_COUNT(task_kernelmemory_info_data_t)

struct task_affinity_tag_info {
  integer_t set_count;
  integer_t min;
  integer_t max;
  integer_t task_count;
};
typedef struct task_affinity_tag_info task_affinity_tag_info_data_t;
typedef struct task_affinity_tag_info *task_affinity_tag_info_t;
#define TASK_AFFINITY_TAG_INFO_COUNT __OPENMIG_TASK_COUNT(task_affinity_tag_info_data_t)

/* An 8-aligned record inside the pack(4) region, as on Darwin (gcc says so; clang does not). */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpacked-not-aligned"
#endif
struct task_extmod_info {
  unsigned char task_uuid[16];
  vm_extmod_statistics_data_t extmod_statistics;
};
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
typedef struct task_extmod_info task_extmod_info_data_t;
typedef struct task_extmod_info *task_extmod_info_t;
#define TASK_EXTMOD_INFO_COUNT __OPENMIG_TASK_COUNT(task_extmod_info_data_t)

struct task_power_info {
  uint64_t total_user;
  uint64_t total_system;
  uint64_t task_interrupt_wakeups;
  uint64_t task_platform_idle_wakeups;
  uint64_t task_timer_wakeups_bin_1;
  uint64_t task_timer_wakeups_bin_2;
};
typedef struct task_power_info task_power_info_data_t;
typedef struct task_power_info *task_power_info_t;
#define TASK_POWER_INFO_COUNT __OPENMIG_TASK_COUNT(task_power_info_data_t)

/* TASK_VM_INFO (and _PURGEABLE): 372 bytes. Each revision appended fields; the REVn counts
 * let a caller ask for an older, shorter record. */
struct task_vm_info {
  mach_vm_size_t virtual_size;
  integer_t region_count;
  integer_t page_size;
  mach_vm_size_t resident_size;
  mach_vm_size_t resident_size_peak;
  mach_vm_size_t device;
  mach_vm_size_t device_peak;
  mach_vm_size_t internal;
  mach_vm_size_t internal_peak;
  mach_vm_size_t external;
  mach_vm_size_t external_peak;
  mach_vm_size_t reusable;
  mach_vm_size_t reusable_peak;
  mach_vm_size_t purgeable_volatile_pmap;
  mach_vm_size_t purgeable_volatile_resident;
  mach_vm_size_t purgeable_volatile_virtual;
  mach_vm_size_t compressed;
  mach_vm_size_t compressed_peak;
  mach_vm_size_t compressed_lifetime;
  mach_vm_size_t phys_footprint; /* rev 1 */
  mach_vm_address_t min_address; /* rev 2 */
  mach_vm_address_t max_address;
  int64_t ledger_phys_footprint_peak; /* rev 3 */
  int64_t ledger_purgeable_nonvolatile;
  int64_t ledger_purgeable_novolatile_compressed;
  int64_t ledger_purgeable_volatile;
  int64_t ledger_purgeable_volatile_compressed;
  int64_t ledger_tag_network_nonvolatile;
  int64_t ledger_tag_network_nonvolatile_compressed;
  int64_t ledger_tag_network_volatile;
  int64_t ledger_tag_network_volatile_compressed;
  int64_t ledger_tag_media_footprint;
  int64_t ledger_tag_media_footprint_compressed;
  int64_t ledger_tag_media_nofootprint;
  int64_t ledger_tag_media_nofootprint_compressed;
  int64_t ledger_tag_graphics_footprint;
  int64_t ledger_tag_graphics_footprint_compressed;
  int64_t ledger_tag_graphics_nofootprint;
  int64_t ledger_tag_graphics_nofootprint_compressed;
  int64_t ledger_tag_neural_footprint;
  int64_t ledger_tag_neural_footprint_compressed;
  int64_t ledger_tag_neural_nofootprint;
  int64_t ledger_tag_neural_nofootprint_compressed;
  uint64_t limit_bytes_remaining; /* rev 4 */
  integer_t decompressions;       /* rev 5 */
  int64_t ledger_swapins;         /* rev 6 */
  int64_t ledger_tag_neural_nofootprint_total; /* rev 7 */
  int64_t ledger_tag_neural_nofootprint_peak;
};
typedef struct task_vm_info task_vm_info_data_t;
typedef struct task_vm_info *task_vm_info_t;
#define TASK_VM_INFO_COUNT __OPENMIG_TASK_COUNT(task_vm_info_data_t)
#define TASK_VM_INFO_REV7_COUNT TASK_VM_INFO_COUNT
#define TASK_VM_INFO_REV6_COUNT ((mach_msg_type_number_t)(TASK_VM_INFO_REV7_COUNT - 4))
#define TASK_VM_INFO_REV5_COUNT ((mach_msg_type_number_t)(TASK_VM_INFO_REV6_COUNT - 2))
#define TASK_VM_INFO_REV4_COUNT ((mach_msg_type_number_t)(TASK_VM_INFO_REV5_COUNT - 1))
#define TASK_VM_INFO_REV3_COUNT ((mach_msg_type_number_t)(TASK_VM_INFO_REV4_COUNT - 2))
#define TASK_VM_INFO_REV2_COUNT ((mach_msg_type_number_t)(TASK_VM_INFO_REV3_COUNT - 42))
#define TASK_VM_INFO_REV1_COUNT ((mach_msg_type_number_t)(TASK_VM_INFO_REV2_COUNT - 4))
#define TASK_VM_INFO_REV0_COUNT ((mach_msg_type_number_t)(TASK_VM_INFO_REV1_COUNT - 2))

struct task_trace_memory_info {
  uint64_t user_memory_address;
  uint64_t buffer_size;
  uint64_t mailbox_array_size;
};
typedef struct task_trace_memory_info task_trace_memory_info_data_t;
typedef struct task_trace_memory_info *task_trace_memory_info_t;
#define TASK_TRACE_MEMORY_INFO_COUNT __OPENMIG_TASK_COUNT(task_trace_memory_info_data_t)

struct task_wait_state_info {
  uint64_t total_wait_state_time;
  uint64_t total_wait_sfi_state_time;
  uint32_t _reserved[4];
};
typedef struct task_wait_state_info task_wait_state_info_data_t;
typedef struct task_wait_state_info *task_wait_state_info_t;
#define TASK_WAIT_STATE_INFO_COUNT __OPENMIG_TASK_COUNT(task_wait_state_info_data_t)

typedef struct {
  uint64_t task_gpu_utilisation;
  uint64_t task_gpu_stat_reserved0;
  uint64_t task_gpu_stat_reserved1;
  uint64_t task_gpu_stat_reserved2;
} gpu_energy_data;
typedef gpu_energy_data *gpu_energy_data_t;

/* TASK_POWER_INFO_V2: task_energy exists on arm64 only, as on Darwin. */
struct task_power_info_v2 {
  task_power_info_data_t cpu_energy;
  gpu_energy_data gpu_energy;
#if defined(__arm__) || defined(__aarch64__)
  uint64_t task_energy;
#endif
  uint64_t task_ptime;
  uint64_t task_pset_switches;
};
typedef struct task_power_info_v2 task_power_info_v2_data_t;
typedef struct task_power_info_v2 *task_power_info_v2_t;
#define TASK_POWER_INFO_V2_COUNT_OLD                                                         \
  ((mach_msg_type_number_t)(sizeof(task_power_info_v2_data_t) - sizeof(uint64_t) * 2) /     \
   sizeof(natural_t))
#define TASK_POWER_INFO_V2_COUNT __OPENMIG_TASK_COUNT(task_power_info_v2_data_t)

struct task_flags_info {
  uint32_t flags; /* TF_* */
};
#define TASK_SECURITY_TOKEN_COUNT                                                            \
  ((mach_msg_type_number_t)(sizeof(security_token_t) / sizeof(natural_t)))
#define TASK_AUDIT_TOKEN_COUNT ((mach_msg_type_number_t)(sizeof(audit_token_t) / sizeof(natural_t)))

typedef struct task_flags_info task_flags_info_data_t;
typedef struct task_flags_info *task_flags_info_t;
#define TASK_FLAGS_INFO_COUNT __OPENMIG_TASK_COUNT(task_flags_info_data_t)
#define TF_LP64 0x00000001
#define TF_64B_DATA 0x00000002

#pragma pack(pop)

/* task_purgable_info's record. */
typedef struct vm_purgeable_info task_purgable_info_t;

/* task_set_exc_guard_behavior / task_get_exc_guard_behavior. */
typedef uint32_t task_exc_guard_behavior_t;
#define TASK_EXC_GUARD_NONE 0x00
#define TASK_EXC_GUARD_VM_DELIVER 0x01
#define TASK_EXC_GUARD_VM_ONCE 0x02
#define TASK_EXC_GUARD_VM_CORPSE 0x04
#define TASK_EXC_GUARD_VM_FATAL 0x08
#define TASK_EXC_GUARD_VM_ALL 0x0f
#define TASK_EXC_GUARD_MP_DELIVER 0x10
#define TASK_EXC_GUARD_MP_ONCE 0x20
#define TASK_EXC_GUARD_MP_CORPSE 0x40
#define TASK_EXC_GUARD_MP_FATAL 0x80
#define TASK_EXC_GUARD_MP_ALL 0xf0
#define TASK_EXC_GUARD_ALL 0xff

/* task_set_corpse_forking_behavior. */
typedef uint32_t task_corpse_forking_behavior_t;
#define TASK_CORPSE_FORKING_DISABLED_MEM_DIAG 0x01

#endif /* OPENMIG_MACH_TASK_INFO_H */
