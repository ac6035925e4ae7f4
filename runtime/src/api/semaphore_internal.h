/* For tests: how many threads wait on the semaphore `name` names (0 for anything else). */
#ifndef OPENMIG_SEMAPHORE_INTERNAL_H
#define OPENMIG_SEMAPHORE_INTERNAL_H

#include <mach/semaphore.h>

unsigned semaphore_waiter_count(semaphore_t name);

#endif /* OPENMIG_SEMAPHORE_INTERNAL_H */
