/* C types for tests/golden/native_types.defs (pre-included when its generated code is compiled). */
#include <mach/mach_types.h>
struct foo { int x; };
struct bar { long y; };
