/* Synchronizer policies (<mach/sync_policy.h>), Darwin's names and values: the order in which a
 * semaphore wakes its waiters. libmach wakes in FIFO order whatever the policy (docs/semaphores.md). */
#ifndef OPENMIG_MACH_SYNC_POLICY_H
#define OPENMIG_MACH_SYNC_POLICY_H

typedef int sync_policy_t;

#define SYNC_POLICY_FIFO 0x0
#define SYNC_POLICY_FIXED_PRIORITY 0x1
#define SYNC_POLICY_REVERSED 0x2
#define SYNC_POLICY_ORDER_MASK 0x3
#define SYNC_POLICY_LIFO (SYNC_POLICY_FIFO | SYNC_POLICY_REVERSED)
#define SYNC_POLICY_MAX 0x7

#endif /* OPENMIG_MACH_SYNC_POLICY_H */
