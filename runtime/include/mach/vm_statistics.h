/* Virtual memory statistics and vm_allocate flags (<mach/vm_statistics.h>). The statistics
 * records are what host_statistics / host_statistics64 (HOST_VM_INFO, HOST_VM_INFO64,
 * HOST_EXTMOD_INFO64) and task_purgable_info return; libmach itself honours only the flags
 * listed with it in runtime.md (FIXED, ANYWHERE). */
#ifndef OPENMIG_MACH_VM_STATISTICS_H
#define OPENMIG_MACH_VM_STATISTICS_H

#include <stdint.h>
#include <mach/machine/vm_types.h>

/* 32-bit counters, 15 x 4 = 60 bytes (HOST_VM_INFO). */
struct vm_statistics {
  natural_t free_count;
  natural_t active_count;
  natural_t inactive_count;
  natural_t wire_count;
  natural_t zero_fill_count;
  natural_t reactivations;
  natural_t pageins;
  natural_t pageouts;
  natural_t faults;
  natural_t cow_faults;
  natural_t lookups;
  natural_t hits;
  natural_t purgeable_count;
  natural_t purges;
  natural_t speculative_count;
};
typedef struct vm_statistics *vm_statistics_t;
typedef struct vm_statistics vm_statistics_data_t;

/* 64-bit counters (HOST_VM_INFO64): 152 bytes, 8-byte aligned. */
struct vm_statistics64 {
  natural_t free_count;
  natural_t active_count;
  natural_t inactive_count;
  natural_t wire_count;
  uint64_t zero_fill_count;
  uint64_t reactivations;
  uint64_t pageins;
  uint64_t pageouts;
  uint64_t faults;
  uint64_t cow_faults;
  uint64_t lookups;
  uint64_t hits;
  uint64_t purges;
  natural_t purgeable_count;
  natural_t speculative_count;
  uint64_t decompressions;
  uint64_t compressions;
  uint64_t swapins;
  uint64_t swapouts;
  natural_t compressor_page_count;
  natural_t throttled_count;
  natural_t external_page_count;
  natural_t internal_page_count;
  uint64_t total_uncompressed_pages_in_compressor;
} __attribute__((aligned(8)));
typedef struct vm_statistics64 *vm_statistics64_t;
typedef struct vm_statistics64 vm_statistics64_data_t;

/* Counts of operations on a task by others (HOST_EXTMOD_INFO64): 48 bytes. */
struct vm_extmod_statistics {
  int64_t task_for_pid_count;
  int64_t task_for_pid_caller_count;
  int64_t thread_creation_count;
  int64_t thread_creation_caller_count;
  int64_t thread_set_state_count;
  int64_t thread_set_state_caller_count;
} __attribute__((aligned(8)));
typedef struct vm_extmod_statistics *vm_extmod_statistics_t;
typedef struct vm_extmod_statistics vm_extmod_statistics_data_t;

/* Purgeable memory by queue (task_purgable_info, HOST_VM_PURGABLE): 17 x 16 = 272 bytes. */
typedef struct vm_purgeable_stat {
  uint64_t count;
  uint64_t size;
} vm_purgeable_stat_t;
struct vm_purgeable_info {
  vm_purgeable_stat_t fifo_data[8];
  vm_purgeable_stat_t obsolete_data;
  vm_purgeable_stat_t lifo_data[8];
};
typedef struct vm_purgeable_info *vm_purgeable_info_t;

/* vm_allocate / vm_map flags. */
#define VM_FLAGS_FIXED 0x00000000
#define VM_FLAGS_ANYWHERE 0x00000001
#define VM_FLAGS_PURGABLE 0x00000002
#define VM_FLAGS_4GB_CHUNK 0x00000004
#define VM_FLAGS_RANDOM_ADDR 0x00000008
#define VM_FLAGS_NO_CACHE 0x00000010
#define VM_FLAGS_RESILIENT_CODESIGN 0x00000020
#define VM_FLAGS_RESILIENT_MEDIA 0x00000040
#define VM_FLAGS_PERMANENT 0x00000080
#define VM_FLAGS_TPRO 0x00001000
#define VM_FLAGS_OVERWRITE 0x00004000
#define VM_FLAGS_SUPERPAGE_MASK 0x00070000
#define VM_FLAGS_RETURN_DATA_ADDR 0x00100000
#define VM_FLAGS_RETURN_4K_DATA_ADDR 0x00800000
#define VM_FLAGS_ALIAS_MASK 0xFF000000
#define VM_GET_FLAGS_ALIAS(flags, alias) ((alias) = (int)(((flags) >> 24) & 0xFF))
#define VM_SET_FLAGS_ALIAS(flags, alias) ((flags) = (((flags) & ~VM_FLAGS_ALIAS_MASK) | ((alias) << 24)))
#define VM_MAKE_TAG(tag) ((tag) << 24)

#endif /* OPENMIG_MACH_VM_STATISTICS_H */
