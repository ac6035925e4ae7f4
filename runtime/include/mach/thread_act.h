/* The thread calls libmach implements (<mach/thread_act.h> subset): the exception ports of a
 * thread of the caller's own task (docs/exceptions.md). A thread is named by a send right from
 * mach_thread_self(). */
#ifndef OPENMIG_MACH_THREAD_ACT_H
#define OPENMIG_MACH_THREAD_ACT_H

#include <mach/openmig_export.h>
#include <mach/mach_types.h>
#include <mach/exception_types.h>

__BEGIN_DECLS

/* As task_set_exception_ports (<mach/task.h>), for one thread of this task: its handlers are
 * tried before the task's. A name that is no live thread of this task: KERN_INVALID_ARGUMENT.
 * The thread's handlers go away with the thread. */
extern OPENMIG_API kern_return_t thread_set_exception_ports(thread_act_t thread,
                                                            exception_mask_t exception_mask,
                                                            mach_port_t new_port,
                                                            exception_behavior_t behavior,
                                                            thread_state_flavor_t new_flavor);

/* As task_get_exception_ports, for one thread of this task. */
extern OPENMIG_API kern_return_t thread_get_exception_ports(thread_act_t thread,
                                                            exception_mask_t exception_mask,
                                                            exception_mask_array_t masks,
                                                            mach_msg_type_number_t *masksCnt,
                                                            exception_handler_array_t old_handlers,
                                                            exception_behavior_array_t old_behaviors,
                                                            exception_flavor_array_t old_flavors);

/* As task_swap_exception_ports, for one thread of this task. */
extern OPENMIG_API kern_return_t thread_swap_exception_ports(thread_act_t thread,
                                                             exception_mask_t exception_mask,
                                                             mach_port_t new_port,
                                                             exception_behavior_t behavior,
                                                             thread_state_flavor_t new_flavor,
                                                             exception_mask_array_t masks,
                                                             mach_msg_type_number_t *masksCnt,
                                                             exception_handler_array_t old_handlers,
                                                             exception_behavior_array_t old_behaviors,
                                                             exception_flavor_array_t old_flavors);

__END_DECLS

#endif /* OPENMIG_MACH_THREAD_ACT_H */
