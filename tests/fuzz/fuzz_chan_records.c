/* fuzz_chan_records.c: libFuzzer target for the MEANING of direct-channel ring records in
 * libmach's consumer (runtime/src/transport/transport_chan_recv.c with transport_chan.c and
 * transport_chan_send.c; docs/machd.md 9.3, "Hostile ring"). fuzz_chan_ring covers the framing;
 * here the records are well framed (or deliberately not) and their content is hostile.
 *
 * Each input sets up, in this one process and without machd, a real channel as libmach has it
 * after machd's CHANNEL: a sealed memfd of CHAN_SHARED_SIZE, two eventfds and a socketpair given
 * to chan_open; four local ports made known under machd handles (machd_link_for_test), routes on
 * a few slots (chan_route_add), send-once tokens standing for a reply port (chan_token_new). The
 * rest of the input is a program of the PEER's actions on its side of the shared memory:
 * well-framed records (chan_produce on a struct chan_end of the other side) with fuzzed kinds,
 * flags, destinations, reply tokens, tickets and bodies; raw writes to every word and data byte
 * the peer may write; interleaved with the local side's work: chan_drain, receives on the local
 * ports (replying to or destroying the send-once rights that came with messages), tickets that
 * arrive through "machd" (chan_ticket_arrived), ROUTE_ADD/ROUTE_DEL, new tokens, the peer
 * hanging up. Checked (abort on violation):
 *   - every message received is well formed: its size is a header plus at most CHAN_MAX_BODY,
 *     its local right is the one the port is reached by (a send right for a route, a send-once
 *     right for a token's reply port), its reply right is a send-once right or a dead name;
 *   - a record that can only be hostile (a slot past CHAN_SLOTS, a token never issued, a ticket
 *     record with a body) drops the channel once the consumer reaches it;
 *   - each token issued yields exactly one message on the reply port: the peer's reply, the
 *     send-once notification of a DROP_ONCE, or the notification when the channel drops;
 *   - records with out-of-line memory (CHAN_MSG_OOL, docs/machd.md 9.5: fuzzed descriptor
 *     counts and types, table entries, inline bytes, arena regions, and memfds on the LINK
 *     socket that are sealed or not, of the right size or not, too many, too few, out of order,
 *     or not memfds at all) deliver only well-formed messages whose regions are readable, or
 *     drop the channel; no region, mapping or descriptor is left once the channel is gone;
 *   - the local ports still work afterwards (a local send/receive round trip);
 *   - the core's live ports, entries and messages are back at the baseline once the channel is
 *     dropped and the ports destroyed (every input leaves the process as it found it). */
#define _GNU_SOURCE 1
#include <mach/mach.h>
#include <mach/notify.h>
#include <mach/openmig_stats.h>

#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ipc/ipc.h"
#include "transport/transport_chan.h"
#include "transport/transport_machd_internal.h"
#include "wire/chan_ring.h"
#include "wire/machd_spill.h"
#include "../support/fd_count.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NPORTS 4
#define MAX_OPS 256
/* Layout of one direction (wire/chan_ring.c): the words the peer may write. */
#define DIR_BYTES (CHAN_SHARED_SIZE / 2u)
#define OFF_PROD 0u      /* head (u64), waiters, wake_gen (u32) */
#define OFF_CONS 128u    /* tail (u64), sleeping (u32) */
#define OFF_GRANTED 4096u
#define OFF_ACTIVE 8192u
#define OFF_DATA 12288u
#define OFF_ARENA_TAIL (OFF_CONS + 16u) /* the consumer's arena tail (u64) */
#define OFF_ARENA (OFF_DATA + CHAN_RING_BYTES)

#define CHECK(cond)                                                                               \
    do {                                                                                          \
        if (!(cond)) {                                                                            \
            fprintf(stderr, "fuzz_chan_records: %s:%d: check failed: %s\n", __FILE__, __LINE__,  \
                    #cond);                                                                       \
            abort();                                                                              \
        }                                                                                         \
    } while (0)

/* ---- input reader: every read succeeds; past the end it yields zeros ---- */

struct reader {
    const uint8_t *data;
    size_t size, pos;
};

static uint8_t rd8(struct reader *r) { return r->pos < r->size ? r->data[r->pos++] : 0; }
static uint16_t rd16(struct reader *r) {
    uint16_t lo = rd8(r);
    return (uint16_t)(lo | (uint16_t)rd8(r) << 8);
}
static uint32_t rd32(struct reader *r) {
    uint32_t lo = rd16(r);
    return lo | (uint32_t)rd16(r) << 16;
}
static uint64_t rd64(struct reader *r) {
    uint64_t lo = rd32(r);
    return lo | (uint64_t)rd32(r) << 32;
}
static bool more(const struct reader *r) { return r->pos < r->size; }

/* ---- one input's world ---- */

static const uint32_t slot_table[8] = {0, 1, 7, 1023, 2, CHAN_SLOTS, 0xffffffffu, 3};

struct world {
    uint32_t id;                 /* the channel */
    unsigned side;               /* ours; the peer is 1 - side */
    uint8_t *peer_map;           /* the peer's mapping of the memory */
    struct chan_end peer;        /* the peer's end: produces into direction 1 - side */
    int peer_link;               /* the peer's end of the socketpair */
    mach_port_name_t ports[NPORTS], reply;
    uint32_t handles[NPORTS];
    uint32_t tokens_issued;      /* send-once rights to `reply` handed out as tokens */
    uint32_t reply_msgs;         /* messages received on `reply` */
    uint32_t max_token;          /* highest token value issued */
    uint32_t tickets_sent;       /* tickets "machd" delivered so far, numbered from 1 */
    uint32_t ticket_records;     /* ticket records the peer wrote */
    uint64_t fd_seq;             /* LINK datagrams of memfds the peer sent */
    bool raw;                    /* the peer scribbled: no prediction of what the ring holds */
    bool hostile;                /* a record that can only be hostile was published */
    bool hostile_token;          /* one naming a token past every token issued (a token issued
                                    later may make it valid: then no prediction) */
};

static uint8_t rcv_buf[sizeof(mach_msg_header_t) + CHAN_MAX_BODY + 256] __attribute__((aligned(8)));
static uint8_t body_tmp[CHAN_MAX_BODY];

static struct ipc_port *port_of(mach_port_name_t name) {
    struct ipc_entry *e = space_lookup(ipc_space_current(), name);
    return e ? e->port : NULL;
}

/* A new token for our reply port (a send-once right made for it, as a reply right leaving). */
static void token_new(struct world *w) {
    ipc_lock();
    struct chan *c = chan_find(w->id);
    if (c) {
        struct ipc_port *port = port_of(w->reply);
        CHECK(port);
        port_make_send_once(port);
        uint32_t t = chan_token_new(c, port);
        if (!t)
            port_destroy_send_once(port); /* table full: its notification comes at once */
        else if (t > w->max_token)
            w->max_token = t;
        w->hostile_token = false;
        w->tokens_issued++;
    }
    ipc_unlock();
}

static mach_port_name_t new_port(void) {
    mach_port_name_t name;
    CHECK(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &name) == KERN_SUCCESS);
    CHECK(mach_port_insert_right(mach_task_self(), name, name, MACH_MSG_TYPE_MAKE_SEND) == KERN_SUCCESS);
    return name;
}

static bool setup(struct world *w, uint8_t config) {
    static uint32_t next_id;
    memset(w, 0, sizeof *w);
    w->id = ++next_id;
    w->side = config & 1u;
    w->peer_link = -1;
    for (int i = 0; i < NPORTS; i++)
        w->ports[i] = new_port();
    w->reply = new_port();
    if (config & 2u) { /* a port with a queue limit of 1 */
        mach_port_limits_t lim = {.mpl_qlimit = 1};
        CHECK(mach_port_set_attributes(mach_task_self(), w->ports[1], MACH_PORT_LIMITS_INFO,
                                       (mach_port_info_t)&lim, MACH_PORT_LIMITS_INFO_COUNT) == KERN_SUCCESS);
    }

    int mem = memfd_create("cf-chan", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    CHECK(mem >= 0);
    CHECK(ftruncate(mem, CHAN_SHARED_SIZE) == 0);
    CHECK(fcntl(mem, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) == 0);
    w->peer_map = mmap(NULL, CHAN_SHARED_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, mem, 0);
    CHECK(w->peer_map != MAP_FAILED);
    chan_end_init(&w->peer, w->peer_map, 1u - w->side);
    int sp[2];
    CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) == 0);
    w->peer_link = sp[1];
    struct machd_msg m;
    memset(&m, 0, sizeof m);
    m.type = MACHD_CHANNEL;
    m.u.channel.channel = w->id;
    m.u.channel.side = w->side;
    m.u.channel.peer = (struct machd_audit){.pid = (uint32_t)getpid(), .uid = 4242, .gid = 4343, .task_id = 77};
    m.u.channel.fds[MACHD_CHANNEL_FD_MEMORY] = mem;
    m.u.channel.fds[MACHD_CHANNEL_FD_WAKE_ME] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    m.u.channel.fds[MACHD_CHANNEL_FD_WAKE_PEER] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    m.u.channel.fds[MACHD_CHANNEL_FD_LINK] = sp[0];

    ipc_lock();
    chan_open(&m); /* takes the descriptors */
    bool ok = chan_find(w->id) != NULL;
    for (int i = 0; ok && i < NPORTS; i++) {
        w->handles[i] = machd_link_for_test(port_of(w->ports[i]));
        CHECK(w->handles[i] != 0);
    }
    if (ok) {
        /* Two routes to port 0, one each to ports 1 and 2; port 3 is known but not routed. */
        chan_route_add(w->id, 0, w->handles[0], 11);
        chan_route_add(w->id, 1, w->handles[1], 12);
        chan_route_add(w->id, 7, w->handles[2], 13);
        chan_route_add(w->id, 1023, w->handles[0], 14);
    }
    ipc_unlock();
    if (!ok)
        return false;
    for (int i = 0; i < 3; i++)
        token_new(w);
    return true;
}

/* Checks one received message on port index pi (NPORTS: the reply port) and settles its reply
 * right: replied to (a record for the peer's token), or destroyed (DROP_ONCE), per `how`. */
static void check_received(struct world *w, int pi, const mach_msg_header_t *h, uint8_t how) {
    mach_port_name_t name = pi == NPORTS ? w->reply : w->ports[pi];
    CHECK(h->msgh_size >= sizeof(mach_msg_header_t));
    CHECK(h->msgh_size <= sizeof(mach_msg_header_t) + CHAN_MAX_BODY);
    CHECK(h->msgh_local_port == name);
    mach_msg_type_name_t local = MACH_MSGH_BITS_LOCAL(h->msgh_bits);
    mach_msg_type_name_t remote = MACH_MSGH_BITS_REMOTE(h->msgh_bits);
    if (pi == NPORTS) {
        CHECK(local == MACH_MSG_TYPE_PORT_SEND_ONCE);
        w->reply_msgs++;
    } else {
        CHECK(local == MACH_MSG_TYPE_PORT_SEND);
    }
    if (h->msgh_bits & MACH_MSGH_BITS_COMPLEX) { /* out-of-line memory only (9.5) */
        const mach_msg_body_t *body = (const mach_msg_body_t *)(h + 1);
        CHECK(h->msgh_size >= sizeof *h + sizeof *body);
        CHECK(body->msgh_descriptor_count >= 1 && body->msgh_descriptor_count <= CHAN_OOL_MAX);
        CHECK(sizeof *h + sizeof *body + body->msgh_descriptor_count * sizeof(mach_msg_ool_descriptor_t) <=
              h->msgh_size);
        mach_msg_ool_descriptor_t *d = (mach_msg_ool_descriptor_t *)(void *)(body + 1);
        for (uint32_t i = 0; i < body->msgh_descriptor_count; i++) {
            CHECK(d[i].type == MACH_MSG_OOL_DESCRIPTOR || d[i].type == MACH_MSG_OOL_VOLATILE_DESCRIPTOR);
            CHECK((d[i].size == 0) == (d[i].address == NULL));
            if (d[i].size) { /* the receiver's own memory: readable and writable */
                volatile uint8_t *p = d[i].address;
                p[0] = (uint8_t)(p[0] + 1);
                p[d[i].size - 1] = (uint8_t)(p[d[i].size - 1] + 1);
                CHECK(vm_deallocate(mach_task_self(), (vm_address_t)d[i].address, d[i].size) == KERN_SUCCESS);
            }
        }
    }
    if (h->msgh_remote_port == MACH_PORT_NULL) {
        CHECK(remote == 0);
        return;
    }
    CHECK(remote == MACH_MSG_TYPE_PORT_SEND_ONCE);
    if (h->msgh_remote_port == MACH_PORT_DEAD) /* the peer's token died before the copy-out */
        return;
    mach_port_type_t type = 0;
    CHECK(mach_port_type(mach_task_self(), h->msgh_remote_port, &type) == KERN_SUCCESS);
    CHECK(type & (MACH_PORT_TYPE_SEND_ONCE | MACH_PORT_TYPE_DEAD_NAME));
    if ((how & 1) && (type & MACH_PORT_TYPE_SEND_ONCE)) {
        /* The reply: goes on the ring as a record to the peer's token (never blocks: timeout 0). */
        struct {
            mach_msg_header_t h;
            uint32_t body[2];
        } reply = {{MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0), sizeof reply, h->msgh_remote_port,
                    MACH_PORT_NULL, 0, h->msgh_id + 100},
                   {how, 0}};
        mach_msg_return_t mr = mach_msg(&reply.h, MACH_SEND_MSG | MACH_SEND_TIMEOUT, sizeof reply, 0,
                                        MACH_PORT_NULL, 0, MACH_PORT_NULL);
        /* MACH_SEND_INVALID_DEST after the copy-in (the channel went while sending): the
         * message and its right are gone, as with any destination that dies meanwhile. */
        if (mr == MACH_MSG_SUCCESS || mr == MACH_SEND_INVALID_DEST)
            return;
        /* The ring is full: the message comes back to us with its right (pseudo-receive). */
        CHECK(mr == MACH_SEND_TIMED_OUT);
        CHECK(MACH_MSGH_BITS_REMOTE(reply.h.msgh_bits) == MACH_MSG_TYPE_PORT_SEND_ONCE);
        CHECK(mach_port_deallocate(mach_task_self(), reply.h.msgh_remote_port) == KERN_SUCCESS);
        return;
    }
    CHECK(mach_port_deallocate(mach_task_self(), h->msgh_remote_port) == KERN_SUCCESS);
}

/* Takes every message queued on the local ports. */
static void receive_all(struct world *w, uint8_t how) {
    for (int pi = 0; pi <= NPORTS; pi++) {
        mach_port_name_t name = pi == NPORTS ? w->reply : w->ports[pi];
        for (;;) {
            mach_msg_header_t *h = (mach_msg_header_t *)(void *)rcv_buf;
            mach_msg_return_t mr = mach_msg(h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof rcv_buf, name, 0,
                                            MACH_PORT_NULL);
            if (mr == MACH_RCV_TIMED_OUT)
                break;
            CHECK(mr == MACH_MSG_SUCCESS);
            check_received(w, pi, h, how);
            how = (uint8_t)(how * 5u + 1u);
        }
    }
}

static void drain(struct world *w) {
    ipc_lock();
    struct chan *c = chan_find(w->id);
    if (c)
        chan_drain(c);
    ipc_unlock();
}

/* The peer publishes one well-framed record. */
static void produce(struct world *w, struct reader *r) {
    uint8_t k = rd8(r);
    struct chan_record rec = {0};
    rec.kind = (k & 3u) == 0 ? rd16(r) : (k & 3u) == 3 ? CHAN_REC_DROP_ONCE : CHAN_REC_MSG;
    rec.flags = (k & 0x80u) ? rd16(r) : (uint16_t)((k >> 2) & CHAN_MSG_FLAGS);
    if (rec.kind == CHAN_REC_DROP_ONCE)
        rec.flags = (k & 0x80u) ? rec.flags : 0;
    uint8_t d = rd8(r);
    bool once = rec.kind == CHAN_REC_DROP_ONCE || (rec.flags & CHAN_MSG_DEST_ONCE);
    if (d >= 0xf0)
        rec.dest = rd32(r);
    else
        rec.dest = once ? d % 8u : slot_table[d % 8u];
    uint8_t rp = rd8(r);
    rec.reply = rp >= 0xf0 ? rd32(r) : rp % 4u == 0 ? 0 : rp % 16u;
    rec.msgh_id = (int32_t)rd8(r);
    uint8_t tk = rd8(r);
    if (rec.flags & CHAN_MSG_TICKET)
        rec.ticket = tk >= 0xf0 ? rd64(r) : ++w->ticket_records;
    uint8_t bl = rd8(r);
    rec.body_len = bl == 0xff ? rd16(r) : bl == 0xfe ? CHAN_MAX_BODY : bl;
    if (rec.flags & CHAN_MSG_TICKET && !(bl & 1))
        rec.body_len = 0, rec.reply = 0;
    for (uint32_t i = 0; i < rec.body_len; i++)
        body_tmp[i] = (uint8_t)(i < 64 ? rd8(r) : i);
    bool wake;
    if (chan_produce(&w->peer, &rec, body_tmp, &wake) != CHAN_OK)
        return;
    /* Records the consumer must find hostile whenever it reaches them. */
    if (rec.kind == CHAN_REC_MSG && (rec.flags & ~CHAN_MSG_FLAGS) == 0) {
        bool ticket = rec.flags & CHAN_MSG_TICKET;
        if (ticket && (rec.body_len || rec.reply))
            w->hostile = true;
        else if (!ticket && rec.reply > CHAN_MAX_TOKENS) /* no peer's token is that large */
            w->hostile = true;
        else if ((rec.flags & CHAN_MSG_DEST_ONCE) && rec.dest == 0 && !ticket)
            w->hostile = true;
        else if ((rec.flags & CHAN_MSG_DEST_ONCE) && rec.dest > w->max_token && !ticket)
            w->hostile_token = true;
        else if (!(rec.flags & CHAN_MSG_DEST_ONCE) && rec.dest >= CHAN_SLOTS && !ticket)
            w->hostile = true;
    } else if (rec.kind == CHAN_REC_DROP_ONCE && rec.flags == 0 && rec.dest == 0) {
        w->hostile = true;
    } else if (rec.kind == CHAN_REC_DROP_ONCE && rec.flags == 0 && rec.dest > w->max_token) {
        w->hostile_token = true;
    }
}

/* Region sizes an OOL record names: around every threshold (inline, arena, pages). */
static const uint32_t ool_sizes[12] = {0, 1, 7, 100, 4096, 16384, 16385, 70000, CHAN_ARENA_MAX_REGION,
                                       CHAN_ARENA_MAX_REGION + 1, 3u << 20, 0xffffffffu};

/* A descriptor for an OOL record's datagram: a sealed memfd of size bytes, or (kind) one that is
 * not sealed, of the wrong size, or not a memfd. */
static int ool_fd(uint8_t kind, uint64_t size) {
    if (kind % 8u == 7u) {
        int p[2];
        CHECK(pipe2(p, O_CLOEXEC) == 0);
        close(p[1]);
        return p[0];
    }
    int fd = memfd_create("cf-ool", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    CHECK(fd >= 0);
    uint64_t len = kind % 8u == 5u ? size + 4096u : kind % 8u == 6u && size >= 4096u ? size - 4096u : size;
    if (ftruncate(fd, (off_t)(len > (64u << 20) ? (64u << 20) : len)) == 0 && len >= 2)
        (void)pwrite(fd, "ab", 2, 0);
    if (kind % 8u != 4u)
        (void)fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | (kind % 8u == 3u ? 0 : F_SEAL_SEAL));
    return fd;
}

static uint32_t round8(uint32_t n) { return (n + 7u) & ~7u; }

/* The peer publishes a record with out-of-line memory: descriptors, table, inline bytes, arena
 * regions and a datagram of memfds on the LINK socket, each plausible or fuzzed. */
static void produce_ool(struct world *w, struct reader *r) {
    uint8_t k = rd8(r);
    uint32_t n = (k & 0x80) ? rd8(r) : 1u + k % 4u;
    uint32_t nd = n > CHAN_OOL_MAX ? CHAN_OOL_MAX : n;
    uint32_t m = (uint32_t)sizeof(mach_msg_body_t) + nd * (uint32_t)sizeof(mach_msg_ool_descriptor_t) + 8u;
    if (k & 0x40) /* any length that leaves room for the table */
        m = rd16(r) % (CHAN_MAX_BODY - CHAN_OOL_MAX * (uint32_t)sizeof(struct chan_ool_entry) - 8u);
    memset(body_tmp, 0, sizeof body_tmp);
    uint32_t count = (k & 0x20) ? rd32(r) : n;
    memcpy(body_tmp, &count, sizeof count);
    struct chan_ool_entry entries[CHAN_OOL_MAX];
    int fds[6];
    int nfds = 0;
    uint32_t len = round8(m) + nd * (uint32_t)sizeof(struct chan_ool_entry);
    uint8_t *inline_at = body_tmp + len;
    bool spill = (k & 0x10) != 0;
    for (uint32_t i = 0; i < nd; i++) {
        uint8_t e = rd8(r);
        uint32_t size = ool_sizes[e % 12u];
        uint16_t how = size == 0 ? CHAN_OOL_NONE
                       : spill ? CHAN_OOL_SPILL
                       : size <= 16384 ? CHAN_OOL_INLINE
                       : size <= CHAN_ARENA_MAX_REGION ? CHAN_OOL_ARENA : CHAN_OOL_FD;
        if (e & 0x80)
            how = rd8(r) % 6u;
        entries[i] = (struct chan_ool_entry){.size = size, .how = how, .zero = (e & 0x40) ? 1 : 0};
        size_t at = sizeof(mach_msg_body_t) + i * sizeof(mach_msg_ool_descriptor_t);
        if (at + sizeof(mach_msg_ool_descriptor_t) <= m) {
            mach_msg_ool_descriptor_t d = {.size = (e & 0x20) ? size + 1 : size,
                                           .type = (e & 0x10) ? rd8(r) % 6u : MACH_MSG_OOL_DESCRIPTOR};
            memcpy(body_tmp + at, &d, sizeof d);
        }
        if (how == CHAN_OOL_INLINE && size <= CHAN_MAX_BODY && len + round8(size) <= CHAN_MAX_BODY) {
            memset(inline_at, (int)i, size);
            inline_at += round8(size);
            len += round8(size);
        } else if (how == CHAN_OOL_ARENA) {
            bool broken;
            uint8_t *slot = chan_arena_reserve(&w->peer, size, &broken);
            if (slot)
                memset(slot, (int)i, size);
        } else if (how == CHAN_OOL_FD && nfds < 5) {
            fds[nfds++] = ool_fd(rd8(r), ((uint64_t)size + 4095u) & ~(uint64_t)4095u);
        }
    }
    if (spill && nfds < 5) { /* one memfd laid out as a spilled payload */
        uint64_t offsets[CHAN_OOL_MAX];
        uint32_t sizes[CHAN_OOL_MAX];
        for (uint32_t i = 0; i < nd; i++)
            sizes[i] = entries[i].size;
        fds[nfds++] = ool_fd(rd8(r), machd_spill_layout_of(m, sizes, nd, offsets));
    }
    if (nd)
        memcpy(body_tmp + round8(m), entries, nd * sizeof *entries);
    uint8_t dg = rd8(r);
    if (nfds && dg % 4u != 0) { /* the datagram: as it should be, or with a lie */
        struct chan_fd_note note = {.seq = dg % 4u == 3u ? rd64(r) : w->fd_seq + 1, .nfds = (uint32_t)nfds};
        if (dg & 0x80)
            note.nfds = rd8(r);
        int extra = (dg & 0x40) && nfds < 6 ? ool_fd(0, 4096) : -1;
        if (extra >= 0)
            fds[nfds++] = extra;
        if (machd_send_with_fds(w->peer_link, &note, sizeof note, fds, nfds > 4 ? 4 : nfds, MSG_DONTWAIT) ==
            (ssize_t)sizeof note)
            w->fd_seq++;
    }
    machd_close_fds(fds, nfds);
    struct chan_record rec = {.kind = CHAN_REC_MSG, .flags = CHAN_MSG_OOL, .dest = slot_table[rd8(r) % 8u],
                              .msgh_id = 9, .ticket = (k & 0x08) ? rd64(r) : m,
                              .body_len = len > CHAN_MAX_BODY ? CHAN_MAX_BODY : len};
    bool wake;
    if (chan_produce(&w->peer, &rec, body_tmp, &wake) == CHAN_OK && (n == 0 || n > CHAN_OOL_MAX))
        w->hostile = true;
}

/* The peer writes raw values over one of its words or its record data. */
static void scribble(struct world *w, struct reader *r) {
    uint8_t *peer_dir = w->peer_map + (size_t)(1u - w->side) * DIR_BYTES; /* its producer side */
    uint8_t *our_dir = w->peer_map + (size_t)w->side * DIR_BYTES;        /* its consumer side */
    uint8_t which = rd8(r);
    w->raw = true;
    switch (which % 8u) {
    case 0: { /* head: near the current one, or anything */
        uint64_t v = (which & 0x80) ? rd64(r) : w->peer.head + (uint64_t)(int8_t)rd8(r);
        __atomic_store_n((uint64_t *)(void *)(peer_dir + OFF_PROD), v, __ATOMIC_RELEASE);
        break;
    }
    case 1:
        __atomic_store_n((uint32_t *)(void *)(peer_dir + OFF_PROD + 8 + 4 * ((which >> 3) & 1)), rd32(r),
                         __ATOMIC_RELEASE);
        break;
    case 2: { /* its tail on our records */
        uint64_t v = rd64(r);
        __atomic_store_n((uint64_t *)(void *)(our_dir + OFF_CONS), v, __ATOMIC_RELEASE);
        break;
    }
    case 3:
        if (which & 0x40) /* its arena tail on our regions */
            __atomic_store_n((uint64_t *)(void *)(our_dir + OFF_ARENA_TAIL), rd64(r), __ATOMIC_RELEASE);
        else
            __atomic_store_n((uint32_t *)(void *)(our_dir + OFF_CONS + 8), rd32(r), __ATOMIC_RELEASE);
        break;
    case 4:
    case 5: {
        uint32_t slot = rd16(r) % CHAN_SLOTS;
        __atomic_store_n((uint32_t *)(void *)(our_dir + (which % 8u == 4 ? OFF_GRANTED : OFF_ACTIVE) + 4 * slot),
                         rd32(r), __ATOMIC_RELEASE);
        break;
    }
    case 6: { /* its arena bytes, anywhere */
        uint32_t off = rd32(r) % CHAN_ARENA_BYTES;
        uint8_t n = rd8(r);
        for (uint8_t i = 0; i < n && off + i < CHAN_ARENA_BYTES; i++)
            peer_dir[OFF_ARENA + off + i] = rd8(r);
        break;
    }
    default: { /* record data: near the head, or anywhere */
        uint32_t off = (which & 0x80) ? rd32(r) % CHAN_RING_BYTES
                                       : (uint32_t)((w->peer.head + rd8(r)) % CHAN_RING_BYTES);
        uint8_t n = rd8(r);
        for (uint8_t i = 0; i < n && off + i < CHAN_RING_BYTES; i++)
            peer_dir[OFF_DATA + off + i] = rd8(r);
        break;
    }
    }
}

/* "machd" delivers a ticket of the peer's: in order, or any number. */
static void ticket(struct world *w, struct reader *r) {
    uint8_t n = rd8(r);
    uint32_t number = n >= 0xf0 ? rd32(r) : ++w->tickets_sent;
    uint8_t len = rd8(r);
    ipc_lock();
    struct ipc_kmsg *kmsg = kmsg_alloc((mach_msg_size_t)(sizeof(mach_msg_header_t) + len), 0);
    CHECK(kmsg);
    kmsg->id = (mach_msg_id_t)number;
    for (uint8_t i = 0; i < len; i++)
        kmsg->data[sizeof(mach_msg_header_t) + i] = i;
    chan_ticket_arrived(w->id, number, kmsg);
    ipc_unlock();
}

/* The peer takes our records (replies, DROP_ONCE) so that our direction does not fill. */
static void peer_consume(struct world *w) {
    struct chan_record rec;
    for (int i = 0; i < 4096; i++) {
        if (chan_peek(&w->peer, &rec, body_tmp, sizeof body_tmp) != CHAN_OK)
            return;
        chan_consume(&w->peer);
    }
}

/* A local send/receive round trip on port name (the port still works). */
static void round_trip(mach_port_name_t name) {
    struct {
        mach_msg_header_t h;
        uint32_t v;
    } msg = {{MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0), sizeof msg, name, MACH_PORT_NULL, 0, 4711}, 0xC0FFEE};
    CHECK(mach_msg(&msg.h, MACH_SEND_MSG | MACH_SEND_TIMEOUT, sizeof msg, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL) ==
          MACH_MSG_SUCCESS);
    mach_msg_header_t *h = (mach_msg_header_t *)(void *)rcv_buf;
    CHECK(mach_msg(h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof rcv_buf, name, 0, MACH_PORT_NULL) ==
          MACH_MSG_SUCCESS);
    CHECK(h->msgh_id == 4711 && h->msgh_size == sizeof msg);
    CHECK(memcmp(rcv_buf + sizeof(mach_msg_header_t), &msg.v, sizeof msg.v) == 0);
}

static void teardown(struct world *w) {
    /* The consumer reaches everything it can; a channel still here whose ring is empty must not
     * have passed over a record that can only be hostile. */
    ipc_lock();
    struct chan *c = chan_find(w->id);
    if (c)
        chan_drain(c);
    c = chan_find(w->id);
    if (c && (w->hostile || w->hostile_token) && !w->raw && !c->parked)
        CHECK(!"a hostile record did not drop the channel");
    if (c) /* the peer goes: what is left in its ring is taken first, then the channel */
        chan_drop(c, false);
    CHECK(chan_find(w->id) == NULL);
    chan_reap(); /* as the reader does between its waits: a dropped channel's memory goes */
    machd_credits_flush(); /* room announcements for machd: none is connected, they go nowhere */
    ipc_unlock();
    receive_all(w, 0);
    /* Every token became exactly one message on the reply port. */
    if (w->reply_msgs != w->tokens_issued) {
        fprintf(stderr, "fuzz_chan_records: %u tokens, %u messages on the reply port\n", w->tokens_issued,
                w->reply_msgs);
        abort();
    }
    for (int i = 0; i < NPORTS; i++)
        round_trip(w->ports[i]);
    round_trip(w->reply);
    for (int i = 0; i < NPORTS; i++)
        CHECK(mach_port_destroy(mach_task_self(), w->ports[i]) == KERN_SUCCESS);
    CHECK(mach_port_destroy(mach_task_self(), w->reply) == KERN_SUCCESS);
    ipc_lock();
    for (int i = 0; i < NPORTS; i++)
        CHECK(machd_link_get(w->handles[i]) == NULL); /* the ports' deaths forgot their handles */
    ipc_unlock();
    close(w->peer_link);
    munmap(w->peer_map, CHAN_SHARED_SIZE);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static bool warm, warming;
    if (!warm) { /* the task's space and whatever the core makes on first use (the reader's
                  * epoll set and nudge eventfd with the first channel): not leaks */
        warm = warming = true;
        mach_port_name_t name = new_port(); /* makes the task's space */
        CHECK(mach_port_destroy(mach_task_self(), name) == KERN_SUCCESS);
        static const uint8_t nothing[1];
        LLVMFuzzerTestOneInput(nothing, sizeof nothing);
        warming = false;
    }
    struct reader r = {data, size, 0};
    struct openmig_ipc_stats before, after;
    openmig_ipc_stats_get(&before);
    int fds_before = fd_count();
    struct world w;
    if (!setup(&w, rd8(&r)))
        abort();
    for (int ops = 0; ops < MAX_OPS && more(&r); ops++) {
        uint8_t op = rd8(&r);
        switch (op % 16u) {
        case 14:
        case 15:
            produce_ool(&w, &r);
            break;
        case 0:
        case 1:
        case 2:
            produce(&w, &r);
            break;
        case 3:
            scribble(&w, &r);
            break;
        case 4:
        case 5:
            drain(&w);
            break;
        case 6:
            receive_all(&w, rd8(&r));
            break;
        case 7:
            ticket(&w, &r);
            break;
        case 8: {
            uint32_t slot = slot_table[rd8(&r) % 8u];
            ipc_lock();
            chan_route_del(w.id, slot);
            ipc_unlock();
            break;
        }
        case 9: {
            uint32_t slot = slot_table[rd8(&r) % 8u];
            uint8_t p = rd8(&r);
            uint32_t serial = rd8(&r) + 1u;
            ipc_lock();
            chan_route_add(w.id, slot, p < 0xf0 ? w.handles[p % NPORTS] : rd32(&r), serial);
            ipc_unlock();
            break;
        }
        case 10:
            token_new(&w);
            break;
        case 11:
            peer_consume(&w);
            break;
        case 12: /* the peer hangs up: its channel goes as when it dies */
            if (rd8(&r) % 4u == 0) {
                ipc_lock();
                struct chan *c = chan_find(w.id);
                if (c)
                    chan_drop(c, false);
                ipc_unlock();
            }
            break;
        default: /* a local message on a routed port meanwhile (its queue emptied first) */
            receive_all(&w, rd8(&r));
            round_trip(w.ports[rd8(&r) % NPORTS]);
            break;
        }
    }
    teardown(&w);
    openmig_ipc_stats_get(&after);
    if ((!warming && fd_count() != fds_before) || after.ool_regions != before.ool_regions) {
        fprintf(stderr, "fuzz_chan_records: leak: descriptors %d -> %d, OOL regions %llu -> %llu\n", fds_before,
                fd_count(), (unsigned long long)before.ool_regions, (unsigned long long)after.ool_regions);
        abort();
    }
    if (after.ports != before.ports || after.entries != before.entries || after.messages != before.messages) {
        fprintf(stderr, "fuzz_chan_records: leak: ports %llu -> %llu, entries %llu -> %llu, messages %llu -> %llu\n",
                (unsigned long long)before.ports, (unsigned long long)after.ports,
                (unsigned long long)before.entries, (unsigned long long)after.entries,
                (unsigned long long)before.messages, (unsigned long long)after.messages);
        abort();
    }
    return 0;
}
