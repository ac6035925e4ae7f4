/* C types for tests/golden/fixed_array.defs (pre-included when its generated code is compiled). */
#include <mach/mach_types.h>
typedef int quad_t[4];
typedef char bytes3_t[3];
