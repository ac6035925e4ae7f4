/* task_inspect flavors (<mach/task_inspect.h>). */
#ifndef OPENMIG_MACH_TASK_INSPECT_H
#define OPENMIG_MACH_TASK_INSPECT_H

#include <stdint.h>
#include <mach/machine/vm_types.h>

typedef natural_t task_inspect_flavor_t;
enum task_inspect_flavor {
  TASK_INSPECT_BASIC_COUNTS = 1,
};

struct task_inspect_basic_counts {
  uint64_t instructions;
  uint64_t cycles;
};
typedef struct task_inspect_basic_counts task_inspect_basic_counts_data_t;
typedef struct task_inspect_basic_counts *task_inspect_basic_counts_t;
#define TASK_INSPECT_BASIC_COUNTS_COUNT                                                      \
  (sizeof(struct task_inspect_basic_counts) / sizeof(natural_t))

typedef integer_t *task_inspect_info_t;

#endif /* OPENMIG_MACH_TASK_INSPECT_H */
