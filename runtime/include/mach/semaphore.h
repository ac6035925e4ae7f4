/* Mach semaphores (<mach/semaphore.h>) with Darwin's prototypes. A semaphore is named by a send
 * right (semaphore_t); semaphore_create and semaphore_destroy, which Darwin declares in
 * <mach/task.h>, are declared here too. Contract and differences: docs/semaphores.md. */
#ifndef OPENMIG_MACH_SEMAPHORE_H
#define OPENMIG_MACH_SEMAPHORE_H

#include <mach/openmig_export.h>
#include <mach/port.h>
#include <mach/mach_types.h>
#include <mach/kern_return.h>
#include <mach/sync_policy.h>

/* mach_timespec_t lives in <mach/clock_types.h> on Darwin; defined here when that header is not
 * there (the same layout: unsigned seconds, int nanoseconds). */
#if defined(__has_include)
#if __has_include(<mach/clock_types.h>)
#include <mach/clock_types.h>
#define OPENMIG_MACH_TIMESPEC_DEFINED 1
#endif
#endif
#ifndef OPENMIG_MACH_TIMESPEC_DEFINED
#define OPENMIG_MACH_TIMESPEC_DEFINED 1
typedef int clock_res_t;
struct mach_timespec {
  unsigned int tv_sec;
  clock_res_t tv_nsec;
};
typedef struct mach_timespec mach_timespec_t;
#endif

__BEGIN_DECLS

/* Creates a semaphore with `value` (>= 0) in the task (mach_task_self()); *semaphore gets a
 * send right naming it. */
extern OPENMIG_API kern_return_t semaphore_create(task_t task, semaphore_t *semaphore, int policy,
                                                  int value);
/* Destroys it (threads waiting get KERN_TERMINATED) and consumes the send right. */
extern OPENMIG_API kern_return_t semaphore_destroy(task_t task, semaphore_t semaphore);

extern OPENMIG_API kern_return_t semaphore_signal(semaphore_t semaphore);
extern OPENMIG_API kern_return_t semaphore_signal_all(semaphore_t semaphore);
extern OPENMIG_API kern_return_t semaphore_signal_thread(semaphore_t semaphore, thread_t thread);
extern OPENMIG_API kern_return_t semaphore_wait(semaphore_t semaphore);
extern OPENMIG_API kern_return_t semaphore_timedwait(semaphore_t semaphore,
                                                     mach_timespec_t wait_time);
extern OPENMIG_API kern_return_t semaphore_wait_signal(semaphore_t wait_semaphore,
                                                       semaphore_t signal_semaphore);
extern OPENMIG_API kern_return_t semaphore_timedwait_signal(semaphore_t wait_semaphore,
                                                            semaphore_t signal_semaphore,
                                                            mach_timespec_t wait_time);

__END_DECLS

#endif /* OPENMIG_MACH_SEMAPHORE_H */
