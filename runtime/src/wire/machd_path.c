/* Where machd's socket is, and the private directory that holds it (docs/machd.md, 1). */
#include "wire/machd_path.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

bool machd_socket_path(char *buf, size_t cap, bool *private_dir) {
    const char *env = getenv("MACHD_SOCKET");
    const char *xdg = getenv("XDG_RUNTIME_DIR");
    int n;
    *private_dir = false;
    if (env && *env) {
        n = snprintf(buf, cap, "%s", env);
    } else {
        *private_dir = true;
        if (xdg && *xdg)
            n = snprintf(buf, cap, "%s/machd/machd.sock", xdg);
        else
            n = snprintf(buf, cap, "/tmp/machd-%u/machd.sock", (unsigned)getuid());
    }
    return n > 0 && (size_t)n < cap && (size_t)n < sizeof(((struct sockaddr_un *)0)->sun_path);
}

bool machd_system_socket_path(char *buf, size_t cap) {
    const char *env = getenv("MACHD_SYSTEM_SOCKET");
    if (env && !*env)
        return false;
    int n = snprintf(buf, cap, "%s", env ? env : MACHD_SYSTEM_SOCKET_DEFAULT);
    return n > 0 && (size_t)n < cap && (size_t)n < sizeof(((struct sockaddr_un *)0)->sun_path);
}

/* Creates dir with `mode` if missing; false (errno EPERM) when it is not a directory, not the
 * caller's, or has any of the `forbidden` mode bits. */
static bool own_dir(const char *dir, mode_t mode, mode_t forbidden) {
    if (mkdir(dir, mode) != 0 && errno != EEXIST)
        return false;
    struct stat st;
    if (lstat(dir, &st) != 0)
        return false;
    if (!S_ISDIR(st.st_mode) || st.st_uid != getuid() || (st.st_mode & forbidden) != 0) {
        errno = EPERM;
        return false;
    }
    return true;
}

bool machd_system_dir(const char *dir) { return own_dir(dir, 0755, 022); }

bool machd_private_dir(const char *dir) { return own_dir(dir, 0700, 077); }

bool machd_socket_managed(const char *path) {
    char marker[128];
    struct stat st;
    return (size_t)snprintf(marker, sizeof marker, "%s.managed", path) < sizeof marker &&
           lstat(marker, &st) == 0;
}
