/* Paging behavior of a region (<mach/vm_behavior.h>), for vm_behavior_set. */
#ifndef OPENMIG_MACH_VM_BEHAVIOR_H
#define OPENMIG_MACH_VM_BEHAVIOR_H

typedef int vm_behavior_t;
#define VM_BEHAVIOR_DEFAULT ((vm_behavior_t)0)
#define VM_BEHAVIOR_RANDOM ((vm_behavior_t)1)
#define VM_BEHAVIOR_SEQUENTIAL ((vm_behavior_t)2)
#define VM_BEHAVIOR_RSEQNTL ((vm_behavior_t)3)
#define VM_BEHAVIOR_WILLNEED ((vm_behavior_t)4)
#define VM_BEHAVIOR_DONTNEED ((vm_behavior_t)5)
#define VM_BEHAVIOR_FREE ((vm_behavior_t)6)
#define VM_BEHAVIOR_ZERO_WIRED_PAGES ((vm_behavior_t)7)
#define VM_BEHAVIOR_REUSABLE ((vm_behavior_t)8)
#define VM_BEHAVIOR_REUSE ((vm_behavior_t)9)
#define VM_BEHAVIOR_CAN_REUSE ((vm_behavior_t)10)
#define VM_BEHAVIOR_PAGEOUT ((vm_behavior_t)11)
#define VM_BEHAVIOR_ZERO ((vm_behavior_t)12)
#define VM_BEHAVIOR_LAST_VALID (VM_BEHAVIOR_ZERO)

#endif /* OPENMIG_MACH_VM_BEHAVIOR_H */
