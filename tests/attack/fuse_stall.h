/* A hostile FUSE file system for the attack tests: closing or fstat()ing a descriptor of its one
 * file blocks until it is unmounted. Needs root (mount) and /dev/fuse. */
#ifndef OPENMIG_TESTS_FUSE_STALL_H
#define OPENMIG_TESTS_FUSE_STALL_H

#include <stdbool.h>
#include <sys/types.h>

/* Mounts the file system on the existing directory `dir`, served by a child process (*server);
 * `<dir>/stall` is then its file. 0, or -1 with errno (no /dev/fuse, not root). */
int fuse_stall_mount(const char *dir, pid_t *server);

/* Unmounts it (every stalled close or fstat returns) and reaps the server. */
void fuse_stall_unmount(const char *dir, pid_t server);

#endif
