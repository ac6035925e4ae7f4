/* C types for tests/golden/overwrite_ports.defs (pre-included when its generated code is
 * compiled). */
#include <mach/mach_types.h>
typedef char *blob_t;
typedef mach_port_t *names_t;
typedef mach_port_t pair_t[2];
