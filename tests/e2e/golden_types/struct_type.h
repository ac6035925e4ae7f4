/* C types for tests/golden/struct_type.defs (pre-included when its generated code is compiled). */
#include <mach/mach_types.h>
typedef struct { int a, b; } pair_t;
typedef struct { char c[3]; } triple_t;
