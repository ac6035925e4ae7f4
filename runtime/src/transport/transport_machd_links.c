/* The machd transport's rights bookkeeping: what this process knows per machd handle (the link
 * table), exporting local ports, turning rights into right items and back, what becomes of local
 * rights once a message is out (a receive right that leaves turns its port into a proxy), machd's
 * port events, forgetting everything when machd is gone, and the room announcements deferred per
 * link. IPC lock held throughout. */
#include <stdlib.h>
#include <string.h>

#include "api/fileport_internal.h"
#include "ipc/ipc.h"
#include "transport/transport_chan.h"
#include "transport/transport_machd_internal.h"
#include "transport/transport_machd_names.h"

_Static_assert(MACHD_DISP_MOVE_RECEIVE == MACH_MSG_TYPE_MOVE_RECEIVE, "dispositions match Mach");
_Static_assert(MACHD_DISP_MOVE_SEND == MACH_MSG_TYPE_PORT_SEND, "dispositions match Mach");
_Static_assert(MACHD_DISP_MOVE_SEND_ONCE == MACH_MSG_TYPE_PORT_SEND_ONCE, "dispositions match Mach");
_Static_assert(MACHD_DISP_COPY_SEND == MACH_MSG_TYPE_COPY_SEND, "dispositions match Mach");
_Static_assert(MACHD_DISP_MAKE_SEND == MACH_MSG_TYPE_MAKE_SEND, "dispositions match Mach");
_Static_assert(MACHD_DISP_MAKE_SEND_ONCE == MACH_MSG_TYPE_MAKE_SEND_ONCE, "dispositions match Mach");

/* A deferred announcement still wanted: its link, its handle in *h; NULL when none is left
 * (IPC lock held). A port that went away or moved meanwhile is skipped. */
static struct link *credit_next(uint32_t *h) {
    while (flow_deferred_pop(&T.credits, h)) {
        struct link *l = handle_map_get(&T.links, *h);
        if (!l || !l->rx.deferred || l->port->transport || l->port->export_handle != *h)
            continue;
        if (flow_rx_due(&l->rx, l->port))
            return l;
        l->rx.deferred = false;
    }
    return NULL;
}

/* One deferred announcement rides on the MSG_SEND being built (IPC lock held). */
void machd_credit_attach(struct machd_msg *m) {
    uint32_t h;
    struct link *l = credit_next(&h);
    if (!l)
        return;
    m->u.send.flags |= MACHD_SEND_CREDIT;
    m->u.send.credit.name = h;
    m->u.send.credit.seen = l->rx.seen;
    m->u.send.credit.room = flow_rx_room(l->port);
    flow_rx_said(&l->rx, m->u.send.credit.room);
}

/* The MSG_SEND that carried a credit was not written: the credit goes alone (IPC lock held). */
void machd_credit_unattach(const struct machd_msg *m) {
    struct link *l = (m->u.send.flags & MACHD_SEND_CREDIT) ? handle_map_get(&T.links, m->u.send.credit.name) : NULL;
    if (l)
        machd_announce_room(m->u.send.credit.name, &l->rx, l->port);
}

/* A thread is about to sleep: deferred announcements go out on their own (IPC lock held). */
void machd_credits_flush(void) {
    uint32_t h;
    for (struct link *l; (l = credit_next(&h)) != NULL;)
        machd_announce_room(h, &l->rx, l->port);
}

/* ---- the handle table (IPC lock held) ---- */

struct link *machd_link_get(uint32_t handle) { return handle_map_get(&T.links, handle); }

static struct link *link_add(uint32_t handle, struct ipc_port *port) {
    struct link *l = calloc(1, sizeof *l);
    if (!l || !handle_map_put(&T.links, handle, l)) {
        free(l);
        return NULL;
    }
    port_reference(port);
    l->port = port;
    return l;
}

void machd_link_drop(uint32_t handle) {
    struct link *l = machd_link_get(handle);
    if (!l)
        return;
    handle_map_remove(&T.links, handle);
    struct ipc_port *port = l->port;
    free(l);
    if (port->transport == &machd_ops)
        fileport_detach(port); /* a remote fileport's descriptor goes with its handle */
    port_release(port);
}

/* The handle for a local port, exported now (NEW) if machd does not know it yet. */
static bool export_handle(struct ipc_port *port, struct machd_right *item) {
    if (port->export_handle == 0) {
        uint32_t h = MACHD_HANDLE_TASK_BIT | ++T.next_export;
        struct link *l = link_add(h, port);
        if (!l)
            return false;
        flow_rx_reset(&l->rx);
        port->export_handle = h;
        item->flags = MACHD_RIGHT_NEW;
    }
    item->name = port->export_handle;
    return true;
}

/* TEST ONLY (tests/fuzz/fuzz_chan_records.c): exports local port as machd_encode_right would
 * when a right to it first leaves in a message, without machd (the transport need not be
 * connected), and installs the export ops so that the port's death forgets the handle. Returns
 * the handle, 0 when port is not a local port or out of memory. Never called by libmach. */
uint32_t machd_link_for_test(struct ipc_port *port) {
    struct machd_right item;
    if (!port || port == IPC_PORT_DEAD || port->transport || !export_handle(port, &item))
        return 0;
    transport_set_export_ops(&machd_export_ops);
    return port->export_handle;
}

/* Turns one right held by the message (port reference + type) into a right item. */
bool machd_encode_right(struct ipc_port *port, mach_msg_type_name_t type, struct machd_right *item,
                         struct pending_right *pr, int *fd_out) {
    *item = (struct machd_right){MACHD_HANDLE_NULL, (uint8_t)type, 0};
    *pr = (struct pending_right){port, AFTER_NOTHING, NULL};
    if (fd_out)
        *fd_out = -1;
    if (!port)
        return true;
    if (port == IPC_PORT_DEAD) {
        item->name = MACHD_HANDLE_DEAD;
        return true;
    }
    if (fileport_is(port) && (!fd_out || type != MACH_MSG_TYPE_PORT_SEND))
        return false; /* fileports travel as send rights in message bodies, with their descriptor */
    if (port->transport == &machd_ops) { /* a right to another task's port: pass ours on */
        item->name = (uint32_t)port->transport_handle;
        if (type == MACH_MSG_TYPE_PORT_SEND) {
            item->disposition = MACHD_DISP_COPY_SEND;
            pr->after = AFTER_RELEASE_SEND;
        } else {
            item->disposition = MACHD_DISP_MOVE_SEND_ONCE;
            pr->after = AFTER_DROP_ONCE_PROXY;
        }
        return type != MACH_MSG_TYPE_PORT_RECEIVE;
    }
    if (port->transport)
        return false; /* some other transport's proxy */
    if (!export_handle(port, item))
        return false;
    struct link *l = machd_link_get(item->name);
    if (fileport_is(port) && (item->flags & MACHD_RIGHT_NEW)) {
        /* Exported now: machd keeps a duplicate of its descriptor from this message on. */
        *fd_out = fileport_fd(port);
        item->flags |= MACHD_RIGHT_FILEPORT;
        if (*fd_out < 0) {
            machd_unexport(item->name, l);
            return false;
        }
    }
    switch (type) {
    case MACH_MSG_TYPE_PORT_SEND:
        item->disposition = MACHD_DISP_MAKE_SEND;
        l->makes++;
        if (!l->remote_senders) {
            l->remote_senders = true;
            transport_remote_senders(port, 1);
        }
        pr->after = AFTER_RELEASE_SEND;
        return true;
    case MACH_MSG_TYPE_PORT_SEND_ONCE:
        item->disposition = MACHD_DISP_MAKE_SEND_ONCE;
        l->remote_once++;
        pr->after = AFTER_RELEASE_ONCE;
        return true;
    default: /* PORT_RECEIVE: leaves the process */
        item->disposition = MACHD_DISP_MOVE_RECEIVE;
        pr->after = AFTER_RELEASE_RECEIVE;
        /* Local senders, queued messages, and deliveries machd sent before it sees this move
         * (until it says MOVED) will need a send right of ours through machd, made from the
         * receive right before it leaves: by MOD_REFS if machd knows the port, else in this very
         * message (KEEP_SEND with the NEW export). */
        if (item->flags & MACHD_RIGHT_NEW)
            item->flags |= MACHD_RIGHT_KEEP_SEND;
        else
            machd_tell_mod_refs(item->name, MACHD_RIGHT_SEND, 1);
        l->makes++;
        l->keeps_send = true;
        return true;
    }
}

/* A receive right moved to another task: local send rights keep working through machd (the
 * port becomes a proxy of its own handle; machd gave us a send right for it first), and
 * messages still queued here follow the port, in order. */
static void become_proxy(struct ipc_port *port) {
    uint32_t h = port->export_handle;
    struct link *l = machd_link_get(h);
    if (l && l->remote_senders) {
        l->remote_senders = false;
        port->remote_senders = 0;
    }
    port->export_handle = 0;
    bool via_machd = l && l->keeps_send;
    if (via_machd) {
        port->transport = &machd_ops;
        port->transport_handle = h;
        l->keeps_send = false;
        /* Before forwarding the queue: the last forwarded message's send right must not take
         * the link (and our send right at machd) with it while deliveries may still come. */
        l->awaiting_moved = true;
    } else if (port->srights || port->msgcount) {
        port->active = false; /* no link (out of memory exporting): local names become dead */
    }
    /* They travel through the send right we kept: one sent on a send-once right goes on a send
     * right (machd holds no send-once right of ours to give) and arrives as sent with one. All
     * are converted first, so the send rights they hold keep ours alive until the last. */
    for (struct ipc_kmsg *k = via_machd ? port->q_head : NULL; k; k = k->next)
        if (k->remote_type == MACH_MSG_TYPE_PORT_SEND_ONCE) {
            port->sorights--;
            port->srights++;
            k->remote_type = MACH_MSG_TYPE_PORT_SEND;
        }
    for (struct ipc_kmsg *k; (k = port->q_head) != NULL;) {
        port->q_head = k->next;
        if (!port->q_head)
            port->q_tail = NULL;
        port->msgcount--;
        k->next = NULL;
        /* Queued messages follow the port, after the message that moves it. */
        if (via_machd && machd_ops.send(port, k, MACH_SEND_ALWAYS, 0) == MACH_MSG_SUCCESS)
            continue;
        kmsg_destroy(k);
    }
    if (!via_machd)
        machd_link_drop(h); /* via machd, the send right stays until MOVED (machd_moved) */
}

/* A proxy's send right through machd is no longer needed: no local send right is left and no
 * delivery can still come to forward. Tells machd and forgets the handle. */
static void proxy_release_if_unused(uint32_t h, struct link *l) {
    struct ipc_port *proxy = l->port;
    if (l->awaiting_moved || proxy->srights != 0)
        return;
    chan_forget_route(l); /* machd tells the receiver (ROUTE_DEL) once it has our MOD_REFS */
    machd_tell_mod_refs(h, MACHD_RIGHT_SEND, -1);
    if (proxy->sorights == 0)
        machd_link_drop(h);
}

void machd_moved(uint32_t h) {
    struct link *l = machd_link_get(h);
    if (!l || !l->awaiting_moved)
        return;
    l->awaiting_moved = false;
    /* Everything machd sent us for the port came before MOVED and is forwarded by now: machd
     * may give the new receiver what it held back meanwhile (before our send right goes). */
    machd_tell_moved_done(h);
    if (l->port->transport == &machd_ops) /* else the right came back here meanwhile */
        proxy_release_if_unused(h, l);
}

void machd_finish_right(const struct pending_right *pr) {
    if (pr->pd_of)
        pr->pd_of->pdrequest = NULL; /* its send-once right is released below */
    switch (pr->after) {
    case AFTER_NOTHING:
        break;
    case AFTER_RELEASE_SEND:
        /* The last local send right of a fileport machd knows moved out: its file is in other
         * processes now, so this one closes its own duplicate (a moved descriptor). */
        if (fileport_is(pr->port) && !pr->port->transport && pr->port->export_handle && pr->port->srights == 1)
            fileport_drop_fd(pr->port);
        port_release_send(pr->port);
        break;
    case AFTER_RELEASE_ONCE:
        port_release_send_once(pr->port);
        break;
    case AFTER_DROP_ONCE_PROXY: {
        uint32_t h = (uint32_t)pr->port->transport_handle;
        port_release_send_once(pr->port);
        machd_link_drop(h);
        break;
    }
    case AFTER_RELEASE_RECEIVE: /* done by the caller, after the scratch is no longer used */
        break;
    }
}

/* The receive rights a written message moved out, handled once `pending` is free again
 * (forwarding queued messages sends through machd_send, which reuses it). */
void machd_finish_moves(struct ipc_port **moved, size_t n) {
    for (size_t i = 0; i < n; i++) {
        become_proxy(moved[i]);
        port_release(moved[i]); /* the receive right's reference */
    }
    free(moved);
}

/* ops.proxy_released: no local send right to a proxy is left; tell machd. IPC lock held. */
void machd_proxy_released(struct ipc_port *proxy) {
    uint32_t h = (uint32_t)proxy->transport_handle;
    struct link *l = machd_link_get(h);
    if (l && l->port == proxy) {
        proxy_release_if_unused(h, l);
        return;
    }
    machd_tell_mod_refs(h, MACHD_RIGHT_SEND, -1);
    if (proxy->sorights == 0)
        machd_link_drop(h);
}

/* The receive right of an exported local port died here: machd kills the port for everyone
 * (dead names, send-once and port-destroyed handling, bootstrap names). IPC lock held. */
static void machd_export_died(struct ipc_port *port) {
    machd_names_forget_port(port);
    uint32_t h = port->export_handle;
    port->export_handle = 0;
    machd_tell_mod_refs(h, MACHD_RIGHT_RECEIVE, -1);
    machd_link_drop(h);
}

/* A message was received from an exported port (or its limit changed): machd may let more
 * senders in. IPC lock held. */
static void machd_export_queue_changed(struct ipc_port *port) {
    struct link *l = machd_link_get(port->export_handle);
    if (l && l->port == port && l->routes)
        chan_routes_regrant(l->routes, &l->routes_turn); /* peers sending on direct channels */
    if (!l || l->port != port || !flow_rx_due(&l->rx, port))
        return;
    /* Not urgent: the next MSG_SEND (an RPC server's reply) carries it, or it goes alone
     * before a thread of ours sleeps (machd_credits_flush). */
    if (!flow_rx_urgent(&l->rx, port) && (l->rx.deferred || flow_deferred_push(&T.credits, port->export_handle)))
        l->rx.deferred = true;
    else
        machd_announce_room(port->export_handle, &l->rx, port);
}

/* The receive right of an exported port is being destroyed here while machd holds a
 * port-destroyed request for it: the right is not destroyed but handed to machd, which sends it
 * to the request's notify port (docs/machd.md 4). Local send rights and queued messages follow
 * it as when it moves in a message (become_proxy); if the notify port is dead, machd destroys
 * the port and they become dead names. Returns false when there is no such request (the port
 * dies here as usual). IPC lock held; the caller has detached the receive right. */
static bool machd_export_receive_destroyed(struct ipc_port *port) {
    uint32_t h = port->export_handle;
    struct link *l = machd_link_get(h);
    if (!T.up || !l || l->port != port || !l->pd_at_machd)
        return false;
    if (port->srights || port->msgcount) {
        machd_tell_mod_refs(h, MACHD_RIGHT_SEND, 1);
        l->makes++;
        l->keeps_send = true;
    }
    machd_tell_mod_refs(h, MACHD_RIGHT_RECEIVE, -1);
    become_proxy(port);
    port_release(port); /* the receive right's reference */
    return true;
}

const struct ipc_transport_ops machd_export_ops = {.port_died = machd_export_died,
                                                          .queue_changed = machd_export_queue_changed,
                                                          .receive_destroyed = machd_export_receive_destroyed};

/* Extra send references machd gave for handles we hold already go back in one MOD_REFS per run
 * of the same handle: a message carrying 16,000 send rights to one port costs one datagram, not
 * 16,000. The thread processing a datagram only (IPC lock held); reader_process flushes them
 * when it is done with the datagram. */
static struct {
    uint32_t handle;
    int32_t count;
} send_returns;

void machd_flush_send_returns(void) {
    if (send_returns.count)
        machd_tell_mod_refs(send_returns.handle, MACHD_RIGHT_SEND, -send_returns.count);
    send_returns.count = 0;
}

static void return_send_ref(uint32_t h) {
    if (send_returns.count && send_returns.handle != h)
        machd_flush_send_returns();
    send_returns.handle = h;
    send_returns.count++;
}

/* A right machd gave this task under handle h, as a port reference holding it (IPC lock held). */
struct ipc_port *machd_take_right(uint32_t h, uint8_t type) {
    if (h == MACHD_HANDLE_NULL)
        return NULL;
    if (h == MACHD_HANDLE_DEAD)
        return IPC_PORT_DEAD;
    struct link *l = machd_link_get(h);
    switch (type) {
    case MACHD_DISP_MOVE_SEND:
        if (l) {
            /* One machd reference per handle is enough: the extra one goes back. */
            return_send_ref(h);
            port_copy_send(l->port);
            return l->port;
        }
        break;
    case MACHD_DISP_MOVE_SEND_ONCE:
        break;
    default: /* receive */
        if (l && l->port->transport == &machd_ops) {
            /* We held send rights through machd: the port is local again. */
            struct ipc_port *port = l->port;
            if (port->srights)
                machd_tell_mod_refs(h, MACHD_RIGHT_SEND, -1);
            port->transport = NULL;
            port->transport_handle = 0;
            port->export_handle = h;
            port_reference(port); /* the receive right's reference */
            l->makes = 0; /* machd's make-send count restarted with the move */
            l->pd_at_machd = false;
            l->awaiting_moved = false; /* a MOVED still to come finds the port local: ignored */
            l->queue_full = false;
            flow_rx_reset(&l->rx);
            machd_announce_room(h, &l->rx, port);
            return port;
        }
        if (l)
            return NULL; /* machd never gives a receive right we already hold */
        break;
    }
    struct ipc_port *port;
    if (type == MACHD_DISP_MOVE_RECEIVE) {
        port = port_alloc(); /* its reference is the receive right's */
        if (!port)
            return NULL;
        port->export_handle = h;
    } else {
        port = transport_proxy_create(&machd_ops, h);
        if (!port)
            return NULL;
    }
    struct link *nl = link_add(h, port);
    if (type == MACHD_DISP_MOVE_RECEIVE) {
        /* Other tasks may hold send rights (machd knows): count them until SENDERS_GONE. */
        if (nl) {
            nl->remote_senders = true;
            transport_remote_senders(port, 1);
            flow_rx_reset(&nl->rx);
            machd_announce_room(h, &nl->rx, port);
        }
        return port;
    }
    port_release(port); /* the map's reference stays */
    if (type == MACHD_DISP_MOVE_SEND)
        port_copy_send(port);
    else
        port_make_send_once(port);
    return port;
}

/* A receive right machd delivered with PD_ARMED: machd holds a port-destroyed request for it,
 * which decides what destroying it here does (machd_export_receive_destroyed). */
void machd_note_pd_armed(const struct machd_right *r, struct ipc_port *port) {
    struct link *l = (r->flags & MACHD_RIGHT_PD_ARMED) && IPC_PORT_VALID(port) ? machd_link_get(r->name) : NULL;
    if (l && l->port == port)
        l->pd_at_machd = true;
}

/* Events from machd (IPC lock held). */
void machd_port_dead(uint32_t h) {
    struct link *l = machd_link_get(h);
    if (!l || l->port->transport != &machd_ops)
        return;
    struct ipc_port *proxy = l->port;
    port_reference(proxy);
    bool kept = fileport_localize(proxy); /* another process's fileport lives on here */
    machd_link_drop(h);
    if (!kept)
        transport_proxy_dead(proxy);
    port_release(proxy);
}

void machd_senders_gone(uint32_t h, uint32_t mscount) {
    struct link *l = machd_link_get(h);
    if (!l || l->port->transport || !l->remote_senders)
        return;
    /* A make-send of ours that machd had not seen yet when it counted zero: not gone. */
    if (mscount != l->makes)
        return;
    l->remote_senders = false;
    transport_remote_senders(l->port, -1);
}

/* machd's hint that the port behind our send handle h has no room: ask before sending. */
void machd_queue_full(uint32_t h) {
    struct link *l = machd_link_get(h);
    if (l && l->port->transport == &machd_ops)
        l->queue_full = true;
}

/* Forgets everything this process knew through its connection to machd, as Mach destroys the
 * rights of a space that loses its peers (IPC lock held): proxies become dead names (dead-name
 * notifications fire), exported ports are no longer known and lose their remote senders
 * (no-senders fire), and each send-once right handed out and not used yet becomes a send-once
 * notification (a client waiting for a reply gets MIG_SERVER_DIED, never a hang). */
void machd_forget_links(void) {
    handle_map_walk_begin(&T.links); /* links are dropped during the walk: slots must not move */
    for (size_t i = 0; i < T.links.cap; i++) {
        struct link *l = T.links.values[i];
        if (!l)
            continue;
        uint32_t h = T.links.keys[i];
        struct ipc_port *port = l->port;
        if (port->transport == &machd_ops) {
            port_reference(port);
            bool kept = fileport_localize(port); /* another process's fileport lives on here */
            machd_link_drop(h);
            if (!kept)
                transport_proxy_dead(port);
            port_release(port);
        } else {
            for (uint32_t n = l->remote_once; n > 0 && port->active; n--) {
                port_make_send_once(port);
                notify_send_once(port);
            }
            port->export_handle = 0;
            if (l->remote_senders)
                transport_remote_senders(port, -1);
            machd_link_drop(h);
        }
    }
    handle_map_walk_end(&T.links);
    flow_deferred_clear(&T.credits);
}

/* Undoes export_handle for a port machd refused to learn (IPC lock held): the send right made
 * for machd is gone with the refused request. */
void machd_unexport(uint32_t h, struct link *l) {
    struct ipc_port *port = l->port;
    bool counted = l->remote_senders;
    port->export_handle = 0;
    machd_link_drop(h);
    if (counted)
        transport_remote_senders(port, -1);
}
