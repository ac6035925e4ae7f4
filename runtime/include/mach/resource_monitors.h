/* Resource-notification types (<mach/resource_monitors.h>), for resource_notify.defs. The
 * string sizes are Darwin's: MAXCOMLEN 16, PATH_MAX 1024 (not Linux's 4096), so the messages
 * keep their Darwin layout. */
#ifndef OPENMIG_MACH_RESOURCE_MONITORS_H
#define OPENMIG_MACH_RESOURCE_MONITORS_H

#include <stdint.h>

typedef uint64_t resource_notify_flags_t;
#define kRNFlagsNone 0
#define kRNFatalLimitFlag (1ULL << 32)
#define kCPUTriggerFatalFlag kRNFatalLimitFlag
/* Darwin writes these three as (1ULL < n), a comparison, not a shift: the values senders on
 * Darwin actually use are 0, 1 and 1, and those are the values given here. */
#define kRNPhysicalWritesFlag 0ULL
#define kRNSoftLimitFlag 1ULL
#define kRNHardLimitFlag 1ULL

#ifndef MAXCOMLEN
#define MAXCOMLEN 16
#endif
typedef char command_t[16 + 1];
typedef char proc_name_t[2 * 16 + 1];
typedef char posix_path_t[1024];

#endif /* OPENMIG_MACH_RESOURCE_MONITORS_H */
