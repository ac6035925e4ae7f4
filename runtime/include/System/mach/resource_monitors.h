/* <System/mach/resource_monitors.h>: the path xnu's resource_notify.defs imports in user
 * builds (Darwin's System.framework private headers). Same as <mach/resource_monitors.h>. */
#ifndef OPENMIG_SYSTEM_MACH_RESOURCE_MONITORS_H
#define OPENMIG_SYSTEM_MACH_RESOURCE_MONITORS_H
#include <mach/resource_monitors.h>
#endif /* OPENMIG_SYSTEM_MACH_RESOURCE_MONITORS_H */
