// State-aware libFuzzer target for machd's broker (runtime/machd): the input is a program of
// operations by up to 8 tasks: connect, die, and send requests (every request type, valid and
// not) whose handles come from what each task was given before (deliveries, bootstrap replies,
// its own exports) or are picked to be hostile (NULL, DEAD, unknown, another task's). Tasks may
// say HELLO_DIRECT, ask for routes (ROUTE) and send tickets on the channels they were given or on
// hostile ones; a CHANNEL must come with its 4 open descriptors. They claim tokens on channels
// (TOKEN_CLAIM) and grant or refuse the claims they were asked, and others' (TOKEN_GRANT). Requests go
// through the wire codec first, so the broker sees exactly what machd would decode from a
// datagram. Between operations a task's queue may fill (the broker's `room` hook says no), and the
// clock moves for SEND_ADMIT deadlines. Exports may be fileports (FILEPORT, with a pipe's
// descriptor attached as machd's dispatch would): deliveries of rights to them must carry exactly
// one open descriptor per FILEPORT item. Half the inputs run with tiny limits (entries, names,
// waiters, overshoot, channels, fileports, claims), so that every limit is reached.
//
// What must hold: no crash or sanitizer report; after every task died, machd holds no task, no
// entry, and no port but those whose receive right its name service holds (created services and
// receive rights in the messages held for them), and no fileport descriptor but those of such
// ports; and nothing leaks
// (LeakSanitizer, at broker_destroy; descriptors: the lowest free one is the same after).
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker.h"
#include "wire/machd_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TASKS 8
#define KNOWN 64

struct fuzz_task {
    struct broker_task *t;
    uint32_t known[KNOWN]; // handles this task was given or made
    unsigned nknown;
    bool full;             // its output queue is full: `room` refuses
    bool held;             // the broker stopped reading it (pause hook): its requests wait
    uint32_t channels[4];  // channel ids it was given (CHANNEL)
    unsigned nchannels;
    uint32_t claims[4];    // claims it was asked to grant (TOKEN_CLAIMED)
    unsigned nclaims;
};

struct fuzz_state {
    const uint8_t *p, *end;
    struct fuzz_task tasks[TASKS];
    uint64_t now;
};

static uint8_t take(struct fuzz_state *s) { return s->p < s->end ? *s->p++ : 0; }
static uint32_t take32(struct fuzz_state *s) {
    uint32_t v = 0;
    for (int i = 0; i < 4; i++)
        v = v << 8 | take(s);
    return v;
}

static struct fuzz_task *task_of(struct fuzz_state *s, void *conn) {
    uintptr_t i = (uintptr_t)conn - 1;
    return i < TASKS ? &s->tasks[i] : NULL;
}

static void remember(struct fuzz_task *ft, uint32_t name) {
    if (!ft || name == MACHD_HANDLE_NULL || name == MACHD_HANDLE_DEAD)
        return;
    ft->known[ft->nknown++ % KNOWN] = name;
}

// The broker's output: every datagram must decode (machd never sends what it would refuse), and
// the handles it gives a task become that task's to use.
static void hook_send(void *ctx, void *conn, const uint8_t *bytes, size_t len) {
    struct fuzz_state *s = ctx;
    static uint8_t copy[MACHD_MAX_PACKET];
    static struct machd_msg m;
    if (len > sizeof copy)
        abort();
    memcpy(copy, bytes, len);
    if (machd_proto_decode(copy, len, &m) != MACHD_DECODE_OK)
        abort();
    struct fuzz_task *ft = task_of(s, conn);
    if (!ft || !ft->t)
        abort(); // output for a task that is gone
    switch (m.type) {
    case MACHD_MSG_DELIVER:
        remember(ft, m.u.deliver.reply.name);
        for (uint32_t i = 0; i < m.u.deliver.p.right_count; i++)
            remember(ft, machd_payload_right(&m.u.deliver.p, i).name);
        break;
    case MACHD_BOOTSTRAP_REPLY:
        remember(ft, m.u.bootstrap_reply.name);
        break;
    case MACHD_CHANNEL:
        ft->channels[ft->nchannels++ % 4] = m.u.channel.channel;
        break;
    case MACHD_TOKEN_CLAIMED:
        ft->claims[ft->nclaims++ % 4] = m.u.token_claimed.claim;
        break;
    case MACHD_STATUS_REPLY: // a granted claim's value is a send-once handle (others: harmless)
        remember(ft, m.u.status_reply.value);
        break;
    default:
        break;
    }
}
static void hook_send_fd(void *ctx, void *conn, const uint8_t *bytes, size_t len, int fd) {
    (void)fd;
    hook_send(ctx, conn, bytes, len);
}
// A CHANNEL comes with descriptors this way (its 4), and a delivery with one per FILEPORT item;
// all open.
static void hook_send_fds(void *ctx, void *conn, const uint8_t *bytes, size_t len, const int *fds, int nfds) {
    static uint8_t copy[MACHD_MAX_PACKET];
    static struct machd_msg m;
    if (len < MACHD_HEADER_SIZE || len > sizeof copy)
        abort();
    memcpy(copy, bytes, len);
    if (machd_proto_decode(copy, len, &m) != MACHD_DECODE_OK)
        abort();
    if (m.type == MACHD_CHANNEL ? nfds != MACHD_CHANNEL_FDS
                                : m.type != MACHD_MSG_DELIVER || nfds == 0 || nfds != (int)m.u.deliver.p.fileport_count)
        abort();
    for (int i = 0; i < nfds; i++)
        if (fcntl(fds[i], F_GETFD) < 0)
            abort();
    hook_send(ctx, conn, bytes, len);
}
static bool hook_room(void *ctx, void *conn, size_t len) {
    (void)len;
    struct fuzz_task *ft = task_of(ctx, conn);
    return ft && !ft->full;
}
static bool hook_room_fd(void *ctx, void *conn) { return hook_room(ctx, conn, 0); }
static uint64_t hook_now(void *ctx) { return ((struct fuzz_state *)ctx)->now; }
static void hook_pause(void *ctx, void *conn, bool paused) {
    struct fuzz_task *ft = task_of(ctx, conn);
    if (!ft || !ft->t || ft->held == paused)
        abort(); // held twice, released when not held, or for a task that is gone
    ft->held = paused;
}

static const struct broker_hooks hooks = {
    .send = hook_send, .room = hook_room, .send_fd = hook_send_fd, .send_fds = hook_send_fds,
    .room_fd = hook_room_fd, .now_ms = hook_now, .pause = hook_pause};

// A channel id for task ft to name: one it was given, another task's, or a hostile one.
static uint32_t pick_channel(struct fuzz_state *s, struct fuzz_task *ft) {
    uint8_t how = take(s);
    struct fuzz_task *o = (how & 2) ? &s->tasks[take(s) % TASKS] : ft;
    if (how & 1)
        return take32(s) | 1u; // never 0 (the codec refuses it)
    return o->nchannels ? o->channels[take(s) % (o->nchannels < 4 ? o->nchannels : 4)] : 1u + take(s) % 4;
}

// A handle for task ft to name: one it knows, a fresh export of its own, or a hostile one.
static uint32_t pick_name(struct fuzz_state *s, struct fuzz_task *ft) {
    uint8_t how = take(s);
    switch (how % 8) {
    case 0: case 1: case 2: case 3:
        return ft->nknown ? ft->known[take(s) % (ft->nknown < KNOWN ? ft->nknown : KNOWN)] : 0x100;
    case 4:
        return MACHD_HANDLE_TASK_BIT | (take(s) % 16); // one of its own local ports
    case 5:
        return (how & 0x80) ? MACHD_HANDLE_DEAD : MACHD_HANDLE_NULL;
    case 6: { // another task's handle
        struct fuzz_task *o = &s->tasks[take(s) % TASKS];
        return o->nknown ? o->known[take(s) % (o->nknown < KNOWN ? o->nknown : KNOWN)] : 0x101;
    }
    default:
        return take32(s);
    }
}

static struct machd_right pick_right(struct fuzz_state *s, struct fuzz_task *ft) {
    static const uint8_t disps[] = {MACHD_DISP_MOVE_RECEIVE, MACHD_DISP_MOVE_SEND, MACHD_DISP_MOVE_SEND_ONCE,
                                    MACHD_DISP_COPY_SEND, MACHD_DISP_MAKE_SEND, MACHD_DISP_MAKE_SEND_ONCE};
    struct machd_right r;
    r.name = pick_name(s, ft);
    r.disposition = disps[take(s) % sizeof disps];
    uint8_t f = take(s);
    r.flags = 0;
    if ((r.name & MACHD_HANDLE_TASK_BIT) && r.name != MACHD_HANDLE_DEAD && (f & 1))
        r.flags |= MACHD_RIGHT_NEW;
    if ((r.flags & MACHD_RIGHT_NEW) && r.disposition == MACHD_DISP_MOVE_RECEIVE && (f & 2))
        r.flags |= MACHD_RIGHT_KEEP_SEND;
    if ((r.flags & MACHD_RIGHT_NEW) && r.disposition == MACHD_DISP_MAKE_SEND && (f & 8))
        r.flags |= MACHD_RIGHT_FILEPORT;
    if (r.disposition == MACHD_DISP_MOVE_RECEIVE && (f & 4))
        r.flags |= MACHD_RIGHT_PD_REQUEST;
    return r;
}

// TOKEN_CLAIM on one of its channels (or a hostile one), or TOKEN_GRANT of a claim it was asked
// (or another task's, or a made-up one): a send-once right, or a refusal.
static void build_claim(struct fuzz_state *s, struct fuzz_task *ft, struct machd_msg *m, bool grant) {
    if (!grant) {
        m->type = MACHD_TOKEN_CLAIM;
        m->u.token_claim.channel = pick_channel(s, ft);
        m->u.token_claim.token = (take(s) & 1) ? take32(s) : 1u + take(s) % 8;
        return;
    }
    m->type = MACHD_TOKEN_GRANT;
    uint8_t how = take(s);
    struct fuzz_task *o = (how & 1) ? &s->tasks[take(s) % TASKS] : ft;
    m->u.token_grant.claim = (how & 2) || !o->nclaims ? take32(s) | 1u : o->claims[take(s) % (o->nclaims < 4 ? o->nclaims : 4)];
    if (how & 4) {
        m->u.token_grant.status = 5; // KERN_FAILURE
        m->u.token_grant.right = (struct machd_right){MACHD_HANDLE_NULL, MACHD_DISP_NONE, 0};
        return;
    }
    struct machd_right r = pick_right(s, ft);
    r.disposition = (how & 8) ? MACHD_DISP_MOVE_SEND_ONCE : MACHD_DISP_MAKE_SEND_ONCE;
    r.flags &= MACHD_RIGHT_NEW;
    m->u.token_grant.right = r;
}

// Builds one request of task ft from the input; false when the input ran out of ideas.
static bool build_request(struct fuzz_state *s, struct fuzz_task *ft, struct machd_msg *m,
                          struct machd_right *rights, char *name) {
    memset(m, 0, sizeof *m);
    m->seq = take(s);
    uint8_t kind = take(s) % 10;
    switch (kind) {
    case 0: case 1: case 9: { // MSG_SEND, the common case; 9: a ticket on a channel
        m->type = MACHD_MSG_SEND;
        m->u.send.dest = pick_right(s, ft);
        if (take(s) & 1)
            m->u.send.reply = pick_right(s, ft);
        uint8_t fl = take(s);
        m->u.send.flags = fl & (MACHD_SEND_ACK_ERRORS_ONLY | MACHD_SEND_ADMITTED);
        if (fl & 0x10) {
            m->u.send.flags |= MACHD_SEND_CREDIT;
            m->u.send.credit.name = pick_name(s, ft);
            m->u.send.credit.seen = take(s);
            m->u.send.credit.room = take(s);
        }
        if (kind == 9) {
            m->u.send.flags = (m->u.send.flags & ~MACHD_SEND_ADMITTED) | MACHD_SEND_TICKET;
            m->u.send.dest = (struct machd_right){pick_channel(s, ft), MACHD_DISP_NONE, 0};
        }
        uint32_t n = take(s) % 6;
        for (uint32_t i = 0; i < n; i++)
            rights[i] = pick_right(s, ft);
        struct machd_payload *p = &m->u.send.p;
        p->right_count = n;
        p->rights = rights;
        p->msgh_bits = n ? MACHD_MSGH_BITS_COMPLEX : 0;
        p->msgh_id = (int32_t)take(s);
        p->spill_fd = -1;
        static const uint8_t body[16] = "fuzzed-body-1234";
        p->body = body;
        p->body_len = take(s) % 17;
        break;
    }
    case 2:
        m->type = MACHD_MOD_REFS;
        m->u.mod_refs.name = pick_name(s, ft);
        m->u.mod_refs.right = take(s) % 4;
        m->u.mod_refs.delta = (int8_t)take(s);
        break;
    case 3:
        m->type = MACHD_NOTIFY_REQUEST;
        m->u.notify_request.name = pick_name(s, ft);
        m->u.notify_request.variant = MACHD_NOTIFY_PORT_DESTROYED;
        m->u.notify_request.notify = pick_right(s, ft);
        break;
    case 4: case 5: {
        m->type = MACHD_BOOTSTRAP;
        m->u.bootstrap.op = 1 + take(s) % 7;
        snprintf(name, 8, "svc.%u", take(s) % 4);
        m->u.bootstrap.name = name;
        m->u.bootstrap.name_len = (uint32_t)strlen(name);
        if (machd_bootstrap_op_has_right(m->u.bootstrap.op))
            m->u.bootstrap.right = pick_right(s, ft);
        break;
    }
    case 6:
        if (take(s) & 1) {
            m->type = MACHD_QUEUE_CREDIT;
            m->u.queue_credit.name = pick_name(s, ft);
            m->u.queue_credit.seen = take(s);
            m->u.queue_credit.room = take(s);
        } else {
            m->type = MACHD_SEND_ADMIT;
            m->u.send_admit.name = pick_name(s, ft);
            m->u.send_admit.flags = take(s) & 3;
            m->u.send_admit.timeout_ms = take(s);
        }
        break;
    case 8: { // may it send to this port directly? / the backlog of a moved receive right is
              // forwarded / a peer's token claimed, or a claim granted or refused
        uint8_t v = take(s);
        if (v & 2) {
            build_claim(s, ft, m, (v & 4) != 0);
            break;
        }
        m->type = (v & 1) ? MACHD_MOVED_DONE : MACHD_ROUTE;
        m->u.route.name = pick_name(s, ft);
        if (m->type == MACHD_MOVED_DONE)
            m->u.moved.name = m->u.route.name;
        break;
    }
    default:
        if (take(s) & 1) {
            m->type = MACHD_STATS;
        } else { // what machd holds: listed to the tasks of machd's uid, refused to the others
            m->type = MACHD_QUERY;
            m->u.query.kind = MACHD_QUERY_SERVICES + take(s) % 2;
            m->u.query.offset = take(s) % 4;
        }
        break;
    }
    return s->p < s->end;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static struct machd_msg req, decoded;
    static struct machd_right rights[8];
    static uint8_t wire[MACHD_MAX_PACKET];
    struct fuzz_state s = {.p = data, .end = data + size};
    int lowest_fd = dup(0);
    if (lowest_fd >= 0)
        close(lowest_fd);
    int file[2]; // the file of every fileport: machd's duplicates of its write end must all close
    if (pipe2(file, O_CLOEXEC) != 0)
        return 0;
    struct broker *b = broker_create(&hooks, &s);
    if (!b) {
        close(file[0]);
        close(file[1]);
        return 0;
    }
    if (size && (data[0] & 1)) { // tiny limits, so that every limit is hit
        struct broker_limits l = {.entries_per_task = 4u + data[0] % 16u, .entries_per_uid = 12u + data[0] % 32u,
                                  .names_per_task = 1u + data[0] % 3u, .names_per_uid = 2u + data[0] % 4u,
                                  .waiters_per_task = 1u + data[0] % 3u, .overshoot = 1u + data[0] % 3u,
                                  .channels_per_task = 1u + data[0] % 3u, .fileports_per_task = 1u + data[0] % 3u,
                                  .fileports_per_uid = 2u + data[0] % 4u, .claims_per_task = 1u + data[0] % 3u};
        broker_set_limits(b, &l);
    }
    if (size && (data[0] & 2)) { // a system machd: user domains falling through to the system one
        struct broker_domains d = {.system = true, .has_group = (data[0] & 4) != 0, .register_gid = 1000};
        broker_set_domains(b, &d);
    }
    const struct machd_audit id = {1000, 1000, 1000, 0};
    for (unsigned steps = 0; s.p < s.end && steps < 400; steps++) {
        uint8_t op = take(&s);
        struct fuzz_task *ft = &s.tasks[(op >> 4) % TASKS];
        switch (op & 0xf) {
        case 0: // connect (again)
            if (ft->t)
                break;
            memset(ft, 0, sizeof *ft);
            struct machd_audit me = id;
            // Two users, for the per-uid limits: the odd tasks' 1001, the others machd's own
            // (geteuid(): QUERY lists to them and refuses the odd ones).
            me.uid = (ft - s.tasks) % 2 ? 1001u : (uint32_t)geteuid();
            me.task_id = (uint64_t)(ft - s.tasks) + 1;
            ft->t = broker_task_create(b, &me, (void *)(uintptr_t)(ft - s.tasks + 1));
            if (ft->t) // most say HELLO_DIRECT
                broker_task_set_direct(ft->t, (ft - s.tasks) % 4 != 3);
            break;
        case 1: // die
            if (ft->t) {
                broker_task_destroy(b, ft->t);
                ft->t = NULL;
            }
            break;
        case 2: // its queue fills or drains
            ft->full = !ft->full;
            break;
        case 3: // time passes
            s.now += take(&s) * 7u;
            broker_expire(b, s.now);
            (void)broker_next_timeout_ms(b, s.now);
            break;
        default: { // a request, through the codec as machd would see it
            if (!ft->t || ft->held) // machd does not read a task it holds back
                break;
            char name[8];
            if (!build_request(&s, ft, &req, rights, name))
                break;
            size_t len = machd_proto_encode(&req, wire, sizeof wire);
            if (len == 0 || machd_proto_decode(wire, len, &decoded) != MACHD_DECODE_OK)
                break; // the codec refuses it: machd would drop the task (tested elsewhere)
            if (!machd_proto_is_request(decoded.type) || decoded.type == MACHD_HELLO)
                break;
            if (decoded.type == MACHD_MSG_SEND) // one descriptor per FILEPORT item, as dispatch attaches them
                for (uint32_t i = 0; i < decoded.u.send.p.fileport_count; i++)
                    decoded.u.send.p.fileport_fds[i] = file[1];
            broker_handle(b, ft->t, &decoded);
            break;
        }
        }
    }
    for (unsigned i = 0; i < TASKS; i++)
        if (s.tasks[i].t)
            broker_task_destroy(b, s.tasks[i].t);
    struct broker_counts c = broker_counts(b);
    // Every task is gone: nothing may be left but the ports whose receive right machd's own name
    // service holds: created services (each CREATE makes at most one) and receive rights moved
    // in messages held for them (queued, so alive, as in Mach: a task may move a receive right
    // into a message to a created service nobody checked in).
    if (c.tasks != 0 || c.ports != broker_kept_ports(b) || c.fileports > c.ports)
        abort();
    broker_destroy(b);
    close(file[0]);
    close(file[1]);
    int now_lowest = dup(0); // machd keeps no descriptor of a channel: none leaked
    if (now_lowest >= 0)
        close(now_lowest);
    if (now_lowest != lowest_fd)
        abort();
    return 0;
}
