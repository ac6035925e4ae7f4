/* The shared rings of a direct channel (chan_ring.h; protocol in docs/machd.md 9.1).
 *
 * Layout of one direction (CHAN_SHARED_SIZE / 2 bytes; direction d at d * that):
 *   [0, 128)       the producer's line: head, waiters, wake_gen (written by side d)
 *   [128, 256)     the consumer's line: tail, sleeping (written by side 1-d; the producer only
 *                  takes sleeping from 1 to 0)
 *   [4096, 8192)   granted[CHAN_SLOTS]: the consumer's credit words (futexes)
 *   [8192, 12288)  active[CHAN_SLOTS]: the consumer's route serial per slot (0: none)
 *   [12288, ...)   CHAN_RING_BYTES of record data
 *   [..., end)     CHAN_ARENA_BYTES of out-of-line arena (the producer's bytes)
 * Every word the peer can write is read once into a local and checked before use. */
#define _GNU_SOURCE 1 /* syscall */
#include "wire/chan_ring.h"

#include <errno.h>
#include <limits.h>
#include <sys/mman.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* 128: two cache lines, so the adjacent-line prefetcher does not pair the two sides' words. */
#define CHAN_LINE 128u

struct chan_prod_words {
    _Atomic uint64_t head;     /* bytes published so far (a running position) */
    _Atomic uint32_t waiters;  /* producer threads in chan_credit_wait on this direction */
    _Atomic uint32_t wake_gen; /* bumped by chan_credit_wake_all: waiters return */
};

struct chan_cons_words {
    _Atomic uint64_t tail;     /* bytes consumed so far */
    _Atomic uint32_t sleeping; /* 1: the consumer sleeps on its eventfd (doorbell wanted) */
    _Atomic uint64_t arena_tail; /* arena bytes given back so far */
};

struct chan_dir {
    union {
        struct chan_prod_words w;
        uint8_t line[CHAN_LINE];
    } prod;
    union {
        struct chan_cons_words w;
        uint8_t line[CHAN_LINE];
    } cons;
    uint8_t unused[4096u - 2u * CHAN_LINE];
    _Atomic uint32_t granted[CHAN_SLOTS]; /* consumer's, a page of their own */
    _Atomic uint32_t active[CHAN_SLOTS];  /* consumer's: the route serial each slot is for */
    uint8_t data[CHAN_RING_BYTES];
    uint8_t arena[CHAN_ARENA_BYTES];
};

_Static_assert(2u * sizeof(struct chan_dir) == CHAN_SHARED_SIZE, "two directions fill the mapping");
_Static_assert(offsetof(struct chan_dir, granted) == 4096u, "grant words on their own page");
_Static_assert(offsetof(struct chan_dir, active) == 8192u, "route words on their own page");
_Static_assert(offsetof(struct chan_dir, data) == 12288u, "data page-aligned");
_Static_assert(offsetof(struct chan_dir, arena) % 4096u == 0, "arena page-aligned");
_Static_assert(CHAN_ARENA_BYTES % CHAN_ARENA_ALIGN == 0 && CHAN_ARENA_MAX_REGION <= CHAN_ARENA_BYTES,
               "a region always fits the arena");
_Static_assert(sizeof(struct chan_prod_words) <= CHAN_LINE && sizeof(struct chan_cons_words) <= CHAN_LINE,
               "words fit their lines");
_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2 && ATOMIC_INT_LOCK_FREE == 2,
               "shared-memory atomics must be lock-free");
_Static_assert(sizeof(_Atomic uint32_t) == 4u, "futex words are 32-bit");
_Static_assert(CHAN_RING_BYTES % CHAN_RECORD_ALIGN == 0 && CHAN_MAX_BODY + CHAN_RECORD_HEADER <= CHAN_RING_BYTES,
               "a record always fits the data");

static struct chan_dir *dir_of(const struct chan_end *end, unsigned d) {
    return (struct chan_dir *)(void *)(end->base + (size_t)d * sizeof(struct chan_dir));
}

/* The direction this end produces into, and the one it consumes from. */
static struct chan_dir *out_dir(const struct chan_end *end) { return dir_of(end, end->side); }
static struct chan_dir *in_dir(const struct chan_end *end) { return dir_of(end, 1u - end->side); }

static uint32_t record_len(uint32_t body_len) {
    return (CHAN_RECORD_HEADER + body_len + CHAN_RECORD_ALIGN - 1u) & ~(CHAN_RECORD_ALIGN - 1u);
}

static long futex(_Atomic uint32_t *word, int op, uint32_t val, const struct timespec *timeout) {
    /* Not FUTEX_PRIVATE_FLAG: the word is in memory shared with another process. */
    return syscall(SYS_futex, (uint32_t *)(void *)word, op, val, timeout, NULL, 0);
}

void chan_end_init(struct chan_end *end, void *base, unsigned side) {
    end->base = base;
    end->side = side & 1u;
    end->head = atomic_load_explicit(&out_dir(end)->prod.w.head, memory_order_acquire);
    end->tail = atomic_load_explicit(&in_dir(end)->cons.w.tail, memory_order_acquire);
    end->next = end->tail;
    end->arena_head = atomic_load_explicit(&out_dir(end)->cons.w.arena_tail, memory_order_acquire);
    end->arena_tail = atomic_load_explicit(&in_dir(end)->cons.w.arena_tail, memory_order_acquire);
    end->arena_out_ready = end->arena_in_ready = false;
}

/* ---- producer ---- */

/* Bytes needed at head for a record of len bytes: the record, plus the rest of the data first
 * when it does not fit before the end (a PAD record, or a gap under a header's size). */
static uint64_t space_needed(uint64_t head, uint32_t len, uint32_t *skip) {
    uint32_t to_end = CHAN_RING_BYTES - (uint32_t)(head % CHAN_RING_BYTES);
    *skip = to_end < len ? to_end : 0;
    return (uint64_t)*skip + len;
}

/* Room left for the producer, or -1 when the consumer's tail is impossible. */
static int64_t room_of(const struct chan_end *end) {
    uint64_t tail = atomic_load_explicit(&out_dir(end)->cons.w.tail, memory_order_acquire);
    if (tail > end->head || end->head - tail > CHAN_RING_BYTES)
        return -1;
    return (int64_t)(CHAN_RING_BYTES - (end->head - tail));
}

bool chan_has_room(struct chan_end *end, uint32_t body_len) {
    if (body_len > CHAN_MAX_BODY)
        return false;
    uint32_t skip;
    int64_t room = room_of(end);
    return room >= 0 && space_needed(end->head, record_len(body_len), &skip) <= (uint64_t)room;
}

bool chan_tail_ok(const struct chan_end *end) { return room_of(end) >= 0; }

bool chan_out_taken(const struct chan_end *end) {
    return atomic_load_explicit(&out_dir(end)->cons.w.tail, memory_order_acquire) == end->head;
}

enum chan_status chan_produce(struct chan_end *end, const struct chan_record *hdr, const void *body,
                              bool *wake) {
    *wake = false;
    if (hdr->body_len > CHAN_MAX_BODY)
        return CHAN_BROKEN; /* a caller's bug: refused, nothing written */
    struct chan_dir *dir = out_dir(end);
    int64_t room = room_of(end);
    if (room < 0)
        return CHAN_BROKEN;
    uint32_t len = record_len(hdr->body_len), skip;
    uint64_t need = space_needed(end->head, len, &skip);
    if (need > (uint64_t)room)
        return CHAN_FULL;
    if (skip >= CHAN_RECORD_HEADER) {
        struct chan_record pad = {.len = skip, .kind = CHAN_REC_PAD};
        memcpy(dir->data + end->head % CHAN_RING_BYTES, &pad, sizeof pad);
    } /* else a gap of 8..24 bytes: no header fits, both sides skip it */
    uint8_t *at = dir->data + (end->head + skip) % CHAN_RING_BYTES;
    struct chan_record rec = *hdr;
    rec.len = len;
    memcpy(at, &rec, sizeof rec);
    if (hdr->body_len)
        memcpy(at + CHAN_RECORD_HEADER, body, hdr->body_len);
    memset(at + CHAN_RECORD_HEADER + hdr->body_len, 0, len - CHAN_RECORD_HEADER - hdr->body_len);
    end->head += need;
    /* seq_cst store, then seq_cst load of sleeping: with chan_sleep_prepare's seq_cst store of
     * sleeping and load of head (Dekker), either the consumer sees this head or we see its 1. */
    atomic_store_explicit(&dir->prod.w.head, end->head, memory_order_seq_cst);
    if (atomic_load_explicit(&dir->cons.w.sleeping, memory_order_seq_cst) != 0) {
        uint32_t one = 1;
        *wake = atomic_compare_exchange_strong_explicit(&dir->cons.w.sleeping, &one, 0,
                                                        memory_order_seq_cst, memory_order_seq_cst);
    }
    return CHAN_OK;
}

/* ---- consumer ---- */

/* Reads a header out of shared memory once (volatile: the checks below see what was copied,
 * never a second read of a word the peer may be rewriting). at is 8-byte aligned. */
static void copy_header(struct chan_record *out, const uint8_t *at) {
    const volatile uint64_t *src = (const volatile uint64_t *)(const void *)at;
    uint64_t w[CHAN_RECORD_HEADER / 8u];
    for (size_t i = 0; i < CHAN_RECORD_HEADER / 8u; i++)
        w[i] = src[i];
    memcpy(out, w, sizeof *out);
}

/* Whether header r, found at a position with to_end bytes before the data's end and avail
 * bytes published, frames a whole record the consumer may take. */
static bool record_ok(const struct chan_record *r, uint32_t to_end, uint64_t avail, size_t cap) {
    if (r->len % CHAN_RECORD_ALIGN || r->len < CHAN_RECORD_HEADER || r->len > to_end || r->len > avail)
        return false;
    switch (r->kind) {
    case CHAN_REC_PAD:
        return r->len == to_end && r->flags == 0 && r->body_len == 0;
    case CHAN_REC_DROP_ONCE:
        return r->len == CHAN_RECORD_HEADER && r->flags == 0 && r->body_len == 0;
    case CHAN_REC_MSG:
        return (r->flags & ~CHAN_MSG_FLAGS) == 0 &&
               (r->flags & (CHAN_MSG_TICKET | CHAN_MSG_OOL)) != (CHAN_MSG_TICKET | CHAN_MSG_OOL) &&
               r->body_len <= CHAN_MAX_BODY && r->body_len <= cap && r->len == record_len(r->body_len);
    default:
        return false;
    }
}

static void publish_tail(struct chan_end *end) {
    atomic_store_explicit(&in_dir(end)->cons.w.tail, end->tail, memory_order_release);
}

enum chan_status chan_peek(struct chan_end *end, struct chan_record *hdr, void *body, size_t cap) {
    struct chan_dir *dir = in_dir(end);
    uint64_t head = atomic_load_explicit(&dir->prod.w.head, memory_order_acquire);
    uint64_t tail = end->tail, avail = head - tail;
    bool skipped = false;
    end->next = tail;
    if (avail > CHAN_RING_BYTES || head % CHAN_RECORD_ALIGN || tail % CHAN_RECORD_ALIGN)
        return CHAN_BROKEN;
    for (;;) {
        if (avail == 0) {
            if (skipped)
                publish_tail(end);
            return CHAN_EMPTY;
        }
        uint32_t off = (uint32_t)(tail % CHAN_RING_BYTES), to_end = CHAN_RING_BYTES - off;
        if (to_end < CHAN_RECORD_HEADER) { /* a gap no header fits in: skip to the start */
            if (avail < to_end)
                return CHAN_BROKEN;
            tail += to_end;
            avail -= to_end;
            end->tail = end->next = tail;
            skipped = true;
            continue;
        }
        if (avail < CHAN_RECORD_HEADER)
            return CHAN_BROKEN;
        struct chan_record r;
        copy_header(&r, dir->data + off);
        if (!record_ok(&r, to_end, avail, cap))
            return CHAN_BROKEN;
        if (r.kind == CHAN_REC_PAD) {
            tail += r.len;
            avail -= r.len;
            end->tail = end->next = tail;
            skipped = true;
            continue;
        }
        if (r.body_len)
            memcpy(body, dir->data + off + CHAN_RECORD_HEADER, r.body_len);
        *hdr = r;
        end->next = tail + r.len;
        return CHAN_OK;
    }
}

void chan_consume(struct chan_end *end) {
    if (end->next == end->tail)
        return;
    end->tail = end->next;
    publish_tail(end);
}

bool chan_pending(const struct chan_end *end) {
    return atomic_load_explicit(&in_dir(end)->prod.w.head, memory_order_acquire) != end->tail;
}

bool chan_sleep_prepare(struct chan_end *end) {
    struct chan_dir *dir = in_dir(end);
    atomic_store_explicit(&dir->cons.w.sleeping, 1, memory_order_seq_cst);
    return atomic_load_explicit(&dir->prod.w.head, memory_order_seq_cst) != end->tail;
}

void chan_sleep_done(struct chan_end *end) {
    atomic_store_explicit(&in_dir(end)->cons.w.sleeping, 0, memory_order_seq_cst);
}

/* ---- out-of-line arena ---- */

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22 /* Linux >= 5.14 */
#define MADV_POPULATE_WRITE 23
#endif

static uint64_t arena_round(uint64_t n) { return (n + CHAN_ARENA_ALIGN - 1u) & ~(uint64_t)(CHAN_ARENA_ALIGN - 1u); }

uint64_t chan_arena_place(uint64_t pos, uint32_t size) {
    uint64_t start = arena_round(pos);
    if (start % CHAN_ARENA_BYTES + size > CHAN_ARENA_BYTES)
        start += CHAN_ARENA_BYTES - start % CHAN_ARENA_BYTES;
    return start;
}

uint8_t *chan_arena_reserve(struct chan_end *end, uint32_t size, bool *broken) {
    *broken = false;
    if (size == 0 || size > CHAN_ARENA_MAX_REGION)
        return NULL;
    struct chan_dir *dir = out_dir(end);
    uint64_t tail = atomic_load_explicit(&dir->cons.w.arena_tail, memory_order_acquire);
    if (tail > end->arena_head || end->arena_head - tail > CHAN_ARENA_BYTES) {
        *broken = true;
        return NULL;
    }
    uint64_t start = chan_arena_place(end->arena_head, size), stop = arena_round(start + size);
    if (stop - tail > CHAN_ARENA_BYTES)
        return NULL;
    if (!end->arena_out_ready) {
        /* Page faults cost ~9 us each here (runtime-transport.md 3.3): the first use makes and
         * maps every page of the arena at once (ignored where the kernel lacks it). */
        (void)madvise(dir->arena, CHAN_ARENA_BYTES, MADV_POPULATE_WRITE);
        end->arena_out_ready = true;
    }
    end->arena_head = stop;
    return dir->arena + start % CHAN_ARENA_BYTES;
}

const uint8_t *chan_arena_region(struct chan_end *end, uint64_t *cursor, uint32_t size) {
    if (size == 0 || size > CHAN_ARENA_MAX_REGION)
        return NULL;
    struct chan_dir *dir = in_dir(end);
    if (!end->arena_in_ready) {
        (void)madvise(dir->arena, CHAN_ARENA_BYTES, MADV_POPULATE_READ);
        end->arena_in_ready = true;
    }
    uint64_t start = chan_arena_place(*cursor, size);
    *cursor = arena_round(start + size);
    return dir->arena + start % CHAN_ARENA_BYTES;
}

void chan_arena_release(struct chan_end *end, uint64_t cursor) {
    end->arena_tail = cursor;
    atomic_store_explicit(&in_dir(end)->cons.w.arena_tail, cursor, memory_order_release);
}

/* ---- credits ---- */

/* Wakes up to n producer threads waiting on slot's grant word, if the peer says any waits (the
 * count is the peer's word, a hint only: a lie costs us one system call, or a wake-up the peer
 * does not get). Returns how many were woken, or -1 when no call was made. seq_cst load of
 * waiters after the caller's seq_cst store of the grant: pairs with chan_credit_wait's increment
 * and re-read of the grant (a waiter that we miss sees the new grant before it sleeps). */
static long wake_waiters(struct chan_dir *dir, uint32_t slot, int n) {
    if (atomic_load_explicit(&dir->prod.w.waiters, memory_order_seq_cst) == 0)
        return -1;
    return futex(&dir->granted[slot], FUTEX_WAKE, (uint32_t)n, NULL);
}

void chan_grant_quiet(struct chan_end *end, uint32_t slot, uint32_t granted) {
    if (slot < CHAN_SLOTS)
        atomic_store_explicit(&in_dir(end)->granted[slot], granted, memory_order_seq_cst);
}

bool chan_grant(struct chan_end *end, uint32_t slot, uint32_t granted) {
    if (slot >= CHAN_SLOTS)
        return false;
    chan_grant_quiet(end, slot, granted);
    return wake_waiters(in_dir(end), slot, INT_MAX) >= 0;
}

int chan_credit_wake_one(struct chan_end *end, uint32_t slot) {
    if (slot >= CHAN_SLOTS)
        return 0;
    return wake_waiters(in_dir(end), slot, 1) > 0 ? 1 : 0;
}

void chan_route_activate(struct chan_end *end, uint32_t slot, uint32_t serial) {
    if (slot < CHAN_SLOTS)
        atomic_store_explicit(&in_dir(end)->active[slot], serial, memory_order_seq_cst);
}

bool chan_route_active(const struct chan_end *end, uint32_t slot, uint32_t serial) {
    return slot < CHAN_SLOTS && serial != 0 &&
           atomic_load_explicit(&out_dir(end)->active[slot], memory_order_acquire) == serial;
}

static bool credit_in(uint32_t granted, uint32_t sent) { return (int32_t)(granted - sent) > 0; }

bool chan_credit_ok(const struct chan_end *end, uint32_t slot, uint32_t sent) {
    if (slot >= CHAN_SLOTS)
        return false;
    return credit_in(atomic_load_explicit(&out_dir(end)->granted[slot], memory_order_acquire), sent);
}

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

bool chan_credit_wait(struct chan_end *end, uint32_t slot, uint32_t sent, int timeout_ms) {
    if (slot >= CHAN_SLOTS)
        return false;
    struct chan_dir *dir = out_dir(end);
    _Atomic uint32_t *word = &dir->granted[slot];
    int64_t deadline = timeout_ms < 0 ? 0 : now_ns() + (int64_t)timeout_ms * 1000000;
    uint32_t gen = atomic_load_explicit(&dir->prod.w.wake_gen, memory_order_seq_cst);
    atomic_fetch_add_explicit(&dir->prod.w.waiters, 1, memory_order_seq_cst);
    bool ok;
    for (;;) {
        uint32_t granted = atomic_load_explicit(word, memory_order_seq_cst);
        if ((ok = credit_in(granted, sent)))
            break;
        if (atomic_load_explicit(&dir->prod.w.wake_gen, memory_order_seq_cst) != gen)
            break;
        struct timespec rel, *timeout = NULL;
        if (timeout_ms >= 0) {
            int64_t left = deadline - now_ns();
            if (left <= 0)
                break;
            rel = (struct timespec){.tv_sec = left / 1000000000, .tv_nsec = left % 1000000000};
            timeout = &rel;
        }
        /* Returns at once if the word moved since we read it (EAGAIN); EINTR and spurious
         * wake-ups come back here and re-check. */
        futex(word, FUTEX_WAIT, granted, timeout);
    }
    atomic_fetch_sub_explicit(&dir->prod.w.waiters, 1, memory_order_seq_cst);
    return ok;
}

void chan_credit_wake_all(struct chan_end *end) {
    struct chan_dir *dir = out_dir(end);
    atomic_fetch_add_explicit(&dir->prod.w.wake_gen, 1, memory_order_seq_cst);
    /* A waiter may have checked wake_gen just before the bump and not be asleep yet (FUTEX_WAIT
     * only re-checks its grant word): wake again until the waiters have left, for at most about
     * 100 ms (the count is in shared memory, so the peer could hold it up). */
    for (int round = 0; round < 100; round++) {
        if (atomic_load_explicit(&dir->prod.w.waiters, memory_order_seq_cst) == 0)
            return;
        for (uint32_t slot = 0; slot < CHAN_SLOTS; slot++)
            futex(&dir->granted[slot], FUTEX_WAKE, INT_MAX, NULL);
        nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
    }
}
