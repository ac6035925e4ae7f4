/* C types for tests/golden/rpc_separate.defs (pre-included when its generated code is
 * compiled). */
#include <mach/mach_types.h>
typedef char *blob_t;
