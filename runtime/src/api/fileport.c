/* Fileports (<sys/fileport.h>, docs/fileports.md): a kernel-object port (IKOT_FILEPORT) holding a
 * duplicate of a descriptor, named by send rights; the duplicate is closed when the last send
 * right goes away (the core's no-senders hook for kernel objects). One process only. */
#include "ipc/ipc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include <sys/fileport.h>

struct fileport {
  int fd; /* the duplicate this port holds */
};

/* The last send right went: the port dies and its descriptor is closed. IPC lock held (close on
 * a duplicate does not wait for the file's other users). */
static void fileport_no_senders(struct ipc_port *port) {
  struct fileport *fp = port->kobject;
  if (!fp) return;
  port->kobject = NULL;
  port_destroy_receive(port); /* releases the binding's port reference */
  close(fp->fd);
  free(fp);
}

int fileport_makeport(int fd, fileport_t *port) {
  if (!port) {
    errno = EFAULT;
    return -1;
  }
  *port = FILEPORT_NULL;
  struct fileport *fp = malloc(sizeof *fp);
  if (!fp) {
    errno = ENOMEM;
    return -1;
  }
  fp->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (fp->fd < 0) { /* EBADF, EMFILE: fcntl's errno */
    free(fp);
    return -1;
  }
  struct ipc_space *space = ipc_space_current();
  ipc_lock();
  ipc_kobject_no_senders[IKOT_FILEPORT] = fileport_no_senders;
  struct ipc_port *p = space ? port_alloc() : NULL;
  if (!p) {
    ipc_unlock();
    close(fp->fd);
    free(fp);
    errno = ENOMEM;
    return -1;
  }
  p->kotype = IKOT_FILEPORT;
  p->kobject = fp;
  port_make_send(p);
  mach_port_name_t name = MACH_PORT_NULL;
  kern_return_t kr = right_copyout(space, p, MACH_MSG_TYPE_PORT_SEND, &name);
  ipc_unlock(); /* on failure the send right was destroyed: no senders closed the duplicate */
  if (kr != KERN_SUCCESS) {
    errno = ENOMEM;
    return -1;
  }
  *port = name;
  return 0;
}

int fileport_makefd(fileport_t port) {
  struct ipc_space *space = ipc_space_current();
  int fd = -1, err = EINVAL;
  ipc_lock();
  struct ipc_entry *e = space && MACH_PORT_VALID(port) ? space_lookup(space, port) : NULL;
  if (e && (e->type & MACH_PORT_TYPE_SEND) && e->port->kotype == IKOT_FILEPORT && e->port->kobject) {
    fd = fcntl(((struct fileport *)e->port->kobject)->fd, F_DUPFD_CLOEXEC, 0);
    err = errno;
  }
  ipc_unlock();
  if (fd < 0) errno = err;
  return fd;
}
