/* fd_count.h: the number of descriptors open in this process (entries of /proc/self/fd, the
 * directory's own included), for tests that check nothing leaks. */
#ifndef OPENMIG_TEST_FD_COUNT_H
#define OPENMIG_TEST_FD_COUNT_H

#include <dirent.h>

static inline int fd_count(void) {
    DIR *d = opendir("/proc/self/fd");
    int n = 0;
    while (d && readdir(d))
        n++;
    if (d)
        closedir(d);
    return n;
}

#endif
