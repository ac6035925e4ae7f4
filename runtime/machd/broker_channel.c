/* machd broker: direct channels (docs/machd.md 9.2). For a pair of tasks that both said
 * HELLO_DIRECT, machd makes shared memory with two rings (wire/chan_ring.h), two eventfds and a
 * socketpair, hands them to both tasks (CHANNEL) and keeps no descriptor of them. A route lets a
 * task holding a send right write to the port's receiver on the channel: machd stays the
 * authority, announcing each route to the receiver (ROUTE_ADD) and withdrawing it when the
 * sender's entry loses its last send right (ROUTE_DEL). */
#include "broker_internal.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <mach/kern_return.h>

#include "wire/chan_ring.h"
#include "wire/machd_spill.h"

#define SLOT_WORDS (CHAN_SLOTS / 64u)

/* One sender's route: its entry may write to the receiver's port on slot `slot` of the direction
 * from side `dir` of the channel. */
struct route {
    struct channel *ch;
    struct entry *e;
    uint32_t slot;
    uint32_t serial; /* names the route in ROUTE_ADD / ROUTE_REPLY */
    uint8_t dir;
    struct route *prev, *next; /* among ch's routes */
};

/* A channel between two tasks (side 0 asked first). */
struct channel {
    uint32_t id;
    struct broker_task *task[2];
    struct channel *tprev[2], *tnext[2]; /* among task[i]'s channels */
    struct route *routes;
    struct claim *claims;         /* token claims waiting on it (broker_claim.c) */
    uint64_t used[2][SLOT_WORDS]; /* route slots taken, per direction (from side i) */
};

static int side_of(const struct channel *ch, const struct broker_task *t) { return ch->task[0] == t ? 0 : 1; }

static struct channel *channel_find(struct broker_task *t, struct broker_task *peer) {
    for (struct channel *ch = t->chans; ch; ch = ch->tnext[side_of(ch, t)])
        if (ch->task[1 - side_of(ch, t)] == peer)
            return ch;
    return NULL;
}

static void channel_link(struct channel *ch, int side) {
    struct broker_task *t = ch->task[side];
    ch->tprev[side] = NULL;
    ch->tnext[side] = t->chans;
    if (t->chans)
        t->chans->tprev[side_of(t->chans, t)] = ch;
    t->chans = ch;
    t->channels++;
}

static void channel_unlink(struct channel *ch, int side) {
    struct broker_task *t = ch->task[side];
    struct channel *prev = ch->tprev[side], *next = ch->tnext[side];
    if (prev)
        prev->tnext[side_of(prev, t)] = next;
    else
        t->chans = next;
    if (next)
        next->tprev[side_of(next, t)] = prev;
    t->channels--;
}

/* The four descriptors of a new channel: memory, the eventfds waking side 0 and side 1, and the
 * socketpair's two ends. False (nothing left open) when the kernel refuses one. */
static bool channel_fds_make(int *mem, int wake[2], int link[2]) {
    *mem = memfd_create("openmig-channel", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    wake[0] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    wake[1] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    link[0] = link[1] = -1;
    bool ok = *mem >= 0 && wake[0] >= 0 && wake[1] >= 0 &&
              socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, link) == 0 &&
              ftruncate(*mem, CHAN_SHARED_SIZE) == 0 &&
              fcntl(*mem, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) == 0;
    if (!ok) {
        int all[5] = {*mem, wake[0], wake[1], link[0], link[1]};
        for (int i = 0; i < 5; i++)
            if (all[i] >= 0)
                close(all[i]);
    }
    return ok;
}

/* CHANNEL to the task on `side`, with its descriptors in enum machd_channel_fd's order. */
static void channel_announce(struct broker *b, struct channel *ch, int side, int mem, const int wake[2],
                             const int link[2]) {
    memset(&b->msg, 0, sizeof b->msg);
    b->msg.type = MACHD_CHANNEL;
    b->msg.u.channel.channel = ch->id;
    b->msg.u.channel.side = (uint32_t)side;
    b->msg.u.channel.peer = ch->task[1 - side]->identity;
    int fds[MACHD_CHANNEL_FDS];
    fds[MACHD_CHANNEL_FD_MEMORY] = mem;
    fds[MACHD_CHANNEL_FD_WAKE_ME] = wake[side];
    fds[MACHD_CHANNEL_FD_WAKE_PEER] = wake[1 - side];
    fds[MACHD_CHANNEL_FD_LINK] = link[side];
    broker_emit_fds(b, ch->task[side], fds, MACHD_CHANNEL_FDS);
}

/* A new channel between t (side 0) and peer, announced to both; machd keeps none of its
 * descriptors. NULL when out of ids, memory or descriptors. */
static struct channel *channel_new(struct broker *b, struct broker_task *t, struct broker_task *peer) {
    if (b->last_channel >= MACHD_HANDLE_DEAD - 1) /* ids are never reused, and never 0 or ~0 */
        return NULL;
    struct channel *ch = calloc(1, sizeof *ch);
    if (!ch)
        return NULL;
    ch->id = b->last_channel + 1;
    ch->task[0] = t;
    ch->task[1] = peer;
    int mem, wake[2], link[2];
    if (!handle_map_put(&b->channel_ids, ch->id, ch)) {
        free(ch);
        return NULL;
    }
    if (!channel_fds_make(&mem, wake, link)) {
        handle_map_remove(&b->channel_ids, ch->id);
        free(ch);
        return NULL;
    }
    b->last_channel = ch->id;
    channel_link(ch, 0);
    channel_link(ch, 1);
    channel_announce(b, ch, 0, mem, wake, link);
    channel_announce(b, ch, 1, mem, wake, link);
    int all[5] = {mem, wake[0], wake[1], link[0], link[1]}; /* the queued messages hold duplicates */
    machd_close_fds(all, 5);
    return ch;
}

/* A free route slot in the direction from `dir`, taken; CHAN_SLOTS when all are used. */
static uint32_t slot_take(struct channel *ch, int dir) {
    for (uint32_t w = 0; w < SLOT_WORDS; w++) {
        uint64_t free_bits = ~ch->used[dir][w];
        if (!free_bits)
            continue;
        uint32_t bit = (uint32_t)__builtin_ctzll(free_bits);
        ch->used[dir][w] |= 1ull << bit;
        return w * 64u + bit;
    }
    return CHAN_SLOTS;
}

static void slot_give(struct channel *ch, int dir, uint32_t slot) {
    ch->used[dir][slot / 64u] &= ~(1ull << (slot % 64u));
}

/* Whether machd holds back or keeps waiting any message for p (flow control: senders waiting for
 * room or stopped until it has some): a route now could pass them. */
static bool port_has_waiting(const struct broker_port *p) { return p->paused || p->waiting_listed; }

/* Makes e's route (t's send right; none yet): the kern_return_t, and on success the channel and
 * slot. */
static uint32_t route_make(struct broker *b, struct broker_task *t, struct entry *e, uint32_t *ch_id, uint32_t *slot) {
    struct broker_port *p = e->port;
    struct broker_task *r = p->receiver;
    if (!r || r == t || r == b->keeper || !r->direct || !t->direct || port_has_waiting(p) || !b->hooks->send_fds)
        return KERN_FAILURE;
    if (b->last_route_serial == UINT32_MAX) /* serials are never reused */
        return KERN_RESOURCE_SHORTAGE;
    struct channel *ch = channel_find(t, r);
    if (!ch) {
        if (t->channels >= b->limits.channels_per_task || r->channels >= b->limits.channels_per_task)
            return KERN_RESOURCE_SHORTAGE;
        if (!b->hooks->room_fd || !b->hooks->room_fd(b->ctx, t->conn) || !b->hooks->room_fd(b->ctx, r->conn))
            return KERN_RESOURCE_SHORTAGE;
        ch = channel_new(b, t, r);
        if (!ch)
            return KERN_RESOURCE_SHORTAGE;
    }
    int dir = side_of(ch, t);
    struct route *rt = calloc(1, sizeof *rt);
    if (!rt)
        return KERN_RESOURCE_SHORTAGE;
    rt->slot = slot_take(ch, dir);
    if (rt->slot == CHAN_SLOTS) {
        free(rt);
        return KERN_RESOURCE_SHORTAGE;
    }
    rt->ch = ch;
    rt->e = e;
    rt->serial = ++b->last_route_serial;
    rt->dir = (uint8_t)dir;
    rt->next = ch->routes;
    if (ch->routes)
        ch->routes->prev = rt;
    ch->routes = rt;
    e->route = rt;
    /* The receiver learns of the route after every delivery machd already queued for it. */
    memset(&b->msg, 0, sizeof b->msg);
    b->msg.type = MACHD_ROUTE_ADD;
    b->msg.u.route_add.channel = ch->id;
    b->msg.u.route_add.slot = rt->slot;
    b->msg.u.route_add.name = p->recv_name;
    b->msg.u.route_add.serial = rt->serial;
    broker_emit(b, r);
    *ch_id = ch->id;
    *slot = rt->slot;
    return KERN_SUCCESS;
}

void channel_handle_route(struct broker *b, struct broker_task *t, const struct machd_msg *req) {
    uint32_t ch_id = 0, slot = 0, serial = 0, status;
    struct entry *e = entry_lookup(t, req->u.route.name);
    if (!e)
        status = KERN_INVALID_NAME;
    else if (e->send_once || e->send_urefs == 0)
        status = KERN_INVALID_RIGHT;
    else if (e->route) {
        ch_id = e->route->ch->id;
        slot = e->route->slot;
        serial = e->route->serial;
        status = KERN_SUCCESS;
    } else {
        status = route_make(b, t, e, &ch_id, &slot);
        serial = status == KERN_SUCCESS ? e->route->serial : 0;
    }
    memset(&b->msg, 0, sizeof b->msg);
    b->msg.type = MACHD_ROUTE_REPLY;
    b->msg.seq = req->seq;
    b->msg.u.route_reply.status = status;
    if (status == KERN_SUCCESS) {
        b->msg.u.route_reply.channel = ch_id;
        b->msg.u.route_reply.slot = slot;
        b->msg.u.route_reply.serial = serial;
    }
    broker_emit(b, t);
}

/* Unlinks and frees rt, its slot free again; ROUTE_DEL to the receiver side when `tell`. */
static void route_free(struct broker *b, struct route *rt, bool tell) {
    struct channel *ch = rt->ch;
    if (rt->prev)
        rt->prev->next = rt->next;
    else
        ch->routes = rt->next;
    if (rt->next)
        rt->next->prev = rt->prev;
    slot_give(ch, rt->dir, rt->slot);
    rt->e->route = NULL;
    if (tell) {
        memset(&b->msg, 0, sizeof b->msg);
        b->msg.type = MACHD_ROUTE_DEL;
        b->msg.u.route_del.channel = ch->id;
        b->msg.u.route_del.slot = rt->slot;
        broker_emit(b, ch->task[1 - rt->dir]);
    }
    free(rt);
}

void channel_route_drop(struct broker *b, struct entry *e) { route_free(b, e->route, true); }

void channel_forget_task(struct broker *b, struct broker_task *t) {
    while (t->chans) {
        struct channel *ch = t->chans;
        int side = side_of(ch, t);
        while (ch->routes) /* the survivor hears of the routes into it going, no more */
            route_free(b, ch->routes, ch->routes->dir == side);
        claim_channel_gone(b, &ch->claims, t);
        channel_unlink(ch, 0);
        channel_unlink(ch, 1);
        handle_map_remove(&b->channel_ids, ch->id);
        free(ch);
    }
}

/* Channel `id` when t is one of its tasks, else NULL. */
static struct channel *channel_of(struct broker *b, struct broker_task *t, uint32_t id) {
    if (id == MACHD_HANDLE_NULL || id == MACHD_HANDLE_DEAD)
        return NULL;
    struct channel *ch = handle_map_get(&b->channel_ids, id);
    return ch && (ch->task[0] == t || ch->task[1] == t) ? ch : NULL;
}

struct broker_task *channel_peer(struct broker *b, struct broker_task *t, uint32_t id) {
    struct channel *ch = channel_of(b, t, id);
    return ch ? ch->task[1 - side_of(ch, t)] : NULL;
}

struct claim **channel_claims(struct broker *b, struct broker_task *t, uint32_t id, struct broker_task **peer) {
    struct channel *ch = channel_of(b, t, id);
    if (!ch)
        return NULL;
    *peer = ch->task[1 - side_of(ch, t)];
    return &ch->claims;
}
