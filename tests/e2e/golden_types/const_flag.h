/* C types for tests/golden/const_flag.defs (pre-included when its generated code is compiled). */
#include <mach/mach_types.h>
typedef int *words_t;
