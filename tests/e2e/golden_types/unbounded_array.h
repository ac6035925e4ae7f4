/* C types for tests/golden/unbounded_array.defs (pre-included when its generated code is compiled). */
#include <mach/mach_types.h>
typedef char *blob_t;
