/* Per-process Mach globals (<mach/mach_init.h>): the task-self name, the bootstrap port and
 * the page size. */
#ifndef OPENMIG_MACH_MACH_INIT_H
#define OPENMIG_MACH_MACH_INIT_H

#include <mach/openmig_export.h>
#include <mach/mach_types.h>

__BEGIN_DECLS

/* The name of a send right to this task in its own space; valid from program start. */
extern OPENMIG_API mach_port_t mach_task_self_;
#define mach_task_self() mach_task_self_
#define current_task() mach_task_self()

/* A new send right (one more uref of the same name on every call) to the calling thread's
 * port: a kernel-object port naming the thread in thread_*_exception_ports and in exception
 * messages. The port is made on the first call and dies with the thread. The caller should
 * mach_port_deallocate each right it gets. */
extern OPENMIG_API mach_port_t mach_thread_self(void);

/* A new receive right in the caller's space, for replies (Darwin's trap): its name, or
 * MACH_PORT_NULL when none can be made. The caller destroys it (mach_port_mod_refs -1 on the
 * receive right) when done. */
extern OPENMIG_API mach_port_t mach_reply_port(void);

/* This task's bootstrap port (a send right; MACH_PORT_NULL until the bootstrap service sets
 * it, see <servers/bootstrap.h>). */
extern OPENMIG_API mach_port_t bootstrap_port;

extern OPENMIG_API vm_size_t vm_page_size;
extern OPENMIG_API vm_size_t vm_page_mask;
extern OPENMIG_API int vm_page_shift;

#define trunc_page(x) ((x) & (~(vm_page_size - 1)))
#define round_page(x) trunc_page((x) + (vm_page_size - 1))

__END_DECLS

#endif /* OPENMIG_MACH_MACH_INIT_H */
