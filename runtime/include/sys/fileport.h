/* <sys/fileport.h>: Darwin's fileports, Mach ports that stand for an open file. A fileport is a
 * kernel-object port named by send rights; the file stays open while a send right to it exists.
 * libmach serves fileports within one process (docs/fileports.md says what crossing processes
 * would take). */
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

/* A new descriptor (close-on-exec) for the file of the fileport `port` names; the send right
 * stays the caller's. Returns it, or -1 with errno: EINVAL (no send right under that name, or
 * not a fileport of this process: another process's fileport arrives as a plain port), EMFILE.
 * Thread-safe. */
extern OPENMIG_API int fileport_makefd(fileport_t port);

#ifdef __cplusplus
}
#endif

#endif /* _SYS_FILEPORT_H_ */
