/* boolean_t with TRUE and FALSE (Darwin <mach/boolean.h>). */
#ifndef OPENMIG_MACH_BOOLEAN_H
#define OPENMIG_MACH_BOOLEAN_H

#include <mach/machine/boolean.h>

#ifndef TRUE
#define TRUE 1
#endif
#ifndef FALSE
#define FALSE 0
#endif

#endif /* OPENMIG_MACH_BOOLEAN_H */
