/* C types for tests/golden/countinout.defs (pre-included when its generated code is compiled). */
#include <mach/mach_types.h>
typedef int *words_t;
