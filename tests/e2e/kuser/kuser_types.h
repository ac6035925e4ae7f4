/* C types of kuser.defs. */
#ifndef KUSER_TYPES_H
#define KUSER_TYPES_H
#include <mach/mach_types.h>
typedef char *blob_t;
#endif
