/* C types for tests/golden/size_expr.defs (pre-included when its generated code is compiled). */
#include <mach/mach_types.h>
typedef char buf_t[28];
