/* The kernel interfaces libmach provides (<mach/mach_interface.h>). */
#ifndef OPENMIG_MACH_MACH_INTERFACE_H
#define OPENMIG_MACH_MACH_INTERFACE_H

#include <mach/mach_port.h>
#include <mach/task.h>
#include <mach/thread_act.h>
#include <mach/vm_map.h>

#endif /* OPENMIG_MACH_MACH_INTERFACE_H */
