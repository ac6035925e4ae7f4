/* Direct channels: a reply right that came on a channel leaves the process (docs/machd.md 9.6).
 * The send-once right a server holds for a request that came whole in a ring record is a proxy
 * of the requester's token; it means something on that channel only. When a message carrying
 * one leaves the process (to a third task, or as the reply port of a request), the server claims
 * the token through machd (TOKEN_CLAIM): the requester's runtime retires it and gives machd the
 * send-once right to its reply port (TOKEN_GRANT), which machd moves to the server; the message
 * then carries that right like any other. Each token yields one message at most: the proxy is
 * taken out of the channel before the claim goes, the requester takes the token out of its table
 * before it grants. Claims only happen when such a right leaves the process: the RPC path pays
 * one pointer test per message. IPC lock held in every call. */
#include <string.h>

#include <mach/kern_return.h>

#include "transport/transport_chan.h"
#include "transport/transport_machd_internal.h"

static bool is_token_right(const struct ipc_port *port) {
    return IPC_PORT_VALID(port) && port->transport == &chan_once_ops;
}

bool chan_carries_tokens(const struct ipc_kmsg *kmsg) {
    if (is_token_right(kmsg->local))
        return true;
    for (uint32_t i = 0; i < kmsg->ndesc; i++) {
        const struct kmsg_desc *d = &kmsg->desc[i];
        if ((d->type == MACH_MSG_PORT_DESCRIPTOR || d->type == MACH_MSG_GUARDED_PORT_DESCRIPTOR) &&
            is_token_right(d->port))
            return true;
        if (d->type == MACH_MSG_OOL_PORTS_DESCRIPTOR)
            for (uint32_t j = 0; j < d->count; j++)
                if (is_token_right(d->ports[j]))
                    return true;
    }
    return false;
}

/* Destroys the token right `proxy` (the message's reference) as an unused send-once right: its
 * DROP_ONCE goes on the ring and the requester makes the send-once notification. */
static struct ipc_port *destroy_token_right(struct ipc_port *proxy) {
    port_destroy_send_once(proxy);
    return IPC_PORT_DEAD;
}

/* Lets a retired token proxy go without a word to the peer: the message's send-once right and
 * the channel map's reference. */
static void retire_quietly(struct ipc_port *proxy) {
    port_release_send_once(proxy);
    port_release(proxy);
}

/* The machd send-once right that replaces the token right `proxy` (the message's reference to
 * it), or IPC_PORT_DEAD when there is none to be had. Lets the IPC lock go while machd asks the
 * requester. */
static struct ipc_port *claim_one(struct ipc_port *proxy, bool may_wait) {
    uint32_t chan_id = (uint32_t)(proxy->transport_handle >> 32), token = (uint32_t)proxy->transport_handle;
    struct chan *c = chan_find(chan_id);
    if (!c || !may_wait || handle_map_get(&c->proxies, token) != proxy)
        return destroy_token_right(proxy);
    /* Retired before anything is asked: the channel's drop cannot kill it, and no reply can go
     * on it any more; the map's reference is ours now. */
    handle_map_remove(&c->proxies, token);
    struct machd_msg m;
    memset(&m, 0, sizeof m);
    m.type = MACHD_TOKEN_CLAIM;
    m.u.token_claim.channel = chan_id;
    m.u.token_claim.token = token;
    struct waiter w;
    ipc_unlock();
    uint32_t status = machd_request_once(&m, &w);
    ipc_lock();
    chan_stat_add(&chan_stats.claims);
    if (status == KERN_SUCCESS && IPC_PORT_VALID(w.port)) {
        retire_quietly(proxy);
        return w.port;
    }
    if (status == KERN_RESOURCE_SHORTAGE || status == KERN_INVALID_ARGUMENT) {
        /* machd did not ask the requester: the right is destroyed here, on the ring, if the
         * channel is still there (else its drop made the notification on the other side). */
        c = chan_find(chan_id);
        if (c && !handle_map_get(&c->proxies, token) && handle_map_put(&c->proxies, token, proxy))
            return destroy_token_right(proxy);
    }
    /* The requester was asked (or is gone with its channel): it owns the outcome. */
    retire_quietly(proxy);
    return IPC_PORT_DEAD;
}

void chan_claim_tokens(struct ipc_kmsg *kmsg, mach_msg_option_t option) {
    bool may_wait = !(option & MACH_SEND_ALWAYS);
    if (is_token_right(kmsg->local))
        kmsg->local = claim_one(kmsg->local, may_wait);
    for (uint32_t i = 0; i < kmsg->ndesc; i++) {
        struct kmsg_desc *d = &kmsg->desc[i];
        if ((d->type == MACH_MSG_PORT_DESCRIPTOR || d->type == MACH_MSG_GUARDED_PORT_DESCRIPTOR) &&
            is_token_right(d->port))
            d->port = claim_one(d->port, may_wait);
        if (d->type == MACH_MSG_OOL_PORTS_DESCRIPTOR)
            for (uint32_t j = 0; j < d->count; j++)
                if (is_token_right(d->ports[j]))
                    d->ports[j] = claim_one(d->ports[j], may_wait);
    }
}

void chan_token_claimed(uint32_t channel, uint32_t token, uint32_t claim) {
    struct chan *c = chan_find(channel);
    struct ipc_port *port = c ? chan_token_take(c, token) : NULL;
    struct machd_msg m;
    memset(&m, 0, sizeof m);
    m.type = MACHD_TOKEN_GRANT;
    m.u.token_grant.claim = claim;
    m.u.token_grant.status = KERN_INVALID_NAME; /* not a token of ours on that channel (now) */
    m.u.token_grant.right = (struct machd_right){MACHD_HANDLE_NULL, MACHD_DISP_NONE, 0};
    struct pending_right pr;
    bool gives = port && port->active && !port->transport &&
                 machd_encode_right(port, MACH_MSG_TYPE_PORT_SEND_ONCE, &m.u.token_grant.right, &pr, NULL);
    if (gives)
        m.u.token_grant.status = KERN_SUCCESS;
    else
        m.u.token_grant.right = (struct machd_right){MACHD_HANDLE_NULL, MACHD_DISP_NONE, 0};
    int err = machd_write(&m);
    if (gives && !err) {
        machd_finish_right(&pr); /* machd holds the send-once right now */
        struct link *l = (m.u.token_grant.right.flags & MACHD_RIGHT_NEW) ? machd_link_get(m.u.token_grant.right.name) : NULL;
        if (l && !l->port->transport) /* exported now: machd learns its room, as for any export */
            machd_announce_room(m.u.token_grant.right.name, &l->rx, l->port);
        chan_stat_add(&chan_stats.grants);
    } else if (port) {
        port_destroy_send_once(port); /* not given: the notification is made here */
    }
}
