/* Restartable ranges (<kern/restartable.h>, a private Darwin header), for restartable.defs:
 * code ranges the kernel restarts at a recovery point when a thread is preempted inside. */
#ifndef OPENMIG_KERN_RESTARTABLE_H
#define OPENMIG_KERN_RESTARTABLE_H

#include <stdint.h>
#include <mach/machine/vm_types.h>

/* 16 bytes. */
typedef struct {
  mach_vm_address_t location;  /* start of the range */
  unsigned short length;       /* bytes, at most TASK_RESTARTABLE_OFFSET_MAX */
  unsigned short recovery_offs; /* where to resume, from location */
  unsigned int flags;          /* 0 */
} task_restartable_range_t;
typedef task_restartable_range_t *task_restartable_range_array_t;

#define TASK_RESTARTABLE_OFFSET_MAX 4096u

#endif /* OPENMIG_KERN_RESTARTABLE_H */
