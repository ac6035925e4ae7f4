/* A libmach task for the transfer and SIGKILL-storm attacks (machd_transfer_test.c, docs/machd.md
 * 8.2). The same checks hold on direct channels and through the relay (MACHD_DIRECT=0). Prints
 * "ready" once set up; exits 0 when every check passed, else the number of the step that failed
 * (stderr says why). Reports go to stderr (stdout is the harness's "ready" pipe, closed after).
 *
 * Modes (NAME: a bootstrap name; N: messages per sender thread; SEED: the plan's seed):
 *   xfer_recv NAME N SEED [PLAN [QLIMIT [STOP_AFTER]]]
 *                           checks in NAME with a queue limit of QLIMIT (5) and receives 2 x N
 *                           messages: each exactly once, intact (checksum of body and OOL bytes,
 *                           sizes as planned), in order per sender thread; prints the tally. With
 *                           STOP_AFTER, it SIGSTOPs itself after that many (the test continues it)
 *   xfer_send NAME N SEED [PLAN]
 *                           two threads, each sending its N planned messages with blocking sends
 *                           (PLAN: "mixed", the default, or "spilled": every message 32 - 256 KiB
 *                           out of line, each a memfd)
 *   rpc_server NAME         answers checksummed calls until a STOP message, then waits (bounded)
 *                           for its own ports and names to be back to what they were at check-in
 *   rpc_call NAME [die]     calls until SIGUSR1, each answer checked; with "die": until the server
 *                           dies, which must come as MIG_SERVER_DIED or MACH_SEND_INVALID_DEST
 *   rpc_storm NAME SEED     calls for ever (the test SIGKILLs it); no "ready" */
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mach/mach.h>
#include <mach/notify.h>
#include <mach/openmig_stats.h>
#include <servers/bootstrap.h>

#include "transport/transport_machd.h"

#define PEER_NAME "machd_transfer_peer"
#include "peer_check.h"

#define TIMEOUT_MS 30000        /* a hang, not a slow machine */
#define THREADS 2
#define QUEUE_LIMIT 5
#define RPC_REQUEST_ID 7300
#define RPC_REPLY_ID 7400
#define RPC_STOP_ID 7399 /* also used by the test (raw task) */
#define MAX_INLINE (1024u * 1024u)
#define RCV_BUF (MAX_INLINE + 4096u)
#define RPC_MAX_INLINE (128u * 1024u)

/* ---- the plan: sizes and rights of every message, the same on both sides ---- */

static uint64_t mix(uint64_t x) {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

struct plan {
    uint32_t inline_len; /* bytes after the header and descriptors: 0, or >= sizeof(struct meta) */
    uint32_t ool_len;    /* 0: no OOL region */
    bool port;           /* carries a send right */
};

struct meta {
    uint32_t seq, inline_len, ool_len, sum_lo;
    uint32_t sum_hi, pad;
};

static uint32_t pick(uint64_t *r, uint32_t lo, uint32_t hi) { /* [lo, hi], multiple of 4 */
    *r = mix(*r + 0x9e3779b97f4a7c15ull);
    return (lo + (uint32_t)(*r % (hi - lo + 1))) & ~3u;
}

/* Message `seq` of sender thread `thread`: 0 B; small inline; 4 KiB; 64 KiB (a ring record's
 * limit, CHAN_MAX_BODY) and just below; just above; large inline; OOL in the datagram (< 32 KiB),
 * spilled (32 KiB - 1 MiB), 1 - 8 MiB; one 64 MiB and one 16 - 64 MiB region per thread. One in
 * ten carries a send right. */
static bool spilled_plan;

static struct plan plan_of(uint64_t seed, uint32_t thread, uint32_t seq, uint32_t n) {
    uint64_t r = mix(seed * 0x100000001b3ull + thread * 0x10000000ull + seq);
    struct plan p = {0, 0, false};
    uint32_t k = (uint32_t)(r % 1000);
    uint32_t m = sizeof(struct meta);
    if (spilled_plan)
        p.ool_len = pick(&r, 32u << 10, 256u << 10);
    else if (seq == n / 3)
        p.ool_len = 64u << 20;
    else if (seq == 2 * n / 3)
        p.ool_len = pick(&r, 16u << 20, 64u << 20);
    else if (k < 100)
        p.inline_len = 0;
    else if (k < 550)
        p.inline_len = pick(&r, m, 256);
    else if (k < 700)
        p.inline_len = 4096;
    else if (k < 760)
        p.inline_len = pick(&r, 65536 - 64, 65536);
    else if (k < 820)
        p.inline_len = pick(&r, 65540, 66048);
    else if (k < 830)
        p.inline_len = pick(&r, 128u << 10, MAX_INLINE);
    else if (k < 930)
        p.ool_len = pick(&r, 4, 32u << 10) + 1; /* odd sizes too */
    else if (k < 990)
        p.ool_len = pick(&r, 32u << 10, 1u << 20);
    else
        p.ool_len = pick(&r, 1u << 20, 8u << 20);
    if (p.ool_len && p.inline_len < m)
        p.inline_len = m;
    p.port = mix(r ^ 0x5555) % 10 == 0;
    if (p.port && p.inline_len < m)
        p.inline_len = m;
    return p;
}

/* ---- bytes and checksums ---- */

static void fill(uint8_t *p, size_t n, uint64_t key) {
    uint64_t s = mix(key) | 1;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
        memcpy(p + i, &s, 8);
    }
    for (; i < n; i++)
        p[i] = (uint8_t)(key + i);
}

static uint64_t sum_bytes(uint64_t h, const uint8_t *p, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        h = (h ^ w) * 0x100000001b3ull;
        h ^= h >> 29;
    }
    for (; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return h ^ n;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A message as sent: header, then (complex) body count and up to two descriptors, then the
 * inline bytes (struct meta first when there are any). */
struct wire_head {
    mach_msg_header_t head;
    mach_msg_body_t body;
};

/* Lays out a message in buf: returns its size; *meta_at points at the inline bytes. */
static mach_msg_size_t build(uint8_t *buf, const struct plan *p, mach_port_t dest, mach_msg_type_name_t disp,
                             mach_port_t carried, void *ool, uint8_t **inline_at) {
    mach_msg_header_t *h = (mach_msg_header_t *)buf;
    size_t off = sizeof *h;
    memset(h, 0, sizeof *h);
    h->msgh_bits = MACH_MSGH_BITS(disp, 0);
    h->msgh_remote_port = dest;
    uint32_t ndesc = (p->port ? 1u : 0u) + (p->ool_len ? 1u : 0u);
    if (ndesc) {
        h->msgh_bits |= MACH_MSGH_BITS_COMPLEX;
        ((mach_msg_body_t *)(buf + off))->msgh_descriptor_count = ndesc;
        off += sizeof(mach_msg_body_t);
        if (p->port) {
            mach_msg_port_descriptor_t d = {.name = carried, .disposition = MACH_MSG_TYPE_MAKE_SEND,
                                            .type = MACH_MSG_PORT_DESCRIPTOR};
            memcpy(buf + off, &d, sizeof d);
            off += sizeof d;
        }
        if (p->ool_len) {
            mach_msg_ool_descriptor_t d = {.address = ool, .size = p->ool_len, .deallocate = false,
                                           .copy = MACH_MSG_VIRTUAL_COPY, .type = MACH_MSG_OOL_DESCRIPTOR};
            memcpy(buf + off, &d, sizeof d);
            off += sizeof d;
        }
    }
    *inline_at = buf + off;
    return (mach_msg_size_t)(off + p->inline_len);
}

/* Walks a received message's descriptors: the carried right and the OOL region, if any. */
static int parse(const uint8_t *buf, mach_port_t *carried, const uint8_t **ool, uint32_t *ool_len,
                 const uint8_t **inline_at) {
    const mach_msg_header_t *h = (const mach_msg_header_t *)buf;
    size_t off = sizeof *h;
    *carried = MACH_PORT_NULL;
    *ool = NULL;
    *ool_len = 0;
    if (h->msgh_bits & MACH_MSGH_BITS_COMPLEX) {
        mach_msg_body_t b;
        memcpy(&b, buf + off, sizeof b);
        off += sizeof b;
        if (b.msgh_descriptor_count > 2)
            return -1;
        for (uint32_t i = 0; i < b.msgh_descriptor_count; i++) {
            mach_msg_type_descriptor_t t;
            memcpy(&t, buf + off, sizeof t);
            if (t.type == MACH_MSG_PORT_DESCRIPTOR) {
                mach_msg_port_descriptor_t d;
                memcpy(&d, buf + off, sizeof d);
                if (d.disposition != MACH_MSG_TYPE_PORT_SEND)
                    return -1;
                *carried = d.name;
                off += sizeof d;
            } else if (t.type == MACH_MSG_OOL_DESCRIPTOR) {
                mach_msg_ool_descriptor_t d;
                memcpy(&d, buf + off, sizeof d);
                *ool = d.address;
                *ool_len = d.size;
                off += sizeof d;
            } else {
                return -1;
            }
        }
    }
    *inline_at = buf + off;
    return (int)(h->msgh_size - off);
}

/* The receive buffer of the single-threaded modes (receiver, server, callers). */
static uint8_t rcv_buf[RCV_BUF];

/* ---- checksummed transfer ---- */

struct sender {
    pthread_t tid;
    uint32_t thread, n;
    uint64_t seed;
    mach_port_t dest;
    int failed;
    uint64_t bytes;
};

static void *send_thread(void *arg) {
    struct sender *s = arg;
    uint8_t *buf = malloc(RCV_BUF);
    mach_port_t carried;
    if (!buf || mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &carried) != KERN_SUCCESS) {
        s->failed = peer_failed(2, "thread %u: set-up", s->thread);
        free(buf);
        return NULL;
    }
    for (uint32_t seq = 0; seq < s->n; seq++) {
        struct plan p = plan_of(s->seed, s->thread, seq, s->n);
        vm_address_t ool = 0;
        if (p.ool_len && vm_allocate(mach_task_self(), &ool, p.ool_len, VM_FLAGS_ANYWHERE) != KERN_SUCCESS) {
            s->failed = peer_failed(3, "thread %u seq %u: vm_allocate %u", s->thread, seq, p.ool_len);
            break;
        }
        uint8_t *in;
        mach_msg_size_t size = build(buf, &p, s->dest, MACH_MSG_TYPE_COPY_SEND, carried, (void *)ool, &in);
        mach_msg_header_t *h = (mach_msg_header_t *)buf;
        h->msgh_size = size;
        h->msgh_id = (mach_msg_id_t)((s->thread << 24) | seq);
        if (p.inline_len) {
            struct meta m = {seq, p.inline_len, p.ool_len, 0, 0, 0};
            uint8_t *payload = in + sizeof m;
            size_t plen = p.inline_len - sizeof m;
            fill(payload, plen, ((uint64_t)s->thread << 32) | seq);
            uint64_t sum = sum_bytes(seq, payload, plen);
            if (p.ool_len) {
                fill((uint8_t *)ool, p.ool_len, ~(((uint64_t)s->thread << 32) | seq));
                sum = sum_bytes(sum, (const uint8_t *)ool, p.ool_len);
            }
            m.sum_lo = (uint32_t)sum;
            m.sum_hi = (uint32_t)(sum >> 32);
            memcpy(in, &m, sizeof m);
        }
        /* Blocking: no timeout, the receiver's queue limit of 5 holds it back. */
        mach_msg_return_t mr = mach_msg(h, MACH_SEND_MSG, size, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL);
        if (ool)
            vm_deallocate(mach_task_self(), ool, p.ool_len);
        if (mr != MACH_MSG_SUCCESS) {
            s->failed = peer_failed(4, "thread %u seq %u (%u inline, %u OOL): send %#x", s->thread, seq,
                                    p.inline_len, p.ool_len, mr);
            break;
        }
        s->bytes += size + p.ool_len;
    }
    free(buf);
    return NULL;
}

static int xfer_send(const char *name, uint32_t n, uint64_t seed) {
    mach_port_t port = peer_service(name, false);
    ready();
    struct sender s[THREADS];
    double t0 = now_s();
    for (uint32_t i = 0; i < THREADS; i++) {
        s[i] = (struct sender){.thread = i, .n = n, .seed = seed, .dest = port};
        CHECK(1, pthread_create(&s[i].tid, NULL, send_thread, &s[i]) == 0, "pthread_create");
    }
    uint64_t bytes = 0;
    int failed = 0;
    for (uint32_t i = 0; i < THREADS; i++) {
        pthread_join(s[i].tid, NULL);
        bytes += s[i].bytes;
        if (s[i].failed && !failed)
            failed = s[i].failed;
    }
    struct transport_machd_stats st;
    transport_machd_stats_get(&st);
    fprintf(stderr, "%s: sent %u messages, %llu bytes in %.2f s (%lu on channels, %lu tickets)\n", PEER_NAME,
            THREADS * n, (unsigned long long)bytes, now_s() - t0, st.direct_sent, st.direct_tickets);
    return failed;
}

static void set_qlimit(mach_port_t port, mach_port_msgcount_t qlimit) {
    mach_port_limits_t lim = {qlimit};
    if (mach_port_set_attributes(mach_task_self(), port, MACH_PORT_LIMITS_INFO, (mach_port_info_t)&lim,
                                 MACH_PORT_LIMITS_INFO_COUNT) != KERN_SUCCESS)
        exit(93);
}

struct tally {
    uint32_t received, duplicated, out_of_order, corrupt;
    uint64_t bytes;
};

/* Checks one received message against the plan; 0 if it is intact. */
static int check_one(const uint8_t *buf, uint64_t seed, uint32_t n, uint32_t *thread, uint32_t *seq) {
    const mach_msg_header_t *h = (const mach_msg_header_t *)buf;
    *thread = (uint32_t)h->msgh_id >> 24;
    *seq = (uint32_t)h->msgh_id & 0xffffffu;
    if (*thread >= THREADS || *seq >= n)
        return peer_failed(10, "a message that was never sent: id %#x", h->msgh_id);
    struct plan p = plan_of(seed, *thread, *seq, n);
    mach_port_t carried;
    const uint8_t *ool, *in;
    uint32_t ool_len;
    int len = parse(buf, &carried, &ool, &ool_len, &in);
    if (len < 0 || (uint32_t)len != p.inline_len || ool_len != p.ool_len || (carried != MACH_PORT_NULL) != p.port)
        return peer_failed(11, "thread %u seq %u: %d inline, %u OOL, right %#x; planned %u, %u, %d", *thread, *seq,
                           len, ool_len, carried, p.inline_len, p.ool_len, p.port);
    int bad = 0;
    if (p.inline_len) {
        struct meta m;
        memcpy(&m, in, sizeof m);
        uint64_t sum = sum_bytes(*seq, in + sizeof m, p.inline_len - sizeof m);
        if (p.ool_len)
            sum = sum_bytes(sum, ool, p.ool_len);
        if (m.seq != *seq || m.inline_len != p.inline_len || m.ool_len != p.ool_len ||
            m.sum_lo != (uint32_t)sum || m.sum_hi != (uint32_t)(sum >> 32))
            bad = peer_failed(12, "thread %u seq %u: checksum or meta differs", *thread, *seq);
    }
    if (carried != MACH_PORT_NULL)
        mach_port_deallocate(mach_task_self(), carried);
    if (ool)
        vm_deallocate(mach_task_self(), (vm_address_t)ool, ool_len);
    return bad;
}

static int xfer_recv(const char *name, uint32_t n, uint64_t seed, mach_port_msgcount_t qlimit, uint32_t stop_after) {
    mach_port_t port = peer_service(name, true);
    set_qlimit(port, qlimit);
    uint8_t *buf = rcv_buf;
    uint8_t *seen[THREADS];
    uint32_t next[THREADS] = {0};
    for (int t = 0; t < THREADS; t++)
        seen[t] = calloc(n ? n : 1, 1);
    CHECK(1, seen[0] && seen[1], "malloc");
    ready();
    struct tally ty = {0};
    uint32_t total = THREADS * n;
    double t0 = 0;
    int first_bad = 0;
    while (ty.received < total) {
        mach_msg_header_t *h = (mach_msg_header_t *)buf;
        mach_msg_return_t mr =
            mach_msg(h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, RCV_BUF, port, TIMEOUT_MS, MACH_PORT_NULL);
        if (mr == MACH_RCV_TIMED_OUT)
            break; /* what is missing is reported below */
        CHECK(2, mr == MACH_MSG_SUCCESS, "receive: %#x", mr);
        if (ty.received + ty.duplicated == 0)
            t0 = now_s();
        if (stop_after && ty.received == stop_after)
            raise(SIGSTOP); /* every thread stops: nobody reads machd or the ring meanwhile */
        uint32_t thread, seq;
        int bad = check_one(buf, seed, n, &thread, &seq);
        if (bad == 10)
            return bad;
        if (bad) {
            ty.corrupt++;
            first_bad = first_bad ? first_bad : bad;
        }
        if (seen[thread][seq]) {
            ty.duplicated++;
            continue;
        }
        seen[thread][seq] = 1;
        ty.received++;
        struct plan p = plan_of(seed, thread, seq, n);
        ty.bytes += h->msgh_size + p.ool_len;
        if (seq < next[thread])
            ty.out_of_order++;
        else
            next[thread] = seq + 1;
    }
    double secs = t0 ? now_s() - t0 : 0;
    /* Nothing more may come. */
    mach_msg_return_t extra =
        mach_msg((mach_msg_header_t *)buf, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, RCV_BUF, port, 300, MACH_PORT_NULL);
    if (extra == MACH_MSG_SUCCESS)
        ty.duplicated++;
    uint32_t lost = total - ty.received;
    fprintf(stderr, "%s: sent %u received %u lost %u duplicated %u out-of-order %u corrupt %u; %llu bytes in %.2f s\n",
            PEER_NAME, total, ty.received, lost, ty.duplicated, ty.out_of_order, ty.corrupt,
            (unsigned long long)ty.bytes, secs);
    for (uint32_t t = 0; t < THREADS && lost; t++)
        for (uint32_t s = 0; s < n; s++)
            if (!seen[t][s]) {
                struct plan p = plan_of(seed, t, s, n);
                fprintf(stderr, "  lost: thread %u seq %u (%u inline bytes, %u OOL bytes%s)\n", t, s, p.inline_len,
                        p.ool_len, p.port ? ", a send right" : "");
            }
    for (int t = 0; t < THREADS; t++)
        free(seen[t]);
    CHECK(3, lost == 0 && ty.duplicated == 0 && ty.out_of_order == 0, "messages lost, duplicated or reordered");
    CHECK(4, first_bad == 0, "corrupt messages");
    return 0;
}

/* ---- RPCs for the SIGKILL storm ---- */

struct reply_msg {
    mach_msg_header_t head;
    uint32_t seq, pad;
    uint64_t sum;
    mach_msg_max_trailer_t trailer;
};

/* Sum of a request as the server sees it: inline bytes after the descriptors, then OOL bytes. */
static uint64_t request_sum(const uint8_t *in, size_t inline_len, const uint8_t *ool, size_t ool_len) {
    uint64_t sum = sum_bytes(77, in, inline_len);
    return ool ? sum_bytes(sum, ool, ool_len) : sum;
}

static void stats_line(const char *what, const struct openmig_ipc_stats *s) {
    fprintf(stderr, "%s: server %s: ports %llu entries %llu messages %llu ool_regions %llu vm_regions %llu\n",
            PEER_NAME, what, (unsigned long long)s->ports, (unsigned long long)s->entries,
            (unsigned long long)s->messages, (unsigned long long)s->ool_regions, (unsigned long long)s->vm_regions);
}

static int rpc_server(const char *name) {
    mach_port_t port = peer_service(name, true);
    uint8_t *buf = rcv_buf;
    struct openmig_ipc_stats base, now;
    openmig_ipc_stats_get(&base);
    ready();
    unsigned long answered = 0, refused = 0;
    for (;;) {
        mach_msg_header_t *h = (mach_msg_header_t *)buf;
        mach_msg_return_t mr =
            mach_msg(h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, RCV_BUF, port, 4 * TIMEOUT_MS, MACH_PORT_NULL);
        CHECK(2, mr == MACH_MSG_SUCCESS, "receive: %#x", mr);
        if (h->msgh_id == RPC_STOP_ID)
            break;
        mach_port_t carried;
        const uint8_t *ool, *in;
        uint32_t ool_len;
        int len = parse(buf, &carried, &ool, &ool_len, &in);
        CHECK(3, h->msgh_id == RPC_REQUEST_ID && len >= 0, "request id %d", h->msgh_id);
        CHECK(4, MACH_MSGH_BITS_REMOTE(h->msgh_bits) == MACH_MSG_TYPE_PORT_SEND_ONCE, "reply right %#x", h->msgh_bits);
        struct reply_msg r = {0};
        r.head.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0);
        r.head.msgh_size = offsetof(struct reply_msg, trailer);
        r.head.msgh_remote_port = h->msgh_remote_port;
        r.head.msgh_id = RPC_REPLY_ID;
        memcpy(&r.seq, in, sizeof r.seq);
        r.seq++;
        r.sum = request_sum(in, (size_t)len, ool, ool_len);
        if (carried != MACH_PORT_NULL)
            mach_port_deallocate(mach_task_self(), carried);
        if (ool)
            vm_deallocate(mach_task_self(), (vm_address_t)ool, ool_len);
        mr = mach_msg(&r.head, MACH_SEND_MSG, r.head.msgh_size, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL);
        if (mr == MACH_MSG_SUCCESS)
            answered++;
        else if (mr == MACH_SEND_INVALID_DEST) { /* the client died meanwhile */
            refused++;
            mach_msg_destroy(&r.head); /* as mach_msg_server: the dead reply right is still ours */
        }
        else
            CHECK(5, false, "reply: %#x", mr);
    }
    /* The clients are gone: what they made this task hold must go too (deaths are seen
     * asynchronously, hence the bounded wait). */
    for (int i = 0; i < 1000; i++) {
        openmig_ipc_stats_get(&now);
        if (now.ports == base.ports && now.entries == base.entries && now.messages == base.messages &&
            now.ool_regions == base.ool_regions && now.vm_regions == base.vm_regions)
            break;
        usleep(10000);
    }
    fprintf(stderr, "%s: server answered %lu calls, %lu replies refused (client dead)\n", PEER_NAME, answered,
            refused);
    stats_line("at check-in", &base);
    stats_line("at the end", &now);
    if (now.entries != base.entries) {
        mach_port_name_array_t names;
        mach_port_type_array_t types;
        mach_msg_type_number_t nn = 0, nt = 0;
        if (mach_port_names(mach_task_self(), &names, &nn, &types, &nt) == KERN_SUCCESS)
            for (mach_msg_type_number_t i = 0; i < nn; i++)
                fprintf(stderr, "  name %#x type %#x\n", names[i], types[i]);
    }
    CHECK(6, now.ports == base.ports && now.entries == base.entries && now.messages == base.messages &&
                 now.ool_regions == base.ool_regions && now.vm_regions == base.vm_regions,
          "the server holds more than at check-in");
    return 0;
}

/* One call of `inline_len` bytes (>= 8: the sequence number first) and `ool_len` OOL bytes; the
 * answer's sum is checked. Returns the mach_msg code, or MIG_SERVER_DIED for the send-once
 * notification, or -1 for a wrong answer. */
static int call(mach_port_t port, mach_port_t reply_port, uint8_t *buf, uint32_t seq, uint32_t inline_len,
                uint32_t ool_len, mach_msg_option_t timeout_opt) {
    struct plan p = {inline_len, ool_len, false};
    vm_address_t ool = 0;
    if (ool_len && vm_allocate(mach_task_self(), &ool, ool_len, VM_FLAGS_ANYWHERE) != KERN_SUCCESS)
        return -2;
    uint8_t *in;
    mach_msg_size_t size = build(buf, &p, port, MACH_MSG_TYPE_COPY_SEND, MACH_PORT_NULL, (void *)ool, &in);
    mach_msg_header_t *h = (mach_msg_header_t *)buf;
    h->msgh_bits |= MACH_MSGH_BITS(0, MACH_MSG_TYPE_MAKE_SEND_ONCE);
    h->msgh_local_port = reply_port;
    h->msgh_size = size;
    h->msgh_id = RPC_REQUEST_ID;
    fill(in, inline_len, seq);
    memcpy(in, &seq, sizeof seq);
    if (ool)
        fill((uint8_t *)ool, ool_len, ~(uint64_t)seq);
    uint64_t want = request_sum(in, inline_len, (const uint8_t *)ool, ool_len);
    mach_msg_return_t mr = mach_msg(h, MACH_SEND_MSG | MACH_RCV_MSG | timeout_opt, size, RCV_BUF, reply_port,
                                    TIMEOUT_MS, MACH_PORT_NULL);
    if (ool)
        vm_deallocate(mach_task_self(), ool, ool_len);
    if (mr != MACH_MSG_SUCCESS)
        return (int)mr;
    if (h->msgh_id == MACH_NOTIFY_SEND_ONCE)
        return MIG_SERVER_DIED;
    const struct reply_msg *r = (const struct reply_msg *)buf;
    if (h->msgh_id != RPC_REPLY_ID || r->seq != seq + 1 || r->sum != want) {
        fprintf(stderr, "%s %s: call %u: answer id %d seq %u sum %s\n", PEER_NAME, mode, seq, h->msgh_id, r->seq,
                r->sum == want ? "right" : "wrong");
        return -1;
    }
    return 0;
}

/* Sizes of a call: mostly small, some just above a ring record, some OOL (spilled). */
static void call_sizes(uint64_t *r, uint32_t *inline_len, uint32_t *ool_len) {
    uint32_t k = pick(r, 0, 399) / 4;
    *ool_len = 0;
    if (k < 70)
        *inline_len = pick(r, 8, 512);
    else if (k < 90)
        *inline_len = pick(r, 8192, 66048);
    else {
        *inline_len = 8;
        *ool_len = pick(r, 1024, 1u << 20);
    }
}

static volatile sig_atomic_t stop_calls;
static void on_usr1(int sig) {
    (void)sig;
    stop_calls = 1;
}

static int rpc_call(const char *name, bool until_death) {
    struct sigaction sa = {.sa_handler = on_usr1, .sa_flags = SA_RESTART};
    sigaction(SIGUSR1, &sa, NULL);
    mach_port_t port = peer_service(name, false), reply_port;
    uint8_t *buf = rcv_buf;
    CHECK(1, mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &reply_port) == KERN_SUCCESS,
          "allocate");
    ready();
    uint64_t r = (uint64_t)getpid();
    uint32_t seq = 0;
    double t0 = now_s(), worst = 0;
    int died = 0;
    while (!stop_calls) {
        uint32_t inline_len, ool_len;
        call_sizes(&r, &inline_len, &ool_len);
        double t = now_s();
        int rc = call(port, reply_port, buf, seq, inline_len, ool_len, MACH_SEND_TIMEOUT | MACH_RCV_TIMEOUT);
        if (now_s() - t > worst)
            worst = now_s() - t;
        if (until_death && (rc == MIG_SERVER_DIED || rc == MACH_SEND_INVALID_DEST)) {
            died = rc;
            break;
        }
        CHECK(2, rc == 0, "call %u (%u inline, %u OOL): %#x%s", seq, inline_len, ool_len, rc,
              rc == MACH_RCV_TIMED_OUT || rc == MACH_SEND_TIMED_OUT ? " (a hang)" : "");
        seq++;
    }
    if (until_death) {
        /* Once the server is gone, every call answers at once, never hangs. */
        int again = call(port, reply_port, buf, seq, 8, 0, MACH_SEND_TIMEOUT | MACH_RCV_TIMEOUT);
        fprintf(stderr, "%s: client %d: %u calls answered, then %s, then %s\n", PEER_NAME, (int)getpid(), seq,
                died == MIG_SERVER_DIED ? "MIG_SERVER_DIED" : "MACH_SEND_INVALID_DEST",
                again == MIG_SERVER_DIED ? "MIG_SERVER_DIED" : again == MACH_SEND_INVALID_DEST ? "MACH_SEND_INVALID_DEST"
                                                                                              : "another code");
        CHECK(3, again == MIG_SERVER_DIED || again == MACH_SEND_INVALID_DEST, "call after the death: %#x", again);
        return 0;
    }
    fprintf(stderr, "%s: well-behaved client: %u calls in %.1f s, all answered correctly, longest %.3f s\n",
            PEER_NAME, seq, now_s() - t0, worst);
    CHECK(4, seq > 0, "no call made");
    return 0;
}

static int rpc_storm(const char *name, uint64_t seed) {
    mach_port_t port = peer_service(name, false), reply_port;
    uint8_t *buf = rcv_buf;
    if (mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &reply_port) != KERN_SUCCESS)
        return 1;
    uint64_t r = seed;
    for (uint32_t seq = 0;; seq++) {
        uint32_t inline_len, ool_len;
        call_sizes(&r, &inline_len, &ool_len);
        /* A victim never stops on its own: only SIGKILL ends it (an error is a finding). */
        int rc = call(port, reply_port, buf, seq, inline_len, ool_len, MACH_SEND_TIMEOUT | MACH_RCV_TIMEOUT);
        if (rc != 0) {
            fprintf(stderr, "%s %s: call %u: %#x\n", PEER_NAME, mode, seq, rc);
            return 2;
        }
    }
}

int main(int argc, char **argv) {
    if (argc < 3)
        return 64;
    mode = argv[1];
    const char *name = argv[2];
    uint32_t n = argc > 3 ? (uint32_t)strtoul(argv[3], NULL, 10) : 0;
    uint64_t seed = argc > 4 ? strtoull(argv[4], NULL, 10) : 1;
    spilled_plan = argc > 5 && !strcmp(argv[5], "spilled");
    if (!strcmp(mode, "xfer_recv"))
        return xfer_recv(name, n, seed, argc > 6 ? (mach_port_msgcount_t)strtoul(argv[6], NULL, 10) : QUEUE_LIMIT,
                         argc > 7 ? (unsigned)strtoul(argv[7], NULL, 10) : 0);
    if (!strcmp(mode, "xfer_send"))
        return xfer_send(name, n, seed);
    if (!strcmp(mode, "rpc_server"))
        return rpc_server(name);
    if (!strcmp(mode, "rpc_call"))
        return rpc_call(name, argc > 3 && !strcmp(argv[3], "die"));
    if (!strcmp(mode, "rpc_storm"))
        return rpc_storm(name, argc > 3 ? strtoull(argv[3], NULL, 10) : 1);
    return 64;
}
