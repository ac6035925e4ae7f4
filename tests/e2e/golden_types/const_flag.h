/* C types for tests/golden/const_flag.defs (pre-included when its generated code is compiled). */
#include <mach/mach_types.h>
typedef int *words_t;
/* A 1024-byte path for path_t's ctype (Darwin's nspace_path_t, which this case used, is 8192). */
typedef char path1024_t[1024];
