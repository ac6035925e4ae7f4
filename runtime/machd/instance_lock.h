/* One machd per socket path: an exclusive lock on "<socket path>.lock", held for the daemon's
 * life (docs/machd.md, section 1), so racing starts cannot both serve. */
#ifndef MACHD_INSTANCE_LOCK_H
#define MACHD_INSTANCE_LOCK_H

#include <stdbool.h>

struct machd_instance_lock {
    int fd; /* -1: not held */
    char path[128];
};

enum machd_lock_result { MACHD_LOCK_TAKEN, MACHD_LOCK_HELD_ELSEWHERE, MACHD_LOCK_UNAVAILABLE };

/* Takes the lock for socket_path without waiting. MACHD_LOCK_HELD_ELSEWHERE: another machd is
 * running or starting at that path. MACHD_LOCK_UNAVAILABLE: the lock file cannot be made
 * (errno set); the caller may go on without it. The lock survives fork (the daemon keeps it). */
enum machd_lock_result machd_instance_lock(struct machd_instance_lock *l, const char *socket_path);

/* Removes the lock file and releases the lock (at a clean stop; a killed machd leaves the file,
 * unlocked, for the next one to take). */
void machd_instance_unlock(struct machd_instance_lock *l);

#endif
