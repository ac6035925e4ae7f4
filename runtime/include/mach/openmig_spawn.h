/* OpenMIG extension (not a Darwin header): starting a program and holding its task port, the way
 * a macOS broker gets a child's task port from the kernel. docs/runtime.md ("Task ports across
 * processes") has the contract; docs/security.md says who may hold a task port. */
#ifndef OPENMIG_MACH_OPENMIG_SPAWN_H
#define OPENMIG_MACH_OPENMIG_SPAWN_H

#include <mach/openmig_export.h>
#include <mach/mach_types.h>

#include <spawn.h>
#include <sys/types.h>

__BEGIN_DECLS

/* posix_spawn(pid, path, file_actions, attrp, argv, envp), and a send right to the new task's
 * port in *task: the mach_port_* calls on it act on the child's space. The child must be a
 * libmach program; its runtime hands its port over while it starts, before its main() runs, and
 * only to this caller (machd vouches for the sender's pid). envp NULL: the caller's environment.
 * Returns 0; an errno of posix_spawn, or ENOTCONN when machd cannot be reached, with nothing
 * started; or, with *pid set (the child runs and is the caller's to wait for) and *task
 * MACH_PORT_NULL: ESRCH if the child ended before it handed its port over, ETIMEDOUT if it did
 * not within 30 seconds (it is not a libmach program, or it was stopped). EINVAL for a NULL pid,
 * task or path. */
extern OPENMIG_API int openmig_posix_spawn(pid_t *pid, mach_port_t *task, const char *path,
                                           const posix_spawn_file_actions_t *file_actions,
                                           const posix_spawnattr_t *attrp, char *const argv[],
                                           char *const envp[]);

__END_DECLS

#endif /* OPENMIG_MACH_OPENMIG_SPAWN_H */
