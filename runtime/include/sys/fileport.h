/* <sys/fileport.h>: Darwin's fileports, Mach ports that stand for an open file. A fileport is a
 * kernel-object port named by send rights; the file stays open while a send right to it exists,
 * in this process or, through machd, in any other (docs/fileports.md). */
#ifndef _SYS_FILEPORT_H_
#define _SYS_FILEPORT_H_

#include <mach/openmig_export.h>
#include <mach/port.h>

#ifndef _FILEPORT_T
#define _FILEPORT_T
typedef mach_port_t fileport_t;
#define FILEPORT_NULL ((fileport_t)0)
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Makes a fileport for the open file `fd` refers to: *port gets a send right to a new port that
 * holds a duplicate of fd (fd itself stays the caller's). Returns 0, or -1 with errno: EBADF (fd
 * is not an open descriptor), EFAULT (port is NULL), EMFILE (no descriptor left for the
 * duplicate), ENOMEM. The duplicate is closed when the port's last send right goes away (in
 * this process, or destroyed in a message). Thread-safe. */
extern OPENMIG_API int fileport_makeport(int fd, fileport_t *port);

/* A new descriptor (close-on-exec) for the file of the fileport `port` names, made here or
 * received from another process; the send right stays the caller's. Returns it, or -1 with
 * errno: EINVAL (no send right under that name, or not a fileport), EMFILE. Thread-safe. */
extern OPENMIG_API int fileport_makefd(fileport_t port);

/* OpenMIG extensions: moving a descriptor into and out of a fileport (a port that carries a
 * Unix file descriptor across processes, closed in the sender when moved; docs/fileports.md,
 * "Moving a descriptor"). */

/* fileport_makeport, then close(fd) on success: the file's only descriptor here is the port's.
 * Send the right with MACH_MSG_TYPE_MOVE_SEND and this process holds no descriptor of the file
 * any more once the message is out. Returns 0, or -1 with fileport_makeport's errno (fd then
 * stays open and the caller's). Thread-safe. */
extern OPENMIG_API int fileport_moveport(int fd, fileport_t *port);

/* fileport_makefd, then the caller's send right `port` is deallocated on success (one user
 * reference): the file moves out of the port into the returned descriptor. Returns it, or -1
 * with fileport_makefd's errno (the right then stays the caller's). Thread-safe. */
extern OPENMIG_API int fileport_movefd(fileport_t port);

#ifdef __cplusplus
}
#endif

#endif /* _SYS_FILEPORT_H_ */
