/* C types for tests/golden/port_array.defs (pre-included when its generated code is compiled). */
#include <mach/mach_types.h>
typedef mach_port_t two_ports_t[2];
typedef mach_port_t *some_ports_t;
