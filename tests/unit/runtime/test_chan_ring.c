// The shared ring of a direct channel (wire/chan_ring.c, docs/machd.md 9.1): records of every
// size round-trip through one mapping and through two mappings of one memfd, wrap around with PAD
// records, FULL exactly when there is no room; every impossible word or record the hostile peer
// can write reports CHAN_BROKEN; the doorbell wakes once per sleep; credits compare across the
// wrap of the counter, time out, and wake a waiting thread. The cross-process test (fork) sends
// 200,000 records with flow control and the eventfd doorbell.
#define _GNU_SOURCE 1 // memfd_create
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "wire/chan_ring.h"

// The layout chan_ring.c uses (docs/machd.md 9.1), to play the hostile peer.
#define DIR_BYTES (CHAN_SHARED_SIZE / 2u)
#define OFF_HEAD 0u
#define OFF_TAIL 128u
#define OFF_SLEEPING 136u
#define OFF_GRANTED 4096u
#define OFF_DATA 12288u

static uint32_t record_len_of(uint32_t body_len) { return (CHAN_RECORD_HEADER + body_len + 7u) & ~7u; }

static uint8_t body_in[CHAN_MAX_BODY], body_out[CHAN_MAX_BODY + 64]; // + 64: caps over the limit

static uint8_t *map_new(int *fd_out) {
    int fd = memfd_create("ring-test", MFD_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, CHAN_SHARED_SIZE), 0);
    void *p = mmap(NULL, CHAN_SHARED_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    assert_true(p != MAP_FAILED);
    if (fd_out)
        *fd_out = fd;
    else
        close(fd);
    return p;
}

static uint8_t *map_again(int fd) {
    void *p = mmap(NULL, CHAN_SHARED_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    assert_true(p != MAP_FAILED);
    return p;
}

static void map_free(uint8_t *p) { munmap(p, CHAN_SHARED_SIZE); }

// A fresh channel in one mapping: p is side 0 (producing into direction 0), c side 1.
static uint8_t *pair_new(struct chan_end *p, struct chan_end *c) {
    uint8_t *m = map_new(NULL);
    chan_end_init(p, m, 0);
    chan_end_init(c, m, 1);
    return m;
}

static uint64_t *word64(uint8_t *base, unsigned dir, uint32_t off) {
    return (uint64_t *)(void *)(base + dir * DIR_BYTES + off);
}

static uint8_t *data_of(uint8_t *base, unsigned dir) { return base + dir * DIR_BYTES + OFF_DATA; }

static uint32_t xorshift(uint32_t *s) {
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}

static void fill_body(uint8_t *b, uint32_t len, uint32_t seed) {
    uint32_t s = seed * 2654435761u + 1u;
    for (uint32_t i = 0; i < len; i++)
        b[i] = (uint8_t)xorshift(&s);
}

static uint32_t checksum(const uint8_t *b, uint32_t len) {
    uint32_t h = 2166136261u;
    for (uint32_t i = 0; i < len; i++)
        h = (h ^ b[i]) * 16777619u;
    return h;
}

static struct chan_record msg_hdr(uint32_t body_len, uint32_t id, uint32_t sum) {
    return (struct chan_record){.kind = CHAN_REC_MSG, .dest = 7, .msgh_id = (int32_t)id, .reply = sum,
                                .body_len = body_len};
}

// Sends one checksummed record of body_len from p and takes it at c.
static void round_trip(struct chan_end *p, struct chan_end *c, uint32_t body_len, uint32_t id) {
    fill_body(body_in, body_len, id);
    struct chan_record h = msg_hdr(body_len, id, checksum(body_in, body_len)), got;
    bool wake;
    assert_int_equal(chan_produce(p, &h, body_in, &wake), CHAN_OK);
    assert_false(wake);
    assert_true(chan_pending(c));
    assert_int_equal(chan_peek(c, &got, body_out, sizeof body_out), CHAN_OK);
    assert_int_equal(got.kind, CHAN_REC_MSG);
    assert_int_equal(got.body_len, body_len);
    assert_int_equal(got.msgh_id, (int32_t)id);
    assert_int_equal(got.dest, 7);
    assert_int_equal(got.reply, checksum(body_out, body_len));
    assert_memory_equal(body_out, body_in, body_len);
    chan_consume(c);
    assert_false(chan_pending(c));
    assert_int_equal(chan_peek(c, &got, body_out, sizeof body_out), CHAN_EMPTY);
}

static void every_size(uint8_t *a, uint8_t *b) {
    struct chan_end e0, e1;
    chan_end_init(&e0, a, 0);
    chan_end_init(&e1, b, 1);
    for (uint32_t n = 0; n <= CHAN_MAX_BODY; n += n < 300 ? 1 : 997) {
        round_trip(&e0, &e1, n, n);
        round_trip(&e1, &e0, n, n + 1);
    }
    round_trip(&e0, &e1, CHAN_MAX_BODY, 5);
    round_trip(&e1, &e0, CHAN_MAX_BODY, 6);
}

static void records_of_every_size_round_trip_in_one_mapping(void **state) {
    (void)state;
    uint8_t *m = map_new(NULL);
    every_size(m, m);
    map_free(m);
}

static void records_round_trip_between_two_mappings_of_one_memfd(void **state) {
    (void)state;
    int fd;
    uint8_t *a = map_new(&fd), *b = map_again(fd);
    assert_ptr_not_equal(a, b);
    every_size(a, b);
    map_free(a);
    map_free(b);
    close(fd);
}

static void many_passes_wrap_with_pad(void **state) {
    (void)state;
    struct chan_end p, c;
    uint8_t *m = pair_new(&p, &c);
    uint32_t s = 12345, sent = 0, taken = 0;
    // Batches of several records in flight, sizes that leave every remainder before the end
    // (including gaps under a header's size), over about 40 passes of the ring.
    while (p.head < 40ull * CHAN_RING_BYTES) {
        uint32_t batch = 1 + xorshift(&s) % 8;
        for (uint32_t i = 0; i < batch; i++) {
            uint32_t n = xorshift(&s) % 3 ? xorshift(&s) % 200 : xorshift(&s) % CHAN_MAX_BODY;
            fill_body(body_in, n, sent);
            struct chan_record h = msg_hdr(n, sent, checksum(body_in, n));
            bool wake;
            enum chan_status st = chan_produce(&p, &h, body_in, &wake);
            if (st == CHAN_FULL)
                break;
            assert_int_equal(st, CHAN_OK);
            sent++;
        }
        struct chan_record got;
        while (taken < sent) {
            assert_int_equal(chan_peek(&c, &got, body_out, sizeof body_out), CHAN_OK);
            assert_int_equal(got.msgh_id, (int32_t)taken);
            assert_int_equal(got.reply, checksum(body_out, got.body_len));
            chan_consume(&c);
            taken++;
        }
        assert_int_equal(chan_peek(&c, &got, body_out, sizeof body_out), CHAN_EMPTY);
        assert_int_equal(c.tail, p.head);
    }
    assert_true(sent > 1000);
    map_free(m);
}

static void full_exactly_when_no_room(void **state) {
    (void)state;
    struct chan_end p, c;
    uint8_t *m = pair_new(&p, &c);
    // 1024-byte records (992 body) fill the ring exactly.
    const uint32_t body = 1024 - CHAN_RECORD_HEADER, n = CHAN_RING_BYTES / 1024;
    bool wake;
    for (uint32_t i = 0; i < n; i++) {
        struct chan_record h = msg_hdr(body, i, 0);
        assert_true(chan_has_room(&p, body));
        assert_int_equal(chan_produce(&p, &h, body_in, &wake), CHAN_OK);
    }
    struct chan_record h = msg_hdr(0, n, 0), got;
    assert_false(chan_has_room(&p, 0));
    assert_int_equal(chan_produce(&p, &h, NULL, &wake), CHAN_FULL);
    assert_int_equal(p.head, CHAN_RING_BYTES); // nothing written
    assert_int_equal(chan_peek(&c, &got, body_out, sizeof body_out), CHAN_OK);
    assert_false(chan_has_room(&p, 0)); // peeked, not consumed
    chan_consume(&c);
    assert_true(chan_has_room(&p, body));
    assert_false(chan_has_room(&p, body + 1)); // 1032 bytes: one more than consumed
    assert_false(chan_has_room(&p, CHAN_MAX_BODY + 1));
    h = msg_hdr(body, n, 0);
    assert_int_equal(chan_produce(&p, &h, body_in, &wake), CHAN_OK);
    assert_int_equal(chan_produce(&p, &h, body_in, &wake), CHAN_FULL);
    map_free(m);
}

static void peek_twice_returns_the_same_record(void **state) {
    (void)state;
    uint8_t *m = map_new(NULL);
    struct chan_end p, c;
    chan_end_init(&p, m, 1);
    chan_end_init(&c, m, 0);
    bool wake;
    fill_body(body_in, 100, 1);
    struct chan_record h = msg_hdr(100, 1, 0), a, b;
    assert_int_equal(chan_produce(&p, &h, body_in, &wake), CHAN_OK);
    h = (struct chan_record){.kind = CHAN_REC_DROP_ONCE, .dest = 99};
    assert_int_equal(chan_produce(&p, &h, NULL, &wake), CHAN_OK);
    assert_int_equal(chan_peek(&c, &a, body_out, sizeof body_out), CHAN_OK);
    memset(body_out, 0, 100);
    assert_int_equal(chan_peek(&c, &b, body_out, sizeof body_out), CHAN_OK);
    assert_memory_equal(&a, &b, sizeof a);
    assert_memory_equal(body_out, body_in, 100);
    chan_consume(&c);
    assert_int_equal(chan_peek(&c, &a, body_out, sizeof body_out), CHAN_OK);
    assert_int_equal(a.kind, CHAN_REC_DROP_ONCE);
    assert_int_equal(a.dest, 99);
    assert_int_equal(a.len, CHAN_RECORD_HEADER);
    chan_consume(&c);
    chan_consume(&c); // nothing peeked: no effect
    assert_int_equal(c.tail, p.head);
    map_free(m);
}

// ---- the hostile producer: side 0 writes direction 0 by hand, side 1 consumes ----

// Writes header r at position pos of direction 0's data.
static void put_record(uint8_t *m, uint64_t pos, struct chan_record r) {
    memcpy(data_of(m, 0) + pos % CHAN_RING_BYTES, &r, sizeof r);
}

// What a consumer at tail (shared and private) seeing head gets from its first peek.
static enum chan_status peek_with(uint8_t *m, uint64_t tail, uint64_t head, size_t cap) {
    *word64(m, 0, OFF_HEAD) = head;
    *word64(m, 0, OFF_TAIL) = tail;
    struct chan_end c;
    chan_end_init(&c, m, 1);
    assert_int_equal(c.tail, tail);
    struct chan_record got;
    return chan_peek(&c, &got, body_out, cap);
}

static struct chan_record rec(uint32_t len, uint16_t kind, uint16_t flags, uint32_t body_len) {
    return (struct chan_record){.len = len, .kind = kind, .flags = flags, .body_len = body_len};
}

static void hostile_records_report_broken(void **state) {
    (void)state;
    uint8_t *m = map_new(NULL);
    const uint64_t t = 5ull * CHAN_RING_BYTES + 4096; // any running position
    // Sanity: a good record is taken.
    put_record(m, t, rec(48, CHAN_REC_MSG, CHAN_MSG_DEST_ONCE | CHAN_MSG_TICKET, 16));
    assert_int_equal(peek_with(m, t, t + 48, CHAN_MAX_BODY), CHAN_OK);
    put_record(m, t, rec(48, CHAN_REC_MSG, CHAN_MSG_DEST_ONCE | CHAN_MSG_OOL, 16));
    assert_int_equal(peek_with(m, t, t + 48, CHAN_MAX_BODY), CHAN_OK);
    // head beyond tail + size, head behind tail, misaligned head or tail.
    assert_int_equal(peek_with(m, t, t + CHAN_RING_BYTES + 8, CHAN_MAX_BODY), CHAN_BROKEN);
    assert_int_equal(peek_with(m, t, t - 8, CHAN_MAX_BODY), CHAN_BROKEN);
    assert_int_equal(peek_with(m, t, t + 52, CHAN_MAX_BODY), CHAN_BROKEN);
    assert_int_equal(peek_with(m, t + 4, t + 52, CHAN_MAX_BODY), CHAN_BROKEN);
    // head inside a record, or inside a header.
    assert_int_equal(peek_with(m, t, t + 40, CHAN_MAX_BODY), CHAN_BROKEN);
    assert_int_equal(peek_with(m, t, t + 16, CHAN_MAX_BODY), CHAN_BROKEN);
    // bad kind; bad flags; flags on a non-MSG; len/body_len mismatch; len not a multiple of 8;
    // len under a header; body over CHAN_MAX_BODY; body over cap.
    const struct chan_record bad[] = {
        rec(48, 0, 0, 16),
        rec(48, 4, 0, 16),
        rec(48, CHAN_REC_MSG, 0x8, 16),
        rec(48, CHAN_REC_MSG, CHAN_MSG_TICKET | CHAN_MSG_OOL, 16),
        rec(32, CHAN_REC_DROP_ONCE, CHAN_MSG_DEST_ONCE, 0),
        rec(48, CHAN_REC_MSG, 0, 17),
        rec(48, CHAN_REC_MSG, 0, 8),
        rec(44, CHAN_REC_MSG, 0, 12),
        rec(24, CHAN_REC_MSG, 0, 0),
        rec(0, CHAN_REC_MSG, 0, 0),
        rec(40, CHAN_REC_DROP_ONCE, 0, 0),
        rec(40, CHAN_REC_DROP_ONCE, 0, 8),
        rec(record_len_of(CHAN_MAX_BODY + 8), CHAN_REC_MSG, 0, CHAN_MAX_BODY + 8),
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        put_record(m, t, bad[i]);
        assert_int_equal(peek_with(m, t, t + 70000, sizeof body_out), CHAN_BROKEN);
    }
    put_record(m, t, rec(48, CHAN_REC_MSG, 0, 16));
    assert_int_equal(peek_with(m, t, t + 48, 15), CHAN_BROKEN); // body_len > cap
    assert_int_equal(peek_with(m, t, t + 48, 16), CHAN_OK);
    // Records near the end of the data: straddling it, PAD short of or beyond it.
    const uint64_t e = 6ull * CHAN_RING_BYTES; // the end of a pass
    put_record(m, e - 64, rec(128, CHAN_REC_MSG, 0, 96));
    assert_int_equal(peek_with(m, e - 64, e + 64, CHAN_MAX_BODY), CHAN_BROKEN);
    put_record(m, e - 64, rec(56, CHAN_REC_PAD, 0, 0));
    assert_int_equal(peek_with(m, e - 64, e + 64, CHAN_MAX_BODY), CHAN_BROKEN);
    put_record(m, e - 64, rec(72, CHAN_REC_PAD, 0, 0));
    assert_int_equal(peek_with(m, e - 64, e + 64, CHAN_MAX_BODY), CHAN_BROKEN);
    put_record(m, e - 128, rec(64, CHAN_REC_PAD, 0, 0)); // a record after it fits, still broken
    put_record(m, e - 64, rec(64, CHAN_REC_MSG, 0, 32));
    assert_int_equal(peek_with(m, e - 128, e, CHAN_MAX_BODY), CHAN_BROKEN);
    put_record(m, e - 64, rec(64, CHAN_REC_PAD, CHAN_MSG_TICKET, 0));
    assert_int_equal(peek_with(m, e - 64, e + 64, CHAN_MAX_BODY), CHAN_BROKEN);
    // A good PAD then a record at the start; the same after a gap under a header's size.
    put_record(m, e - 64, rec(64, CHAN_REC_PAD, 0, 0));
    put_record(m, e, rec(64, CHAN_REC_MSG, 0, 32));
    assert_int_equal(peek_with(m, e - 64, e + 64, CHAN_MAX_BODY), CHAN_OK);
    assert_int_equal(peek_with(m, e - 24, e + 64, CHAN_MAX_BODY), CHAN_OK);
    assert_int_equal(peek_with(m, e - 24, e - 8, CHAN_MAX_BODY), CHAN_BROKEN); // head in the gap
    map_free(m);
}

static void hostile_tail_reports_broken_to_the_producer(void **state) {
    (void)state;
    uint8_t *m = map_new(NULL);
    struct chan_end p;
    *word64(m, 0, OFF_HEAD) = 3ull * CHAN_RING_BYTES;
    chan_end_init(&p, m, 0);
    assert_int_equal(p.head, 3ull * CHAN_RING_BYTES);
    struct chan_record h = msg_hdr(8, 1, 0);
    bool wake;
    const uint64_t tails[] = {p.head + 8, p.head - CHAN_RING_BYTES - 8, UINT64_MAX, 0};
    for (size_t i = 0; i < sizeof tails / sizeof tails[0]; i++) {
        *word64(m, 0, OFF_TAIL) = tails[i];
        assert_int_equal(chan_produce(&p, &h, body_in, &wake), CHAN_BROKEN);
        assert_false(chan_has_room(&p, 8));
        assert_int_equal(p.head, 3ull * CHAN_RING_BYTES);
    }
    *word64(m, 0, OFF_TAIL) = p.head - CHAN_RING_BYTES; // full, but possible
    assert_int_equal(chan_produce(&p, &h, body_in, &wake), CHAN_FULL);
    *word64(m, 0, OFF_TAIL) = p.head;
    assert_int_equal(chan_produce(&p, &h, body_in, &wake), CHAN_OK);
    h.body_len = CHAN_MAX_BODY + 1; // a caller's bug: refused
    assert_int_equal(chan_produce(&p, &h, body_in, &wake), CHAN_BROKEN);
    map_free(m);
}

static void doorbell_rings_once_per_sleep(void **state) {
    (void)state;
    struct chan_end p, c;
    uint8_t *m = pair_new(&p, &c);
    struct chan_record h = msg_hdr(0, 1, 0), got;
    bool wake = true;
    assert_int_equal(chan_produce(&p, &h, NULL, &wake), CHAN_OK);
    assert_false(wake); // consumer awake
    assert_true(chan_sleep_prepare(&c)); // a record is there: do not sleep
    chan_sleep_done(&c);
    assert_int_equal(chan_peek(&c, &got, body_out, sizeof body_out), CHAN_OK);
    chan_consume(&c);
    assert_false(chan_sleep_prepare(&c)); // nothing: sleep
    assert_int_equal(chan_produce(&p, &h, NULL, &wake), CHAN_OK);
    assert_true(wake); // took sleeping 1 -> 0
    assert_int_equal(chan_produce(&p, &h, NULL, &wake), CHAN_OK);
    assert_false(wake); // only once
    chan_sleep_done(&c);
    assert_int_equal(chan_produce(&p, &h, NULL, &wake), CHAN_OK);
    assert_false(wake);
    // A hostile sleeping word (not 1) never asks for a wake.
    *(uint32_t *)(void *)(m + OFF_SLEEPING) = 2;
    assert_int_equal(chan_produce(&p, &h, NULL, &wake), CHAN_OK);
    assert_false(wake);
    map_free(m);
}

static void credits_compare_across_the_counter_wrap(void **state) {
    (void)state;
    struct chan_end p, c;
    uint8_t *m = pair_new(&p, &c);
    assert_false(chan_credit_ok(&p, 3, 0));
    chan_grant(&c, 3, 2);
    assert_true(chan_credit_ok(&p, 3, 0));
    assert_true(chan_credit_ok(&p, 3, 1));
    assert_false(chan_credit_ok(&p, 3, 2));
    assert_false(chan_credit_ok(&p, 4, 0)); // per slot
    chan_grant(&c, 3, 5); // granted wrapped past 2^32, sent not yet
    assert_true(chan_credit_ok(&p, 3, UINT32_MAX - 1));
    assert_true(chan_credit_ok(&p, 3, UINT32_MAX));
    assert_true(chan_credit_ok(&p, 3, 4));
    assert_false(chan_credit_ok(&p, 3, 5));
    chan_grant(&c, 3, UINT32_MAX);
    assert_true(chan_credit_ok(&p, 3, UINT32_MAX - 1));
    assert_false(chan_credit_ok(&p, 3, UINT32_MAX));
    assert_false(chan_credit_ok(&p, 3, 0)); // sent ahead of the grant
    // Grants to one direction are not seen by the other.
    assert_false(chan_credit_ok(&c, 3, 0));
    // Slots past the table are refused.
    chan_grant(&c, CHAN_SLOTS, 10);
    assert_false(chan_credit_ok(&p, CHAN_SLOTS, 0));
    assert_false(chan_credit_wait(&p, CHAN_SLOTS, 0, 0));
    assert_false(chan_credit_ok(&p, UINT32_MAX, 0));
    chan_grant(&c, CHAN_SLOTS - 1, 1);
    assert_true(chan_credit_ok(&p, CHAN_SLOTS - 1, 0));
    assert_true(chan_credit_wait(&p, CHAN_SLOTS - 1, 0, 0));
    map_free(m);
}

static int64_t ms_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void credit_wait_times_out(void **state) {
    (void)state;
    uint8_t *m = map_new(NULL);
    struct chan_end p;
    chan_end_init(&p, m, 0);
    int64_t t0 = ms_now();
    assert_false(chan_credit_wait(&p, 1, 0, 50));
    int64_t took = ms_now() - t0;
    assert_true(took >= 50 && took < 2000);
    assert_false(chan_credit_wait(&p, 1, 0, 0));
    assert_int_equal(*(uint32_t *)(void *)(m + 8), 0); // waiters back to 0
    map_free(m);
}

struct granter {
    struct chan_end *c;
    uint32_t slot, granted;
    int delay_ms;
};

static void *grant_later(void *arg) {
    struct granter *g = arg;
    nanosleep(&(struct timespec){.tv_nsec = g->delay_ms * 1000000L}, NULL);
    chan_grant(g->c, g->slot, g->granted);
    return NULL;
}

static void *wake_all_later(void *arg) {
    struct granter *g = arg;
    nanosleep(&(struct timespec){.tv_nsec = g->delay_ms * 1000000L}, NULL);
    chan_credit_wake_all(g->c);
    return NULL;
}

static void credit_wait_returns_when_granted(void **state) {
    (void)state;
    int fd;
    uint8_t *a = map_new(&fd), *b = map_again(fd);
    struct chan_end p, c;
    chan_end_init(&p, a, 1);
    chan_end_init(&c, b, 0);
    struct granter g = {.c = &c, .slot = 9, .granted = 1, .delay_ms = 30};
    pthread_t th;
    int64_t t0 = ms_now();
    assert_int_equal(pthread_create(&th, NULL, grant_later, &g), 0);
    assert_true(chan_credit_wait(&p, 9, 0, 10000));
    assert_true(ms_now() - t0 < 5000);
    pthread_join(th, NULL);
    // No limit, woken by a grant.
    g.granted = 2;
    assert_int_equal(pthread_create(&th, NULL, grant_later, &g), 0);
    assert_true(chan_credit_wait(&p, 9, 1, -1));
    pthread_join(th, NULL);
    // chan_credit_wake_all ends a wait without credit.
    g.c = &p;
    t0 = ms_now();
    assert_int_equal(pthread_create(&th, NULL, wake_all_later, &g), 0);
    assert_false(chan_credit_wait(&p, 9, 2, 10000));
    assert_true(ms_now() - t0 < 5000);
    pthread_join(th, NULL);
    map_free(a);
    map_free(b);
    close(fd);
}

struct quiet_waiter {
    struct chan_end *p;
    _Atomic int done;
};

static void *wait_for_credit(void *arg) {
    struct quiet_waiter *w = arg;
    bool ok = chan_credit_wait(w->p, 4, 0, 10000);
    atomic_store(&w->done, ok ? 1 : 2);
    return NULL;
}

// A quiet grant publishes without waking a sleeping producer; chan_credit_wake_one wakes it
// (one call, only when the peer says a thread waits).
static void quiet_grant_waits_for_its_wake(void **state) {
    (void)state;
    int fd;
    uint8_t *a = map_new(&fd), *b = map_again(fd);
    struct chan_end p, c;
    chan_end_init(&p, a, 0); // the waiters word of side 0's producer is at offset 8
    chan_end_init(&c, b, 1);
    assert_int_equal(chan_credit_wake_one(&c, 4), 0); // no waiter: no call
    struct quiet_waiter w = {.p = &p};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, wait_for_credit, &w), 0);
    while (*(volatile uint32_t *)(void *)(a + 8) == 0) // its waiters word
        sched_yield();
    nanosleep(&(struct timespec){.tv_nsec = 50 * 1000000L}, NULL); // asleep in the futex by now
    chan_grant_quiet(&c, 4, 1);
    nanosleep(&(struct timespec){.tv_nsec = 100 * 1000000L}, NULL);
    assert_int_equal(atomic_load(&w.done), 0); // still asleep: nobody woke it
    assert_true(chan_credit_ok(&p, 4, 0));     // though the grant is there
    int64_t t0 = ms_now();
    assert_int_equal(chan_credit_wake_one(&c, 4), 1);
    pthread_join(th, NULL);
    assert_int_equal(atomic_load(&w.done), 1);
    assert_true(ms_now() - t0 < 5000);
    assert_int_equal(chan_credit_wake_one(&c, CHAN_SLOTS), 0);
    map_free(a);
    map_free(b);
    close(fd);
}

// ---- across processes ----

#define XP_RECORDS 200000u
#define XP_WINDOW 32u // credits ahead of what the consumer took
#define XP_SLOT 5u

static uint32_t xp_size(uint32_t i) {
    uint32_t s = i * 2246822519u + 7u;
    xorshift(&s);
    return i % 1000 == 999 ? xorshift(&s) % 4096 : xorshift(&s) % 600;
}

static bool wait_fd(int fd, int timeout_ms) {
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    if (poll(&pfd, 1, timeout_ms) != 1)
        return false;
    uint64_t v;
    return read(fd, &v, sizeof v) == sizeof v;
}

static void ring_fd(int fd) {
    uint64_t one = 1;
    if (write(fd, &one, sizeof one) != sizeof one)
        _exit(9);
}

// The child: side 1, produces XP_RECORDS into direction 1 on credit, then waits for the
// parent's answer in direction 0. Exits 0 on success.
static int xp_child(uint8_t *m, int efd_parent, int efd_child) {
    alarm(30);
    struct chan_end e;
    chan_end_init(&e, m, 1);
    static uint8_t body[4096];
    uint32_t fulls = 0;
    for (uint32_t i = 0; i < XP_RECORDS; i++) {
        if (!chan_credit_ok(&e, XP_SLOT, i) && !chan_credit_wait(&e, XP_SLOT, i, 5000))
            return 2;
        uint32_t n = xp_size(i);
        fill_body(body, n, i);
        struct chan_record h = msg_hdr(n, i, checksum(body, n));
        h.dest = XP_SLOT;
        bool wake;
        enum chan_status st;
        while ((st = chan_produce(&e, &h, body, &wake)) == CHAN_FULL) {
            fulls++;
            sched_yield();
        }
        if (st != CHAN_OK)
            return 3;
        if (wake)
            ring_fd(efd_parent);
    }
    // The answer: one DROP_ONCE record back.
    struct chan_record got;
    for (;;) {
        enum chan_status st = chan_peek(&e, &got, body, sizeof body);
        if (st == CHAN_OK)
            break;
        if (st != CHAN_EMPTY)
            return 4;
        if (!chan_sleep_prepare(&e) && !wait_fd(efd_child, 5000))
            return 5;
        chan_sleep_done(&e);
    }
    chan_consume(&e);
    return got.kind == CHAN_REC_DROP_ONCE && got.dest == XP_RECORDS ? 0 : 6;
}

static void records_cross_processes_with_doorbell_and_credits(void **state) {
    (void)state;
    uint8_t *m = map_new(NULL);
    int efd_parent = eventfd(0, EFD_CLOEXEC), efd_child = eventfd(0, EFD_CLOEXEC);
    assert_true(efd_parent >= 0 && efd_child >= 0);
    struct chan_end e;
    chan_end_init(&e, m, 0);
    chan_grant(&e, XP_SLOT, XP_WINDOW);
    int64_t t0 = ms_now();
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(xp_child(m, efd_parent, efd_child));
    uint32_t taken = 0, wakes = 0, sleeps = 0;
    bool ok = true;
    while (ok && taken < XP_RECORDS) {
        struct chan_record got;
        enum chan_status st = chan_peek(&e, &got, body_out, sizeof body_out);
        if (st == CHAN_EMPTY) {
            sleeps++;
            if (!chan_sleep_prepare(&e)) {
                ok = wait_fd(efd_parent, 5000);
                wakes += ok;
            }
            chan_sleep_done(&e);
            continue;
        }
        ok = st == CHAN_OK && got.msgh_id == (int32_t)taken && got.body_len == xp_size(taken) &&
             got.dest == XP_SLOT && got.reply == checksum(body_out, got.body_len);
        if (ok) {
            fill_body(body_in, got.body_len, taken);
            ok = memcmp(body_in, body_out, got.body_len) == 0;
        }
        chan_consume(&e);
        taken++;
        chan_grant(&e, XP_SLOT, taken + XP_WINDOW);
    }
    if (!ok)
        kill(pid, SIGKILL);
    struct chan_record answer = {.kind = CHAN_REC_DROP_ONCE, .dest = XP_RECORDS};
    bool wake;
    assert_int_equal(chan_produce(&e, &answer, NULL, &wake), CHAN_OK);
    if (wake)
        ring_fd(efd_child);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    printf("chan_ring: %u records across processes in %lld ms, %u eventfd wakes (%u times empty)\n", taken,
           (long long)(ms_now() - t0), wakes, sleeps);
    assert_true(ok);
    assert_int_equal(taken, XP_RECORDS);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    close(efd_parent);
    close(efd_child);
    map_free(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(records_of_every_size_round_trip_in_one_mapping),
        cmocka_unit_test(records_round_trip_between_two_mappings_of_one_memfd),
        cmocka_unit_test(many_passes_wrap_with_pad),
        cmocka_unit_test(full_exactly_when_no_room),
        cmocka_unit_test(peek_twice_returns_the_same_record),
        cmocka_unit_test(hostile_records_report_broken),
        cmocka_unit_test(hostile_tail_reports_broken_to_the_producer),
        cmocka_unit_test(doorbell_rings_once_per_sleep),
        cmocka_unit_test(credits_compare_across_the_counter_wrap),
        cmocka_unit_test(credit_wait_times_out),
        cmocka_unit_test(credit_wait_returns_when_granted),
        cmocka_unit_test(quiet_grant_waits_for_its_wake),
        cmocka_unit_test(records_cross_processes_with_doorbell_and_credits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
