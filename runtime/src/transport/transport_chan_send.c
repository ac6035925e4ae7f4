/* Direct channels, the producer (docs/machd.md 9.3): a message for a proxy whose port lives in a
 * peer we share a channel with, or for a peer's send-once token (a reply), becomes a ring record.
 * A plain message (no descriptors, a body that fits a record, at most a send-once reply right to
 * a port of ours) travels whole in the record; any other goes through machd as a ticket and the
 * record keeps its place in order. A route is asked for on the second message to a proxy (the
 * first is relayed: a one-off message costs no extra round trip). IPC lock held. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <unistd.h>

#include "ipc/ool_stage_internal.h"
#include "transport/transport_chan.h"
#include "transport/transport_machd_internal.h"

/* ---- our reply ports handed to a peer: send-once tokens ---- */

uint32_t chan_token_new(struct chan *c, struct ipc_port *port) {
    if (c->ntokens >= CHAN_MAX_TOKENS)
        return 0;
    if (c->ntokens == c->tokens_cap) {
        uint32_t cap = c->tokens_cap ? 2 * c->tokens_cap : 64;
        struct ipc_port **grown = realloc(c->tokens, cap * sizeof *grown);
        if (!grown)
            return 0;
        memset(grown + c->tokens_cap, 0, (cap - c->tokens_cap) * sizeof *grown);
        c->tokens_free_hint = c->tokens_cap;
        c->tokens = grown;
        c->tokens_cap = cap;
    }
    for (uint32_t n = 0; n < c->tokens_cap; n++) {
        uint32_t i = (c->tokens_free_hint + n) % c->tokens_cap;
        if (!c->tokens[i]) {
            c->tokens[i] = port;
            c->ntokens++;
            c->tokens_free_hint = i + 1 < c->tokens_cap ? i + 1 : 0;
            return i + 1;
        }
    }
    return 0;
}

struct ipc_port *chan_token_take(struct chan *c, uint32_t token) {
    if (token == 0 || token > c->tokens_cap || !c->tokens[token - 1])
        return NULL;
    struct ipc_port *port = c->tokens[token - 1];
    c->tokens[token - 1] = NULL;
    c->ntokens--;
    return port;
}

/* ---- writing records ---- */

/* Whether the reply right of kmsg can travel in a record (none, or a send-once right to a port
 * of ours: a token). */
static bool reply_fits(const struct ipc_kmsg *kmsg) {
    const struct ipc_port *reply = kmsg->local;
    return !reply || reply == IPC_PORT_DEAD ||
           (kmsg->local_type == MACH_MSG_TYPE_PORT_SEND_ONCE && !reply->transport && reply->active);
}

/* Whether kmsg travels whole in a record: plain, or with out-of-line memory (9.5); *body_len
 * the record body's bytes (0 when it goes as a ticket). */
static bool record_shape(const struct ipc_kmsg *kmsg, bool *ool, uint32_t *body_len) {
    *ool = false;
    *body_len = 0;
    if (!reply_fits(kmsg))
        return false;
    if (!kmsg->ndesc && !(kmsg->bits & MACH_MSGH_BITS_COMPLEX) && !kmsg->stage && !kmsg->aux &&
        kmsg->size - sizeof(mach_msg_header_t) <= CHAN_MAX_BODY) {
        *body_len = kmsg->size - (uint32_t)sizeof(mach_msg_header_t);
        return true;
    }
    return (*ool = chan_ool_fits(kmsg, body_len));
}

/* The body bytes kmsg's record carries: its body when it travels whole, none as a ticket. */
static uint32_t record_body_len(const struct ipc_kmsg *kmsg) {
    bool ool;
    uint32_t len;
    record_shape(kmsg, &ool, &len);
    return len;
}

static void ring_doorbell(struct chan *c, bool wake) {
    if (!wake)
        return;
    chan_stat_add(&chan_stats.doorbells);
    uint64_t one = 1;
    ssize_t n = write(c->wake_peer, &one, sizeof one); /* non-blocking: a full counter is the
                                                         peer's own doing */
    (void)n;
}

/* Waits outside the lock until c's ring has room for a record of body_len bytes (the consumer is
 * behind: rare, credits stop senders first). False when c went away or the deadline passed. */
static bool wait_ring_room(struct chan **cp, uint32_t body_len, const struct timespec *deadline) {
    struct chan *c = *cp;
    uint32_t id = c->id;
    while (!chan_has_room(&c->end, body_len)) {
        /* A tail the peer wrote that cannot be (fuzz_chan_records): room never comes, and a
         * thread destroying a reply right (DROP_ONCE) or replying without a timeout would wait
         * forever. The peer is hostile: drop its channel (docs/machd.md 9.3, "Hostile ring"). */
        if (!chan_tail_ok(&c->end)) {
            chan_drop(c, true);
            *cp = NULL;
            return false;
        }
        if (deadline && ipc_ms_until(deadline) == 0)
            return false;
        c->users++;
        ipc_unlock();
        struct timespec pause = {0, 50 * 1000};
        nanosleep(&pause, NULL);
        ipc_lock();
        chan_unuse(c);
        c = chan_find(id);
        *cp = c; /* NULL when it went meanwhile: the caller says MACH_SEND_INVALID_DEST */
        if (!c)
            return false;
    }
    return true;
}

/* Settles the destination right of a message written on a channel: a send right to a proxy is
 * released; a send-once proxy of a token is used up (its token forgotten). */
static void settle_dest(struct chan *c, struct ipc_port *dest, bool once) {
    if (!once) {
        port_release_send(dest);
        return;
    }
    uint32_t token = (uint32_t)dest->transport_handle;
    port_release_send_once(dest);
    if (handle_map_get(&c->proxies, token) == dest) {
        handle_map_remove(&c->proxies, token);
        port_release(dest); /* the map's reference */
    }
}

/* Writes kmsg (for dest: a route slot, or a token with CHAN_MSG_DEST_ONCE) on c, whole or as a
 * ticket. On success the message and its rights are consumed. */
static mach_msg_return_t put_message(struct chan *c, struct ipc_kmsg *kmsg, uint16_t flags, uint32_t dest,
                                     const struct timespec *deadline) {
    struct ipc_port *dest_port = kmsg->remote;
    bool once = (flags & CHAN_MSG_DEST_ONCE) != 0, ool;
    uint32_t body_len;
    bool whole = record_shape(kmsg, &ool, &body_len);
    if (!wait_ring_room(&c, body_len, deadline))
        return c ? MACH_SEND_TIMED_OUT : MACH_SEND_INVALID_DEST;
    struct chan_record rec = {.kind = CHAN_REC_MSG, .flags = flags, .dest = dest, .msgh_id = kmsg->id};
    if (whole) {
        if (kmsg->local == IPC_PORT_DEAD)
            kmsg->local = NULL;
        if (kmsg->local) {
            rec.reply = chan_token_new(c, kmsg->local);
            whole = rec.reply != 0; /* the token table is full: as a ticket */
        }
    }
    bool wake = false;
    if (whole) {
        rec.body_len = body_len;
        enum chan_status st = ool ? chan_ool_produce(c, kmsg, &rec, &wake)
                                  : chan_produce(&c->end, &rec, kmsg->data + sizeof(mach_msg_header_t), &wake);
        if (st != CHAN_OK) {
            if (rec.reply)
                chan_token_take(c, rec.reply);
            if (st == CHAN_BROKEN) {
                chan_drop(c, true);
                return MACH_SEND_INVALID_DEST;
            }
            if (!ool)
                return MACH_SEND_INVALID_DEST;
            /* Its regions did not fit now (no descriptors left, the peer's socket full): as a
             * ticket, staged regions back as regions first (their memfd may be sealed). */
            ool_stage_unstage(kmsg);
            whole = false;
            rec = (struct chan_record){.kind = CHAN_REC_MSG, .flags = flags, .dest = dest, .msgh_id = kmsg->id};
        }
    }
    if (whole) {
        kmsg->local = NULL; /* its send-once right is the token's now */
        kmsg->remote = NULL;
        settle_dest(c, dest_port, once);
        kmsg_free(kmsg);
    } else {
        struct machd_ticket ticket = {c->id, c->next_ticket + 1};
        mach_msg_return_t mr = machd_encode_send(dest_port, kmsg, false, &ticket);
        if (mr != MACH_MSG_SUCCESS)
            return mr;
        c->next_ticket++;
        rec.flags |= CHAN_MSG_TICKET;
        rec.ticket = ticket.number;
        /* The record first, then the destination right: letting the last send right go tells
         * machd (MOD_REFS), whose ROUTE_DEL makes the receiver take what is in the ring and drop
         * the route; a record written after that would wait for the route for ever, and the
         * message would be lost when the channel goes (machd_boot.names_bound_again_after_machd_
         * restarts: a one-way message moving its last send right, 1 run in 10). */
        bool broken = chan_produce(&c->end, &rec, NULL, &wake) != CHAN_OK;
        settle_dest(c, dest_port, once);
        if (broken) {
            chan_drop(c, true); /* room was checked: the consumer's tail changed under us */
            return MACH_MSG_SUCCESS;  /* machd has the ticket; the peer broke the channel */
        }
    }
    chan_stat_add(&chan_stats.sent);
    if (!whole)
        chan_stat_add(&chan_stats.tickets);
    ring_doorbell(c, wake);
    return MACH_MSG_SUCCESS;
}

/* ---- send-once proxies: replies to a peer's tokens ---- */

/* The send-once notification the core makes when a right is destroyed unused. */
static bool is_drop(const struct ipc_kmsg *kmsg) {
    return kmsg->from_kernel && kmsg->id == MACH_NOTIFY_SEND_ONCE && kmsg->ndesc == 0;
}

/* Writes a message for a token's proxy (kmsg->remote) if the ring has room now: false when it
 * has not (nothing done), else true with the send's outcome in *mr. Never lets the lock go. */
static bool write_once_now(struct chan *c, struct ipc_kmsg *kmsg, mach_msg_return_t *mr) {
    struct ipc_port *proxy = kmsg->remote;
    uint32_t token = (uint32_t)proxy->transport_handle;
    if (is_drop(kmsg)) { /* the peer makes the notification itself, from "the kernel" */
        struct chan_record rec = {.kind = CHAN_REC_DROP_ONCE, .dest = token};
        bool wake = false;
        if (!chan_has_room(&c->end, 0))
            return false;
        if (chan_produce(&c->end, &rec, NULL, &wake) != CHAN_OK) {
            *mr = MACH_SEND_INVALID_DEST;
            return true;
        }
        kmsg->remote = NULL;
        settle_dest(c, proxy, true);
        kmsg_destroy(kmsg);
        ring_doorbell(c, wake);
        *mr = MACH_MSG_SUCCESS;
        return true;
    }
    if (!chan_has_room(&c->end, record_body_len(kmsg)))
        return false;
    *mr = put_message(c, kmsg, CHAN_MSG_DEST_ONCE, token, NULL); /* room: it does not wait */
    return true;
}

bool chan_flush_backlog(struct chan *c) {
    while (c->backlog && !c->dropped) {
        struct ipc_kmsg *k = c->backlog;
        c->backlog = k->next;
        k->next = NULL;
        mach_msg_return_t mr;
        if (!write_once_now(c, k, &mr)) {
            k->next = c->backlog;
            c->backlog = k;
            return false;
        }
        if (!c->backlog)
            c->backlog_tail = NULL;
        c->nbacklog--;
        if (mr != MACH_MSG_SUCCESS)
            kmsg_destroy(k);
    }
    return true;
}

/* A message to a peer's token never blocks, as send-once messages never do in Mach: when the
 * ring is full it waits in the channel's backlog, in order, and is written when room comes; a
 * peer that lets CHAN_MAX_BACKLOG of them pile up is dropped as dead. Only a message that carries
 * other requests' reply rights waits, for their claims (transport_chan_claim.c). */
static mach_msg_return_t once_send(struct ipc_port *proxy, struct ipc_kmsg *kmsg, mach_msg_option_t option,
                                   mach_msg_timeout_t timeout) {
    (void)timeout;
    if (chan_carries_tokens(kmsg)) { /* a reply carrying other requests' reply rights (9.6) */
        chan_claim_tokens(kmsg, option);
        if (proxy->transport != &chan_once_ops)
            return MACH_SEND_INVALID_DEST; /* its channel went meanwhile */
    }
    struct chan *c = chan_find((uint32_t)(proxy->transport_handle >> 32));
    if (!c)
        return MACH_SEND_INVALID_DEST;
    mach_msg_return_t mr;
    if (chan_flush_backlog(c) && !c->dropped && write_once_now(c, kmsg, &mr))
        return mr;
    if (c->dropped)
        return MACH_SEND_INVALID_DEST;
    if (c->nbacklog >= CHAN_MAX_BACKLOG) { /* the peer reads nothing: as if it were dead */
        chan_drop(c, true);
        return MACH_SEND_INVALID_DEST;
    }
    c->nbacklog++;
    kmsg->next = NULL;
    if (c->backlog_tail)
        c->backlog_tail->next = kmsg;
    else
        c->backlog = kmsg;
    c->backlog_tail = kmsg;
    return MACH_MSG_SUCCESS;
}

const struct ipc_transport_ops chan_once_ops = {.send = once_send};

/* ---- routes: asking machd, waiting for credit ---- */

static void wake_route_waiters(void) {
    for (struct ipc_waiter *w; (w = waitq_pop(&T.route_waiters)) != NULL;)
        ipc_wake_later(w);
}

/* Asks machd for a route to proxy's port (handle h); the link says the outcome. */
static void ask_route(struct ipc_port *proxy, struct link *l, uint32_t h) {
    l->route = LINK_ROUTE_ASKING;
    struct machd_msg m;
    memset(&m, 0, sizeof m);
    m.type = MACHD_ROUTE;
    m.u.route.name = h;
    struct waiter w;
    port_reference(proxy);
    ipc_unlock();
    uint32_t status = machd_request(&m, &w);
    ipc_lock();
    l = machd_link_get(h);
    if (l && l->port == proxy && l->route == LINK_ROUTE_ASKING) {
        bool ok = status == KERN_SUCCESS && proxy->transport == &machd_ops && chan_find(w.name) && w.type < CHAN_SLOTS;
        l->route = ok ? LINK_ROUTE_SET : LINK_ROUTE_NONE;
        l->route_chan = w.name;
        l->route_slot = w.type;
        /* The same route again (our entry kept a send right while we let the route go): its
         * count goes on, as the receiver's does; a new route counts from 0. */
        if (w.serial != l->route_serial)
            l->route_sent = 0;
        l->route_serial = w.serial;
    }
    port_release(proxy);
    wake_route_waiters();
}

/* How long a new route may take to be activated by the receiver (it reads machd's ROUTE_ADD at
 * its next wake-up, or its standby thread within milliseconds): past that, relay. */
#define ROUTE_ACTIVATE_MS 2000

/* The channel of proxy's route (its handle h) while the route is set, with its link in *lp;
 * NULL when it went (the proxy died, the route was let go, the channel dropped). */
static struct chan *route_chan(struct ipc_port *proxy, uint32_t h, struct link **lp) {
    struct link *l = machd_link_get(h);
    *lp = l;
    if (!l || l->port != proxy || l->route != LINK_ROUTE_SET || proxy->transport != &machd_ops)
        return NULL;
    return chan_find(l->route_chan);
}

/* Waits outside the lock, up to ms (< 0: no limit), until the receiver writes the grant word of
 * l's route on c (a grant, or the activation that comes with its first). */
static void wait_grant(struct ipc_port *proxy, struct chan *c, const struct link *l, int ms) {
    uint32_t slot = l->route_slot, sent = l->route_sent;
    c->users++;
    port_reference(proxy);
    ipc_unlock();
    chan_stat_add(&chan_stats.credit_waits);
    chan_credit_wait(&c->end, slot, sent, ms);
    ipc_lock();
    chan_unuse(c);
    port_release(proxy);
}

/* Waits (in short slices) until the receiver activated l's new route; false: it did not in
 * time, or the route or channel went meanwhile (the link says relay). */
static bool wait_activation(struct ipc_port *proxy, uint32_t h) {
    struct timespec deadline;
    ipc_deadline_after_ms(&deadline, ROUTE_ACTIVATE_MS);
    for (;;) {
        struct link *l;
        struct chan *c = route_chan(proxy, h, &l);
        if (!c)
            return false;
        if (chan_route_active(&c->end, l->route_slot, l->route_serial))
            return true;
        if (ipc_ms_until(&deadline) == 0) {
            l->route = LINK_ROUTE_NONE; /* nothing went on it: relaying keeps the order */
            return false;
        }
        wait_grant(proxy, c, l, 10);
    }
}

void chan_forget_route(struct link *l) {
    l->route = LINK_ROUTE_UNKNOWN; /* serial and count stay: the same route may come back */
    l->relayed = 0;
}

/* A sender waiting for credit looks at its grant at least this often: the receiver wakes
 * waiters one at a time (chan_routes_regrant), and a turn spent on a sender that gave up at the
 * same moment must not leave the others asleep while the queue has room. */
#define CHAN_CREDIT_SLICE_MS 50

/* Waits outside the lock for the route's credit. Returns 0 when there is credit, else
 * MACH_SEND_TIMED_OUT, or 1 when the route went away meanwhile (relay). */
static int wait_credit(struct ipc_port *proxy, uint32_t h, struct chan **cp, const struct timespec *deadline) {
    for (;;) {
        struct link *l;
        struct chan *c = route_chan(proxy, h, &l);
        if (!c)
            return 1;
        *cp = c;
        if (chan_credit_ok(&c->end, l->route_slot, l->route_sent))
            return 0;
        int left = deadline ? ipc_ms_until(deadline) : -1;
        if (left == 0)
            return MACH_SEND_TIMED_OUT;
        wait_grant(proxy, c, l, left < 0 || left > CHAN_CREDIT_SLICE_MS ? CHAN_CREDIT_SLICE_MS : left);
    }
}

bool chan_try_send(struct ipc_port *proxy, struct ipc_kmsg *kmsg, mach_msg_option_t option,
                   mach_msg_timeout_t timeout, mach_msg_return_t *mr) {
    uint32_t h = (uint32_t)proxy->transport_handle;
    struct link *l = machd_link_get(h);
    /* Not while deliveries to a receive right we moved are forwarded: they and MOVED_DONE go
     * through machd, which orders them before what it held back meanwhile. */
    if (!chan_enabled() || !l || l->port != proxy || kmsg->remote_type != MACH_MSG_TYPE_PORT_SEND ||
        l->awaiting_moved)
        return false;
    while (l->route == LINK_ROUTE_ASKING && !(option & MACH_SEND_ALWAYS)) { /* no overtaking */
        struct ipc_waiter *w = ipc_waiter_self();
        waitq_push(&T.route_waiters, w);
        ipc_sleep(w, NULL);
        waitq_remove(w);
        l = machd_link_get(h);
        if (!l || l->port != proxy || proxy->transport != &machd_ops)
            return false;
    }
    if (l->route == LINK_ROUTE_NONE || l->route == LINK_ROUTE_ASKING)
        return false;
    if (l->route == LINK_ROUTE_UNKNOWN) {
        /* The first message is relayed, no route asked; not after a route we had: it may still
         * exist at machd and the receiver, and a relayed message could then be overtaken. */
        if ((option & MACH_SEND_ALWAYS) || (l->route_serial == 0 && l->relayed++ == 0))
            return false;
        ask_route(proxy, l, h);
        if (!wait_activation(proxy, h))
            return false;
        l = machd_link_get(h);
        if (!l || l->port != proxy || proxy->transport != &machd_ops || l->route != LINK_ROUTE_SET)
            return false;
    }
    struct timespec deadline;
    if (option & MACH_SEND_TIMEOUT)
        ipc_deadline_after_ms(&deadline, timeout);
    const struct timespec *dl = (option & MACH_SEND_TIMEOUT) ? &deadline : NULL;
    struct chan *c = NULL;
    if (option & MACH_SEND_ALWAYS) {
        /* The core's own sends may not let the lock go: an active route with ring room, or the
         * relay (order is not promised for forwarded messages and notifications). */
        c = chan_find(l->route_chan);
        if (c && (!chan_route_active(&c->end, l->route_slot, l->route_serial) ||
                  !chan_has_room(&c->end, record_body_len(kmsg))))
            return false;
    } else {
        int rc = wait_credit(proxy, h, &c, dl);
        if (rc == MACH_SEND_TIMED_OUT) {
            *mr = MACH_SEND_TIMED_OUT;
            return true;
        }
        if (rc)
            c = NULL;
    }
    l = machd_link_get(h);
    if (!c || !l || l->port != proxy || l->route != LINK_ROUTE_SET)
        return false;
    uint32_t slot = l->route_slot;
    *mr = put_message(c, kmsg, 0, slot, dl);
    if (*mr == MACH_MSG_SUCCESS && (l = machd_link_get(h)) != NULL)
        l->route_sent++;
    return true;
}
