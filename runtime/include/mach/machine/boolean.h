/* Machine-dependent boolean type, as in Darwin: unsigned int on x86_64 user space, int elsewhere. */
#ifndef OPENMIG_MACH_MACHINE_BOOLEAN_H
#define OPENMIG_MACH_MACHINE_BOOLEAN_H

#if defined(__x86_64__)
typedef unsigned int boolean_t;
#else
typedef int boolean_t;
#endif

#endif /* OPENMIG_MACH_MACHINE_BOOLEAN_H */
