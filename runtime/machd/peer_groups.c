/* machd: a task's supplementary groups, read from /proc (docs/machd.md 6). */
#include "peer_groups.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

bool machd_peer_in_group(pid_t pid, int pidfd, gid_t gid) {
    char path[64], line[4096];
    snprintf(path, sizeof path, "/proc/%ld/status", (long)pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return false;
    bool member = false;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "Groups:", 7) != 0)
            continue;
        for (char *p = line + 7, *end; *p; p = end) {
            unsigned long g = strtoul(p, &end, 10);
            if (end == p)
                break;
            member |= g == (unsigned long)gid;
        }
        break;
    }
    fclose(f);
    /* The process pidfd names is still there, so the pid read above was its own. */
    return member && pidfd >= 0 && syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) == 0;
}
