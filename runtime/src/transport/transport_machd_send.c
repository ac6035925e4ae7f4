/* The machd transport's encoding of outgoing messages: a copied-in message for a proxy becomes a
 * MSG_SEND (its rights right items, its OOL memory inline or spilled), after asking machd for room
 * when the receiver's queue may be full; machd_ops, the table proxies carry. IPC lock held. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/fileport_internal.h"
#include "ipc/ipc.h"
#include "transport/transport_chan.h"
#include "transport/transport_machd_internal.h"
#include "transport/transport_machd_spill.h"

/* ---- sending: rights of a copied-in message become right items ---- */

/* Scratch for one outgoing message's rights (IPC lock held, so one at a time). */
static struct pending_right pending[2 * MACHD_MAX_RIGHTS + 2]; /* + released dead notify rights */
static struct machd_right send_rights[MACHD_MAX_RIGHTS]; /* its right items (p->rights) */

/* One right of the message body as a right item. A receive right with a port-destroyed request
 * armed here takes the request along (docs/machd.md 4): PD_REQUEST, then the request's notify
 * right as the next item; machd keeps it from then on. A notify port that died meanwhile has
 * no request to hand over: its send-once right is simply released when the message is out. */
static mach_msg_return_t encode_body_right(struct ipc_port *port, mach_msg_type_name_t disp,
                                           struct machd_payload *p, size_t *np, uint32_t *fileports) {
    if (p->right_count >= MACHD_MAX_RIGHTS)
        return MACH_SEND_TOO_LARGE;
    /* Each fileport right is delivered with a descriptor: at most MACHD_MAX_FILEPORTS. */
    if (fileport_is(port) && ++*fileports > MACHD_MAX_FILEPORTS)
        return MACH_SEND_TOO_LARGE;
    struct machd_right *item = &send_rights[p->right_count];
    int fd;
    if (!machd_encode_right(port, disp, item, &pending[*np], &fd))
        return MACH_SEND_INVALID_RIGHT;
    if (item->flags & MACHD_RIGHT_FILEPORT)
        p->fileport_fds[p->fileport_count++] = fd;
    p->right_count++;
    ++*np;
    /* MACH_PORT_NULL and MACH_PORT_DEAD travel as themselves whatever the disposition: no port,
     * so no port-destroyed request either. */
    bool real_port = port && port != IPC_PORT_DEAD;
    struct ipc_port *notify = disp == MACH_MSG_TYPE_PORT_RECEIVE && real_port ? port->pdrequest : NULL;
    if (!notify)
        return MACH_MSG_SUCCESS;
    if (p->right_count >= MACHD_MAX_RIGHTS)
        return MACH_SEND_TOO_LARGE;
    if (!notify->active && !notify->transport) { /* dead: nothing to hand over */
        pending[(*np)++] = (struct pending_right){notify, AFTER_RELEASE_ONCE, port};
        return MACH_MSG_SUCCESS;
    }
    if (!machd_encode_right(notify, MACH_MSG_TYPE_PORT_SEND_ONCE, &send_rights[p->right_count], &pending[*np], NULL))
        return MACH_SEND_INVALID_RIGHT;
    pending[*np].pd_of = port;
    item->flags |= MACHD_RIGHT_PD_REQUEST;
    p->right_count++;
    ++*np;
    return MACH_MSG_SUCCESS;
}

static mach_msg_return_t encode_descriptors(struct ipc_kmsg *kmsg, struct machd_payload *p, size_t *np) {
    uint32_t fileports = 0;
    p->fileport_count = 0;
    for (uint32_t i = 0; i < kmsg->ndesc; i++) {
        struct kmsg_desc *d = &kmsg->desc[i];
        mach_msg_return_t mr = MACH_MSG_SUCCESS;
        switch (d->type) {
        case MACH_MSG_PORT_DESCRIPTOR:
        case MACH_MSG_GUARDED_PORT_DESCRIPTOR:
            mr = encode_body_right(d->port, d->disp, p, np, &fileports);
            /* The sender's name for the right means nothing to the receiver. */
            memset(kmsg->data + d->offset, 0, sizeof(mach_port_name_t));
            break;
        case MACH_MSG_OOL_PORTS_DESCRIPTOR:
            for (uint32_t j = 0; j < d->count && mr == MACH_MSG_SUCCESS; j++)
                mr = encode_body_right(d->ports[j], d->disp, p, np, &fileports);
            break;
        default: /* OOL memory: its bytes travel after the body */
            if (p->ool_count >= MACHD_MAX_OOL)
                return MACH_SEND_TOO_LARGE;
            p->ool[p->ool_count++] = (struct machd_ool){d->size, d->addr};
            break;
        }
        if (mr != MACH_MSG_SUCCESS)
            return mr;
    }
    return MACH_MSG_SUCCESS;
}

static void release_descriptor_memory(struct ipc_kmsg *kmsg) {
    for (uint32_t i = 0; i < kmsg->ndesc; i++) {
        struct kmsg_desc *d = &kmsg->desc[i];
        if (d->type == MACH_MSG_OOL_PORTS_DESCRIPTOR)
            free(d->ports);
        else if (d->type == MACH_MSG_OOL_DESCRIPTOR || d->type == MACH_MSG_OOL_VOLATILE_DESCRIPTOR)
            ool_discard(d->addr, d->size);
        d->ports = NULL;
        d->addr = NULL;
    }
}

/* Queue limits (docs/machd.md): machd reserves room on the remote port for one message, the
 * thread waiting (IPC lock released) while the receiver's queue is full. Returns
 * MACH_MSG_SUCCESS (room reserved), MACH_SEND_TIMED_OUT or MACH_SEND_INVALID_DEST. */
static mach_msg_return_t wait_for_room(struct ipc_port *proxy, mach_msg_option_t option,
                                       mach_msg_timeout_t timeout) {
    uint32_t h = (uint32_t)proxy->transport_handle, status;
    struct waiter w;
    ipc_unlock();
    machd_send_admit(h, (option & MACH_SEND_TIMEOUT) ? MACHD_ADMIT_TIMED : 0, timeout, &w, &status);
    ipc_lock();
    if (proxy->transport != &machd_ops) /* the port died while we waited */
        return MACH_SEND_INVALID_DEST;
    struct link *l = machd_link_get(h);
    if (l && status == MACH_MSG_SUCCESS)
        l->queue_full = w.name == 0; /* machd's room left after ours */
    return status == MACH_MSG_SUCCESS || status == MACH_SEND_TIMED_OUT ? status : MACH_SEND_INVALID_DEST;
}

/* Whether a send must ask machd for room first: a send right's message (send-once messages
 * are never held back) that may wait, or to a port machd said is full. Forwarded messages
 * (MACH_SEND_ALWAYS) never wait. */
static bool needs_room(struct ipc_port *proxy, const struct ipc_kmsg *kmsg, mach_msg_option_t option) {
    if (kmsg->remote_type == MACH_MSG_TYPE_PORT_SEND_ONCE || (option & MACH_SEND_ALWAYS))
        return false;
    struct link *l = machd_link_get((uint32_t)proxy->transport_handle);
    return (option & MACH_SEND_TIMEOUT) || (l && l->queue_full);
}

/* Tells machd the room of the ports this message exported (which starts flow control there). */
static void announce_new_exports(const struct machd_msg *m) {
    const struct machd_payload *p = &m->u.send.p;
    for (uint32_t i = 0; i <= p->right_count; i++) {
        const struct machd_right *r = i < p->right_count ? &p->rights[i] : &m->u.send.reply;
        struct link *l = (r->flags & MACHD_RIGHT_NEW) ? machd_link_get(r->name) : NULL;
        if (l && !l->port->transport && r->disposition != MACHD_DISP_MOVE_RECEIVE)
            machd_announce_room(r->name, &l->rx, l->port);
    }
}

/* The port died while the sender waited (for room, or for the channels' fence): the message was
 * accepted when its rights were copied in, so it is destroyed as if delivered (rights released,
 * a reply right's send-once notification sent) and the send succeeds, as XNU's ipc_kmsg_send
 * treats a port destroyed while the sender waited. */
static mach_msg_return_t died_while_waiting(struct ipc_kmsg *kmsg) {
    kmsg_destroy(kmsg);
    return MACH_MSG_SUCCESS;
}

/* ops.send: a copied-in message for a proxy. IPC lock held. Rights whose handles could not be
 * given to machd make the send fail before anything is written (the core destroys kmsg). */
static mach_msg_return_t machd_send(struct ipc_port *proxy, struct ipc_kmsg *kmsg, mach_msg_option_t option,
                                    mach_msg_timeout_t timeout) {
    if (!T.up)
        return MACH_SEND_INVALID_DEST;
    if (chan_enabled() && chan_carries_tokens(kmsg)) { /* reply rights that came on a channel */
        chan_claim_tokens(kmsg, option);
        if (proxy->transport != &machd_ops || !T.up)
            return died_while_waiting(kmsg);
    }
    mach_msg_return_t direct;
    if (chan_enabled() && chan_try_send(proxy, kmsg, option, timeout, &direct))
        return direct; /* on a direct channel (docs/machd.md 9) */
    if (chan_count() && !(option & MACH_SEND_ALWAYS)) { /* the core's own sends may not wait */
        chan_fence_before_relay();
        if (proxy->transport != &machd_ops || !T.up)
            return died_while_waiting(kmsg);
    }
    bool admitted = false;
    if (needs_room(proxy, kmsg, option)) {
        mach_msg_return_t mr = wait_for_room(proxy, option, timeout);
        if (mr == MACH_SEND_INVALID_DEST)
            return died_while_waiting(kmsg);
        if (mr != MACH_MSG_SUCCESS)
            return mr; /* MACH_SEND_TIMED_OUT: the core gives the message back untouched */
        admitted = true;
    }
    mach_msg_return_t mr = machd_encode_send(proxy, kmsg, admitted, NULL);
    if (mr != MACH_MSG_SUCCESS && admitted)
        machd_send_admit((uint32_t)proxy->transport_handle, MACHD_ADMIT_RELEASE, 0, NULL, NULL);
    return mr;
}

/* Encodes and writes the MSG_SEND (or a direct channel's ticket), then settles the local rights
 * (machd_send's second half). */
mach_msg_return_t machd_encode_send(struct ipc_port *proxy, struct ipc_kmsg *kmsg, bool admitted,
                                    const struct machd_ticket *ticket) {
    struct machd_msg *m = &T.send_msg;
    memset(m, 0, offsetof(struct machd_msg, u.send.p.rights));
    m->type = MACHD_MSG_SEND;
    m->u.send.flags = MACHD_SEND_ACK_ERRORS_ONLY; /* errors after this point: as a port dying */
    if (admitted)
        m->u.send.flags |= MACHD_SEND_ADMITTED;
    size_t np = 0;
    struct pending_right dest_pr = {proxy, kmsg->remote_type == MACH_MSG_TYPE_PORT_SEND_ONCE
                                               ? AFTER_DROP_ONCE_PROXY : AFTER_RELEASE_SEND, NULL};
    m->u.send.dest = (struct machd_right){(uint32_t)proxy->transport_handle,
                                          kmsg->remote_type == MACH_MSG_TYPE_PORT_SEND_ONCE
                                              ? MACHD_DISP_MOVE_SEND_ONCE : MACHD_DISP_COPY_SEND, 0};
    if (ticket) { /* to the channel's peer; the record on the ring names the destination */
        m->u.send.flags |= MACHD_SEND_TICKET;
        m->u.send.dest = (struct machd_right){ticket->channel, MACHD_DISP_NONE, 0};
        dest_pr.after = AFTER_NOTHING; /* the channel settles it, after the ring record */
    }
    if (IPC_PORT_VALID(kmsg->local)) {
        if (!machd_encode_right(kmsg->local, kmsg->local_type, &m->u.send.reply, &pending[np++], NULL))
            return MACH_SEND_INVALID_REPLY;
    } else {
        /* No reply port, or a dead one: nothing to give (a dead reply right is just dropped). */
        m->u.send.reply = (struct machd_right){MACHD_HANDLE_NULL, MACHD_DISP_NONE, 0};
        if (kmsg->local == IPC_PORT_DEAD)
            kmsg->local = NULL;
    }
    struct machd_payload *p = &m->u.send.p;
    p->msgh_bits = kmsg->bits & MACH_MSGH_BITS_COMPLEX;
    p->msgh_id = ticket ? (int32_t)ticket->number : kmsg->id;
    p->right_count = 0;
    p->rights = send_rights;
    p->ool_count = 0;
    mach_msg_return_t mr = encode_descriptors(kmsg, p, &np);
    if (mr != MACH_MSG_SUCCESS)
        return mr;
    if (!(p->msgh_bits & MACH_MSGH_BITS_COMPLEX) && (p->right_count || p->ool_count))
        p->msgh_bits |= MACH_MSGH_BITS_COMPLEX;
    p->body = kmsg->data + sizeof(mach_msg_header_t);
    p->body_len = kmsg->size - (uint32_t)sizeof(mach_msg_header_t);
    int spill_fd = -1;
    if (kmsg->stage || spill_needed(p)) {
        /* Staged: the OOL bytes are in the memfd already (written before the IPC lock). */
        void *stage = kmsg->stage;
        kmsg->stage = NULL;
        spill_fd = stage ? spill_seal_stage(stage, p) : spill_write(p);
        if (spill_fd < 0)
            return errno == EMSGSIZE ? MACH_SEND_TOO_LARGE : MACH_SEND_NO_BUFFER;
        p->msgh_bits |= MACHD_PAYLOAD_SPILLED;
        p->spill_fd = spill_fd;
    }
    machd_credit_attach(m); /* last: nothing can fail between here and the write */
    int err = machd_write(m);
    if (spill_fd >= 0)
        close(spill_fd); /* machd holds its own reference now (or the send failed) */
    if (err) {
        machd_credit_unattach(m);
        return err == EINVAL ? MACH_SEND_TOO_LARGE : MACH_SEND_INVALID_DEST;
    }
    announce_new_exports(m);
    /* machd has the message: the local rights it carried are settled, the storage freed. */
    kmsg->remote = NULL;
    kmsg->local = NULL;
    machd_finish_right(&dest_pr);
    size_t nmoved = 0;
    struct ipc_port **moved = NULL;
    for (size_t i = 0; i < np; i++) {
        if (pending[i].after == AFTER_RELEASE_RECEIVE) {
            if (!moved)
                moved = malloc(np * sizeof *moved);
            if (moved)
                moved[nmoved++] = pending[i].port;
        }
        machd_finish_right(&pending[i]);
    }
    release_descriptor_memory(kmsg);
    kmsg_free(kmsg);
    machd_finish_moves(moved, nmoved);
    return MACH_MSG_SUCCESS;
}

const struct ipc_transport_ops machd_ops = {
    .send = machd_send,
    .proxy_released = machd_proxy_released,
    .port_died = NULL,
};
