/* Closing descriptors that came from another process without letting one of them stall the
 * closer. close() runs the file system's flush, and fstat() may ask it for attributes: on a FUSE
 * file system a hostile user serves, either can block for ever. Memfds, pipes and sockets (found
 * with calls that never reach a file system) are closed at once; any other descriptor is closed
 * by a thread of its own, in order. machd holds back a task that brings more such descriptors
 * while its thread is behind; libmach closes a peer's fileport descriptors through one closer
 * per process (docs/security.md). */
#ifndef OPENMIG_WIRE_FD_CLOSER_H
#define OPENMIG_WIRE_FD_CLOSER_H

#include <stdbool.h>

struct fd_closer;

/* Starts the closing thread (with every signal blocked). 0, or an errno value. */
int fd_closer_create(struct fd_closer **out);

/* Stops the thread once the queue is empty, if it is not stuck; a thread stuck in a close is
 * left to the process's exit (which ends the wait). */
void fd_closer_destroy(struct fd_closer *c);

/* Whether fd is a memfd, a pipe or a socket: closing it never calls into a file system that a task
 * could serve. Found without fstat (fcntl F_GET_SEALS, F_GETPIPE_SZ, getsockopt SO_TYPE). */
bool fd_closes_at_once(int fd);

/* Closes fd now when fd_closes_at_once (or c is NULL), else queues it for the thread; true when
 * it was queued. */
bool fd_closer_close(struct fd_closer *c, int fd);

/* Whether the thread has FD_CLOSER_BACKLOG or more descriptors to close: tasks bringing more of
 * them are held back. */
bool fd_closer_behind(struct fd_closer *c);

/* An eventfd that turns readable when the thread, having been behind, is down to half its
 * backlog; fd_closer_caught_up reads it. */
int fd_closer_wake_fd(const struct fd_closer *c);
void fd_closer_caught_up(struct fd_closer *c);

/* Closes fd, a descriptor another process gave this one, through this process's own closer
 * (started on first need, again in a forked child): at once when fd_closes_at_once, else on its
 * thread. Falls back to close() when no thread can be started. */
void fd_close_from_peer(int fd);

#endif
