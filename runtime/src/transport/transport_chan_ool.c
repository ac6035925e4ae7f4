/* Direct channels, out-of-line memory by size (docs/machd.md 9.5): a message whose descriptors
 * are all out-of-line memory (no port rights) travels in its ring record. Each region goes by
 * size: small ones inline in the record (copied), middle ones through the producer's
 * pre-faulted arena (copied in by the producer, copied out by the consumer into memory of its
 * own before the record is consumed: the arena bytes then go back, and the producer can no
 * longer change what the receiver was given), large ones as sealed memfds passed on the
 * channel's LINK socket with the record (the receiver maps them copy-on-write, lazily, never
 * copies): a region moved out of a memfd-backed vm_allocate region is handed over without any
 * copy; a staged copy (ool_stage_internal.h) is the memfd the stage wrote. Every record, entry
 * and descriptor from the peer is checked; a lie drops the channel. IPC lock held. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ipc/ool_stage_internal.h"
#include "transport/transport_chan.h"
#include "transport/transport_machd_internal.h"
#include "transport/transport_machd_spill.h"
#include "wire/machd_spill.h"

#define DESC_OOL_SIZE ((uint32_t)sizeof(mach_msg_ool_descriptor_t))
#define ALL_SEALS (F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)

/* Regions up to this size travel inline in the record while it has room (measured: 9.5). */
#define CHAN_OOL_INLINE_MAX (16u * 1024u)
/* Descriptors one record's datagram may carry. */
#define CHAN_OOL_FDS MACHD_MAX_FDS_PER_PACKET

static uint32_t round8(uint32_t n) { return (n + 7u) & ~7u; }

/* ---- the shape (both sides) ---- */

/* The record's bytes before its inline regions. */
static uint64_t head_len(const struct ipc_kmsg *kmsg) {
    return round8(kmsg->size - (uint32_t)sizeof(mach_msg_header_t)) +
           (uint64_t)kmsg->ndesc * sizeof(struct chan_ool_entry);
}

/* Whether region d travels inline, the record holding *len bytes so far (then counted in it):
 * the one rule for the shape and the producer, taken in descriptor order. */
static bool goes_inline(const struct kmsg_desc *d, uint64_t *len) {
    if (d->staged || d->size == 0 || d->size > CHAN_OOL_INLINE_MAX || *len + round8(d->size) > CHAN_MAX_BODY)
        return false;
    *len += round8(d->size);
    return true;
}

bool chan_ool_fits(const struct ipc_kmsg *kmsg, uint32_t *body_len) {
    uint32_t m = kmsg->size - (uint32_t)sizeof(mach_msg_header_t);
    if (!(kmsg->bits & MACH_MSGH_BITS_COMPLEX) || kmsg->aux || kmsg->ndesc == 0 || kmsg->ndesc > CHAN_OOL_MAX ||
        m > CHAN_MAX_BODY)
        return false;
    uint64_t len = head_len(kmsg);
    for (uint32_t i = 0; i < kmsg->ndesc; i++) {
        const struct kmsg_desc *d = &kmsg->desc[i];
        if (d->type != MACH_MSG_OOL_DESCRIPTOR && d->type != MACH_MSG_OOL_VOLATILE_DESCRIPTOR)
            return false;
        (void)goes_inline(d, &len);
    }
    if (len > CHAN_MAX_BODY)
        return false;
    *body_len = (uint32_t)len;
    return true;
}

/* ---- producer ---- */

/* One record's body, built here (the IPC lock serialises producers). */
static uint8_t out_buf[CHAN_MAX_BODY];

/* The memfd of a moved region that vm_allocate backed with one (docs/machd.md 9.5): our shared
 * mapping becomes a private one of the same file (no copy: the pages stay shared until written),
 * so the memfd can be sealed; the region stays readable for a fallback. -1: not such a region,
 * or the seal failed (another writable shared mapping, EBUSY: the caller copies). */
static int move_memfd(struct kmsg_desc *d) {
    int fd = vm_memfd_take(d->addr, d->size);
    if (fd < 0)
        return -1;
    size_t len = vm_round(d->size);
    void *at = mmap(d->addr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, fd, 0);
    if (at != MAP_FAILED)
        vm_file_region_note(d->addr, len, -1); /* released once sent: unmapped, not cached */
    if (at != d->addr || fcntl(fd, F_ADD_SEALS, ALL_SEALS) != 0) {
        chan_stat_add(&chan_stats.ool_move_fallbacks);
        close(fd);
        return -1;
    }
    return fd;
}

/* Restores what chan_ool_produce changed when it gives up (nothing published). */
static void undo(struct chan *c, uint64_t arena_head, const int *fds, const bool *own, int nfds) {
    c->end.arena_head = arena_head;
    for (int i = 0; i < nfds; i++)
        if (own[i])
            close(fds[i]);
}

enum chan_status chan_ool_produce(struct chan *c, struct ipc_kmsg *kmsg, struct chan_record *rec, bool *wake) {
    uint32_t body_len, m = kmsg->size - (uint32_t)sizeof(mach_msg_header_t), n = kmsg->ndesc;
    if (!chan_ool_fits(kmsg, &body_len))
        return CHAN_FULL;
    memset(out_buf, 0, round8(m) + n * sizeof(struct chan_ool_entry));
    memcpy(out_buf, kmsg->data + sizeof(mach_msg_header_t), m);
    struct chan_ool_entry *table = (struct chan_ool_entry *)(void *)(out_buf + round8(m));
    uint8_t *inline_at = out_buf + round8(m) + n * sizeof *table;
    uint64_t len = head_len(kmsg);
    uint64_t arena_head = c->end.arena_head;
    int fds[CHAN_OOL_FDS];
    bool own[CHAN_OOL_FDS]; /* a descriptor we made (closed here), else the stage's */
    int nfds = 0;
    uint32_t sizes[CHAN_OOL_MAX] = {0};
    for (uint32_t i = 0; i < n; i++)
        sizes[i] = kmsg->desc[i].size;
    if (kmsg->stage) { /* copied once already, before the lock, into the stage's memfd */
        int fd = spill_stage_fd(kmsg->stage, m, sizes, n);
        if (fd < 0)
            return CHAN_FULL;
        fds[nfds] = fd;
        own[nfds++] = false;
    }
    for (uint32_t i = 0; i < n; i++) {
        struct kmsg_desc *d = &kmsg->desc[i];
        struct chan_ool_entry *e = &table[i];
        e->size = d->size;
        e->how = CHAN_OOL_NONE;
        if (d->size == 0)
            continue;
        if (d->staged) {
            e->how = CHAN_OOL_SPILL;
            continue;
        }
        if (goes_inline(d, &len)) {
            memcpy(inline_at, d->addr, d->size);
            memset(inline_at + d->size, 0, round8(d->size) - d->size);
            inline_at += round8(d->size);
            e->how = CHAN_OOL_INLINE;
            continue;
        }
        int fd = nfds < CHAN_OOL_FDS ? move_memfd(d) : -1;
        if (fd < 0 && d->size <= CHAN_ARENA_MAX_REGION) {
            bool broken;
            uint8_t *slot = chan_arena_reserve(&c->end, d->size, &broken);
            if (broken) {
                undo(c, arena_head, fds, own, nfds);
                return CHAN_BROKEN;
            }
            if (slot) {
                memcpy(slot, d->addr, d->size);
                e->how = CHAN_OOL_ARENA;
                continue;
            }
        }
        if (fd < 0 && nfds < CHAN_OOL_FDS)
            fd = spill_sealed_copy(d->addr, d->size); /* large, or the arena is full now */
        if (fd < 0) {
            undo(c, arena_head, fds, own, nfds);
            return CHAN_FULL; /* as a ticket */
        }
        fds[nfds] = fd;
        own[nfds++] = true;
        e->how = CHAN_OOL_FD;
    }
    if (nfds) {
        struct chan_fd_note note = {.seq = c->fd_seq_out + 1, .nfds = (uint32_t)nfds};
        if (machd_send_with_fds(c->link, &note, sizeof note, fds, nfds, MSG_DONTWAIT) != (ssize_t)sizeof note) {
            undo(c, arena_head, fds, own, nfds);
            return CHAN_FULL; /* the peer's socket is full: as a ticket */
        }
        c->fd_seq_out++;
    }
    rec->flags |= CHAN_MSG_OOL;
    rec->ticket = m;
    rec->body_len = body_len;
    enum chan_status st = chan_produce(&c->end, rec, out_buf, wake);
    for (int i = 0; i < nfds; i++)
        if (own[i])
            close(fds[i]); /* the peer has its own now */
    if (st != CHAN_OK) /* room was checked; descriptors may be on their way: the channel goes */
        return CHAN_BROKEN;
    for (uint32_t i = 0; i < n; i++) { /* the message's regions are the receiver's now */
        struct kmsg_desc *d = &kmsg->desc[i];
        if (d->addr)
            ool_discard(d->addr, d->size);
        d->addr = NULL;
    }
    ool_stage_drop(kmsg);
    chan_stat_add(&chan_stats.ool_records);
    return CHAN_OK;
}

/* ---- consumer ---- */

/* A private, lazily faulted mapping of size bytes at offset of the sealed memfd fd (the
 * receiver's own: writes copy the page), zero past size to the end of its last page. */
static void *map_region(int fd, uint64_t offset, uint32_t size) {
    size_t len = vm_round(size);
    void *r = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, (off_t)offset);
    if (r == MAP_FAILED)
        return NULL;
    if (mprotect(r, len, PROT_READ | PROT_WRITE) != 0) {
        munmap(r, len);
        return NULL;
    }
    vm_file_region_note(r, len, fd); /* deallocated, it is unmapped: the memfd goes (reaper) */
    uint8_t *tail = (uint8_t *)r + size;
    for (size_t i = 0; i < len - size; i++)
        if (tail[i]) {
            memset(tail + i, 0, len - size - i);
            break;
        }
    return r;
}

/* Whether fd is a memfd of exactly size bytes with every seal (so nobody can change or resize
 * it, nor unseal it). */
static bool sealed_memfd(int fd, uint64_t size) {
    int seals = fcntl(fd, F_GET_SEALS);
    return machd_spill_fd_ok(fd, size) && seals >= 0 && (seals & ALL_SEALS) == ALL_SEALS;
}

/* Checks the body and table of an OOL record; fills the entries and counts what it needs. */
static bool check_record(const struct chan_record *rec, const uint8_t *body, uint32_t *m_out,
                         struct chan_ool_entry *entries, uint32_t *n_out, uint32_t *nfds_out, bool *spill) {
    if ((rec->flags & CHAN_MSG_TICKET) || rec->ticket > CHAN_MAX_BODY)
        return false;
    uint32_t m = (uint32_t)rec->ticket, n;
    if (m < sizeof(mach_msg_body_t) || round8(m) > rec->body_len)
        return false;
    memcpy(&n, body, sizeof n);
    if (n == 0 || n > CHAN_OOL_MAX || sizeof(mach_msg_body_t) + (uint64_t)n * DESC_OOL_SIZE > m ||
        round8(m) + (uint64_t)n * sizeof *entries > rec->body_len)
        return false;
    memcpy(entries, body + round8(m), n * sizeof *entries);
    uint64_t inline_bytes = 0;
    uint32_t fds = 0, spills = 0, with_bytes = 0;
    for (uint32_t i = 0; i < n; i++) {
        const struct chan_ool_entry *e = &entries[i];
        mach_msg_ool_descriptor_t od;
        memcpy(&od, body + sizeof(mach_msg_body_t) + i * DESC_OOL_SIZE, sizeof od);
        if ((od.type != MACH_MSG_OOL_DESCRIPTOR && od.type != MACH_MSG_OOL_VOLATILE_DESCRIPTOR) ||
            od.size != e->size || e->zero || (e->size == 0) != (e->how == CHAN_OOL_NONE))
            return false;
        with_bytes += e->size != 0;
        switch (e->how) {
        case CHAN_OOL_NONE:
            break;
        case CHAN_OOL_INLINE: /* (a size near 2^32 would round to 0: fuzz_chan_records found it) */
            if (e->size > CHAN_OOL_INLINE_MAX)
                return false;
            inline_bytes += round8(e->size);
            break;
        case CHAN_OOL_ARENA:
            if (e->size > CHAN_ARENA_MAX_REGION)
                return false;
            break;
        case CHAN_OOL_FD:
            fds++;
            break;
        case CHAN_OOL_SPILL:
            spills++;
            break;
        default:
            return false;
        }
    }
    if (round8(m) + (uint64_t)n * sizeof *entries + inline_bytes != rec->body_len || fds > CHAN_OOL_FDS ||
        (spills && spills != with_bytes))
        return false;
    *m_out = m;
    *n_out = n;
    *nfds_out = spills ? 1 : fds;
    *spill = spills != 0;
    return true;
}

/* The record's datagram on the LINK socket: its descriptors (exactly nfds, in order) after
 * checking its sequence number. False: missing, out of order, or the wrong count. */
static bool take_fds(struct chan *c, uint32_t nfds, int *fds) {
    struct chan_fd_note note;
    int got = 0;
    bool extra = false;
    ssize_t r = machd_recv_with_fds(c->link, &note, sizeof note, MSG_DONTWAIT, fds, &got, &extra);
    if (r != (ssize_t)sizeof note || extra || (uint32_t)got != nfds || note.nfds != nfds || note.zero ||
        note.seq != c->fd_seq_in + 1) {
        machd_close_fds(fds, got);
        return false;
    }
    c->fd_seq_in++;
    return true;
}

int chan_ool_take(struct chan *c, const struct chan_record *rec, const uint8_t *body, struct ipc_kmsg **out) {
    struct chan_ool_entry entries[CHAN_OOL_MAX];
    uint32_t m, n, nfds;
    bool spill;
    if (!check_record(rec, body, &m, entries, &n, &nfds, &spill))
        return -1;
    struct ipc_kmsg *kmsg = kmsg_alloc((mach_msg_size_t)(sizeof(mach_msg_header_t) + m), n);
    if (!kmsg)
        return 1; /* out of memory: nothing taken, try again later */
    /* From here on the record's datagram and arena bytes are taken: a failure drops the channel. */
    int fds[CHAN_OOL_FDS];
    if (nfds && !take_fds(c, nfds, fds)) {
        kmsg_free(kmsg);
        return -1;
    }
    uint64_t offsets[CHAN_OOL_MAX] = {0};
    bool ok = true;
    if (spill) {
        uint32_t sizes[CHAN_OOL_MAX];
        for (uint32_t i = 0; i < n; i++)
            sizes[i] = entries[i].size;
        ok = sealed_memfd(fds[0], machd_spill_layout_of(m, sizes, n, offsets));
    }
    memset(kmsg->data, 0, sizeof(mach_msg_header_t));
    memcpy(kmsg->data + sizeof(mach_msg_header_t), body, m);
    kmsg->bits = MACH_MSGH_BITS_COMPLEX;
    const uint8_t *inline_at = body + round8(m) + n * sizeof(struct chan_ool_entry);
    uint64_t cursor = c->end.arena_tail;
    uint32_t fd_index = 0, built = 0;
    for (uint32_t i = 0; ok && i < n; i++, built++) {
        const struct chan_ool_entry *e = &entries[i];
        struct kmsg_desc *d = &kmsg->desc[i];
        d->offset = (uint32_t)(sizeof(mach_msg_header_t) + sizeof(mach_msg_body_t) + i * DESC_OOL_SIZE);
        d->type = kmsg->data[d->offset + 11];
        d->size = e->size;
        void *r = NULL;
        switch (e->how) {
        case CHAN_OOL_INLINE:
            r = spill_copy_region(inline_at, e->size); /* ours: what we copied is what the receiver gets */
            inline_at += round8(e->size);
            break;
        case CHAN_OOL_ARENA: {
            const uint8_t *src = chan_arena_region(&c->end, &cursor, e->size);
            r = src ? spill_copy_region(src, e->size) : NULL; /* the peer may rewrite the arena: copied once */
            break;
        }
        case CHAN_OOL_FD:
            r = sealed_memfd(fds[fd_index], vm_round(e->size)) ? map_region(fds[fd_index], 0, e->size) : NULL;
            fd_index++;
            break;
        case CHAN_OOL_SPILL:
            r = map_region(fds[0], offsets[i], e->size);
            break;
        default:
            break;
        }
        ok = e->size == 0 || r;
        d->addr = r ? ool_adopt(r, e->size) : NULL;
        if (!ok)
            d->size = 0;
    }
    machd_close_fds(fds, (int)nfds); /* the mappings keep the pages */
    if (cursor != c->end.arena_tail)
        chan_arena_release(&c->end, cursor); /* copied out: the producer may reuse the bytes */
    if (!ok) {
        kmsg_clean_descriptors(kmsg, built);
        kmsg_free(kmsg);
        return -1;
    }
    chan_stat_add(&chan_stats.ool_records);
    *out = kmsg;
    return 0;
}
