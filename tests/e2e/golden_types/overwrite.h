/* C types for tests/golden/overwrite.defs (pre-included when its generated code is compiled). */
#include <mach/mach_types.h>
typedef char *blob_t;
