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
#define TASK_BASIC_INFO_64 5
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
