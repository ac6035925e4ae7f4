/* The task calls libmach implements (<mach/task.h> subset). */
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

__END_DECLS

#endif /* OPENMIG_MACH_TASK_H */
