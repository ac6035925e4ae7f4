/* Spilled payloads on libmach's side (transport_machd_spill.h): writing the sealed memfd of a
 * large outgoing message, reading and mapping the memfd of a large delivered one. */
#include "transport/transport_machd_spill.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "transport/transport_chan.h"
#include "wire/machd_spill.h"
#include "ipc/ipc.h"
#include "ipc/vm_internal.h"

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

/* The rule on body and OOL bytes alone (without the datagram size). */
static bool spill_rule(uint64_t body_len, uint64_t ool_total) {
    uint64_t forced = spill_min_override();
    if (forced)
        return body_len + ool_total >= forced;
    return ool_total >= SPILL_OOL_MIN;
}

bool spill_needed(const struct machd_payload *p) {
    return machd_deliver_size(p) > MACHD_MAX_PACKET || spill_rule(p->body_len, ool_bytes(p));
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

/* A new memfd of `size` bytes (holes), or -1 with errno set (EMSGSIZE above the limits). */
static int spill_create(uint64_t size, uint32_t body_len) {
    if (size > MACHD_MAX_SPILL_BYTES || body_len > MACHD_MAX_SPILL_BODY) {
        errno = EMSGSIZE;
        return -1;
    }
    int fd = memfd_create("machd-spill", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd >= 0 && ftruncate(fd, (off_t)size) != 0) {
        int err = errno;
        close(fd);
        errno = err;
        return -1;
    }
    return fd;
}

/* Seals fd once written (ok), or closes it; returns fd, or -1 with errno set. */
static int spill_finish(int fd, bool ok) {
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

int spill_sealed_copy(const void *src, uint32_t size) {
    int fd = spill_create(vm_round(size), 0);
    if (fd < 0)
        return -1;
    return spill_finish(fd, write_all(fd, src, size, 0)); /* every seal, F_SEAL_SEAL too */
}

int spill_write(const struct machd_payload *p) {
    uint64_t offsets[MACHD_MAX_OOL];
    int fd = spill_create(machd_spill_layout(p, offsets), p->body_len);
    if (fd < 0)
        return -1;
    bool ok = write_all(fd, p->body, p->body_len, 0);
    for (uint32_t i = 0; ok && i < p->ool_count; i++)
        ok = write_all(fd, p->ool[i].data, p->ool[i].size, offsets[i]);
    return spill_finish(fd, ok);
}

/* ---- staging: OOL regions written before the IPC lock (ool_stage_internal.h) ---- */

/* A memfd holding a message's OOL regions (written from the sender's memory) and room for its
 * body, not sealed yet. */
struct spill_stage {
    int fd;
    uint32_t body_len;
    uint32_t count;
    uint32_t sizes[OOL_STAGE_MAX];
    uint64_t offsets[OOL_STAGE_MAX];
};

static bool stage_wants(uint64_t ool_total, mach_msg_size_t send_size) {
    /* With direct channels, regions up to the arena's size are copied once into the channel's
     * arena (docs/machd.md 9.5): a memfd of fresh pages costs more than the arena's two copies
     * (~600 against ~40 us per MiB here); a message of that size that is relayed instead (the
     * first to a port, or no route) is copied in by the core and written under the lock. */
    if (chan_enabled() && ool_total <= CHAN_ARENA_MAX_REGION && !spill_min_override())
        return false;
    return spill_rule(send_size - sizeof(mach_msg_header_t), ool_total);
}

static void stage_discard(void *stage) {
    struct spill_stage *s = stage;
    close(s->fd);
    free(s);
}

static void *stage_regions(const struct ool_stage_region *regions, uint32_t n, mach_msg_size_t send_size) {
    struct spill_stage *s = calloc(1, sizeof *s);
    if (!s || n > MACHD_MAX_OOL) {
        free(s);
        return NULL;
    }
    s->body_len = send_size - (uint32_t)sizeof(mach_msg_header_t);
    s->count = n;
    for (uint32_t i = 0; i < n; i++)
        s->sizes[i] = regions[i].size;
    s->fd = spill_create(machd_spill_layout_of(s->body_len, s->sizes, n, s->offsets), s->body_len);
    if (s->fd < 0) {
        free(s);
        return NULL;
    }
    /* The kernel reads the sender's memory: an unmapped range is EFAULT, never a crash (the
     * core's copy-in then reports it as MACH_SEND_INVALID_MEMORY). */
    for (uint32_t i = 0; i < n; i++) {
        if (!write_all(s->fd, regions[i].addr, regions[i].size, s->offsets[i])) {
            stage_discard(s);
            return NULL;
        }
    }
    return s;
}

static void *stage_region(void *stage, uint32_t index) {
    struct spill_stage *s = stage;
    return index < s->count ? spill_map_region(s->fd, s->offsets[index], s->sizes[index]) : NULL;
}

const struct ool_stage_ops spill_stage_ops = {stage_wants, stage_regions, stage_discard, stage_region};

int spill_seal_stage(void *stage, const struct machd_payload *p) {
    struct spill_stage *s = stage;
    bool ok = p->body_len == s->body_len && p->ool_count == s->count;
    for (uint32_t i = 0; ok && i < s->count; i++)
        ok = p->ool[i].size == s->sizes[i];
    if (!ok)
        errno = EINVAL;
    int fd = spill_finish(s->fd, ok && write_all(s->fd, p->body, p->body_len, 0));
    free(s);
    return fd;
}

int spill_stage_fd(void *stage, uint32_t body_len, const uint32_t *sizes, uint32_t n) {
    struct spill_stage *s = stage;
    bool ok = s->body_len == body_len && s->count == n;
    for (uint32_t i = 0; ok && i < n; i++)
        ok = s->sizes[i] == sizes[i];
    if (!ok || fcntl(s->fd, F_ADD_SEALS, MACHD_SPILL_SEALS_REQUIRED | F_SEAL_SEAL) != 0)
        return -1;
    return s->fd;
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
     * afterwards, a write copies only the page written. A region with holes (a sparse memfd,
     * which a hostile sender can make 2 GiB for nothing) is mapped without populating: filling
     * its holes would allocate them; only the pages the receiver touches are. */
    off_t hole = lseek(fd, (off_t)offset, SEEK_HOLE);
    bool dense = hole >= 0 && (uint64_t)hole >= offset + size;
    void *r = mmap(NULL, len, PROT_READ, MAP_PRIVATE | (dense ? MAP_POPULATE : 0), fd, (off_t)offset);
    if (r != MAP_FAILED && mprotect(r, len, PROT_READ | PROT_WRITE) != 0) {
        munmap(r, len);
        r = MAP_FAILED;
    }
    if (r != MAP_FAILED)
        vm_file_region_note(r, len, fd); /* deallocated, it is unmapped (not cached): the memfd goes */
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
