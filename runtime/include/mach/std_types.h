/* The standard Mach types used by MIG output (<mach/std_types.h>). */
#ifndef OPENMIG_MACH_STD_TYPES_H
#define OPENMIG_MACH_STD_TYPES_H

#include <stdint.h>
#include <mach/boolean.h>
#include <mach/kern_return.h>
#include <mach/port.h>
#include <mach/machine/vm_types.h>

#endif /* OPENMIG_MACH_STD_TYPES_H */
