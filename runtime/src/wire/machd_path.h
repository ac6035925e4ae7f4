/* Where machd's socket is: one rule shared by the daemon and the runtime (docs/machd.md, 1). */
#ifndef OPENMIG_TRANSPORT_MACHD_PATH_H
#define OPENMIG_TRANSPORT_MACHD_PATH_H

#include <stdbool.h>
#include <stddef.h>

/* Writes the socket path to buf: $MACHD_SOCKET, else $XDG_RUNTIME_DIR/machd/machd.sock, else
 * /tmp/machd-<uid>/machd.sock. *private_dir is set when the path's directory is one machd owns
 * and must create with mode 0700 (the last two cases). Returns false when the path does not fit
 * in cap or does not fit in a sockaddr_un. Thread-safe if the environment is not being changed. */
bool machd_socket_path(char *buf, size_t cap, bool *private_dir);

/* The system domain's socket (docs/machd.md 6): $MACHD_SYSTEM_SOCKET when set (empty: there
 * is none, false), else MACHD_SYSTEM_SOCKET_DEFAULT. False also when it does not fit in cap or a
 * sockaddr_un. */
#define MACHD_SYSTEM_SOCKET_DEFAULT "/run/machd/system"
bool machd_system_socket_path(char *buf, size_t cap);

/* For `machd --system`: creates dir with mode 0755 if missing; refuses (false, errno EPERM) one
 * that is not a directory, not owned by the caller, or writable by group or others. */
bool machd_system_dir(const char *dir);

/* Creates dir with mode 0700 if missing; refuses (false, errno set) a directory that is not a
 * directory, not owned by the caller, or open to group or others. */
bool machd_private_dir(const char *dir);

/* True when "<path>.managed" exists: a service manager (systemd socket activation) serves this
 * path, so nobody else should start machd there; a socket-activated machd writes the file, one
 * that binds its own socket removes it (docs/machd.md 1, "Running as a service"). */
bool machd_socket_managed(const char *path);

#endif
