/* The names libmach gives the client stubs our mig generates from defs/mach/exc.defs and
 * mach_exc.defs (runtime/CMakeLists.txt compiles them with this header forced in): prefixed, so
 * that a program linking libmach.a may generate and link its own exc / mach_exc client stubs
 * under Darwin's names. KEEP IN SYNC: the routines of exc.defs and mach_exc.defs. */
#ifndef OPENMIG_SERVICES_EXCEPTION_STUBS_H
#define OPENMIG_SERVICES_EXCEPTION_STUBS_H

#define exception_raise openmig_exc_raise
#define exception_raise_state openmig_exc_raise_state
#define exception_raise_state_identity openmig_exc_raise_state_identity
#define mach_exception_raise openmig_mach_exc_raise
#define mach_exception_raise_state openmig_mach_exc_raise_state
#define mach_exception_raise_state_identity openmig_mach_exc_raise_state_identity

#endif /* OPENMIG_SERVICES_EXCEPTION_STUBS_H */
