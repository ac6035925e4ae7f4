/* C types for tests/golden/struct_c_size.defs (pre-included when its generated code is compiled):
 * big_t and odd_ct are larger than their struct[N] declarations, plain_t is as declared. */
#include <mach/mach_types.h>
#include <stdint.h>
typedef struct { uint64_t id; uint32_t flags; uint8_t tag[5]; } big_t;
typedef struct { uint16_t a, b, c, d; } odd_ct;
typedef struct { int a, b; } plain_t;
