/* C types for tests/golden/samecount.defs (pre-included when its generated code is compiled). */
#include <mach/mach_types.h>
typedef int *masks_t;
typedef mach_port_t *handlers_t;
