/* Kernel zone allocator statistics (<mach_debug/zone_info.h>), for mach_zone_info,
 * mach_memory_info and task_zone_info. */
#ifndef OPENMIG_MACH_DEBUG_ZONE_INFO_H
#define OPENMIG_MACH_DEBUG_ZONE_INFO_H

#include <stdint.h>
#include <mach/boolean.h>
#include <mach/machine/vm_types.h>

#define ZONE_NAME_MAX_LEN 80

/* Legacy host_zone_info records. */
typedef struct zone_name {
  char zn_name[ZONE_NAME_MAX_LEN];
} zone_name_t;
typedef zone_name_t *zone_name_array_t;

typedef struct zone_info {
  integer_t zi_count;
  vm_size_t zi_cur_size;
  vm_size_t zi_max_size;
  vm_size_t zi_elem_size;
  vm_size_t zi_alloc_size;
  integer_t zi_pageable;
  integer_t zi_sleepable;
  integer_t zi_exhaustible;
  integer_t zi_collectable;
} zone_info_t;
typedef zone_info_t *zone_info_array_t;

/* mach_zone_info records: 80 and 64 bytes. */
#define MACH_ZONE_NAME_MAX_LEN 80
typedef struct mach_zone_name {
  char mzn_name[ZONE_NAME_MAX_LEN];
} mach_zone_name_t;
typedef mach_zone_name_t *mach_zone_name_array_t;

typedef struct mach_zone_info_data {
  uint64_t mzi_count;
  uint64_t mzi_cur_size;
  uint64_t mzi_max_size;
  uint64_t mzi_elem_size;
  uint64_t mzi_alloc_size;
  uint64_t mzi_sum_size;
  uint64_t mzi_exhaustible;
  uint64_t mzi_collectable; /* bytes << 1 | collectable flag */
} mach_zone_info_t;
typedef mach_zone_info_t *mach_zone_info_array_t;

#define GET_MZI_COLLECTABLE_BYTES(val) ((val) >> 1)
#define GET_MZI_COLLECTABLE_FLAG(val) ((val) & 1)
#define SET_MZI_COLLECTABLE_BYTES(val, size) (val) = ((val) & 1) | ((size) << 1)
#define SET_MZI_COLLECTABLE_FLAG(val, flag) (val) = (flag) ? ((val) | 1) : (val)

/* task_zone_info records: 88 bytes. */
typedef struct task_zone_info_data {
  uint64_t tzi_count;
  uint64_t tzi_cur_size;
  uint64_t tzi_max_size;
  uint64_t tzi_elem_size;
  uint64_t tzi_alloc_size;
  uint64_t tzi_sum_size;
  uint64_t tzi_exhaustible;
  uint64_t tzi_collectable;
  uint64_t tzi_caller_acct;
  uint64_t tzi_task_alloc;
  uint64_t tzi_task_free;
} task_zone_info_t;
typedef task_zone_info_t *task_zone_info_array_t;

/* mach_memory_info records: 176 bytes. */
#define MACH_MEMORY_INFO_NAME_MAX_LEN 80
typedef struct mach_memory_info {
  uint64_t flags;
  uint64_t site;
  uint64_t size;
  uint64_t free;
  uint64_t largest;
  uint64_t collectable_bytes;
  uint64_t mapped;
  uint64_t peak;
  uint16_t tag;
  uint16_t zone;
  uint16_t _resvA[2];
  uint64_t _resv[3];
  char name[MACH_MEMORY_INFO_NAME_MAX_LEN];
} mach_memory_info_t;
typedef mach_memory_info_t *mach_memory_info_array_t;

/* Zone allocation back traces (mach_zone_get_btlog_records): 128 bytes. */
#define MAX_ZTRACE_DEPTH 15
#define ZOP_ALLOC 1
#define ZOP_FREE 0
typedef struct zone_btrecord {
  uint32_t ref_count;
  uint32_t operation_type; /* ZOP_ALLOC or ZOP_FREE */
  uint64_t bt[MAX_ZTRACE_DEPTH];
} zone_btrecord_t;
typedef zone_btrecord_t *zone_btrecord_array_t;

#endif /* OPENMIG_MACH_DEBUG_ZONE_INFO_H */
