/* <mach/exception.h>: the exception types, masks and behaviors (exception_types.h) and the
 * machine's exception codes (machine/exception.h). */
#ifndef OPENMIG_MACH_EXCEPTION_H
#define OPENMIG_MACH_EXCEPTION_H

#include <mach/exception_types.h>
#include <mach/machine/exception.h>

#endif /* OPENMIG_MACH_EXCEPTION_H */
