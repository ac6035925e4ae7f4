/* C types for tests/golden/c_string.defs (pre-included when its generated code is compiled). */
#include <mach/mach_types.h>
typedef char name_t[128];
typedef char *path_t;
