/* vm_allocate flags (<mach/vm_statistics.h>); only the flags libmach honours are listed. */
#ifndef OPENMIG_MACH_VM_STATISTICS_H
#define OPENMIG_MACH_VM_STATISTICS_H

#define VM_FLAGS_FIXED 0x00000000
#define VM_FLAGS_ANYWHERE 0x00000001
#define VM_FLAGS_PURGABLE 0x00000002
#define VM_FLAGS_OVERWRITE 0x00004000

#endif /* OPENMIG_MACH_VM_STATISTICS_H */
