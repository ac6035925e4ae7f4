/* C types for tests/golden/split_type.defs (pre-included when its generated code is compiled). */
#include <mach/mach_types.h>
typedef int word_t;
typedef mach_port_t reply_t;
