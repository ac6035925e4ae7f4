/* C types for tests/golden/alias.defs (pre-included when its generated code is compiled). */
#include <mach/mach_types.h>
typedef task_t my_task_t;
typedef int counter_t;
