/* C types for tests/golden/poly_one_side.defs (pre-included when its generated code is compiled). */
#include <mach/mach_types.h>
typedef mach_port_t notify_reply_t;
