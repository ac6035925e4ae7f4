/* machd broker: Mach's rules for moving rights between broker spaces: copyin (check every right
 * of a request in order, then take it), copyout (send rights coalesce, send-once rights get
 * names), rights in transit destroyed; MOD_REFS and port-destroyed requests on rights. */
#include "broker_internal.h"

#include <mach/kern_return.h>

#define UREFS_MAX 0xffffu /* MACH_PORT_UREFS_MAX */

/* ---- copyin: check every right of a request against the sender's space, in order ---- */

/* Starts checking a new request (clears only the index slots the last one used). */
void right_copyin_reset(struct copyin_scratch *ci) {
    for (size_t i = 0; i < ci->count; i++)
        ci->index[ci->items[i].slot] = 0;
    ci->count = 0;
}

static struct pending *pending_get(struct copyin_scratch *ci, struct broker_task *t, const struct machd_right *r,
                                   bool *fresh) {
    uint32_t slot = (r->name * 2654435761u) >> 17; /* CI_INDEX_SIZE = 2^15 */
    for (; ci->index[slot]; slot = (slot + 1) & (CI_INDEX_SIZE - 1)) {
        struct pending *pd = &ci->items[ci->index[slot] - 1];
        if (pd->name == r->name) {
            *fresh = false;
            return pd;
        }
    }
    ci->index[slot] = (uint16_t)(ci->count + 1);
    struct pending *pd = &ci->items[ci->count++];
    *pd = (struct pending){.name = r->name, .slot = slot, .e = entry_lookup(t, r->name)};
    *fresh = true;
    if (pd->e) {
        pd->send_left = pd->e->send_urefs;
        pd->send_once_left = pd->e->send_once;
        pd->receive_left = pd->e->receive;
    }
    return pd;
}

/* Whether the sender can give right r, given what earlier items of the request used. */
bool right_copyin_check(struct copyin_scratch *ci, struct broker_task *t, const struct machd_right *r) {
    if (r->name == MACHD_HANDLE_NULL || r->name == MACHD_HANDLE_DEAD)
        return true; /* carries no right */
    bool fresh;
    struct pending *pd = pending_get(ci, t, r, &fresh);
    if (r->flags & MACHD_RIGHT_NEW) {
        /* A NEW export names a port machd does not know; later items may reuse the name. */
        if (fresh) {
            if (pd->e)
                return false;
            pd->receive_left = true;
        } else if (pd->e) {
            return false;
        }
    } else if (!pd->e && fresh) {
        return false;
    }
    switch (r->disposition) {
    case MACHD_DISP_MOVE_SEND:
        if (pd->send_left == 0)
            return false;
        pd->send_left--;
        return true;
    case MACHD_DISP_COPY_SEND:
        return pd->send_left > 0;
    case MACHD_DISP_MAKE_SEND:
    case MACHD_DISP_MAKE_SEND_ONCE:
        return pd->receive_left;
    case MACHD_DISP_MOVE_SEND_ONCE:
        if (!pd->send_once_left)
            return false;
        pd->send_once_left = false;
        return true;
    case MACHD_DISP_MOVE_RECEIVE:
        /* A fileport's receive right stays with its exporter, who is charged for its
         * descriptor (the port is a kernel object there). */
        if (!pd->receive_left || (pd->e && pd->e->port->fd >= 0))
            return false;
        pd->receive_left = false;
        return true;
    default:
        return false;
    }
}

/* Applies a right already checked by right_copyin_check. Only fails (NULL port, false) when out of
 * memory creating a NEW export. */
bool right_copyin_apply(struct broker *b, struct broker_task *t, const struct machd_right *r,
                        struct transit *out) {
    return right_copyin_apply_fd(b, t, r, -1, out);
}

bool right_copyin_apply_fd(struct broker *b, struct broker_task *t, const struct machd_right *r, int fd,
                           struct transit *out) {
    *out = (struct transit){NULL, 0, r->name};
    if (r->name == MACHD_HANDLE_NULL || r->name == MACHD_HANDLE_DEAD) {
        out->type = r->disposition == MACHD_DISP_MOVE_RECEIVE ? MACHD_DISP_MOVE_RECEIVE
                    : right_is_once(r->disposition)                  ? MACHD_DISP_MOVE_SEND_ONCE
                                                               : MACHD_DISP_MOVE_SEND;
        return true;
    }
    struct entry *e = entry_lookup(t, r->name);
    if (!e) { /* NEW export: the port's receive right is in t */
        struct broker_port *p = port_create(b);
        if (!p)
            return false;
        e = entry_add(b, t, r->name, p);
        if (!e) {
            port_free(b, p);
            return false;
        }
        if ((r->flags & MACHD_RIGHT_FILEPORT) && !fileport_adopt(b, p, t, fd)) {
            entry_remove(b, e);
            port_free(b, p);
            return false;
        }
        e->receive = true;
        p->receiver = t;
        p->recv_name = r->name;
        if (r->flags & MACHD_RIGHT_KEEP_SEND) { /* made before the receive right moves */
            e->send_urefs = 1;
            p->send_urefs++;
            p->mscount++;
        }
    }
    struct broker_port *p = e->port;
    out->port = p;
    switch (r->disposition) {
    case MACHD_DISP_MOVE_SEND:
        e->send_urefs--;
        out->type = MACHD_DISP_MOVE_SEND;
        break;
    case MACHD_DISP_COPY_SEND:
        p->send_urefs++;
        out->type = MACHD_DISP_MOVE_SEND;
        break;
    case MACHD_DISP_MAKE_SEND:
        p->send_urefs++;
        p->mscount++;
        out->type = MACHD_DISP_MOVE_SEND;
        break;
    case MACHD_DISP_MAKE_SEND_ONCE:
        out->type = MACHD_DISP_MOVE_SEND_ONCE;
        break;
    case MACHD_DISP_MOVE_SEND_ONCE:
        e->send_once = false;
        out->type = MACHD_DISP_MOVE_SEND_ONCE;
        break;
    case MACHD_DISP_MOVE_RECEIVE:
        e->receive = false;
        p->receiver = NULL;
        p->recv_name = MACHD_HANDLE_NULL;
        out->type = MACHD_DISP_MOVE_RECEIVE;
        break;
    }
    entry_drop_if_empty(b, e);
    return true;
}

/* ---- copyout: rights into the receiver's space (send rights coalesce) ---- */

/* Destroys a right in transit, as Mach destroys the rights of a message nobody receives: a send
 * right is dropped (senders-gone when it was the last), a send-once right becomes a send-once
 * notification, a receive right is destroyed (port-destroyed request honoured). */
void right_transit_destroy(struct broker *b, struct transit *tr) {
    if (!tr->port)
        return;
    if (tr->type == MACHD_DISP_MOVE_SEND)
        port_send_urefs_drop(b, tr->port, 1, NULL);
    else if (tr->type == MACHD_DISP_MOVE_SEND_ONCE)
        port_send_once_notification(b, tr->port);
    else
        port_destroy(b, tr->port, NULL);
    tr->port = NULL;
}

/* Destroys the rights of transits tr[0..n): receive rights last, so that no right of the batch
 * names a port an earlier one freed. */
void right_transits_destroy(struct broker *b, struct transit *tr, uint32_t n) {
    for (uint32_t i = 0; i < n; i++)
        if (tr[i].type != MACHD_DISP_MOVE_RECEIVE)
            right_transit_destroy(b, &tr[i]);
    for (uint32_t i = 0; i < n; i++)
        right_transit_destroy(b, &tr[i]);
}

uint32_t right_copyout(struct broker *b, struct broker_task *t, struct transit *tr) {
    uint32_t name = right_copyout_keep(b, t, tr);
    if (name == MACHD_HANDLE_NULL)
        right_transit_destroy(b, tr);
    return name;
}

uint32_t right_copyout_keep(struct broker *b, struct broker_task *t, struct transit *tr) {
    struct broker_port *p = tr->port;
    if (!p)
        return tr->raw_name;
    struct entry *e = tr->type == MACHD_DISP_MOVE_SEND_ONCE ? NULL : entry_for_port(t, p);
    if (!e) {
        uint32_t name = entry_new_name(t);
        e = name ? entry_add(b, t, name, p) : NULL;
    }
    if (e && tr->type == MACHD_DISP_MOVE_SEND && e->send_urefs >= UREFS_MAX)
        e = NULL;
    if (!e)
        return MACHD_HANDLE_NULL;
    switch (tr->type) {
    case MACHD_DISP_MOVE_SEND:
        e->send_urefs++;
        break;
    case MACHD_DISP_MOVE_SEND_ONCE:
        e->send_once = true;
        break;
    case MACHD_DISP_MOVE_RECEIVE:
        e->receive = true;
        p->receiver = t;
        p->recv_name = e->name;
        p->mscount = 0;
        admit_receiver_changed(b, p);
        break;
    }
    return e->name;
}

/* ---- requests on rights ---- */

uint32_t right_mod_refs(struct broker *b, struct broker_task *t, uint32_t name, uint32_t right, int32_t delta) {
    struct entry *e = entry_lookup(t, name);
    if (!e)
        return KERN_INVALID_NAME;
    struct broker_port *p = e->port;
    switch (right) {
    case MACHD_RIGHT_SEND: {
        /* On a name holding the receive right, +n makes send rights (mach_port_insert_right
         * with MAKE_SEND): a task keeps local senders when it moves the receive right out. */
        if (e->send_urefs == 0 && !(e->receive && delta > 0))
            return KERN_INVALID_RIGHT;
        int64_t n = (int64_t)e->send_urefs + delta;
        if (n < 0)
            return KERN_INVALID_VALUE;
        if (n > UREFS_MAX)
            return KERN_UREFS_OVERFLOW;
        if (e->send_urefs == 0) /* made from the receive right: counted only once it is done */
            p->mscount += (uint32_t)delta;
        e->send_urefs = (uint32_t)n;
        p->send_urefs = (uint32_t)((int64_t)p->send_urefs + delta);
        entry_drop_if_empty(b, e);
        port_senders_check(b, p, NULL);
        return KERN_SUCCESS;
    }
    case MACHD_RIGHT_SEND_ONCE:
        if (!e->send_once)
            return KERN_INVALID_RIGHT;
        if (delta == 0)
            return KERN_SUCCESS;
        if (delta != -1)
            return KERN_INVALID_VALUE;
        e->send_once = false;
        entry_drop_if_empty(b, e);
        port_send_once_notification(b, p);
        return KERN_SUCCESS;
    case MACHD_RIGHT_RECEIVE:
        if (!e->receive)
            return KERN_INVALID_RIGHT;
        if (delta == 0)
            return KERN_SUCCESS;
        if (delta != -1)
            return KERN_INVALID_VALUE;
        port_destroy(b, p, NULL);
        return KERN_SUCCESS;
    default: /* dead names live in the task's runtime only: machd forgets dead entries */
        return KERN_INVALID_RIGHT;
    }
}

/* Port-destroyed request on a receive right; the previous notify right (if any) comes back to
 * the caller as a send-once right, whose name is the reply's value. */
void right_handle_notify_request(struct broker *b, struct broker_task *t, const struct machd_msg *req) {
    struct entry *e = entry_lookup(t, req->u.notify_request.name);
    uint32_t st = !e ? KERN_INVALID_NAME : !e->receive || e->port->fd >= 0 ? KERN_INVALID_RIGHT : KERN_SUCCESS;
    const struct machd_right *nr = &req->u.notify_request.notify;
    struct transit tr = {NULL, 0, MACHD_HANDLE_NULL};
    if (st == KERN_SUCCESS && nr->disposition != MACHD_DISP_NONE) {
        right_copyin_reset(b->ci);
        if (!right_copyin_check(b->ci, t, nr))
            st = KERN_INVALID_CAPABILITY;
        else if (!right_copyin_apply(b, t, nr, &tr))
            st = KERN_RESOURCE_SHORTAGE;
    }
    if (st != KERN_SUCCESS) {
        broker_reply_status(b, t, MACHD_STATUS_REPLY, req->seq, st, 0);
        return;
    }
    struct broker_port *p = entry_lookup(t, req->u.notify_request.name)->port;
    struct transit previous = {p->pd_notify, MACHD_DISP_MOVE_SEND_ONCE, MACHD_HANDLE_NULL};
    port_set_pd_notify(p, tr.port);
    uint32_t previous_name = right_copyout(b, t, &previous);
    broker_reply_status(b, t, MACHD_STATUS_REPLY, req->seq, KERN_SUCCESS, previous_name);
}
