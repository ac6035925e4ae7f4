/* C types for tests/golden/mach_exc.defs (pre-included when its generated code is compiled). */
#include <mach/mach_types.h>
typedef int exception_type_t;
typedef int64_t *mach_exception_data_t;
typedef natural_t *thread_state_t;
