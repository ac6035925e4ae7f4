/* Benchmark (not a test, docs/machd.md 9.5): what moving a 64 MiB memfd-backed region between
 * processes costs in page-table and page work alone, without any IPC: the floor under the
 * bench_machd row "MIG OOL 64 MiB moved, direct". Each step is timed on its own, on a region
 * written in full first (as the bench writes it before its timed loop), in one process.
 * Usage: bench_move_floor [repetitions, default 20] [MiB, default 64]. Prints the best and the
 * median of each step in ms; run it pinned (taskset -c 0) to compare with the pinned rows. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define SEALS (F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)

enum step { SWAP, UNMAP, SEAL, MAP, UNMAP_UNTOUCHED, UNMAP_READ, FREE, MOVE_ASIDE_UNTOUCHED, MOVE_ASIDE, NSTEPS };
static const char *const names[NSTEPS] = {
    "sender: shared mapping replaced by a private one (MAP_FIXED)",
    "sender: shared mapping unmapped",
    "sender: F_ADD_SEALS (F_SEAL_WRITE and the rest)",
    "receiver: private mapping, lazily (mmap + mprotect)",
    "receiver: unmap, no page touched",
    "receiver: unmap after reading every page",
    "receiver: last descriptor closed (the memfd's pages freed)",
    "receiver: untouched mapping moved aside (mmap + mremap)",
    "receiver: read mapping moved aside (mmap + mremap)",
};

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* A memfd of size bytes, mapped shared and written in full, as vm_allocate + memset make it. */
static char *filled(int *fd, size_t size) {
    *fd = memfd_create("move-floor", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (*fd < 0 || ftruncate(*fd, (off_t)size) != 0)
        exit(1);
    char *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, *fd, 0);
    if (p == MAP_FAILED)
        exit(1);
    memset(p, 'm', size);
    return p;
}

static volatile unsigned long sink;

int main(int argc, char **argv) {
    int reps = argc > 1 ? atoi(argv[1]) : 20;
    size_t size = (size_t)(argc > 2 ? atol(argv[2]) : 64) << 20;
    if (reps < 1 || size == 0)
        return 2;
    double *t[NSTEPS];
    for (int s = 0; s < NSTEPS; s++)
        t[s] = calloc((size_t)reps, sizeof(double));
    for (int r = 0; r < reps; r++) {
        int fd;
        char *p = filled(&fd, size);
        double a = now_ms();
        if (mmap(p, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, fd, 0) != p)
            return 1;
        t[SWAP][r] = now_ms() - a;
        munmap(p, size);
        close(fd);

        p = filled(&fd, size);
        a = now_ms();
        munmap(p, size);
        double b = now_ms();
        if (fcntl(fd, F_ADD_SEALS, SEALS) != 0)
            return 1;
        double c = now_ms();
        char *q = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (q == MAP_FAILED || mprotect(q, size, PROT_READ | PROT_WRITE) != 0)
            return 1;
        double d = now_ms();
        munmap(q, size);
        double e = now_ms();
        t[UNMAP][r] = b - a;
        t[SEAL][r] = c - b;
        t[MAP][r] = d - c;
        t[UNMAP_UNTOUCHED][r] = e - d;
        q = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
        for (size_t i = 0; i < size; i += 4096)
            sink += (unsigned char)q[i];
        a = now_ms();
        munmap(q, size);
        t[UNMAP_READ][r] = now_ms() - a;
        for (int touched = 0; touched < 2; touched++) { /* as vm_reaper's move_aside */
            q = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
            for (size_t i = 0; touched && i < size; i += 4096)
                sink += (unsigned char)q[i];
            a = now_ms();
            void *spot = mmap(NULL, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
            void *moved = mremap(q, size, size, MREMAP_MAYMOVE | MREMAP_FIXED, spot);
            t[touched ? MOVE_ASIDE : MOVE_ASIDE_UNTOUCHED][r] = now_ms() - a;
            munmap(moved, size);
        }
        a = now_ms();
        close(fd);
        t[FREE][r] = now_ms() - a;
    }
    printf("bench_move_floor: %zu MiB, %d repetitions, best / median in ms\n", size >> 20, reps);
    for (int s = 0; s < NSTEPS; s++) {
        qsort(t[s], (size_t)reps, sizeof(double), cmp);
        printf("  %-62s %8.3f %8.3f\n", names[s], t[s][0], t[s][reps / 2]);
    }
    return 0;
}
