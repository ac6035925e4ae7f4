/* Darwin's <mach/mach_time.h>: the tick counters and their conversion to nanoseconds. Here a
 * tick is one nanosecond (timebase 1/1), so tick differences are already nanoseconds. */
#ifndef OPENMIG_MACH_MACH_TIME_H
#define OPENMIG_MACH_MACH_TIME_H

#include <stdint.h>

#include <mach/openmig_export.h>
#include <mach/kern_return.h>

__BEGIN_DECLS

struct mach_timebase_info {
    uint32_t numer;
    uint32_t denom;
};
typedef struct mach_timebase_info *mach_timebase_info_t;
typedef struct mach_timebase_info mach_timebase_info_data_t;

/* *info gets the ratio that turns ticks into nanoseconds: 1/1. KERN_INVALID_ARGUMENT for NULL. */
extern OPENMIG_API kern_return_t mach_timebase_info(mach_timebase_info_t info);
/* Ticks of a clock that does not count while the system sleeps (CLOCK_MONOTONIC), as Darwin's. */
extern OPENMIG_API uint64_t mach_absolute_time(void);
/* The same, at most a scheduler tick old (CLOCK_MONOTONIC_COARSE). */
extern OPENMIG_API uint64_t mach_approximate_time(void);
/* Ticks of a clock that goes on counting while the system sleeps (CLOCK_BOOTTIME). */
extern OPENMIG_API uint64_t mach_continuous_time(void);
/* The same, at most a scheduler tick old (CLOCK_BOOTTIME: Linux has no coarse variant). */
extern OPENMIG_API uint64_t mach_continuous_approximate_time(void);

__END_DECLS

#endif /* OPENMIG_MACH_MACH_TIME_H */
