/* Machine-dependent kern_return_t (Darwin: int on every architecture). */
#ifndef OPENMIG_MACH_MACHINE_KERN_RETURN_H
#define OPENMIG_MACH_MACHINE_KERN_RETURN_H

typedef int kern_return_t;

#endif /* OPENMIG_MACH_MACHINE_KERN_RETURN_H */
