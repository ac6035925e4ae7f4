/* C types for tests/golden/var_array.defs (pre-included when its generated code is compiled). */
#include <mach/mach_types.h>
typedef int *words_t;
