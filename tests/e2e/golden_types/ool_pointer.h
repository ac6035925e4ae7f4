/* C types for tests/golden/ool_pointer.defs (pre-included when its generated code is compiled). */
#include <mach/mach_types.h>
typedef char *page_t;
typedef char *data_ptr_t;
typedef int *bounded_ptr_t;
typedef int *one_t;
