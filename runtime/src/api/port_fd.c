/* mach_port_get_fd (<mach/openmig_fd.h>): a readiness descriptor for a receive right or a port
 * set, from the core's watches (ipc/fdwatch_internal.h). */
#include "ipc/ipc.h"

#include <fcntl.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <mach/openmig_fd.h>

kern_return_t mach_port_get_fd(ipc_space_t task, mach_port_name_t name, int *fd) {
  if (!fd) return KERN_INVALID_ARGUMENT;
  *fd = -1;
  /* Made before the lock (no system calls under it); closed if the name already has one. */
  int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (efd < 0) return KERN_RESOURCE_SHORTAGE;
  struct ipc_space *self = ipc_space_current();
  ipc_lock();
  struct ipc_space *space = self ? space_from_task_name(self, task) : NULL;
  if (!space || !space->active) {
    ipc_unlock();
    close(efd);
    return MACH_SEND_INVALID_DEST;
  }
  kern_return_t kr = KERN_SUCCESS;
  struct ipc_fdwatch *w = NULL;
  bool efd_taken = false; /* fdwatch_of_* took it (kept or closed it) */
  struct ipc_entry *e = MACH_PORT_VALID(name) ? space_lookup(space, name) : NULL;
  if (!e) {
    kr = KERN_INVALID_NAME;
  } else if (e->type & (MACH_PORT_TYPE_RECEIVE | MACH_PORT_TYPE_PORT_SET)) {
    w = (e->type & MACH_PORT_TYPE_RECEIVE) ? fdwatch_of_port(e->port, efd) : fdwatch_of_pset(e->pset, efd);
    efd_taken = true;
    if (!w) kr = KERN_RESOURCE_SHORTAGE;
  } else {
    kr = KERN_INVALID_RIGHT;
  }
  ipc_unlock();
  if (kr != KERN_SUCCESS) {
    if (!efd_taken) close(efd);
    return kr;
  }
  /* The caller's own descriptor on the same eventfd: it stays valid (and, once the port is
   * gone, readable) until the caller closes it, whatever happens to the watch. */
  *fd = fcntl(fdwatch_fd(w), F_DUPFD_CLOEXEC, 0);
  fdwatch_release(w);
  if (*fd < 0) return KERN_RESOURCE_SHORTAGE;
  return KERN_SUCCESS;
}
