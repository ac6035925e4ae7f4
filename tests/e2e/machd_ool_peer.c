/* A real task moving large data across processes with libmach's mach_msg through machd (spilled
 * payloads, docs/machd.md 3.1). Data is a pattern derived from a seed and checked by hash on
 * arrival. Prints "ready" once set up. Modes:
 *   server NAME                 check in NAME and answer forever:
 *                                 id 800 (one OOL region): checks it, answers 900 carrying a
 *                                   region of the same size (seed + 1) sent with deallocate
 *                                 id 810 (inline body): checks it, answers 910 with an inline
 *                                   body of the same size (seed + 1)
 *   client NAME SIZE MODE       one RPC of SIZE bytes: MODE copy / move (OOL, deallocate false /
 *                               true) or inline; checks the answer; exit 0 when both directions
 *                               arrived intact
 *   ports NAME COUNT            one RPC (id 840) carrying an OOL array of COUNT send rights to a
 *                               local port; the server checks every name and answers 940 with
 *                               the count and the rights sent back (MOVE_SEND); every name must
 *                               come back as the port's own name with COUNT references, and
 *                               after releasing them the client's names and the server's (asked
 *                               with id 841) are where they were; exit 0 when all holds, 5 when
 *                               the send fails with MACH_SEND_TOO_LARGE (more rights than one
 *                               message may carry)
 *   flood NAME SIZE COUNT       sends COUNT one-way OOL messages of SIZE bytes (id 820) to NAME;
 *                               exit 0 when every send succeeded
 *   unlocked NAME               a 64 MiB OOL copy to NAME whose source pages are missing (a
 *                               userfaultfd holds the copy) while two local threads do RPCs:
 *                               exit 0 when 100 local RPCs completed while the send was held
 *                               and the region arrived intact (answered like id 800), 7 when
 *                               local IPC stood still, 77 when userfaultfd is not available
 *   hold NAME                   check in NAME with a queue limit of 1 and never receive
 *   stagefail NAME              (NAME held by `hold`) large OOL sends that fail after their
 *                               regions were staged: given back on a full queue (timeout 0),
 *                               refused for a bad right or bad memory; exit 0 when each fails
 *                               with its Mach error and descriptors and counters are back
 *   bench NAME SIZE MODE COUNT  not a test: COUNT RPCs sending SIZE bytes (MODE as for client;
 *                               id 830 OOL, 831 inline) answered by an empty message (930/931);
 *                               prints the mean and best milliseconds per RPC. The data is
 *                               filled once (move: a fresh region touched once per RPC) */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <mach/mach.h>
#include <mach/openmig_stats.h>
#include <servers/bootstrap.h>

#include "transport/transport_machd.h"

#define ID_OOL 800
#define ID_INLINE 810
#define ID_FLOOD 820
#define ID_PORTS 840
#define ID_PORTS_CHECK 841
#define ID_BENCH_OOL 830
#define ID_BENCH_INLINE 831
#define ID_ANSWER 100 /* answers are request id + 100 */

struct ports_msg {
    mach_msg_header_t head;
    mach_msg_body_t body;
    mach_msg_ool_ports_descriptor_t ports;
};

struct count_msg {
    mach_msg_header_t head;
    uint32_t count;
};

/* The answer to ID_PORTS: the rights back, and how many names were send rights. */
struct ports_answer {
    mach_msg_header_t head;
    mach_msg_body_t body;
    mach_msg_ool_ports_descriptor_t ports;
    uint32_t count;
};

struct ool_msg {
    mach_msg_header_t head;
    mach_msg_body_t body;
    mach_msg_ool_descriptor_t data;
    uint32_t seed;
};

/* An inline message: header, seed, then the bytes. */
struct inline_head {
    mach_msg_header_t head;
    uint32_t seed;
    uint32_t size;
};

#define TRAILER_ROOM 128

static void ready(void) {
    fputs("ready\n", stdout);
    fflush(stdout);
}

/* The pattern: 64-bit words of a linear congruential sequence from the seed (the last partial
 * word truncated), so a misplaced, stale or zero page never matches. */
static uint64_t next_word(uint64_t *x) {
    *x = *x * 6364136223846793005ull + 1442695040888963407ull;
    return *x;
}

static void fill(uint8_t *p, size_t n, uint32_t seed) {
    uint64_t x = seed, w;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        w = next_word(&x);
        memcpy(p + i, &w, 8);
    }
    w = next_word(&x);
    memcpy(p + i, &w, n - i);
}

static bool matches(const uint8_t *p, size_t n, uint32_t seed) {
    uint64_t x = seed, w;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        w = next_word(&x);
        if (memcmp(p + i, &w, 8) != 0)
            return false;
    }
    w = next_word(&x);
    return memcmp(p + i, &w, n - i) == 0;
}

/* Sends `size` bytes at addr out of line (move: deallocate, the region is gone afterwards). */
static mach_msg_return_t send_region(mach_port_t dest, mach_msg_type_name_t disp, mach_port_t reply, mach_msg_id_t id,
                                     vm_address_t addr, size_t size, uint32_t seed, bool move) {
    struct ool_msg m;
    memset(&m, 0, sizeof m);
    m.head.msgh_bits = MACH_MSGH_BITS(disp, reply ? MACH_MSG_TYPE_MAKE_SEND_ONCE : 0) | MACH_MSGH_BITS_COMPLEX;
    m.head.msgh_remote_port = dest;
    m.head.msgh_local_port = reply;
    m.head.msgh_id = id;
    m.head.msgh_size = sizeof m;
    m.body.msgh_descriptor_count = 1;
    m.data.address = (void *)addr;
    m.data.size = (mach_msg_size_t)size;
    m.data.deallocate = move;
    m.data.copy = MACH_MSG_VIRTUAL_COPY;
    m.data.type = MACH_MSG_OOL_DESCRIPTOR;
    m.seed = seed;
    return mach_msg(&m.head, MACH_SEND_MSG, sizeof m, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL);
}

static mach_msg_return_t send_ool(mach_port_t dest, mach_msg_type_name_t disp, mach_port_t reply, mach_msg_id_t id,
                                  size_t size, uint32_t seed, bool move) {
    vm_address_t addr = 0;
    if (vm_allocate(mach_task_self(), &addr, size, VM_FLAGS_ANYWHERE) != KERN_SUCCESS)
        return MACH_SEND_NO_BUFFER;
    fill((uint8_t *)addr, size, seed);
    mach_msg_return_t mr = send_region(dest, disp, reply, id, addr, size, seed, move);
    if (!move || mr != MACH_MSG_SUCCESS)
        vm_deallocate(mach_task_self(), addr, size);
    return mr;
}

static size_t inline_total(size_t size) { return sizeof(struct inline_head) + ((size + 3) & ~(size_t)3); }

/* Sends the inline message m (inline_total(size) bytes, body already filled). */
static mach_msg_return_t send_inline_msg(struct inline_head *m, mach_port_t dest, mach_msg_type_name_t disp,
                                         mach_port_t reply, mach_msg_id_t id, size_t size, uint32_t seed) {
    size_t total = inline_total(size);
    m->head.msgh_bits = MACH_MSGH_BITS(disp, reply ? MACH_MSG_TYPE_MAKE_SEND_ONCE : 0);
    m->head.msgh_remote_port = dest;
    m->head.msgh_local_port = reply;
    m->head.msgh_id = id;
    m->head.msgh_size = (mach_msg_size_t)total;
    m->seed = seed;
    m->size = (uint32_t)size;
    return mach_msg(&m->head, MACH_SEND_MSG, (mach_msg_size_t)total, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL);
}

static mach_msg_return_t send_inline(mach_port_t dest, mach_msg_type_name_t disp, mach_port_t reply, mach_msg_id_t id,
                                     size_t size, uint32_t seed) {
    struct inline_head *m = calloc(1, inline_total(size));
    if (!m)
        return MACH_SEND_NO_BUFFER;
    fill((uint8_t *)(m + 1), size, seed);
    mach_msg_return_t mr = send_inline_msg(m, dest, disp, reply, id, size, seed);
    free(m);
    return mr;
}

/* Receives one message of any size (MACH_RCV_LARGE, then a buffer that fits); the caller frees. */
static mach_msg_header_t *receive(mach_port_t port, mach_msg_timeout_t timeout) {
    size_t cap = 4096;
    for (;;) {
        mach_msg_header_t *h = malloc(cap);
        if (!h)
            return NULL;
        mach_msg_return_t mr = mach_msg(h, MACH_RCV_MSG | MACH_RCV_LARGE | (timeout ? MACH_RCV_TIMEOUT : 0), 0,
                                        (mach_msg_size_t)cap, port, timeout, MACH_PORT_NULL);
        if (mr == MACH_MSG_SUCCESS)
            return h;
        size_t want = h->msgh_size + TRAILER_ROOM;
        free(h);
        if (mr != MACH_RCV_TOO_LARGE) {
            fprintf(stderr, "machd_ool_peer: receive: %#x\n", mr);
            return NULL;
        }
        cap = want;
    }
}

/* Checks a received request or answer (id ID_OOL or ID_INLINE, +ID_ANSWER), returns its size
 * and seed, or false. Releases the OOL region. */
static bool check(const mach_msg_header_t *h, size_t *size, uint32_t *seed) {
    if (h->msgh_id % ID_ANSWER == ID_OOL % ID_ANSWER) {
        const struct ool_msg *m = (const void *)h;
        if (!(h->msgh_bits & MACH_MSGH_BITS_COMPLEX) || m->body.msgh_descriptor_count != 1)
            return false;
        *size = m->data.size;
        *seed = m->seed;
        bool ok = matches(m->data.address, m->data.size, m->seed);
        vm_deallocate(mach_task_self(), (vm_address_t)m->data.address, m->data.size);
        return ok;
    }
    const struct inline_head *m = (const void *)h;
    *size = m->size;
    *seed = m->seed;
    return h->msgh_size >= sizeof *m + m->size && matches((const uint8_t *)(m + 1), m->size, m->seed);
}

/* ID_PORTS: checks every name is a send right and sends them all back (MOVE_SEND) with the
 * count. */
static mach_msg_return_t answer_ports(const mach_msg_header_t *h) {
    const struct ports_msg *pm = (const void *)h;
    mach_port_t *names = pm->ports.address;
    struct ports_answer answer = {
        .head = {.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0) | MACH_MSGH_BITS_COMPLEX,
                 .msgh_size = sizeof answer, .msgh_remote_port = h->msgh_remote_port,
                 .msgh_id = ID_PORTS + ID_ANSWER},
        .body = {1},
        .ports = {.address = names, .count = pm->ports.count, .deallocate = true,
                  .disposition = MACH_MSG_TYPE_MOVE_SEND, .copy = MACH_MSG_VIRTUAL_COPY,
                  .type = MACH_MSG_OOL_PORTS_DESCRIPTOR}};
    mach_port_type_t type = 0;
    for (mach_msg_size_t i = 0; i < pm->ports.count; i++) {
        if (mach_port_type(mach_task_self(), names[i], &type) != KERN_SUCCESS || !(type & MACH_PORT_TYPE_SEND))
            break;
        answer.count++;
    }
    return mach_msg(&answer.head, MACH_SEND_MSG, sizeof answer, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL);
}

static int serve(const char *name) {
    mach_port_t recv;
    if (bootstrap_check_in(bootstrap_port, name, &recv) != KERN_SUCCESS)
        return 3;
    ready();
    /* Names held while idle, and whether the last ID_PORTS request left the space that way. */
    struct openmig_ipc_stats idle;
    uint32_t ports_leaked = 0;
    for (;;) {
        openmig_ipc_stats_get(&idle);
        mach_msg_header_t *h = receive(recv, 0);
        if (!h)
            return 4;
        size_t size = 0;
        uint32_t seed = 0;
        mach_msg_id_t id = h->msgh_id;
        mach_port_t reply = h->msgh_remote_port;
        if (id == ID_BENCH_OOL || id == ID_BENCH_INLINE) {
            if (id == ID_BENCH_OOL) {
                const struct ool_msg *m = (const void *)h;
                vm_deallocate(mach_task_self(), (vm_address_t)m->data.address, m->data.size);
            }
            free(h);
            mach_msg_header_t empty = {.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0),
                                       .msgh_size = sizeof empty, .msgh_remote_port = reply,
                                       .msgh_id = id + ID_ANSWER};
            if (mach_msg(&empty, MACH_SEND_MSG, sizeof empty, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL) != 0)
                return 6;
            continue;
        }
        if (id == ID_PORTS) {
            mach_msg_return_t mr = answer_ports(h);
            free(h);
            if (mr != MACH_MSG_SUCCESS)
                return 6;
            struct openmig_ipc_stats now;
            openmig_ipc_stats_get(&now);
            /* Names and regions, the task's own state; a port object may outlive its last right
             * for a moment (another thread of ours may still hold a reference). */
            ports_leaked = now.entries != idle.entries || now.vm_regions != idle.vm_regions;
            if (ports_leaked)
                fprintf(stderr, "machd_ool_peer: server: names %llu -> %llu, regions %llu -> %llu\n",
                        (unsigned long long)idle.entries, (unsigned long long)now.entries,
                        (unsigned long long)idle.vm_regions, (unsigned long long)now.vm_regions);
            continue;
        }
        if (id == ID_PORTS_CHECK) {
            struct count_msg answer = {.head = {.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0),
                                                .msgh_size = sizeof answer, .msgh_remote_port = reply,
                                                .msgh_id = ID_PORTS_CHECK + ID_ANSWER},
                                       .count = ports_leaked};
            free(h);
            if (mach_msg(&answer.head, MACH_SEND_MSG, sizeof answer, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL) != 0)
                return 6;
            continue;
        }
        if (!check(h, &size, &seed)) {
            fprintf(stderr, "machd_ool_peer: server: id %d arrived damaged\n", id);
            return 5;
        }
        free(h);
        mach_msg_return_t mr = MACH_MSG_SUCCESS;
        if (id == ID_OOL)
            mr = send_ool(reply, MACH_MSG_TYPE_MOVE_SEND_ONCE, MACH_PORT_NULL, id + ID_ANSWER, size, seed + 1, true);
        else if (id == ID_INLINE)
            mr = send_inline(reply, MACH_MSG_TYPE_MOVE_SEND_ONCE, MACH_PORT_NULL, id + ID_ANSWER, size, seed + 1);
        if (mr != MACH_MSG_SUCCESS) {
            fprintf(stderr, "machd_ool_peer: server: answer %d: %#x\n", id + ID_ANSWER, mr);
            return 6;
        }
    }
}

static mach_port_t look_up(const char *name) {
    mach_port_t port = MACH_PORT_NULL;
    if (bootstrap_look_up(bootstrap_port, name, &port) != KERN_SUCCESS) {
        fprintf(stderr, "machd_ool_peer: look-up %s failed\n", name);
        exit(3);
    }
    return port;
}

static int client(const char *name, size_t size, const char *mode) {
    mach_port_t svc = look_up(name);
    mach_port_t reply;
    if (mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &reply) != KERN_SUCCESS)
        return 3;
    ready();
    bool is_inline = strcmp(mode, "inline") == 0;
    mach_msg_id_t id = is_inline ? ID_INLINE : ID_OOL;
    const uint32_t seed = 41;
    mach_msg_return_t mr = is_inline ? send_inline(svc, MACH_MSG_TYPE_COPY_SEND, reply, id, size, seed)
                                     : send_ool(svc, MACH_MSG_TYPE_COPY_SEND, reply, id, size, seed,
                                                strcmp(mode, "move") == 0);
    if (mr != MACH_MSG_SUCCESS) {
        fprintf(stderr, "machd_ool_peer: client: send %zu bytes %s: %#x\n", size, mode, mr);
        return 1;
    }
    mach_msg_header_t *h = receive(reply, 60000);
    size_t got = 0;
    uint32_t got_seed = 0;
    bool ok = h && h->msgh_id == id + ID_ANSWER && check(h, &got, &got_seed) && got == size && got_seed == seed + 1;
    if (!ok)
        fprintf(stderr, "machd_ool_peer: client: bad answer (id %d, %zu bytes, seed %u)\n", h ? h->msgh_id : -1, got,
                got_seed);
    free(h);
    return ok ? 0 : 2;
}

static int ports(const char *name, uint32_t count) {
    mach_port_t svc = look_up(name);
    mach_port_t reply, mine;
    if (mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &reply) != KERN_SUCCESS ||
        mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &mine) != KERN_SUCCESS)
        return 3;
    mach_port_t *names = calloc(count ? count : 1, sizeof *names);
    if (!names)
        return 3;
    for (uint32_t i = 0; i < count; i++)
        names[i] = mine;
    ready();
    struct ports_msg m = {.head = {.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE) |
                                                MACH_MSGH_BITS_COMPLEX,
                                   .msgh_size = sizeof m, .msgh_remote_port = svc, .msgh_local_port = reply,
                                   .msgh_id = ID_PORTS},
                          .body = {1},
                          .ports = {.address = names, .count = count, .disposition = MACH_MSG_TYPE_MAKE_SEND,
                                    .copy = MACH_MSG_VIRTUAL_COPY, .type = MACH_MSG_OOL_PORTS_DESCRIPTOR}};
    struct openmig_ipc_stats before, after;
    openmig_ipc_stats_get(&before);
    mach_msg_return_t mr = mach_msg(&m.head, MACH_SEND_MSG, sizeof m, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL);
    free(names);
    if (mr == MACH_SEND_TOO_LARGE)
        return 5;
    if (mr != MACH_MSG_SUCCESS)
        return 1;
    mach_msg_header_t *h = receive(reply, 60000);
    const struct ports_answer *answer = (const void *)h;
    if (!h || h->msgh_id != ID_PORTS + ID_ANSWER || answer->count != count || answer->ports.count != count) {
        fprintf(stderr, "machd_ool_peer: ports: %u of %u names arrived as send rights, %u came back\n",
                h ? answer->count : 0, count, h ? answer->ports.count : 0);
        return 2;
    }
    /* Every right came back to our own port: its name, with one reference each. */
    const mach_port_t *back = answer->ports.address;
    uint32_t same = 0;
    for (uint32_t i = 0; i < count; i++)
        same += back[i] == mine;
    mach_port_urefs_t refs = 0;
    mach_port_get_refs(mach_task_self(), mine, MACH_PORT_RIGHT_SEND, &refs);
    if (same != count || refs != count) {
        fprintf(stderr, "machd_ool_peer: ports: %u of %u names are the port's, %u send references\n", same, count,
                refs);
        return 2;
    }
    vm_deallocate(mach_task_self(), (vm_address_t)back, count * sizeof *back);
    free(h);
    if (count)
        mach_port_mod_refs(mach_task_self(), mine, MACH_PORT_RIGHT_SEND, -(mach_port_delta_t)count);
    openmig_ipc_stats_get(&after);
    mach_port_get_refs(mach_task_self(), mine, MACH_PORT_RIGHT_SEND, &refs);
    if (refs != 0 || after.entries != before.entries || after.vm_regions != before.vm_regions) {
        fprintf(stderr, "machd_ool_peer: ports: %u send references left, names %llu (were %llu)\n", refs,
                (unsigned long long)after.entries, (unsigned long long)before.entries);
        return 2;
    }
    /* And the server's names are where they were before the request. */
    struct count_msg check = {.head = {.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE),
                                       .msgh_size = sizeof check.head, .msgh_remote_port = svc,
                                       .msgh_local_port = reply, .msgh_id = ID_PORTS_CHECK}};
    h = mach_msg(&check.head, MACH_SEND_MSG, sizeof check.head, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL) == 0
            ? receive(reply, 60000) : NULL;
    const struct count_msg *leak = (const void *)h;
    bool ok = h && h->msgh_id == ID_PORTS_CHECK + ID_ANSWER && leak->count == 0;
    if (!ok)
        fprintf(stderr, "machd_ool_peer: ports: the server's names are not back where they were\n");
    free(h);
    return ok ? 0 : 2;
}

static int flood(const char *name, size_t size, long count) {
    mach_port_t svc = look_up(name);
    ready();
    for (long i = 0; i < count; i++) {
        mach_msg_return_t mr = send_ool(svc, MACH_MSG_TYPE_COPY_SEND, MACH_PORT_NULL, ID_FLOOD, size, (uint32_t)i, false);
        if (mr != MACH_MSG_SUCCESS) {
            fprintf(stderr, "machd_ool_peer: flood: message %ld: %#x\n", i, mr);
            return 1;
        }
    }
    return 0;
}

/* ---- another thread's IPC while a large send is copied (docs/machd.md 3.1) ---- */

#define LOCAL_RPCS_WANTED 100
#define HOLD_LIMIT_MS 30000

/* Two local threads doing RPCs over a local port, counting them. */
struct local_rpcs {
    mach_port_t server;
    unsigned long done; /* atomic */
    bool stop_client;   /* atomic; the client stops first, so its last RPC is answered */
    bool stop;          /* atomic: the server */
};

static void *local_server(void *arg) {
    struct local_rpcs *l = arg;
    while (!__atomic_load_n(&l->stop, __ATOMIC_ACQUIRE)) {
        struct {
            mach_msg_header_t head;
            mach_msg_trailer_t trailer;
        } m;
        if (mach_msg(&m.head, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof m, l->server, 100, MACH_PORT_NULL) != 0)
            continue;
        mach_msg_header_t answer = {.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0),
                                    .msgh_size = sizeof answer, .msgh_remote_port = m.head.msgh_remote_port,
                                    .msgh_id = m.head.msgh_id + ID_ANSWER};
        (void)mach_msg(&answer, MACH_SEND_MSG, sizeof answer, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL);
    }
    return NULL;
}

static void *local_client(void *arg) {
    struct local_rpcs *l = arg;
    mach_port_t reply;
    if (mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &reply) != KERN_SUCCESS)
        return NULL;
    while (!__atomic_load_n(&l->stop_client, __ATOMIC_ACQUIRE)) {
        struct {
            mach_msg_header_t head;
            mach_msg_trailer_t trailer;
        } m = {.head = {.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE),
                        .msgh_size = sizeof m.head, .msgh_remote_port = l->server, .msgh_local_port = reply,
                        .msgh_id = 1}};
        if (mach_msg(&m.head, MACH_SEND_MSG | MACH_RCV_MSG, sizeof m.head, sizeof m, reply, 0, MACH_PORT_NULL) ==
            MACH_MSG_SUCCESS)
            __atomic_add_fetch(&l->done, 1, __ATOMIC_RELEASE);
    }
    mach_port_mod_refs(mach_task_self(), reply, MACH_PORT_RIGHT_RECEIVE, -1);
    return NULL;
}

/* A region whose pages are missing until the holder fills them: the first access to it (by the
 * kernel copying it, or a memcpy) waits for the holder thread. */
struct held_region {
    int uffd;
    uint8_t *addr;
    const uint8_t *content;
    size_t size;
    struct local_rpcs *local;
    unsigned long at_fault, at_release; /* local RPCs done when the copy hit the region / went on */
    int faults;
};

/* Waits for the first fault, lets the local threads do LOCAL_RPCS_WANTED RPCs (or gives up
 * after HOLD_LIMIT_MS), then fills the whole region at once. */
static void *hold_region(void *arg) {
    struct held_region *h = arg;
    struct pollfd pfd = {h->uffd, POLLIN, 0};
    struct uffd_msg msg;
    if (poll(&pfd, 1, 60000) != 1 || read(h->uffd, &msg, sizeof msg) != (ssize_t)sizeof msg ||
        msg.event != UFFD_EVENT_PAGEFAULT) {
        close(h->uffd); /* no fault seen: later accesses must not wait for us */
        return NULL;
    }
    h->faults++;
    h->at_fault = __atomic_load_n(&h->local->done, __ATOMIC_ACQUIRE);
    for (int ms = 0; ms < HOLD_LIMIT_MS; ms++) {
        if (__atomic_load_n(&h->local->done, __ATOMIC_ACQUIRE) >= h->at_fault + LOCAL_RPCS_WANTED)
            break;
        usleep(1000);
    }
    h->at_release = __atomic_load_n(&h->local->done, __ATOMIC_ACQUIRE);
    /* EAGAIN (the address space changing meanwhile) is retried a bounded number of times. */
    for (size_t off = 0, tries = 0; off < h->size && tries < 1000;) {
        struct uffdio_copy copy = {.dst = (uintptr_t)h->addr + off, .src = (uintptr_t)h->content + off,
                                   .len = h->size - off, .mode = 0};
        if (ioctl(h->uffd, UFFDIO_COPY, &copy) != 0 && errno != EAGAIN)
            break;
        if (copy.copy > 0)
            off += (size_t)copy.copy;
        else
            tries++;
    }
    /* Whatever happened, closing the userfaultfd wakes any access still waiting (it then sees
     * zero pages, and the receiver's check fails instead of the test hanging). */
    close(h->uffd);
    return NULL;
}

/* A userfaultfd that also catches the kernel's own accesses (pwrite from the region), or -1. */
static int open_uffd(void) {
    int fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
    struct uffdio_api api = {.api = UFFD_API};
    if (fd >= 0 && ioctl(fd, UFFDIO_API, &api) != 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

static int unlocked(const char *name) {
    const size_t size = (size_t)64 << 20;
    const uint32_t seed = 61;
    mach_port_t svc = look_up(name), reply;
    struct local_rpcs local = {0};
    struct held_region h = {.size = size, .local = &local};
    h.uffd = open_uffd();
    if (h.uffd < 0) {
        fprintf(stderr, "machd_ool_peer: unlocked: userfaultfd unavailable (%s)\n", strerror(errno));
        return 77;
    }
    uint8_t *content = malloc(size);
    h.addr = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    struct uffdio_register reg = {.range = {(uintptr_t)h.addr, size}, .mode = UFFDIO_REGISTER_MODE_MISSING};
    if (!content || h.addr == MAP_FAILED || ioctl(h.uffd, UFFDIO_REGISTER, &reg) != 0 ||
        mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &reply) != KERN_SUCCESS ||
        mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &local.server) != KERN_SUCCESS ||
        mach_port_insert_right(mach_task_self(), local.server, local.server, MACH_MSG_TYPE_MAKE_SEND) != KERN_SUCCESS)
        return 3;
    fill(content, size, seed);
    h.content = content;
    pthread_t server, client, holder;
    pthread_create(&server, NULL, local_server, &local);
    pthread_create(&client, NULL, local_client, &local);
    while (__atomic_load_n(&local.done, __ATOMIC_ACQUIRE) == 0) /* the local RPCs are going */
        usleep(1000);
    pthread_create(&holder, NULL, hold_region, &h);
    ready();
    mach_msg_return_t mr = send_region(svc, MACH_MSG_TYPE_COPY_SEND, reply, ID_OOL, (vm_address_t)h.addr, size, seed,
                                       false);
    unsigned long after_send = __atomic_load_n(&local.done, __ATOMIC_ACQUIRE);
    pthread_join(holder, NULL);
    __atomic_store_n(&local.stop_client, true, __ATOMIC_RELEASE);
    pthread_join(client, NULL);
    __atomic_store_n(&local.stop, true, __ATOMIC_RELEASE);
    pthread_join(server, NULL);
    fprintf(stderr, "machd_ool_peer: unlocked: local RPCs: %lu when the copy hit the held region, %lu when it was released, %lu after the send\n",
           h.at_fault, h.at_release, after_send);
    if (mr != MACH_MSG_SUCCESS || h.faults != 1) {
        fprintf(stderr, "machd_ool_peer: unlocked: send %#x, %d faults seen\n", mr, h.faults);
        return 1;
    }
    if (h.at_release < h.at_fault + LOCAL_RPCS_WANTED) {
        fprintf(stderr, "machd_ool_peer: unlocked: local IPC stood still while the send was copying\n");
        return 7;
    }
    mach_msg_header_t *answer = receive(reply, 60000);
    size_t got = 0;
    uint32_t got_seed = 0;
    bool ok = answer && answer->msgh_id == ID_OOL + ID_ANSWER && check(answer, &got, &got_seed) && got == size &&
              got_seed == seed + 1;
    free(answer);
    free(content);
    return ok ? 0 : 2;
}

/* ---- staged sends that fail ---- */

static int hold(const char *name) {
    mach_port_t recv;
    mach_port_limits_t lim = {1};
    if (bootstrap_check_in(bootstrap_port, name, &recv) != KERN_SUCCESS ||
        mach_port_set_attributes(mach_task_self(), recv, MACH_PORT_LIMITS_INFO, (mach_port_info_t)&lim,
                                 MACH_PORT_LIMITS_INFO_COUNT) != KERN_SUCCESS)
        return 3;
    ready();
    for (;;)
        pause();
}

static int open_fds(void) {
    DIR *d = opendir("/proc/self/fd");
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

/* An OOL message of `size` bytes at addr, then a port descriptor naming `right` (MOVE_SEND). */
struct ool_port_msg {
    mach_msg_header_t head;
    mach_msg_body_t body;
    mach_msg_ool_descriptor_t data;
    mach_msg_port_descriptor_t port;
};

static mach_msg_return_t send_ool_then_port(mach_port_t dest, void *addr, size_t size, mach_port_t right) {
    struct ool_port_msg m = {
        .head = {.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0) | MACH_MSGH_BITS_COMPLEX,
                 .msgh_size = sizeof m, .msgh_remote_port = dest, .msgh_id = ID_FLOOD},
        .body = {2},
        .data = {.address = addr, .size = (mach_msg_size_t)size, .copy = MACH_MSG_VIRTUAL_COPY,
                 .type = MACH_MSG_OOL_DESCRIPTOR},
        .port = {.name = right, .disposition = MACH_MSG_TYPE_MOVE_SEND, .type = MACH_MSG_PORT_DESCRIPTOR}};
    return mach_msg(&m.head, MACH_SEND_MSG, sizeof m, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL);
}

static bool counters_equal(const struct openmig_ipc_stats *a, const struct openmig_ipc_stats *b) {
    return a->messages == b->messages && a->ool_regions == b->ool_regions && a->ool_bytes == b->ool_bytes &&
           a->vm_regions == b->vm_regions && a->ports == b->ports && a->entries == b->entries;
}

static int stagefail(const char *name) {
    const size_t size = (size_t)1 << 20;
    mach_port_t svc = look_up(name);
    vm_address_t data = 0;
    if (vm_allocate(mach_task_self(), &data, size, VM_FLAGS_ANYWHERE) != KERN_SUCCESS)
        return 3;
    fill((uint8_t *)data, size, 71);
    ready();
    /* The queue (limit 1) fills with one message; a send-once right made here goes with it. */
    mach_msg_return_t mr = send_region(svc, MACH_MSG_TYPE_COPY_SEND, MACH_PORT_NULL, ID_FLOOD, data, size, 71, false);
    if (mr != MACH_MSG_SUCCESS) {
        fprintf(stderr, "machd_ool_peer: stagefail: first message %#x\n", mr);
        return 1;
    }
    int fds = open_fds();
    struct openmig_ipc_stats before, after;
    openmig_ipc_stats_get(&before);
    struct transport_machd_stats tbefore, tafter;
    transport_machd_stats_get(&tbefore);
    /* 1. Full queue, timeout 0: the message comes back, its region a new region of ours. */
    struct ool_msg m;
    memset(&m, 0, sizeof m);
    m.head.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0) | MACH_MSGH_BITS_COMPLEX;
    m.head.msgh_remote_port = svc;
    m.head.msgh_id = ID_FLOOD;
    m.body.msgh_descriptor_count = 1;
    m.data = (mach_msg_ool_descriptor_t){.address = (void *)data, .size = (mach_msg_size_t)size,
                                         .copy = MACH_MSG_VIRTUAL_COPY, .type = MACH_MSG_OOL_DESCRIPTOR};
    mr = mach_msg(&m.head, MACH_SEND_MSG | MACH_SEND_TIMEOUT, sizeof m, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL);
    if (mr != MACH_SEND_TIMED_OUT || m.data.size != size || m.data.address == (void *)data ||
        !matches(m.data.address, size, 71) || m.head.msgh_remote_port != svc) {
        fprintf(stderr, "machd_ool_peer: stagefail: full queue: %#x, region %p (%u bytes)\n", mr, m.data.address,
                m.data.size);
        return 4;
    }
    vm_deallocate(mach_task_self(), (vm_address_t)m.data.address, m.data.size);
    /* 2. A right we do not hold after the staged region: refused, nothing kept. */
    mr = send_ool_then_port(svc, (void *)data, size, (mach_port_t)0x7777);
    if (mr != MACH_SEND_INVALID_RIGHT) {
        fprintf(stderr, "machd_ool_peer: stagefail: bad right %#x\n", mr);
        return 5;
    }
    /* 3. Memory that is not mapped: never staged, refused by the core's copy-in. */
    /* Above the 47-bit user address space: no later mmap of the copy-in can land there (a range
     * unmapped here could be reused at once by the region the copy-in maps). */
    void *hole = (void *)(uintptr_t)0x800000000000ull;
    mr = send_ool_then_port(svc, hole, size, MACH_PORT_NULL);
    if (mr != MACH_SEND_INVALID_MEMORY) {
        fprintf(stderr, "machd_ool_peer: stagefail: unmapped region %#x\n", mr);
        return 6;
    }
    openmig_ipc_stats_get(&after);
    /* The second message to the port opened a direct channel (docs/machd.md 9): its descriptors
     * (doorbells and hang-up end; the memory is mapped, its descriptor closed), and the epoll set
     * and nudge eventfd of the first channel, are not leaks. */
    transport_machd_stats_get(&tafter);
    if (tafter.channels > tbefore.channels)
        fds += 3 * (int)(tafter.channels - tbefore.channels) + (tbefore.channels == 0 ? 2 : 0);
    if (open_fds() != fds || !counters_equal(&before, &after) || !matches((uint8_t *)data, size, 71)) {
        fprintf(stderr, "machd_ool_peer: stagefail: %d descriptors (was %d), %llu messages (was %llu), %llu regions "
                        "(was %llu)\n", open_fds(), fds, (unsigned long long)after.messages,
                (unsigned long long)before.messages, (unsigned long long)after.ool_regions,
                (unsigned long long)before.ool_regions);
        return 8;
    }
    return 0;
}

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int bench(const char *name, size_t size, const char *mode, long count) {
    mach_port_t svc = look_up(name);
    mach_port_t reply;
    if (count < 1 || mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &reply) != KERN_SUCCESS)
        return 3;
    bool is_inline = strcmp(mode, "inline") == 0, move = strcmp(mode, "move") == 0;
    vm_address_t data = 0;
    struct inline_head *m = is_inline ? calloc(1, inline_total(size)) : NULL;
    if (is_inline ? !m : vm_allocate(mach_task_self(), &data, size, VM_FLAGS_ANYWHERE) != KERN_SUCCESS)
        return 3;
    fill(is_inline ? (uint8_t *)(m + 1) : (uint8_t *)data, size, 7);
    ready();
    double total = 0, best = 1e30;
    for (long i = 0; i < count; i++) {
        double t0 = now_ms();
        if (move) { /* a fresh region per message, as a program moving new data would have */
            if (vm_allocate(mach_task_self(), &data, size, VM_FLAGS_ANYWHERE) != KERN_SUCCESS)
                return 3;
            memset((void *)data, (int)i, size);
        }
        mach_msg_return_t mr = is_inline ? send_inline_msg(m, svc, MACH_MSG_TYPE_COPY_SEND, reply, ID_BENCH_INLINE, size, 7)
                                         : send_region(svc, MACH_MSG_TYPE_COPY_SEND, reply, ID_BENCH_OOL, data, size, 7, move);
        mach_msg_header_t *h = mr == MACH_MSG_SUCCESS ? receive(reply, 60000) : NULL;
        if (!h) {
            fprintf(stderr, "machd_ool_peer: bench: RPC %ld failed (%#x)\n", i, mr);
            return 1;
        }
        free(h);
        double dt = now_ms() - t0;
        total += dt;
        best = dt < best ? dt : best;
    }
    printf("%zu bytes %s: %.3f ms per RPC (mean of %ld), best %.3f ms\n", size, mode, total / (double)count, count, best);
    free(m);
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 3 && strcmp(argv[1], "server") == 0)
        return serve(argv[2]);
    if (argc >= 5 && strcmp(argv[1], "client") == 0)
        return client(argv[2], strtoul(argv[3], NULL, 0), argv[4]);
    if (argc >= 6 && strcmp(argv[1], "bench") == 0)
        return bench(argv[2], strtoul(argv[3], NULL, 0), argv[4], atol(argv[5]));
    if (argc >= 4 && strcmp(argv[1], "ports") == 0)
        return ports(argv[2], (uint32_t)strtoul(argv[3], NULL, 0));
    if (argc >= 5 && strcmp(argv[1], "flood") == 0)
        return flood(argv[2], strtoul(argv[3], NULL, 0), atol(argv[4]));
    if (argc >= 3 && strcmp(argv[1], "unlocked") == 0)
        return unlocked(argv[2]);
    if (argc >= 3 && strcmp(argv[1], "hold") == 0)
        return hold(argv[2]);
    if (argc >= 3 && strcmp(argv[1], "stagefail") == 0)
        return stagefail(argv[2]);
    fprintf(stderr, "usage: machd_ool_peer server NAME | client NAME SIZE copy|move|inline | flood NAME SIZE COUNT\n");
    return 64;
}
