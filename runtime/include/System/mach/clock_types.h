/* <System/mach/clock_types.h>: the path xnu's resource_notify.defs imports in user builds
 * (Darwin's System.framework private headers). Same as <mach/clock_types.h>. */
#ifndef OPENMIG_SYSTEM_MACH_CLOCK_TYPES_H
#define OPENMIG_SYSTEM_MACH_CLOCK_TYPES_H
#include <mach/clock_types.h>
#endif /* OPENMIG_SYSTEM_MACH_CLOCK_TYPES_H */
