/* Largest thread state in natural_t units (<mach/machine/thread_state.h>); defines only, so
 * .defs files can include it through cpp. */
#ifndef OPENMIG_MACH_MACHINE_THREAD_STATE_H
#define OPENMIG_MACH_MACHINE_THREAD_STATE_H

#if defined(__aarch64__) || defined(__arm__)
#define ARM_THREAD_STATE_MAX (1296)
#define THREAD_STATE_MAX ARM_THREAD_STATE_MAX
#else
#define I386_THREAD_STATE_MAX (614)
#define THREAD_STATE_MAX I386_THREAD_STATE_MAX
#endif

#endif /* OPENMIG_MACH_MACHINE_THREAD_STATE_H */
