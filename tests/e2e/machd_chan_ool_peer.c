/* A libmach task for the out-of-line memory tests of direct channels (machd_chan_ool_test.c,
 * docs/machd.md 9.5): regions of every size class (inline, arena, memfd; copied and moved)
 * travel between two processes and arrive intact, in order, owned by the receiver; the same run
 * through the relay (MACHD_DIRECT=0) is the reference. Prints "ready" once set up; exits 0 when
 * every check passed, else the number of the step that failed (stderr says why).
 *
 * Modes (NAME: a bootstrap name; N: a count; SIZES: comma-separated byte counts):
 *   recv NAME N QLIMIT     receives N messages in order (the third first with MACH_RCV_LARGE
 *                          and too small a buffer: MACH_RCV_TOO_LARGE, the message stays
 *                          queued), checks every byte of both regions,
 *                          writes to them, deallocates them; then no memfd mapping, no extra
 *                          descriptor and no vm region is left over
 *   send NAME N copy|move SIZES
 *                          sends N rounds of one message per size (a region of that size and a
 *                          small second one); move: vm_allocate'd regions with deallocate, of
 *                          which none may be left in the sender and none copied
 *   recv_until_quiet NAME  receives until no message came for 3 s (the sender was killed):
 *                          what came is intact and in order, at least one; no leak
 *   stream NAME SIZE       sends messages of SIZE bytes until killed
 *   hostile_recv NAME GOOD receives, from a raw task on a channel (machd_chan_ool_test.c), first
 *                          (GOOD 1) one well-formed OOL record (one 8 KiB region in a memfd),
 *                          then must get nothing more from the ring (the raw task's next record
 *                          is hostile: the channel drops) but the message id 77 it relays; no
 *                          leak afterwards */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mach/mach.h>
#include <mach/openmig_stats.h>
#include <servers/bootstrap.h>

#include "ipc/vm_internal.h"
#include "ipc/vm_reaper_internal.h"
#include "transport/transport_machd.h"

#define PEER_NAME "machd_chan_ool_peer"
#include "peer_check.h"
#include "../support/fd_count.h"

#define TIMEOUT_MS 30000
#define MAX_SIZES 16

struct ool_msg {
    mach_msg_header_t head;
    mach_msg_body_t body;
    mach_msg_ool_descriptor_t big, small;
    uint32_t seq, size, small_size;
};

union rcv_buf {
    struct ool_msg m;
    uint8_t bytes[sizeof(struct ool_msg) + 256];
};

static bool relay_only(void) {
    const char *v = getenv("MACHD_DIRECT");
    return v && strcmp(v, "0") == 0;
}

/* The byte at offset i of region `which` (0 big, 1 small) of message seq. */
static uint8_t pattern(uint32_t seq, int which, size_t i) {
    return (uint8_t)(seq * 31u + (uint32_t)which * 101u + i * 7u + (i >> 12));
}

static void fill(uint8_t *p, size_t n, uint32_t seq, int which) {
    for (size_t i = 0; i < n; i++)
        p[i] = pattern(seq, which, i);
}

/* Index of the first byte that is wrong, or n. */
static size_t first_wrong(const uint8_t *p, size_t n, uint32_t seq, int which) {
    for (size_t i = 0; i < n; i++)
        if (p[i] != pattern(seq, which, i))
            return i;
    return n;
}

static uint32_t small_size_of(uint32_t seq) { return seq % 3 == 0 ? 0 : 1 + seq % 100; }

/* Mappings of memfds in /proc/self/maps (received regions, channel arenas excluded). */
static int memfd_mappings(void) {
    FILE *f = fopen("/proc/self/maps", "r");
    char line[512];
    int n = 0;
    while (f && fgets(line, sizeof line, f))
        if (strstr(line, "memfd:openmig-ool") || strstr(line, "memfd:machd-spill") || strstr(line, "memfd:openmig-vm"))
            n++;
    if (f)
        fclose(f);
    return n;
}

static size_t parse_sizes(const char *list, uint32_t *sizes) {
    size_t n = 0;
    for (const char *p = list; *p && n < MAX_SIZES;) {
        char *end;
        sizes[n++] = (uint32_t)strtoul(p, &end, 0);
        p = *end == ',' ? end + 1 : end;
        if (end == p && *p)
            break;
    }
    return n;
}

/* Checks one received message (seq expected) and releases its regions. */
static int check_message(const union rcv_buf *b, uint32_t seq) {
    const struct ool_msg *m = &b->m;
    CHECK(10, m->head.msgh_id == 4242 && (m->head.msgh_bits & MACH_MSGH_BITS_COMPLEX) &&
                  m->body.msgh_descriptor_count == 2,
          "message %u: header", seq);
    CHECK(11, m->seq == seq, "message %u arrived as %u", seq, m->seq);
    CHECK(12, m->big.size == m->size && m->small.size == m->small_size && m->small_size == small_size_of(seq),
          "message %u: sizes %u/%u, said %u/%u", seq, m->big.size, m->small.size, m->size, m->small_size);
    CHECK(13, (m->size == 0) == (m->big.address == NULL), "message %u: address %p for size %u", seq,
          m->big.address, m->size);
    size_t at = first_wrong(m->big.address, m->size, seq, 0);
    CHECK(14, at == m->size, "message %u (%u bytes): byte %zu wrong", seq, m->size, at);
    at = first_wrong(m->small.address, m->small_size, seq, 1);
    CHECK(15, at == m->small_size, "message %u: small region byte %zu wrong", seq, at);
    if (m->size) { /* the receiver's own memory: writable, and zero to the end of the page */
        uint8_t *p = m->big.address;
        size_t len = (m->size + vm_page_size - 1) & ~(size_t)(vm_page_size - 1);
        for (size_t i = m->size; i < len; i++)
            CHECK(16, p[i] == 0, "message %u: byte %zu past the end is %u", seq, i, p[i]);
        p[0] ^= 0xff;
        p[m->size - 1] ^= 0xff;
    }
    CHECK(17, vm_deallocate(mach_task_self(), (vm_address_t)m->big.address, m->size) == KERN_SUCCESS &&
                  vm_deallocate(mach_task_self(), (vm_address_t)m->small.address, m->small_size) == KERN_SUCCESS,
          "message %u: deallocate", seq);
    return 0;
}

/* Waits (receiving, so that the reader runs) until the sender's channel is gone, at most 5 s. */
static void wait_channels_gone(mach_port_t port) {
    for (int i = 0; i < 50; i++) {
        struct transport_machd_stats ts;
        transport_machd_stats_get(&ts);
        if (ts.channels == 0)
            return;
        union rcv_buf b;
        (void)mach_msg(&b.m.head, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof b, port, 100, MACH_PORT_NULL);
    }
}

/* Nothing left over once every region was deallocated and the sender went: no memfd mapped,
 * no OOL region in flight, the descriptors of before (plus the reader's epoll set and nudge
 * eventfd, made with the first channel). What the reaper had still to release is released
 * first (it would be a moment later). */
static int check_no_leak(int step, mach_port_t port, int fds_before) {
    wait_channels_gone(port);
    vm_reaper_drain();
    fds_before += relay_only() ? 0 : 2;
    struct openmig_ipc_stats st;
    openmig_ipc_stats_get(&st);
    CHECK(step, memfd_mappings() == 0, "%d memfd mappings left", memfd_mappings());
    CHECK(step + 1, fd_count() == fds_before, "%d descriptors, %d before", fd_count(), fds_before);
    CHECK(step + 2, st.ool_regions == 0, "%llu OOL regions in flight", (unsigned long long)st.ool_regions);
    return 0;
}

static int check_path(int step, bool any_ool) {
    struct transport_machd_stats st;
    transport_machd_stats_get(&st);
    if (relay_only())
        CHECK(step, st.direct_sent == 0 && st.direct_received == 0 && st.direct_ool == 0, "a channel was used");
    else if (any_ool)
        CHECK(step, st.direct_ool > 0 && st.direct_tickets == 0, "%lu OOL records, %lu tickets", st.direct_ool,
              st.direct_tickets);
    return 0;
}

static int recv_mode(const char *name, uint32_t n, uint32_t qlimit) {
    mach_port_t port = peer_service(name, true);
    mach_port_limits_t limits = {qlimit};
    CHECK(1, mach_port_set_attributes(mach_task_self(), port, MACH_PORT_LIMITS_INFO, (mach_port_info_t)&limits,
                                      MACH_PORT_LIMITS_INFO_COUNT) == KERN_SUCCESS,
          "queue limit");
    int fds = fd_count();
    ready();
    for (uint32_t i = 0; i < n; i++) {
        union rcv_buf b;
        if (i == 2) { /* MACH_RCV_LARGE: too small a buffer leaves the message queued, its regions too */
            mach_msg_return_t mr = mach_msg(&b.m.head, MACH_RCV_MSG | MACH_RCV_LARGE | MACH_RCV_TIMEOUT, 0,
                                            sizeof(mach_msg_header_t), port, TIMEOUT_MS, MACH_PORT_NULL);
            CHECK(8, mr == MACH_RCV_TOO_LARGE && b.m.head.msgh_size >= sizeof(struct ool_msg),
                  "MACH_RCV_LARGE: %#x, size %u", mr, b.m.head.msgh_size);
        }
        mach_msg_return_t mr = mach_msg(&b.m.head, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof b, port, TIMEOUT_MS,
                                        MACH_PORT_NULL);
        CHECK(2, mr == MACH_MSG_SUCCESS, "receive %u: %#x", i, mr);
        int rc = check_message(&b, i);
        if (rc)
            return rc;
    }
    union rcv_buf extra;
    CHECK(3, mach_msg(&extra.m.head, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof extra, port, 200, MACH_PORT_NULL) ==
                 MACH_RCV_TIMED_OUT,
          "a message more than was sent");
    int rc = check_no_leak(4, port, fds);
    return rc ? rc : check_path(7, n > 1);
}

/* Sends message seq with a big region of size bytes (moved when move). */
static mach_msg_return_t send_one(mach_port_t port, uint32_t seq, uint32_t size, bool move, uint8_t *copy_buf) {
    static uint8_t small[128];
    uint32_t small_size = small_size_of(seq);
    fill(small, small_size, seq, 1);
    void *big = copy_buf;
    if (move && size) {
        vm_address_t a = 0;
        if (vm_allocate(mach_task_self(), &a, size, VM_FLAGS_ANYWHERE) != KERN_SUCCESS)
            return MACH_SEND_NO_BUFFER;
        big = (void *)a;
    }
    fill(big, size, seq, 0);
    struct ool_msg m = {0};
    m.head.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0) | MACH_MSGH_BITS_COMPLEX;
    m.head.msgh_size = sizeof m;
    m.head.msgh_remote_port = port;
    m.head.msgh_id = 4242;
    m.body.msgh_descriptor_count = 2;
    m.big = (mach_msg_ool_descriptor_t){.address = size ? big : NULL, .size = size, .deallocate = move,
                                        .copy = MACH_MSG_VIRTUAL_COPY, .type = MACH_MSG_OOL_DESCRIPTOR};
    m.small = (mach_msg_ool_descriptor_t){.address = small, .size = small_size, .copy = MACH_MSG_VIRTUAL_COPY,
                                          .type = MACH_MSG_OOL_DESCRIPTOR};
    m.seq = seq;
    m.size = size;
    m.small_size = small_size;
    return mach_msg(&m.head, MACH_SEND_MSG | MACH_SEND_TIMEOUT, sizeof m, 0, MACH_PORT_NULL, TIMEOUT_MS,
                    MACH_PORT_NULL);
}

static int send_mode(const char *name, uint32_t rounds, bool move, const char *list) {
    uint32_t sizes[MAX_SIZES];
    size_t nsizes = parse_sizes(list, sizes);
    uint32_t largest = 1;
    for (size_t i = 0; i < nsizes; i++)
        largest = sizes[i] > largest ? sizes[i] : largest;
    uint8_t *copy_buf = move ? NULL : malloc(largest);
    CHECK(1, nsizes > 0 && (move || copy_buf), "sizes %s", list);
    mach_port_t port = peer_service(name, false);
    ready();
    uint32_t seq = 0;
    for (uint32_t r = 0; r < rounds; r++)
        for (size_t i = 0; i < nsizes; i++, seq++) {
            mach_msg_return_t mr = send_one(port, seq, sizes[i], move, copy_buf);
            CHECK(2, mr == MACH_MSG_SUCCESS, "send %u (%u bytes): %#x", seq, sizes[i], mr);
        }
    struct openmig_ipc_stats st;
    openmig_ipc_stats_get(&st);
    CHECK(3, st.ool_regions == 0, "%llu OOL regions left in the sender", (unsigned long long)st.ool_regions);
    CHECK(4, vm_memfd_count() == 0, "%u memfd-backed regions left in the sender", vm_memfd_count());
    CHECK(5, memfd_mappings() == 0, "%d memfd mappings left in the sender", memfd_mappings());
    struct transport_machd_stats ts;
    transport_machd_stats_get(&ts);
    CHECK(6, ts.direct_ool_move_copies == 0, "%lu moves copied", ts.direct_ool_move_copies);
    free(copy_buf);
    return check_path(7, seq > 1);
}

static int recv_until_quiet(const char *name) {
    mach_port_t port = peer_service(name, true);
    int fds = fd_count();
    ready();
    uint32_t got = 0;
    for (;; got++) {
        union rcv_buf b;
        mach_msg_return_t mr = mach_msg(&b.m.head, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof b, port,
                                        got ? 3000 : TIMEOUT_MS, MACH_PORT_NULL);
        if (mr == MACH_RCV_TIMED_OUT && got)
            break;
        CHECK(1, mr == MACH_MSG_SUCCESS, "receive %u: %#x", got, mr);
        int rc = check_message(&b, got);
        if (rc)
            return rc;
    }
    CHECK(2, got >= 2, "only %u messages", got);
    fprintf(stderr, "%s: %u messages before the sender died\n", PEER_NAME, got);
    return check_no_leak(3, port, fds);
}

static int stream_mode(const char *name, uint32_t size) {
    uint8_t *buf = malloc(size ? size : 1);
    CHECK(1, buf != NULL, "memory");
    mach_port_t port = peer_service(name, false);
    ready();
    for (uint32_t seq = 0;; seq++)
        CHECK(2, send_one(port, seq, size, false, buf) == MACH_MSG_SUCCESS, "send %u", seq);
}

static int hostile_recv(const char *name, bool good) {
    mach_port_t port = peer_service(name, true);
    int fds = fd_count();
    ready();
    union rcv_buf b;
    if (good) {
        mach_msg_return_t mr = mach_msg(&b.m.head, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof b, port, TIMEOUT_MS,
                                        MACH_PORT_NULL);
        CHECK(1, mr == MACH_MSG_SUCCESS, "receive the good record: %#x", mr);
        mach_msg_ool_descriptor_t *d = &b.m.big;
        CHECK(2, b.m.head.msgh_id == 9 && b.m.body.msgh_descriptor_count == 1 && d->size == 8192,
              "good record: id %d, %u descriptors, %u bytes", b.m.head.msgh_id, b.m.body.msgh_descriptor_count,
              d->size);
        size_t at = first_wrong(d->address, d->size, 0, 0);
        CHECK(3, at == d->size, "good record: byte %zu wrong", at);
        CHECK(4, vm_deallocate(mach_task_self(), (vm_address_t)d->address, d->size) == KERN_SUCCESS, "deallocate");
    }
    mach_msg_return_t mr = mach_msg(&b.m.head, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof b, port, TIMEOUT_MS,
                                    MACH_PORT_NULL);
    CHECK(5, mr == MACH_MSG_SUCCESS, "receive the relayed message: %#x", mr);
    CHECK(6, b.m.head.msgh_id == 77, "message %d came instead of the relayed one (a hostile record was taken)",
          b.m.head.msgh_id);
    return check_no_leak(7, port, fds);
}

int main(int argc, char **argv) {
    if (argc < 3)
        return 99;
    mode = argv[1];
    const char *name = argv[2];
    if (!strcmp(mode, "recv") && argc == 5)
        return recv_mode(name, (uint32_t)atoi(argv[3]), (uint32_t)atoi(argv[4]));
    if (!strcmp(mode, "send") && argc == 6)
        return send_mode(name, (uint32_t)atoi(argv[3]), !strcmp(argv[4], "move"), argv[5]);
    if (!strcmp(mode, "recv_until_quiet"))
        return recv_until_quiet(name);
    if (!strcmp(mode, "hostile_recv") && argc == 4)
        return hostile_recv(name, atoi(argv[3]) != 0);
    if (!strcmp(mode, "stream") && argc == 4)
        return stream_mode(name, (uint32_t)strtoul(argv[3], NULL, 0));
    return 98;
}
