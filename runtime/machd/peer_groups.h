/* machd: whether a connected task's process is in a group (its supplementary groups), for the
 * register group of a system machd (docs/machd.md 6). */
#ifndef MACHD_PEER_GROUPS_H
#define MACHD_PEER_GROUPS_H

#include <stdbool.h>
#include <sys/types.h>

/* Whether process pid, which pidfd refers to, has gid among its supplementary groups now (read
 * from /proc/PID/status; the pidfd proves the pid was not reused meanwhile). False when unsure. */
bool machd_peer_in_group(pid_t pid, int pidfd, gid_t gid);

#endif
