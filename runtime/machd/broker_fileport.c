/* machd broker: fileports (docs/fileports.md, "Across processes"). A task exports its fileport
 * with the port's descriptor attached (MACHD_RIGHT_FILEPORT); machd keeps a duplicate with the
 * port, charged to that task and its uid, hands a copy to every delivery of a send right to it,
 * and closes it when the port dies (its last right anywhere gone, or its exporter gone). */
#include "broker_internal.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

bool fileport_room(const struct broker *b, const struct broker_task *t, uint32_t n) {
    if (n == 0)
        return true;
    return (uint64_t)t->fileports + n <= b->limits.fileports_per_task &&
           (uint64_t)t->account->fileports + n <= b->limits.fileports_per_uid;
}

bool fileport_adopt(struct broker *b, struct broker_port *p, struct broker_task *t, int fd) {
    if (p->fd >= 0 || fd < 0 || !fileport_room(b, t, 1))
        return false;
    int own = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    if (own < 0)
        return false;
    p->fd = own;
    p->fd_task = t;
    p->fd_prev = NULL;
    p->fd_next = t->fileport_ports;
    if (t->fileport_ports)
        t->fileport_ports->fd_prev = p;
    t->fileport_ports = p;
    t->fileports++;
    t->account->fileports++;
    b->counts.fileports++;
    return true;
}

/* A socket whose SO_LINGER is on would make machd's close wait for its unsent data when this is
 * the file's last descriptor (a peer could stall machd so): lingering is turned off first. No
 * fstat: on a file system a task serves (FUSE) even that may block; getsockopt fails at once
 * for what is not a socket. The close itself goes through the hooks (off the event loop when it
 * could block). */
static void close_without_lingering(struct broker *b, int fd) {
    struct linger l;
    socklen_t len = sizeof l;
    if (getsockopt(fd, SOL_SOCKET, SO_LINGER, &l, &len) == 0 && l.l_onoff) {
        l = (struct linger){0, 0};
        (void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    }
    broker_close_task_fd(b, fd);
}

void fileport_release(struct broker *b, struct broker_port *p) {
    if (p->fd < 0)
        return;
    close_without_lingering(b, p->fd);
    p->fd = -1;
    struct broker_task *t = p->fd_task;
    if (p->fd_prev)
        p->fd_prev->fd_next = p->fd_next;
    else
        t->fileport_ports = p->fd_next;
    if (p->fd_next)
        p->fd_next->fd_prev = p->fd_prev;
    p->fd_prev = p->fd_next = NULL;
    t->fileports--;
    t->account->fileports--;
    p->fd_task = NULL;
    b->counts.fileports--;
}

void fileport_release_all(struct broker *b, struct broker_task *t) {
    while (t->fileport_ports)
        fileport_release(b, t->fileport_ports);
}
