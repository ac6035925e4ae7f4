/* machd's instance lock: flock on "<socket path>.lock". The stale-socket check alone leaves a
 * window (a starting machd has bound its socket but not yet listened, so a second one takes the
 * file for stale and replaces it: two daemons, one unreachable); the lock closes it. */
#include "instance_lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

enum machd_lock_result machd_instance_lock(struct machd_instance_lock *l, const char *socket_path) {
    l->fd = -1;
    if ((size_t)snprintf(l->path, sizeof l->path, "%s.lock", socket_path) >= sizeof l->path) {
        errno = ENAMETOOLONG;
        return MACHD_LOCK_UNAVAILABLE;
    }
    /* The file may be unlinked by a machd stopping between our open and our flock: then we
     * hold a lock nobody else can see, so check that the path still names what we locked. */
    for (int tries = 0; tries < 100; tries++) {
        int fd = open(l->path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
            return MACHD_LOCK_UNAVAILABLE;
        if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
            int err = errno;
            close(fd);
            if (err == EWOULDBLOCK)
                return MACHD_LOCK_HELD_ELSEWHERE;
            errno = err;
            return MACHD_LOCK_UNAVAILABLE;
        }
        struct stat held, named;
        if (fstat(fd, &held) == 0 && stat(l->path, &named) == 0 && held.st_dev == named.st_dev &&
            held.st_ino == named.st_ino) {
            l->fd = fd;
            return MACHD_LOCK_TAKEN;
        }
        close(fd);
    }
    errno = EAGAIN;
    return MACHD_LOCK_UNAVAILABLE;
}

void machd_instance_unlock(struct machd_instance_lock *l) {
    if (l->fd < 0)
        return;
    unlink(l->path); /* while still holding it: a newcomer then locks a fresh file */
    close(l->fd);
    l->fd = -1;
}
