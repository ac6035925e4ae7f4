/* Fileports (<sys/fileport.h>, docs/fileports.md): a kernel-object port (IKOT_FILEPORT) holding a
 * duplicate of a descriptor, named by send rights; the duplicate is closed when the last send
 * right goes away (the core's no-senders hook for kernel objects). Across processes the machd
 * transport carries the descriptor with the right (fileport_internal.h): a proxy of another
 * process's fileport holds a descriptor of its own. */
#include "api/fileport_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include <sys/fileport.h>

#include "wire/fd_closer.h"

struct fileport {
  int fd;         /* the duplicate this port holds; -1 while its file is only in other processes */
  bool from_peer; /* the file came from another process: its close may block (fd_closer.h) */
};

/* Closes fp's descriptor: one another process gave us through its closer, so that a file whose
 * close blocks (FUSE) never stalls the IPC lock held here. */
static void fileport_close_fd(struct fileport *fp) {
  if (fp->fd < 0) return;
  if (fp->from_peer)
    fd_close_from_peer(fp->fd);
  else
    close(fp->fd);
  fp->fd = -1;
}

/* The last send right went: the port dies and its descriptor is closed. IPC lock held (close on
 * a duplicate does not wait for the file's other users). */
static void fileport_no_senders(struct ipc_port *port) {
  struct fileport *fp = port->kobject;
  if (!fp) return;
  port->kobject = NULL;
  port_destroy_receive(port); /* releases the binding's port reference */
  fileport_close_fd(fp);
  free(fp);
}

/* A new fileport object holding a duplicate of fd (errno set and NULL on failure). */
static struct fileport *fileport_new(int fd) {
  struct fileport *fp = malloc(sizeof *fp);
  if (!fp) {
    errno = ENOMEM;
    return NULL;
  }
  fp->from_peer = false;
  fp->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (fp->fd < 0) { /* EBADF, EMFILE: fcntl's errno */
    free(fp);
    return NULL;
  }
  return fp;
}

int fileport_makeport(int fd, fileport_t *port) {
  if (!port) {
    errno = EFAULT;
    return -1;
  }
  *port = FILEPORT_NULL;
  struct fileport *fp = fileport_new(fd);
  if (!fp) return -1;
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
  int held = e && (e->type & MACH_PORT_TYPE_SEND) ? fileport_fd(e->port) : -1;
  if (held >= 0) {
    fd = fcntl(held, F_DUPFD_CLOEXEC, 0);
    err = errno;
  }
  ipc_unlock();
  if (fd < 0) errno = err;
  return fd;
}

int fileport_moveport(int fd, fileport_t *port) {
  if (fileport_makeport(fd, port) != 0) return -1;
  close(fd); /* the port's duplicate is the file's descriptor here now */
  return 0;
}

int fileport_movefd(fileport_t port) {
  int fd = fileport_makefd(port);
  if (fd >= 0) mach_port_deallocate(mach_task_self(), port);
  return fd;
}

/* ---- across processes (fileport_internal.h), IPC lock held ---- */

bool fileport_is(const struct ipc_port *port) {
  return IPC_PORT_VALID(port) && port->kotype == IKOT_FILEPORT;
}

int fileport_fd(const struct ipc_port *port) {
  const struct fileport *fp = fileport_is(port) && port->active ? port->kobject : NULL;
  return fp ? fp->fd : -1;
}

bool fileport_attach(struct ipc_port *port, int fd) {
  if (!IPC_PORT_VALID(port) || !port->active) return false;
  struct fileport *fp = port->kobject;
  if (port->kotype == IKOT_FILEPORT && fp && fp->fd < 0) { /* a moved fileport comes back */
    fp->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    fp->from_peer = true;
    return fp->fd >= 0;
  }
  if (port->kotype != IKOT_NONE || !port->transport) return false;
  if (!(fp = fileport_new(fd))) return false;
  fp->from_peer = true;
  port->kotype = IKOT_FILEPORT;
  port->kobject = fp;
  return true;
}

void fileport_drop_fd(struct ipc_port *port) {
  struct fileport *fp = fileport_is(port) && !port->transport ? port->kobject : NULL;
  if (fp) fileport_close_fd(fp);
}

void fileport_detach(struct ipc_port *port) {
  struct fileport *fp = fileport_is(port) && port->transport ? port->kobject : NULL;
  if (!fp) return;
  port->kobject = NULL;
  port->kotype = IKOT_NONE;
  fileport_close_fd(fp);
  free(fp);
}

bool fileport_localize(struct ipc_port *port) {
  struct fileport *fp = fileport_is(port) && port->transport && port->active ? port->kobject : NULL;
  if (!fp || fp->fd < 0 || port->srights == 0) return false;
  ipc_kobject_no_senders[IKOT_FILEPORT] = fileport_no_senders;
  port->transport = NULL;
  port->transport_handle = 0;
  port_reference(port); /* the binding's, released when its last send right goes */
  return true;
}
