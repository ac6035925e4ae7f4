/* C types of tests/golden/ndr.defs. */
#include <mach/mach_types.h>
typedef int32_t nd_value_t;
typedef nd_value_t *nd_list_t;
typedef int *nd_block_t;
typedef char nd_name_t[16];
