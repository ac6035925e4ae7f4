/* Direct channels, the consumer (docs/machd.md 9.3): ring records become local messages. A
 * record is hostile input (wire/chan_ring.c checks its shape; here its meaning): a route slot
 * machd did not give the peer, a token we did not issue, a ticket out of order drop the channel.
 * Records wait in the ring (the channel is parked) while a route or a ticket is still on its way
 * through machd, or while the port's queue is over its limit by more than the peer may push.
 * IPC lock held. */
#include <stdlib.h>
#include <string.h>

#include "transport/transport_chan.h"
#include "transport/transport_machd_internal.h"

/* Messages a route may put on a port past its queue limit before the ring waits: senders honour
 * the credit they are granted, so only MACH_SEND_ALWAYS (forwarding) and several peers sharing
 * one port's room get here. */
#define CHAN_OVERSHOOT 64u

/* One record's body, copied out of the ring (the reader only, under the IPC lock). */
static uint8_t body_buf[CHAN_MAX_BODY];

/* The count of messages r's sender may have sent: what we took from it plus the room in the
 * port's queue, as machd is told; a port that moved away forwards what comes, as fast as it
 * comes. */
static uint32_t grant_for(const struct chan_route *r) {
    if (!r->port->transport)
        return r->delivered + flow_rx_room(r->port);
    return r->delivered + CHAN_OVERSHOOT;
}

static void grant(struct chan_route *r) {
    if (!r->port)
        return;
    r->granted = grant_for(r);
    if (chan_grant(&r->chan->end, r->slot, r->granted))
        chan_stat_add(&chan_stats.credit_wakes);
}

/* Wakes up to `count` senders waiting for credit on the routes (one per route), taking turns
 * from *turn (the index after the last one woken). */
static void wake_senders(struct chan_route *routes, uint32_t n, uint32_t *turn, uint32_t count) {
    uint32_t start = *turn % n, woken = 0;
    for (int pass = 0; pass < 2 && woken < count; pass++) {
        uint32_t i = 0;
        for (struct chan_route *r = routes; r && woken < count; r = r->next_on_link, i++)
            if ((pass == 0) == (i >= start) && chan_credit_wake_one(&r->chan->end, r->slot)) {
                chan_stat_add(&chan_stats.credit_wakes);
                *turn = i + 1;
                woken++;
            }
    }
}

/* Blocked senders cost one wait and one wake each (docs/machd.md 9.3, "Queue limits"): every
 * grant moves quietly, and a message taken from the queue wakes one waiting sender (as many as
 * there is room when the queue is empty), in turn over the routes. Waking every waiter for each
 * message taken made them all run, most to find the room gone and sleep again (10 futex calls
 * per RPC with 16 clients at the default limit). A waiter not yet asleep sees its grant move;
 * one asleep whose turn was spent on a sender that gave up meanwhile looks again after
 * CHAN_CREDIT_SLICE_MS (transport_chan_send.c). */
void chan_routes_regrant(struct chan_route *routes, uint32_t *turn) {
    uint32_t n = 0;
    for (struct chan_route *r = routes; r; r = r->next_on_link, n++) {
        uint32_t granted = r->port ? grant_for(r) : r->granted;
        if (granted != r->granted) { /* a store to a peer's mapping costs a cache miss: only changes */
            r->granted = granted;
            chan_grant_quiet(&r->chan->end, r->slot, granted);
        }
        if (r->chan->parked && !r->chan->unpark) {
            r->chan->unpark = true;
            chan_nudge();
        }
    }
    struct ipc_port *port = routes ? routes->port : NULL;
    if (n == 0 || !port || port->transport)
        return;
    uint32_t room = flow_rx_room(port);
    if (room > 0)
        wake_senders(routes, n, turn, port->msgcount == 0 ? room : 1);
}

void chan_route_add(uint32_t channel, uint32_t slot, uint32_t handle, uint32_t serial) {
    struct chan *c = chan_find(channel);
    struct link *l = machd_link_get(handle);
    if (!c || slot >= CHAN_SLOTS)
        return;
    struct chan_route *r = &c->routes[slot];
    chan_route_release(r); /* machd reuses a slot only after ROUTE_DEL: nothing to release */
    if (!l || l->port->transport) /* not a receive right of ours (any more): refuse its records */
        return;
    *r = (struct chan_route){.port = l->port, .handle = handle, .chan = c, .slot = slot, .serial = serial};
    port_copy_send(l->port);
    r->next_on_link = l->routes;
    l->routes = r;
    chan_route_activate(&c->end, slot, serial); /* the sender may write on the slot now */
    grant(r);
    if (c->parked) /* records for this slot may be waiting */
        chan_drain(c);
}

void chan_route_release(struct chan_route *r) {
    if (!r->port)
        return;
    struct link *l = machd_link_get(r->handle);
    if (l && l->port == r->port)
        for (struct chan_route **p = &l->routes; *p; p = &(*p)->next_on_link)
            if (*p == r) {
                *p = r->next_on_link;
                break;
            }
    struct ipc_port *port = r->port;
    if (!r->chan->child_copy) { /* the slot is no one's: a later route starts from nothing */
        chan_route_activate(&r->chan->end, r->slot, 0);
        chan_grant(&r->chan->end, r->slot, 0);
    }
    *r = (struct chan_route){0};
    port_release_send(port);
}

void chan_route_del(uint32_t channel, uint32_t slot) {
    struct chan *c = chan_find(channel);
    if (!c || slot >= CHAN_SLOTS)
        return;
    chan_drain(c); /* what the peer sent before it let go of its right is delivered first */
    if (!c->dropped) /* (a drain that drops c leaves it readable: see take_down) */
        chan_route_release(&c->routes[slot]);
}

void chan_ticket_arrived(uint32_t channel, uint32_t number, struct ipc_kmsg *kmsg) {
    struct chan *c = chan_find(channel);
    struct chan_ticket *t = c && c->ntickets < CHAN_MAX_TICKETS ? malloc(sizeof *t) : NULL;
    if (!t) {
        kmsg_destroy(kmsg); /* a ticket on a channel we dropped (or a flood): its rights go */
        if (c)
            chan_drop(c, true);
        return;
    }
    *t = (struct chan_ticket){kmsg, number, NULL};
    if (c->tickets_tail)
        c->tickets_tail->next = t;
    else
        c->tickets = t;
    c->tickets_tail = t;
    c->ntickets++;
    if (c->parked)
        chan_drain(c);
}

/* The ticket for a record (its number), the oldest one here (the caller saw one is); NULL when
 * it is another: one is missing or the number went backwards, the peer is hostile. */
static struct ipc_kmsg *take_ticket(struct chan *c, uint64_t number) {
    struct chan_ticket *t = c->tickets;
    if (t->number != (uint32_t)number)
        return NULL;
    c->tickets = t->next;
    if (!c->tickets)
        c->tickets_tail = NULL;
    c->ntickets--;
    struct ipc_kmsg *kmsg = t->kmsg;
    free(t);
    return kmsg;
}

/* A send-once token of the peer's, as a proxy holding the send-once right (the reply right of a
 * message that came on c). NULL when the token is in use already (hostile) or out of memory. */
static struct ipc_port *token_proxy(struct chan *c, uint32_t token) {
    /* A peer's token is at most CHAN_MAX_TOKENS (its table's size): larger ones are hostile, and
     * 0xffffffff is the map's tombstone key, which the map cannot hold (a proxy put under it was
     * overwritten and leaked; found by fuzz_chan_records). */
    if (token == 0 || token > CHAN_MAX_TOKENS || handle_map_get(&c->proxies, token))
        return NULL;
    struct ipc_port *proxy = transport_proxy_create(&chan_once_ops, (uint64_t)c->id << 32 | token);
    if (!proxy)
        return NULL;
    if (!handle_map_put(&c->proxies, token, proxy)) {
        port_release(proxy);
        return NULL;
    }
    port_make_send_once(proxy);
    return proxy;
}

/* Queues kmsg on its destination, or forwards it when the receive right has moved away (its port
 * is a proxy now): on a send right, as queued messages follow a moved port. */
static void deliver(struct ipc_kmsg *kmsg) {
    struct ipc_port *dest = kmsg->remote;
    if (!dest->transport) {
        transport_deliver(kmsg);
        return;
    }
    if (kmsg->remote_type == MACH_MSG_TYPE_PORT_SEND_ONCE) {
        dest->sorights--;
        dest->srights++;
        kmsg->remote_type = MACH_MSG_TYPE_PORT_SEND;
    }
    if (dest->transport->send(dest, kmsg, MACH_SEND_ALWAYS, 0) != MACH_MSG_SUCCESS)
        kmsg_destroy(kmsg);
}

/* What the next record is for: a route's port (a send right made for the message) or a token's
 * reply port (its send-once right, taken). Returns 0 ok, 1 wait (park), -1 hostile. */
static int resolve_dest(struct chan *c, const struct chan_record *rec, struct ipc_port **dest,
                        mach_msg_type_name_t *type, struct chan_route **route) {
    *route = NULL;
    if (rec->flags & CHAN_MSG_DEST_ONCE) {
        *dest = chan_token_take(c, rec->dest);
        *type = MACH_MSG_TYPE_PORT_SEND_ONCE;
        return *dest ? 0 : -1;
    }
    if (rec->dest >= CHAN_SLOTS)
        return -1;
    struct chan_route *r = &c->routes[rec->dest];
    if (!r->port)
        return 1; /* its ROUTE_ADD is still on its way through machd */
    if (!r->port->transport && r->port->active && r->port->msgcount >= r->port->qlimit + CHAN_OVERSHOOT)
        return 1;
    *route = r;
    *dest = r->port;
    *type = MACH_MSG_TYPE_PORT_SEND;
    return 0;
}

/* One MSG record (already peeked into rec and body_buf). 0 taken, 1 wait, -1 hostile. */
static int take_message(struct chan *c, const struct chan_record *rec) {
    struct ipc_port *dest = NULL; /* set by resolve_dest (gcc -O2 cannot see it) */
    mach_msg_type_name_t type = 0;
    struct chan_route *route = NULL;
    bool ticket = (rec->flags & CHAN_MSG_TICKET) != 0;
    if (ticket && (rec->body_len || rec->reply || (rec->flags & CHAN_MSG_OOL)))
        return -1;
    if (ticket && !c->tickets)
        return 1; /* before taking the destination: nothing is taken while we wait */
    if (!(rec->flags & CHAN_MSG_DEST_ONCE)) {
        int rc = resolve_dest(c, rec, &dest, &type, &route);
        if (rc)
            return rc;
    }
    struct ipc_kmsg *kmsg;
    if (ticket) {
        kmsg = take_ticket(c, rec->ticket);
        if (!kmsg)
            return -1;
        kmsg->id = rec->msgh_id;
    } else {
        if (rec->flags & CHAN_MSG_OOL) { /* with out-of-line memory (9.5) */
            int rc = chan_ool_take(c, rec, body_buf, &kmsg);
            if (rc)
                return rc;
        } else {
            kmsg = kmsg_alloc((mach_msg_size_t)(sizeof(mach_msg_header_t) + rec->body_len), 0);
            if (!kmsg)
                return 1; /* out of memory: try again later */
            memset(kmsg->data, 0, sizeof(mach_msg_header_t));
            memcpy(kmsg->data + sizeof(mach_msg_header_t), body_buf, rec->body_len);
        }
        kmsg->id = rec->msgh_id;
        machd_fill_audit(kmsg, &c->peer);
        if (rec->reply) {
            kmsg->local = token_proxy(c, rec->reply);
            kmsg->local_type = MACH_MSG_TYPE_PORT_SEND_ONCE;
            if (!kmsg->local) {
                kmsg_destroy(kmsg); /* its regions too (no rights in it) */
                return -1;
            }
        }
    }
    if (rec->flags & CHAN_MSG_DEST_ONCE) {
        if (resolve_dest(c, rec, &dest, &type, &route) != 0) {
            kmsg_destroy(kmsg);
            return -1;
        }
    } else {
        port_copy_send(dest);
        route->delivered++;
    }
    kmsg->remote = dest;
    kmsg->remote_type = type;
    chan_consume(&c->end);
    chan_stat_add(&chan_stats.received);
    deliver(kmsg);
    return 0;
}

/* The records of c, the one loop (chan_drain). */
static void drain_records(struct chan *c) {
    struct chan_record rec;
    while (!c->dropped) {
        enum chan_status st = chan_peek(&c->end, &rec, body_buf, sizeof body_buf);
        if (st == CHAN_EMPTY) {
            c->parked = false;
            return;
        }
        int rc = st == CHAN_OK ? 0 : -1;
        if (rc == 0 && rec.kind == CHAN_REC_DROP_ONCE) {
            struct ipc_port *port = chan_token_take(c, rec.dest);
            if (port) {
                chan_consume(&c->end);
                port_destroy_send_once(port); /* the send-once notification, from "the kernel" */
            } else {
                rc = -1;
            }
        } else if (rc == 0) {
            rc = take_message(c, &rec);
        }
        if (rc > 0) {
            c->parked = true;
            return;
        }
        if (rc < 0) {
            chan_drop(c, true);
            return;
        }
    }
}

void chan_drain(struct chan *c) {
    c->unpark = false;
    /* Taking a record may drop c under us: a message refused with the peer's reply token in it
     * is destroyed, its send-once right becomes a DROP_ONCE for the peer, and a tail the peer
     * broke drops the channel there. drain_records stops at `dropped`; c itself is only freed
     * between the reader's waits (take_down, chan_reap). */
    drain_records(c);
}
