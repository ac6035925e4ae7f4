// The reaper (runtime/src/ipc/vm_reaper.c): a deallocated file region's mapping and descriptor
// are released off the caller's thread. The range is free at once, nothing is left once the
// reaper is drained, past its caps the caller releases at once, and a fork child releases the
// copies it inherited.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ipc/vm_reaper_internal.h"

#define LEN ((size_t)1 << 20)

// A memfd of LEN bytes, written, mapped privately and read in full (as a receiver that used it).
static char *mapped_file(int *fd) {
    *fd = memfd_create("reaper-test", MFD_CLOEXEC);
    assert_true(*fd >= 0);
    assert_int_equal(ftruncate(*fd, LEN), 0);
    assert_int_equal(pwrite(*fd, "data", 4, LEN - 4), 4);
    char *p = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE, *fd, 0);
    assert_true(p != MAP_FAILED);
    assert_memory_equal(p + LEN - 4, "data", 4);
    return p;
}

static bool is_mapped(const void *addr) {
    unsigned char v;
    return mincore((void *)((uintptr_t)addr & ~(uintptr_t)4095), 4096, &v) == 0 || errno != ENOMEM;
}

static bool is_open(int fd) { return fcntl(fd, F_GETFD) >= 0; }

static void released_range_is_free_at_once_and_everything_goes_after_drain(void **state) {
    (void)state;
    int fd;
    char *p = mapped_file(&fd);
    vm_reaper_release(p, LEN, fd);
    assert_false(is_mapped(p)); // the range itself is free (moved aside, or unmapped)
    vm_reaper_drain();
    assert_false(is_open(fd));
}

static void more_than_the_caps_are_released_by_the_caller(void **state) {
    (void)state;
    enum { N = VM_REAPER_MAX_ITEMS + 8 };
    int fds[N];
    char *maps[N];
    for (int i = 0; i < N; i++)
        maps[i] = mapped_file(&fds[i]);
    for (int i = 0; i < N; i++) { // (a later release may move its mapping into a range freed here)
        vm_reaper_release(maps[i], LEN, fds[i]);
        assert_false(is_mapped(maps[i]));
    }
    vm_reaper_drain();
    for (int i = 0; i < N; i++)
        assert_false(is_open(fds[i]));
}

static void a_descriptor_alone_is_closed(void **state) {
    (void)state;
    int fd = memfd_create("reaper-fd", MFD_CLOEXEC);
    assert_true(fd >= 0);
    vm_reaper_release(NULL, 0, fd);
    vm_reaper_drain();
    assert_false(is_open(fd));
}

static void a_fork_child_releases_what_it_inherited(void **state) {
    (void)state;
    int fds[4];
    char *maps[4];
    for (int i = 0; i < 4; i++) {
        maps[i] = mapped_file(&fds[i]);
        vm_reaper_release(maps[i], LEN, fds[i]);
    }
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) { // whatever was still queued was released in the child at fork
        int open = 0;
        for (int i = 0; i < 4; i++)
            open += is_open(fds[i]);
        int fd;
        char *p = mapped_file(&fd); // and the child has a reaper of its own
        vm_reaper_release(p, LEN, fd);
        vm_reaper_drain();
        _exit(open == 0 && !is_open(fd) ? 0 : 1);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    vm_reaper_drain();
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(released_range_is_free_at_once_and_everything_goes_after_drain),
        cmocka_unit_test(more_than_the_caps_are_released_by_the_caller),
        cmocka_unit_test(a_descriptor_alone_is_closed),
        cmocka_unit_test(a_fork_child_releases_what_it_inherited),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
