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
 *                               the count; exit 0 when it matches, 5 when the send fails with
 *                               MACH_SEND_TOO_LARGE (more rights than one message may carry)
 *   flood NAME SIZE COUNT       sends COUNT one-way OOL messages of SIZE bytes (id 820) to NAME;
 *                               exit 0 when every send succeeded
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

#include <mach/mach.h>
#include <servers/bootstrap.h>

#define ID_OOL 800
#define ID_INLINE 810
#define ID_FLOOD 820
#define ID_PORTS 840
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

static int serve(const char *name) {
    mach_port_t recv;
    if (bootstrap_check_in(bootstrap_port, name, &recv) != KERN_SUCCESS)
        return 3;
    ready();
    for (;;) {
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
            const struct ports_msg *pm = (const void *)h;
            const mach_port_t *names = pm->ports.address;
            struct count_msg answer = {.head = {.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0),
                                                .msgh_size = sizeof answer, .msgh_remote_port = reply,
                                                .msgh_id = ID_PORTS + ID_ANSWER}};
            mach_port_type_t type = 0;
            for (mach_msg_size_t i = 0; i < pm->ports.count; i++) {
                if (mach_port_type(mach_task_self(), names[i], &type) != KERN_SUCCESS || !(type & MACH_PORT_TYPE_SEND))
                    break;
                answer.count++;
            }
            for (mach_msg_size_t i = 0; i < pm->ports.count; i++)
                mach_port_deallocate(mach_task_self(), names[i]);
            vm_deallocate(mach_task_self(), (vm_address_t)names, pm->ports.count * sizeof *names);
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
    mach_msg_return_t mr = mach_msg(&m.head, MACH_SEND_MSG, sizeof m, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL);
    free(names);
    if (mr == MACH_SEND_TOO_LARGE)
        return 5;
    if (mr != MACH_MSG_SUCCESS)
        return 1;
    mach_msg_header_t *h = receive(reply, 60000);
    const struct count_msg *answer = (const void *)h;
    bool ok = h && h->msgh_id == ID_PORTS + ID_ANSWER && answer->count == count;
    if (!ok)
        fprintf(stderr, "machd_ool_peer: ports: %u of %u names arrived as send rights\n", h ? answer->count : 0, count);
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
    fprintf(stderr, "usage: machd_ool_peer server NAME | client NAME SIZE copy|move|inline | flood NAME SIZE COUNT\n");
    return 64;
}
