/* Thread state types (<mach/thread_status.h>) used by the exception interfaces, and the flavors
 * and layouts of the build machine (machine/thread_status.h). libmach fills and applies the
 * flavor MACHINE_THREAD_STATE of a faulting thread only (docs/exceptions.md). */
#ifndef OPENMIG_MACH_THREAD_STATUS_H
#define OPENMIG_MACH_THREAD_STATUS_H

#include <mach/machine/vm_types.h>
#include <mach/machine/thread_state.h>
#include <mach/machine/thread_status.h>

typedef natural_t *thread_state_t;
typedef natural_t thread_state_data_t[THREAD_STATE_MAX];

typedef int thread_state_flavor_t;
typedef thread_state_flavor_t *thread_state_flavor_array_t;

#define THREAD_STATE_FLAVOR_LIST 0
#define THREAD_STATE_FLAVOR_LIST_NEW 128
#define THREAD_STATE_FLAVOR_LIST_10_9 129
#define THREAD_STATE_FLAVOR_LIST_10_13 130
#define THREAD_STATE_FLAVOR_LIST_10_15 133

#endif /* OPENMIG_MACH_THREAD_STATUS_H */
