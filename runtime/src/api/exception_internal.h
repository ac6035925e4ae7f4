/* Exception ports' storage (api/exception.c), for the calls in services/exception.c that raise
 * exceptions: the task's and each thread's handler per exception type, and the thread ports. */
#ifndef OPENMIG_API_EXCEPTION_INTERNAL_H
#define OPENMIG_API_EXCEPTION_INTERNAL_H

#include <stdbool.h>

#include <mach/mach_types.h>
#include <mach/exception_types.h>
#include <mach/thread_status.h>

/* The masks a task or thread may set (XNU's EXC_MASK_VALID). */
#define EXC_PORTS_MASK_VALID (EXC_MASK_ALL | EXC_MASK_CRASH | EXC_MASK_CORPSE_NOTIFY)

/* Darwin's get/set/swap on the handlers of `target` (thread true: a thread name from
 * mach_thread_self, else a task name), all under the IPC lock so a swap is atomic.
 * set: install new_port (copied as a send right; MACH_PORT_NULL clears) with behavior and
 * flavor for the types in mask. get: before setting, write the old handlers grouped as
 * task_get_exception_ports documents (masks, *count, ports as new send rights, behaviors,
 * flavors). Argument checks and codes as in <mach/task.h>. */
kern_return_t exc_ports_access(mach_port_t target, bool thread, exception_mask_t mask, bool set,
                               mach_port_t new_port, exception_behavior_t behavior,
                               thread_state_flavor_t flavor, bool get, exception_mask_array_t masks,
                               mach_msg_type_number_t *count, exception_handler_array_t ports,
                               exception_behavior_array_t behaviors,
                               exception_flavor_array_t flavors);

/* The exception masks that have a handler anywhere (the task or any thread), for installing
 * signal handlers. */
exception_mask_t exc_ports_in_use(void);

/* The handler of exception type for the calling thread: level 0 the thread's own, level 1 the
 * task's. Returns false when that level has none; else *port is a new send right in this
 * task's space (the caller deallocates it). Takes the IPC lock: the caller has checked
 * ipc_thread_busy(). */
bool exc_ports_handler(exception_type_t type, int level, mach_port_t *port,
                       exception_behavior_t *behavior, thread_state_flavor_t *flavor);

/* True while this thread holds the IPC lock or is inside mach_msg (ipc_thread_busy). */
bool exc_thread_in_ipc(void);

#endif /* OPENMIG_API_EXCEPTION_INTERNAL_H */
