/* C types for tests/golden/ctypes.defs (pre-included when its generated code is compiled). */
#include <mach/mach_types.h>
typedef int handle_ct;
typedef int user_ct;
typedef int server_ct;
