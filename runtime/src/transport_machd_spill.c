/* Spilled payloads on libmach's side (transport_machd_spill.h): writing the sealed memfd of a
 * large outgoing message, reading and mapping the memfd of a large delivered one. */
#include "transport_machd_spill.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "machd_spill.h"
#include "vm_internal.h"

/* Default: OOL regions of this many bytes in all spill even when they would fit a datagram.
 * Measured (docs/machd.md 3.1): from 32 KiB a mapped memfd beats copying into fresh pages at
 * the receiver; below, the datagram wins. Inline bodies spill only when they do not fit. */
#define SPILL_OOL_MIN ((uint64_t)32 << 10)

static uint64_t ool_bytes(const struct machd_payload *p) {
    uint64_t n = 0;
    for (uint32_t i = 0; i < p->ool_count; i++)
        n += p->ool[i].size;
    return n;
}

/* $MACHRT_SPILL_MIN (a positive byte count), or 0 when unset. */
static uint64_t spill_min_override(void) {
    static int state; /* 0 unread, 1 read */
    static uint64_t value;
    if (!__atomic_load_n(&state, __ATOMIC_ACQUIRE)) {
        const char *s = getenv("MACHRT_SPILL_MIN");
        char *end = NULL;
        unsigned long long n = s && *s ? strtoull(s, &end, 0) : 0;
        value = end && *end == '\0' ? (uint64_t)n : 0;
        __atomic_store_n(&state, 1, __ATOMIC_RELEASE);
    }
    return value;
}

bool spill_needed(const struct machd_payload *p) {
    if (machd_deliver_size(p) > MACHD_MAX_PACKET)
        return true;
    uint64_t forced = spill_min_override();
    if (forced)
        return p->body_len + ool_bytes(p) >= forced;
    return ool_bytes(p) >= SPILL_OOL_MIN;
}

/* pwrite or pread of exactly len bytes at offset (retrying short transfers and EINTR). */
static bool transfer_all(int fd, uint8_t *buf, size_t len, uint64_t offset, bool writing) {
    while (len > 0) {
        ssize_t n = writing ? pwrite(fd, buf, len, (off_t)offset) : pread(fd, buf, len, (off_t)offset);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        buf += n;
        len -= (size_t)n;
        offset += (uint64_t)n;
    }
    return true;
}

static bool write_all(int fd, const uint8_t *src, size_t len, uint64_t offset) {
    return transfer_all(fd, (uint8_t *)(uintptr_t)src, len, offset, true);
}

void spill_offsets_of(const struct machd_payload *p, uint64_t *offsets) { (void)machd_spill_layout(p, offsets); }

int spill_write(const struct machd_payload *p) {
    uint64_t offsets[MACHD_MAX_OOL];
    uint64_t size = machd_spill_layout(p, offsets);
    if (size > MACHD_MAX_SPILL_BYTES || p->body_len > MACHD_MAX_SPILL_BODY) {
        errno = EMSGSIZE;
        return -1;
    }
    int fd = memfd_create("machd-spill", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0)
        return -1;
    bool ok = ftruncate(fd, (off_t)size) == 0 && write_all(fd, p->body, p->body_len, 0);
    for (uint32_t i = 0; ok && i < p->ool_count; i++)
        ok = write_all(fd, p->ool[i].data, p->ool[i].size, offsets[i]);
    if (ok)
        ok = fcntl(fd, F_ADD_SEALS, MACHD_SPILL_SEALS_REQUIRED | F_SEAL_SEAL) == 0;
    if (!ok) {
        int err = errno;
        close(fd);
        errno = err ? err : ENOSPC;
        return -1;
    }
    return fd;
}

bool spill_fd_matches(int fd, const struct machd_payload *p) {
    return fd >= 0 && machd_spill_fd_ok(fd, machd_spill_layout(p, NULL));
}

static bool read_all(int fd, uint8_t *dst, size_t len, uint64_t offset) {
    return transfer_all(fd, dst, len, offset, false);
}

bool spill_read_body(int fd, void *dst, uint32_t len) { return read_all(fd, dst, len, 0); }

/* Zeroes the bytes of region r past `size` to the end of its last page (if any is not zero
 * already: a mapped memfd page is only copied when written). */
static void zero_tail(uint8_t *r, uint32_t size) {
    size_t len = vm_round(size);
    for (size_t i = size; i < len; i++) {
        if (r[i]) {
            memset(r + i, 0, len - i);
            return;
        }
    }
}

void *spill_copy_region(const uint8_t *src, uint32_t size) {
    uint8_t *r = vm_region_alloc(size, false);
    if (!r)
        return NULL;
    memcpy(r, src, size);
    memset(r + size, 0, vm_round(size) - size);
    return r;
}

void *spill_map_region(int fd, uint64_t offset, uint32_t size) {
    size_t len = vm_round(size);
    /* Read-only and populated: the existing memfd pages are mapped, none copied; made writable
     * afterwards, a write copies only the page written. */
    void *r = mmap(NULL, len, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, (off_t)offset);
    if (r != MAP_FAILED && mprotect(r, len, PROT_READ | PROT_WRITE) != 0) {
        munmap(r, len);
        r = MAP_FAILED;
    }
    if (r == MAP_FAILED) {
        /* An offset the page size does not divide, or a memfd that cannot be mapped: copy. */
        r = vm_region_alloc(size, false);
        if (!r)
            return NULL;
        if (!read_all(fd, r, size, offset)) {
            vm_region_free(r, size);
            return NULL;
        }
    }
    zero_tail(r, size); /* as ool_copyin leaves it */
    return r;
}
