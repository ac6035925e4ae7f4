// The receiving runtime's mapping of a spilled region (transport/transport_machd_spill.c): the
// memfd comes from another process, which can make it sparse (2 GiB that cost it nothing). A
// region with holes is mapped lazily, so the receiver allocates only the pages it touches; a
// dense one is mapped populated; both read back what the sender wrote.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ipc/ipc.h"
#include "transport/transport_machd_spill.h"

static uint64_t allocated_bytes(int fd) {
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    return (uint64_t)st.st_blocks * 512u;
}

static void sparse_region_is_not_populated(void **state) {
    (void)state;
    const uint32_t size = 1u << 30; // 1 GiB, one page of it written
    int fd = memfd_create("sparse", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, size), 0);
    assert_int_equal(pwrite(fd, "hostile", 7, 4096), 7);
    assert_true(allocated_bytes(fd) <= 1u << 16);
    uint8_t *r = spill_map_region(fd, 0, size);
    assert_non_null(r);
    assert_true(allocated_bytes(fd) <= 1u << 16); // populating would have allocated 1 GiB
    assert_memory_equal(r + 4096, "hostile", 7);
    assert_int_equal(r[size - 1], 0);
    r[size - 1] = 1; // the receiver's own copy: the sender's memfd does not change
    uint8_t last;
    assert_int_equal(pread(fd, &last, 1, size - 1), 1);
    assert_int_equal(last, 0);
    vm_region_free(r, size);
    close(fd);
}

static void dense_region_reads_back(void **state) {
    (void)state;
    const uint32_t size = 1u << 20;
    int fd = memfd_create("dense", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    assert_true(fd >= 0);
    uint8_t *bytes = malloc(size);
    assert_non_null(bytes);
    for (uint32_t i = 0; i < size; i++)
        bytes[i] = (uint8_t)(i * 7 + 3);
    assert_int_equal(pwrite(fd, bytes, size, 0), (ssize_t)size);
    uint8_t *r = spill_map_region(fd, 0, size);
    assert_non_null(r);
    assert_memory_equal(r, bytes, size);
    vm_region_free(r, size);
    free(bytes);
    close(fd);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sparse_region_is_not_populated),
        cmocka_unit_test(dense_region_reads_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
