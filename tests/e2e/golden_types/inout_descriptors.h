/* C types for tests/golden/inout_descriptors.defs (pre-included when its generated code is compiled). */
#include <mach/mach_types.h>
typedef int *blob_t;
typedef mach_port_t *names_t;
