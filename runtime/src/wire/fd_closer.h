/* Closing descriptors that came from another process without letting one of them stall the
 * closer. close() runs the file system's flush, and fstat() may ask it for attributes: on a FUSE
 * file system a hostile user serves, either can block for ever. Memfds, pipes and sockets (found
 * with calls that never reach a file system) are closed at once; any other descriptor is closed
 * by a thread of its own, in order. machd holds back a task whose user has too many such
 * descriptors waiting (a user whose file hangs the thread delays only itself); libmach closes a peer's fileport descriptors through one closer
 * per process (docs/security.md). */
#ifndef OPENMIG_WIRE_FD_CLOSER_H
#define OPENMIG_WIRE_FD_CLOSER_H

#include <stdbool.h>
#include <stdint.h>

struct fd_closer;

/* Starts the closing thread (with every signal blocked). 0, or an errno value. */
int fd_closer_create(struct fd_closer **out);

/* Stops the thread once the queue is empty, if it is not stuck; a thread stuck in a close is
 * left to the process's exit (which ends the wait). */
void fd_closer_destroy(struct fd_closer *c);

/* Whether fd is a memfd, a pipe or a socket: closing it never calls into a file system that a task
 * could serve. Found without fstat (fcntl F_GET_SEALS, F_GETPIPE_SZ, getsockopt SO_TYPE). */
bool fd_closes_at_once(int fd);

/* Who brought a descriptor, for the backlog (machd: the sending task's uid). FD_OWNER_NONE: a
 * duplicate machd made, counted for nobody. */
#define FD_OWNER_NONE UINT32_MAX

/* Closes fd now when fd_closes_at_once (or c is NULL), else queues it for the thread, counted for
 * `owner`; true when it was queued. */
bool fd_closer_close(struct fd_closer *c, int fd, uint32_t owner);

/* Whether FD_CLOSER_BACKLOG or more of owner's descriptors wait for the thread: machd then stops
 * reading that owner's tasks when they bring more, and only those. */
bool fd_closer_behind(struct fd_closer *c, uint32_t owner);

/* An eventfd that turns readable when an owner that was behind is down to half its backlog;
 * fd_closer_caught_up reads it. */
int fd_closer_wake_fd(const struct fd_closer *c);
void fd_closer_caught_up(struct fd_closer *c);

/* Closes fd, a descriptor another process gave this one, through this process's own closer
 * (started on first need, again in a forked child): at once when fd_closes_at_once, else on its
 * thread. Falls back to close() when no thread can be started. */
void fd_close_from_peer(int fd);

#endif
