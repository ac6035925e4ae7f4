/* machd broker: port objects, the send-right count of each, and what happens when rights to a
 * port go away: senders-gone, send-once and port-destroyed notifications, port death. */
#include "broker_internal.h"

#include <stdlib.h>
#include <string.h>

#include <mach/message.h>
#include <mach/notify.h>

struct broker_port *port_create(struct broker *b) {
    struct broker_port *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->next = b->ports;
    if (b->ports)
        b->ports->prev = p;
    b->ports = p;
    b->counts.ports++;
    p->fd = -1;
    flow_init(&p->flow);
    return p;
}

void port_free(struct broker *b, struct broker_port *p) {
    fileport_release(b, p);
    if (p->prev)
        p->prev->next = p->next;
    else
        b->ports = p->next;
    if (p->next)
        p->next->prev = p->prev;
    b->counts.ports--;
    free(p);
}

/* Send rights outside the receiver went away: tell the receiver when none are left. */
void port_senders_check(struct broker *b, struct broker_port *p, struct broker_task *dying) {
    if (p->send_urefs != 0 || !p->receiver || p->receiver == dying)
        return;
    memset(&b->msg, 0, sizeof b->msg);
    b->msg.type = MACHD_SENDERS_GONE;
    b->msg.u.senders_gone.name = p->recv_name;
    b->msg.u.senders_gone.mscount = p->mscount;
    broker_emit(b, p->receiver);
}

void port_send_urefs_drop(struct broker *b, struct broker_port *p, uint32_t n, struct broker_task *dying) {
    p->send_urefs -= n;
    port_senders_check(b, p, dying);
}

/* A machd-generated message (audit all zero, like the kernel's) to port p's receiver. */
static void deliver_notification(struct broker *b, struct broker_port *p, int32_t id,
                                 const uint8_t *body, uint32_t body_len, uint32_t moved_recv_name) {
    memset(&b->msg, 0, sizeof b->msg);
    b->msg.type = MACHD_MSG_DELIVER;
    /* Notifications always travel on a send-once right (the requester's, or the one machd holds). */
    b->msg.u.deliver.dest = (struct machd_right){p->recv_name, MACHD_DISP_MOVE_SEND_ONCE, 0};
    b->msg.u.deliver.p.msgh_id = id;
    b->msg.u.deliver.p.body = body;
    b->msg.u.deliver.p.body_len = body_len;
    struct machd_right moved = {moved_recv_name, MACHD_DISP_MOVE_RECEIVE, 0};
    if (moved_recv_name) {
        b->msg.u.deliver.p.msgh_bits = MACHD_MSGH_BITS_COMPLEX;
        b->msg.u.deliver.p.right_count = 1;
        b->msg.u.deliver.p.rights = &moved;
    }
    if (broker_emit(b, p->receiver))
        flow_note_delivery(&p->flow);
}

/* A send-once right to p was destroyed unused: Mach sends a send-once notification. */
void port_send_once_notification(struct broker *b, struct broker_port *p) {
    if (p->receiver)
        deliver_notification(b, p, MACH_NOTIFY_SEND_ONCE, NULL, 0, 0);
}

/* Moves p's receive right into a port-destroyed notification to `notify`'s receiver. Returns
 * false when that is impossible (notify port dead or in the dying task): p then dies. */
static bool port_destroyed_notification(struct broker *b, struct broker_port *p, struct broker_task *dying) {
    struct broker_port *notify = p->pd_notify;
    port_set_pd_notify(p, NULL);
    struct broker_task *to = notify->receiver;
    if (!to || to == dying)
        return false;
    struct entry *e = entry_for_port(to, p);
    if (!e) {
        uint32_t name = entry_new_name(to);
        e = name ? entry_add(b, to, name, p) : NULL;
        if (!e)
            return false;
    }
    e->receive = true;
    p->receiver = to;
    p->recv_name = e->name;
    p->mscount = 0;
    admit_receiver_changed(b, p);
    /* Body: descriptor count 1, then one port descriptor whose name the runtime fills in. */
    uint8_t body[sizeof(mach_msg_body_t) + sizeof(mach_msg_port_descriptor_t)];
    mach_msg_body_t count = {1};
    mach_msg_port_descriptor_t desc;
    memset(&desc, 0, sizeof desc);
    desc.disposition = MACH_MSG_TYPE_PORT_RECEIVE;
    desc.type = MACH_MSG_PORT_DESCRIPTOR;
    memcpy(body, &count, sizeof count);
    memcpy(body + sizeof count, &desc, sizeof desc);
    deliver_notification(b, notify, MACH_NOTIFY_PORT_DESTROYED, body, sizeof body, e->name);
    return true;
}

void port_set_pd_notify(struct broker_port *p, struct broker_port *notify) {
    struct broker_port *old = p->pd_notify;
    if (old) {
        if (p->pd_prev)
            p->pd_prev->pd_next = p->pd_next;
        else
            old->pd_requesters = p->pd_next;
        if (p->pd_next)
            p->pd_next->pd_prev = p->pd_prev;
    }
    p->pd_notify = notify;
    p->pd_prev = NULL;
    p->pd_next = notify ? notify->pd_requesters : NULL;
    if (notify) {
        if (notify->pd_requesters)
            notify->pd_requesters->pd_prev = p;
        notify->pd_requesters = p;
    }
}

/* Ports whose port-destroyed request names p lose it (machd's send-once right dies with p). */
static void pd_requests_drop(struct broker_port *p) {
    while (p->pd_requesters)
        port_set_pd_notify(p->pd_requesters, NULL);
}

/* The receive right of p is destroyed: port-destroyed notification if requested, else the port
 * dies: every holder's send and send-once names become dead (PORT_DEAD), names are released. */
void port_destroy(struct broker *b, struct broker_port *p, struct broker_task *dying) {
    fence_port_gone(b, p);
    struct entry *re = p->receiver ? entry_for_port(p->receiver, p) : NULL;
    if (re) {
        re->receive = false;
        p->receiver = NULL;
        entry_drop_if_empty(b, re);
    }
    p->receiver = NULL;
    if (p->pd_notify && port_destroyed_notification(b, p, dying))
        return;
    bootstrap_release_port(b, p);
    pd_requests_drop(p);
    admit_fail_waiters(b, p);
    admit_release_held(b, p);
    while (p->holders) {
        struct entry *e = p->holders;
        struct broker_task *holder = e->task;
        uint32_t name = e->name;
        entry_remove(b, e);
        if (holder != dying) {
            memset(&b->msg, 0, sizeof b->msg);
            b->msg.type = MACHD_PORT_DEAD;
            b->msg.u.port_dead.name = name;
            broker_emit(b, holder);
        }
    }
    port_free(b, p);
}
