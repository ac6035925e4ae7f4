/* The task calls libmach implements (<mach/task.h> subset): special ports, task_info and the
 * exception ports (docs/exceptions.md). */
#ifndef OPENMIG_MACH_TASK_H
#define OPENMIG_MACH_TASK_H

#include <mach/openmig_export.h>
#include <mach/mach_types.h>
#include <mach/task_info.h>
#include <mach/task_special_ports.h>

__BEGIN_DECLS

/* Returns in *special_port a new send right (or MACH_PORT_NULL) to the task's special port
 * which_port (TASK_*_PORT); the caller owns one uref of it. */
extern OPENMIG_API kern_return_t task_get_special_port(task_t task, int which_port,
                                                       mach_port_t *special_port);

/* Replaces the task's special port which_port by a copy of the send right special_port
 * (MACH_PORT_NULL clears it). The caller keeps its own right. */
extern OPENMIG_API kern_return_t task_set_special_port(task_t task, int which_port,
                                                       mach_port_t special_port);

/* TASK_SECURITY_TOKEN ({euid, egid}) and TASK_AUDIT_TOKEN (the audit token stamped on the
 * task's messages); *count in and out, in natural_t units (too small: KERN_INVALID_ARGUMENT,
 * another flavor: KERN_INVALID_ARGUMENT). */
extern OPENMIG_API kern_return_t task_info(task_t task, task_flavor_t flavor,
                                           task_info_t task_info_out,
                                           mach_msg_type_number_t *task_info_count);

/* Exception ports (docs/exceptions.md). Only the caller's own task (mach_task_self()): another
 * task name is KERN_INVALID_ARGUMENT (its faults cannot be caught from here).
 *
 * task_set_exception_ports: for every exception type in exception_mask (EXC_MASK_*; a bit
 * outside EXC_MASK_ALL | EXC_MASK_CRASH | EXC_MASK_CORPSE_NOTIFY: KERN_INVALID_ARGUMENT), the
 * task's handler becomes a copy of the send right new_port (MACH_PORT_NULL clears it) with
 * behavior (EXCEPTION_DEFAULT, EXCEPTION_STATE or EXCEPTION_STATE_IDENTITY, optionally
 * | MACH_EXCEPTION_CODES; MACH_EXCEPTION_ERRORS and MACH_EXCEPTION_BACKTRACE_PREFERRED are
 * accepted and ignored; others: KERN_INVALID_ARGUMENT) and new_flavor (THREAD_STATE_NONE or
 * MACHINE_THREAD_STATE; others: KERN_INVALID_ARGUMENT). The caller keeps its right. A name that
 * is no send right: KERN_INVALID_RIGHT / KERN_INVALID_NAME. Installs libmach's signal handlers
 * (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP) for the masks that get a handler and restores the
 * previous actions when the last handler of a mask is cleared. Thread-safe; not
 * async-signal-safe. */
extern OPENMIG_API kern_return_t task_set_exception_ports(task_t task, exception_mask_t exception_mask,
                                                          mach_port_t new_port,
                                                          exception_behavior_t behavior,
                                                          thread_state_flavor_t new_flavor);

/* task_get_exception_ports: the handlers of the types in exception_mask, grouped as Darwin
 * does: one entry per distinct (port, behavior, flavor), its mask the OR of the types it
 * handles (types without a handler give an entry with MACH_PORT_NULL, behavior 0, flavor 0).
 * *masksCnt is the arrays' capacity on entry (at most EXC_TYPES_COUNT entries are ever used) and
 * the entries written on return. Each port returned is a new send right the caller owns. */
extern OPENMIG_API kern_return_t task_get_exception_ports(task_t task, exception_mask_t exception_mask,
                                                          exception_mask_array_t masks,
                                                          mach_msg_type_number_t *masksCnt,
                                                          exception_handler_array_t old_handlers,
                                                          exception_behavior_array_t old_behaviors,
                                                          exception_flavor_array_t old_flavors);

/* task_swap_exception_ports: task_get_exception_ports then task_set_exception_ports, atomically:
 * the old handlers of the types in exception_mask are returned, then replaced. */
extern OPENMIG_API kern_return_t task_swap_exception_ports(task_t task, exception_mask_t exception_mask,
                                                           mach_port_t new_port,
                                                           exception_behavior_t behavior,
                                                           thread_state_flavor_t new_flavor,
                                                           exception_mask_array_t masks,
                                                           mach_msg_type_number_t *masksCnt,
                                                           exception_handler_array_t old_handlers,
                                                           exception_behavior_array_t old_behaviors,
                                                           exception_flavor_array_t old_flavors);

__END_DECLS

#endif /* OPENMIG_MACH_TASK_H */
