/* C types for tests/golden/limits.defs (pre-included when its generated code is compiled). */
#include <mach/mach_types.h>
struct big { char bytes[64]; };
