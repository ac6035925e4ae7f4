/* OpenMIG extension (not a Darwin header): choosing the bootstrap name service. By default the
 * task's bootstrap port is machd's name service, shared by the user's processes (docs/machd.md
 * 7); a program whose names are for its own threads only chooses the in-process service, with
 * MACH_BOOTSTRAP=private in its environment or with this call. */
#ifndef OPENMIG_MACH_OPENMIG_BOOTSTRAP_H
#define OPENMIG_MACH_OPENMIG_BOOTSTRAP_H

#include <mach/kern_return.h>
#include <mach/openmig_export.h>

__BEGIN_DECLS

/* Makes bootstrap_port (and TASK_BOOTSTRAP_PORT) the in-process name service, as
 * MACH_BOOTSTRAP=private does: names checked in are seen by this process's threads only, and
 * machd is neither contacted nor started. Call it at the start of main, before the first
 * bootstrap call and before other threads use bootstrap_port. Returns KERN_SUCCESS, or
 * KERN_FAILURE when the runtime could not make the service's port. Idempotent. */
extern OPENMIG_API kern_return_t openmig_bootstrap_private(void);

__END_DECLS

#endif /* OPENMIG_MACH_OPENMIG_BOOTSTRAP_H */
