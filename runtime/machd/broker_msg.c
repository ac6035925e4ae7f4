/* machd broker: relaying one MSG_SEND: checks (rights, spilled payload, room), copyin of the
 * destination, reply and body rights, port-destroyed requests that travel with receive rights,
 * copyout into the receiver's space and the MSG_DELIVER; a refused message destroyed. */
#include "broker_internal.h"
#include "wire/machd_spill.h"

#include <string.h>

#include <mach/message.h>

/* The descriptors that came with a MSG_SEND: none for an ordinary payload; exactly one sealed
 * memfd of the layout's size for a spilled one (anything else: MACH_SEND_INVALID_MEMORY, as
 * Mach answers for memory it cannot take), and room for it at the receiver. */
static uint32_t spill_check(struct broker *b, const struct machd_payload *pl, struct broker_task *to) {
    if (!(pl->msgh_bits & MACHD_PAYLOAD_SPILLED))
        return pl->fds_received == 0 ? MACH_MSG_SUCCESS : MACH_SEND_INVALID_MEMORY;
    if (!b->hooks->send_fd || !b->hooks->room_fd)
        return MACH_SEND_TOO_LARGE;
    if (pl->fds_received != 1 || pl->spill_fd < 0 || !machd_spill_fd_ok(pl->spill_fd, machd_spill_layout(pl, NULL)))
        return MACH_SEND_INVALID_MEMORY;
    bool room = to && (to == b->keeper ? keeper_has_room(b) : b->hooks->room_fd(b->ctx, to->conn));
    return room ? MACH_MSG_SUCCESS : MACH_SEND_NO_BUFFER;
}

static bool is_ticket(const struct machd_msg *req) { return (req->u.send.flags & MACHD_SEND_TICKET) != 0; }

/* Whether a right item gives a send right to a port that machd holds a fileport descriptor for
 * (an export flagged FILEPORT, or a right to such a port already known): its delivery carries a
 * copy of the descriptor. */
static bool gives_fileport(struct broker_task *t, const struct machd_right *r) {
    if (r->flags & MACHD_RIGHT_FILEPORT)
        return true;
    if (r->disposition != MACHD_DISP_MOVE_SEND && r->disposition != MACHD_DISP_COPY_SEND &&
        r->disposition != MACHD_DISP_MAKE_SEND)
        return false;
    struct entry *e = r->name != MACHD_HANDLE_NULL && r->name != MACHD_HANDLE_DEAD ? entry_lookup(t, r->name) : NULL;
    return e && e->port->fd >= 0;
}

/* The fileport rights of a message: at most MACHD_MAX_FILEPORTS deliveries' descriptors
 * (MACH_SEND_TOO_LARGE), the exported ones within t's limits (MACH_SEND_NO_BUFFER), room for a
 * datagram with descriptors at the receiver (the keeper holds a delivery without them: the ports
 * keep their descriptors until it is forwarded). */
static uint32_t fileports_check(struct broker *b, struct broker_task *t, const struct machd_payload *pl,
                                struct broker_task *to) {
    uint32_t given = 0, exported = 0;
    for (uint32_t i = 0; i < pl->right_count; i++) {
        struct machd_right r = machd_payload_right(pl, i);
        given += gives_fileport(t, &r);
        exported += (r.flags & MACHD_RIGHT_FILEPORT) != 0;
    }
    if (given == 0)
        return MACH_MSG_SUCCESS;
    if (given > MACHD_MAX_FILEPORTS)
        return MACH_SEND_TOO_LARGE;
    if (!fileport_room(b, t, exported) || !b->hooks->send_fds || !b->hooks->room_fd ||
        (to != b->keeper && !b->hooks->room_fd(b->ctx, to->conn)))
        return MACH_SEND_NO_BUFFER;
    return MACH_MSG_SUCCESS;
}

/* Checks every right of a MSG_SEND in Mach's order (destination, reply, body) and returns the
 * Mach error of the first that the sender cannot give, or MACH_MSG_SUCCESS. The destination is
 * a port (*dest_port) whose receiver is *to, or for a ticket the other task of the sender's
 * channel (*dest_port NULL). */
static uint32_t send_check(struct broker *b, struct broker_task *t, const struct machd_msg *req,
                           struct broker_port **dest_port, struct broker_task **to) {
    struct copyin_scratch *ci = b->ci;
    right_copyin_reset(ci);
    const struct machd_payload *pl = &req->u.send.p;
    *dest_port = NULL;
    if (is_ticket(req)) {
        *to = channel_peer(b, t, req->u.send.dest.name);
        if (!*to)
            return MACH_SEND_INVALID_DEST;
    } else {
        if (!right_copyin_check(ci, t, &req->u.send.dest))
            return MACH_SEND_INVALID_DEST;
        struct entry *de = entry_lookup(t, req->u.send.dest.name);
        *dest_port = de->port;
        *to = de->port->receiver;
        if (!*to || de->port->fd >= 0) /* a fileport takes no message */
            return MACH_SEND_INVALID_DEST;
    }
    if (req->u.send.reply.disposition != MACHD_DISP_NONE &&
        (!right_copyin_check(ci, t, &req->u.send.reply) || gives_fileport(t, &req->u.send.reply)))
        return MACH_SEND_INVALID_REPLY; /* fileports travel in bodies, with their descriptors */
    for (uint32_t i = 0; i < pl->right_count; i++) {
        struct machd_right r = machd_payload_right(pl, i);
        if (!right_copyin_check(ci, t, &r))
            return MACH_SEND_INVALID_RIGHT;
        /* A message may not carry the receive right of its own destination. */
        struct entry *e = r.disposition == MACHD_DISP_MOVE_RECEIVE ? entry_lookup(t, r.name) : NULL;
        if (e && *dest_port && e->port == *dest_port)
            return MACH_SEND_INVALID_RIGHT;
    }
    /* Room in the sender's space for the ports it exports now (checked before anything is taken,
     * so a refusal leaves every right where it was). */
    uint32_t exports = 0;
    for (size_t i = 0; i < ci->count; i++)
        exports += ci->items[i].e == NULL;
    if (!entry_room(b, t, exports))
        return MACH_SEND_NO_BUFFER;
    uint32_t st = spill_check(b, pl, *to);
    if (st == MACH_MSG_SUCCESS)
        st = fileports_check(b, t, pl, *to);
    if (st != MACH_MSG_SUCCESS)
        return st;
    size_t len = machd_deliver_size(pl);
    if (len > MACHD_MAX_PACKET)
        return MACH_SEND_TOO_LARGE;
    if (!broker_can_emit(b, *to, len))
        return MACH_SEND_NO_BUFFER;
    return MACH_MSG_SUCCESS;
}

/* Takes the destination right out of the sender: it is consumed by the delivery. Returns how
 * many send references disappear with it (checked for senders-gone after delivering). */
static uint32_t consume_dest(struct broker *b, struct broker_task *t, const struct machd_right *d) {
    struct entry *e = entry_lookup(t, d->name);
    struct broker_port *p = e->port;
    uint32_t dropped = 0;
    switch (d->disposition) {
    case MACHD_DISP_MOVE_SEND:
        e->send_urefs--;
        dropped = 1;
        break;
    case MACHD_DISP_MAKE_SEND:
        p->mscount++;
        break;
    case MACHD_DISP_MOVE_SEND_ONCE:
        e->send_once = false;
        break;
    default: /* COPY_SEND, MAKE_SEND_ONCE: the sender keeps what it had */
        break;
    }
    entry_drop_if_empty(b, e);
    return dropped;
}

struct send_out {
    struct transit reply;
    struct transit rights[MACHD_MAX_RIGHTS];
    uint32_t reply_name;
    uint32_t names[MACHD_MAX_RIGHTS];
    struct machd_right items[MACHD_MAX_RIGHTS]; /* the delivery's right items */
};

/* Whether body item i is the notify right of the port-destroyed request of item i - 1 (taken
 * by machd, not delivered). */
static bool is_pd_notify_item(const struct machd_payload *pl, uint32_t i) {
    return i > 0 && (machd_payload_right(pl, i - 1).flags & MACHD_RIGHT_PD_REQUEST);
}

/* Port-destroyed requests that travel with moved receive rights (PD_REQUEST items): machd keeps
 * each notify right as the port's request; one already there is replaced (its send-once right
 * is destroyed). The notify transits are consumed. */
static void pd_requests_take(struct broker *b, const struct machd_payload *pl, struct transit *tr) {
    for (uint32_t i = 0; i + 1 < pl->right_count; i++) {
        if (!(machd_payload_right(pl, i).flags & MACHD_RIGHT_PD_REQUEST))
            continue;
        struct broker_port *p = tr[i].port, *notify = tr[i + 1].port;
        if (p && notify) {
            if (p->pd_notify)
                port_send_once_notification(b, p->pd_notify);
            port_set_pd_notify(p, notify);
            tr[i + 1].port = NULL;
        }
        i++;
    }
}

/* A MSG_SEND refused after its sender took it as sent (ACK_ERRORS_ONLY: the runtime settled its
 * rights when it wrote the message, e.g. to a destination that died meanwhile): the message is
 * destroyed as Mach destroys one whose destination died after copyin. Every right the sender
 * can give is taken (NEW exports registered first, so machd knows those ports afterwards) and
 * destroyed; rights the sender does not hold are skipped. */
static void destroy_refused(struct broker *b, struct broker_task *t, const struct machd_msg *req) {
    static struct send_out so; /* machd is single-threaded; too large for the stack */
    const struct machd_payload *pl = &req->u.send.p;
    right_copyin_reset(b->ci);
    if (!is_ticket(req) && right_copyin_check(b->ci, t, &req->u.send.dest)) {
        struct broker_port *p = entry_lookup(t, req->u.send.dest.name)->port;
        uint8_t disp = req->u.send.dest.disposition;
        if (consume_dest(b, t, &req->u.send.dest))
            port_send_urefs_drop(b, p, 1, NULL);
        else if (disp == MACHD_DISP_MOVE_SEND_ONCE)
            port_send_once_notification(b, p);
        else if (disp == MACHD_DISP_MAKE_SEND)
            port_senders_check(b, p, NULL);
    }
    so.reply = (struct transit){NULL, 0, MACHD_HANDLE_NULL};
    if (req->u.send.reply.disposition != MACHD_DISP_NONE && right_copyin_check(b->ci, t, &req->u.send.reply))
        (void)right_copyin_apply(b, t, &req->u.send.reply, &so.reply);
    for (uint32_t i = 0, fp = 0; i < pl->right_count; i++) {
        so.rights[i] = (struct transit){NULL, 0, MACHD_HANDLE_NULL};
        struct machd_right r = machd_payload_right(pl, i);
        int fd = (r.flags & MACHD_RIGHT_FILEPORT) ? pl->fileport_fds[fp++] : -1;
        if (right_copyin_check(b->ci, t, &r))
            (void)right_copyin_apply_fd(b, t, &r, fd, &so.rights[i]);
    }
    pd_requests_take(b, pl, so.rights);
    right_transit_destroy(b, &so.reply);
    right_transits_destroy(b, so.rights, pl->right_count);
}

/* MOVED to the sender for each receive right the message moved out of its space: every delivery
 * to that port machd sent the sender went before this (one connection is written in order), so
 * the sender knows when no more can come for it and may stop forwarding them (docs/machd.md 4,
 * "Messages in flight when a receive right moves"). */
static void moved_tell(struct broker *b, struct broker_task *t, const struct machd_payload *pl) {
    for (uint32_t i = 0; i < pl->right_count; i++) {
        struct machd_right r = machd_payload_right(pl, i);
        if (r.disposition != MACHD_DISP_MOVE_RECEIVE || r.name == MACHD_HANDLE_NULL || r.name == MACHD_HANDLE_DEAD ||
            is_pd_notify_item(pl, i))
            continue;
        memset(&b->msg, 0, sizeof b->msg);
        b->msg.type = MACHD_MOVED;
        b->msg.u.moved.name = r.name;
        broker_emit(b, t);
    }
}

void msg_handle_send(struct broker *b, struct broker_task *t, const struct machd_msg *req) {
    if (req->u.send.flags & MACHD_SEND_CREDIT) /* whatever becomes of the message */
        admit_apply_queue_credit(b, t, req->u.send.credit.name, req->u.send.credit.seen, req->u.send.credit.room);
    fence_before_send(b, t, req); /* first: it may deliver what a fence held */
    struct broker_port *dest = NULL;
    struct broker_task *to = NULL;
    uint32_t st = send_check(b, t, req, &dest, &to);
    if (st != MACH_MSG_SUCCESS) {
        if (req->u.send.flags & MACHD_SEND_ACK_ERRORS_ONLY)
            destroy_refused(b, t, req);
        broker_reply_status(b, t, MACHD_SEND_REPLY, req->seq, st, 0);
        return;
    }
    static struct send_out so; /* machd is single-threaded; too large for the stack */
    const struct machd_payload *pl = &req->u.send.p;
    /* Queue limit: send-once messages are never held back (as in Mach), nor tickets (the
     * receiver limits its ring itself). */
    bool ticket = is_ticket(req);
    bool room_left = ticket || right_is_once(req->u.send.dest.disposition) ||
                     admit_consume(dest, entry_lookup(t, req->u.send.dest.name),
                                  (req->u.send.flags & MACHD_SEND_ADMITTED) != 0);
    uint32_t dest_dropped = ticket ? 0 : consume_dest(b, t, &req->u.send.dest);
    bool ok = true;
    uint32_t taken = 0;
    so.reply = (struct transit){NULL, 0, MACHD_HANDLE_NULL};
    if (req->u.send.reply.disposition != MACHD_DISP_NONE)
        ok = right_copyin_apply(b, t, &req->u.send.reply, &so.reply);
    for (uint32_t fp = 0; ok && taken < pl->right_count; taken++) {
        struct machd_right r = machd_payload_right(pl, taken);
        int fd = (r.flags & MACHD_RIGHT_FILEPORT) ? pl->fileport_fds[fp++] : -1;
        ok = right_copyin_apply_fd(b, t, &r, fd, &so.rights[taken]);
    }
    if (!ok) {
        /* Out of memory creating an export (the room for it was checked): the message is
         * destroyed with the rights taken so far, each with its notification. */
        right_transit_destroy(b, &so.reply);
        right_transits_destroy(b, so.rights, taken); /* the failed one holds none */
        if (dest_dropped)
            port_send_urefs_drop(b, dest, dest_dropped, NULL);
        broker_reply_status(b, t, MACHD_SEND_REPLY, req->seq, MACH_SEND_NO_BUFFER, 0);
        return;
    }
    pd_requests_take(b, pl, so.rights);
    /* Behind a fence (the receive right just moved, and its old holder's backlog is not all
     * forwarded yet) the delivery waits in the keeper's space, rights included. */
    bool held = !ticket && fence_holds(dest, t);
    if (held)
        to = b->keeper;
    /* Rights that find no room in the receiver's space stay in their transit and are destroyed
     * after the delivery (and the sender's answer), receive rights last. */
    so.reply_name = right_copyout_keep(b, to, &so.reply);
    for (uint32_t i = 0; i < pl->right_count; i++)
        so.names[i] = is_pd_notify_item(pl, i) ? MACHD_HANDLE_NULL : right_copyout_keep(b, to, &so.rights[i]);

    memset(&b->msg, 0, sizeof b->msg);
    b->msg.type = MACHD_MSG_DELIVER;
    if (ticket)
        b->msg.u.deliver.dest = (struct machd_right){req->u.send.dest.name, MACHD_DISP_NONE, 0};
    else
        b->msg.u.deliver.dest = (struct machd_right){dest->recv_name,
                                                     right_is_once(req->u.send.dest.disposition)
                                                         ? MACHD_DISP_MOVE_SEND_ONCE
                                                         : MACHD_DISP_MOVE_SEND,
                                                     0};
    if (so.reply_name != MACHD_HANDLE_NULL)
        b->msg.u.deliver.reply = (struct machd_right){so.reply_name, so.reply.type, 0};
    b->msg.u.deliver.audit = t->identity;
    struct machd_payload *out = &b->msg.u.deliver.p;
    out->msgh_bits = pl->msgh_bits | (ticket ? MACHD_PAYLOAD_TICKET : 0u);
    out->msgh_id = pl->msgh_id;
    out->body = pl->body;
    out->body_len = pl->body_len;
    out->ool_count = pl->ool_count;
    memcpy(out->ool, pl->ool, pl->ool_count * sizeof pl->ool[0]);
    out->right_count = 0;
    int fds[MACHD_MAX_FDS_PER_PACKET], nfds = 0;
    if (pl->msgh_bits & MACHD_PAYLOAD_SPILLED)
        fds[nfds++] = pl->spill_fd;
    for (uint32_t i = 0; i < pl->right_count; i++) {
        if (is_pd_notify_item(pl, i))
            continue;
        /* A receive right that arrived (copyout gave it a name, so the port lives) says whether
         * machd holds a port-destroyed request for it; a send right to a fileport carries a
         * copy of its descriptor (fileports_check counted them). */
        bool arrived = so.rights[i].port && so.names[i] != MACHD_HANDLE_NULL;
        bool armed = arrived && so.rights[i].type == MACHD_DISP_MOVE_RECEIVE && so.rights[i].port->pd_notify;
        bool fileport = arrived && so.rights[i].type == MACHD_DISP_MOVE_SEND && so.rights[i].port->fd >= 0 &&
                        nfds < MACHD_MAX_FDS_PER_PACKET;
        if (fileport)
            fds[nfds++] = so.rights[i].port->fd;
        so.items[out->right_count++] = (struct machd_right){
            so.names[i], so.rights[i].type, armed ? MACHD_RIGHT_PD_ARMED : fileport ? MACHD_RIGHT_FILEPORT : 0};
        if (arrived && so.rights[i].type == MACHD_DISP_MOVE_RECEIVE)
            fence_start(b, so.rights[i].port, t); /* t forwards what machd had sent it */
        if (arrived)
            so.rights[i].port = NULL; /* it is the receiver's now */
    }
    if (so.reply_name != MACHD_HANDLE_NULL)
        so.reply.port = NULL;
    out->rights = so.items;
    int spill_fd = pl->msgh_bits & MACHD_PAYLOAD_SPILLED ? pl->spill_fd : -1;
    b->holding_for = held ? dest : NULL; /* to is the keeper then */
    bool sent = to != b->keeper && (nfds > 1 || (nfds == 1 && spill_fd < 0)) ? broker_emit_fds(b, to, fds, nfds)
                                                                            : broker_emit_fd(b, to, spill_fd);
    b->holding_for = NULL;
    if (sent && held)
        fence_held_one(b, t, dest, spill_fd >= 0);
    else if (sent && dest)
        flow_note_delivery(&dest->flow); /* a held one counts when it is forwarded */
    if (!room_left) { /* the sender's next messages to this port ask for room first */
        admit_queue_full_hint(b, t, req->u.send.dest.name);
        admit_hold_back(b, t, dest, entry_lookup(t, req->u.send.dest.name)); /* if it does not */
    }
    if (dest_dropped)
        port_send_urefs_drop(b, dest, dest_dropped, NULL);
    else if (req->u.send.dest.disposition == MACHD_DISP_MAKE_SEND)
        port_senders_check(b, dest, NULL);
    if (!(req->u.send.flags & MACHD_SEND_ACK_ERRORS_ONLY))
        broker_reply_status(b, t, MACHD_SEND_REPLY, req->seq, MACH_MSG_SUCCESS, 0);
    /* What did not arrive: rights with no room in the receiver's space, and the notify rights of
     * port-destroyed requests made for no port (a NULL or DEAD name). */
    moved_tell(b, t, pl);
    right_transit_destroy(b, &so.reply);
    right_transits_destroy(b, so.rights, pl->right_count);
}
