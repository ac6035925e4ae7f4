/* libmach's transport through machd (docs/machd.md, sections 2 and 7): proxies for rights
 * received from other processes, export of local ports when a right to them leaves, relay of
 * messages to machd, and the receive side (whichever thread reads machd, transport_machd_reader.c)
 * turning deliveries and events into local queue entries, dead names and no-senders. Built on
 * the core's seam (transport_internal.h). */
#include "transport/transport_machd.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sys/stat.h>
#include <unistd.h>

#include <servers/bootstrap.h>

#include "ipc/ipc.h"
#include "wire/handle_map.h"
#include "wire/machd_conn.h"
#include "transport/transport_machd_flow.h"
#include "transport/transport_machd_names.h"
#include "wire/machd_path.h"
#include "transport/transport_machd_reader.h"
#include "transport/transport_machd_spill.h"

_Static_assert(MACHD_DISP_MOVE_RECEIVE == MACH_MSG_TYPE_MOVE_RECEIVE, "dispositions match Mach");
_Static_assert(MACHD_DISP_MOVE_SEND == MACH_MSG_TYPE_PORT_SEND, "dispositions match Mach");
_Static_assert(MACHD_DISP_MOVE_SEND_ONCE == MACH_MSG_TYPE_PORT_SEND_ONCE, "dispositions match Mach");
_Static_assert(MACHD_DISP_COPY_SEND == MACH_MSG_TYPE_COPY_SEND, "dispositions match Mach");
_Static_assert(MACHD_DISP_MAKE_SEND == MACH_MSG_TYPE_MAKE_SEND, "dispositions match Mach");
_Static_assert(MACHD_DISP_MAKE_SEND_ONCE == MACH_MSG_TYPE_MAKE_SEND_ONCE, "dispositions match Mach");

/* Never an export of ours (they count from 1): the target of the nudge, see reader_nudge. */
#define MACHD_HANDLE_NUDGE MACHD_HANDLE_TASK_BIT

#define DESC_PORT_SIZE ((uint32_t)sizeof(mach_msg_port_descriptor_t))
#define DESC_LONG_SIZE ((uint32_t)sizeof(mach_msg_ool_descriptor_t))

/* A spilled delivery (T.in) as the reader prepares it before taking the IPC lock: the memfd
 * checked, the body read into a message, the OOL regions mapped. */
struct spilled_in {
    bool ready;                   /* all of it done: deliver uses it, else refuses the delivery */
    long ndesc;
    struct ipc_kmsg *kmsg;        /* body read in; NULL once deliver took it */
    uint32_t count;               /* regions */
    uint32_t sizes[MACHD_MAX_OOL];
    void *regions[MACHD_MAX_OOL]; /* NULL once deliver took them */
};

/* What this process knows about one machd handle. */
struct link {
    struct ipc_port *port;  /* a proxy, or a local port known to machd (holds a reference) */
    uint32_t makes;         /* MAKE_SENDs this process told machd about since it exported the
                               port or got its receive right: machd counts the same (its count
                               restarts when the receive right moves), see senders_gone */
    bool remote_senders;    /* we count one remote sender on the port until SENDERS_GONE */
    bool pd_at_machd;       /* local port: machd holds a port-destroyed request for it (it came
                               with the receive right), see machd_export_receive_destroyed */
    bool keeps_send;        /* we made ourselves a send right before moving the receive right */
    uint32_t remote_once;   /* send-once rights to this local port handed to machd, not used yet:
                               if machd dies, each becomes a send-once notification here */
    struct flow_rx rx;      /* local port: the room machd knows about (queue limits) */
    bool queue_full;        /* proxy: machd said the port's queue is full; ask before sending */
};

/* A thread waiting for the reply to a request. */
struct waiter {
    uint32_t seq;
    bool done;
    uint32_t status, name, type;
    struct ipc_port *port; /* the right of a BOOTSTRAP_REPLY, taken by the reader in order */
    struct waiter *next;
};

static struct {
    pthread_mutex_t start_mu;
    bool up;                 /* connected, reader running */
    struct machd_conn conn;
    pthread_mutex_t write_mu;
    pthread_mutex_t wait_mu;
    pthread_cond_t wait_cv;
    struct waiter *waiters;
    struct handle_map links; /* handle -> struct link (IPC lock) */
    uint32_t next_export;
    struct machd_msg send_msg; /* built under the IPC lock */
    struct flow_deferred credits; /* room announcements waiting for a ride (IPC lock) */
    struct machd_msg in;       /* the thread holding the reader role only */
    uint8_t *in_buf;
    bool connected_before;     /* a later connection is to a new machd: bind names again */
    bool rebind_due;           /* (atomic) names of transport_machd_names.h to bind again */
    bool rebinder_running;     /* (start_mu) a thread is waiting for a new machd */
    pthread_mutex_t rebind_mu; /* held while names are bound again: bootstrap calls wait */
    struct spilled_in pre;     /* the reader only: T.in's memfd, read before the IPC lock */
} T = {
    .rebind_mu = PTHREAD_MUTEX_INITIALIZER,
    .start_mu = PTHREAD_MUTEX_INITIALIZER,
    .write_mu = PTHREAD_MUTEX_INITIALIZER,
    .wait_mu = PTHREAD_MUTEX_INITIALIZER,
    .wait_cv = PTHREAD_COND_INITIALIZER,
};

static const struct ipc_transport_ops machd_ops;
static void start_rebinder(void);

/* ---- writing to machd ---- */

static int write_msg(struct machd_msg *m) {
    pthread_mutex_lock(&T.write_mu);
    int err = T.up ? machd_conn_send(&T.conn, m) : EPIPE;
    pthread_mutex_unlock(&T.write_mu);
    return err;
}

/* Fire-and-forget MOD_REFS (machd's STATUS_REPLY is ignored by the reader). */
static void tell_mod_refs(uint32_t handle, uint32_t right, int32_t delta) {
    struct machd_msg m;
    memset(&m, 0, sizeof m);
    m.type = MACHD_MOD_REFS;
    m.u.mod_refs.name = handle;
    m.u.mod_refs.right = right;
    m.u.mod_refs.delta = delta;
    (void)write_msg(&m);
}

/* QUEUE_CREDIT: the room on our port behind handle h (IPC lock held). */
static void announce_room(uint32_t h, struct flow_rx *rx, const struct ipc_port *port) {
    struct machd_msg m;
    memset(&m, 0, sizeof m);
    m.type = MACHD_QUEUE_CREDIT;
    m.u.queue_credit.name = h;
    m.u.queue_credit.seen = rx->seen;
    m.u.queue_credit.room = flow_rx_room(port);
    flow_rx_said(rx, m.u.queue_credit.room);
    (void)write_msg(&m);
}

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
static void credit_attach(struct machd_msg *m) {
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
static void credit_unattach(const struct machd_msg *m) {
    struct link *l = (m->u.send.flags & MACHD_SEND_CREDIT) ? handle_map_get(&T.links, m->u.send.credit.name) : NULL;
    if (l)
        announce_room(m->u.send.credit.name, &l->rx, l->port);
}

/* A thread is about to sleep: deferred announcements go out on their own (IPC lock held). */
static void credits_flush(void) {
    uint32_t h;
    for (struct link *l; (l = credit_next(&h)) != NULL;)
        announce_room(h, &l->rx, l->port);
}

/* ---- the handle table (IPC lock held) ---- */

static struct link *link_get(uint32_t handle) { return handle_map_get(&T.links, handle); }

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

static void link_drop(uint32_t handle) {
    struct link *l = link_get(handle);
    if (!l)
        return;
    handle_map_remove(&T.links, handle);
    struct ipc_port *port = l->port;
    free(l);
    port_release(port);
}

/* ---- sending: rights of a copied-in message become right items ---- */

/* What to do with the local right once the message has been written to machd. */
enum after { AFTER_NOTHING, AFTER_RELEASE_SEND, AFTER_RELEASE_ONCE, AFTER_RELEASE_RECEIVE,
             AFTER_DROP_ONCE_PROXY };

struct pending_right {
    struct ipc_port *port;
    enum after after;
    struct ipc_port *pd_of; /* the notify right of this port's port-destroyed request, handed
                               to machd with its receive right: the request is machd's now */
};

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

/* Turns one right held by the message (port reference + type) into a right item. */
static bool encode_right(struct ipc_port *port, mach_msg_type_name_t type, struct machd_right *item,
                         struct pending_right *pr) {
    *item = (struct machd_right){MACHD_HANDLE_NULL, (uint8_t)type, 0};
    *pr = (struct pending_right){port, AFTER_NOTHING, NULL};
    if (!port)
        return true;
    if (port == IPC_PORT_DEAD) {
        item->name = MACHD_HANDLE_DEAD;
        return true;
    }
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
    struct link *l = link_get(item->name);
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
        /* Local senders and queued messages will need a send right of ours through machd,
         * made from the receive right before it leaves: by MOD_REFS if machd knows the port,
         * else in this very message (KEEP_SEND with the NEW export). */
        if (port->srights || port->msgcount) {
            if (item->flags & MACHD_RIGHT_NEW)
                item->flags |= MACHD_RIGHT_KEEP_SEND;
            else
                tell_mod_refs(item->name, MACHD_RIGHT_SEND, 1);
            l->makes++;
            l->keeps_send = true;
        }
        return true;
    }
}

/* A receive right moved to another task: local send rights keep working through machd (the
 * port becomes a proxy of its own handle; machd gave us a send right for it first), and
 * messages still queued here follow the port, in order. */
static void become_proxy(struct ipc_port *port) {
    uint32_t h = port->export_handle;
    struct link *l = link_get(h);
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
    if (via_machd && port->srights == 0) {
        tell_mod_refs(h, MACHD_RIGHT_SEND, -1);
        link_drop(h);
    } else if (!via_machd) {
        link_drop(h);
    }
}

static void finish_right(const struct pending_right *pr) {
    if (pr->pd_of)
        pr->pd_of->pdrequest = NULL; /* its send-once right is released below */
    switch (pr->after) {
    case AFTER_NOTHING:
        break;
    case AFTER_RELEASE_SEND:
        port_release_send(pr->port);
        break;
    case AFTER_RELEASE_ONCE:
        port_release_send_once(pr->port);
        break;
    case AFTER_DROP_ONCE_PROXY: {
        uint32_t h = (uint32_t)pr->port->transport_handle;
        port_release_send_once(pr->port);
        link_drop(h);
        break;
    }
    case AFTER_RELEASE_RECEIVE: /* done by the caller, after the scratch is no longer used */
        break;
    }
}

/* The receive rights a written message moved out, handled once `pending` is free again
 * (forwarding queued messages sends through machd_send, which reuses it). */
static void finish_moves(struct ipc_port **moved, size_t n) {
    for (size_t i = 0; i < n; i++) {
        become_proxy(moved[i]);
        port_release(moved[i]); /* the receive right's reference */
    }
    free(moved);
}

/* Scratch for one outgoing message's rights (IPC lock held, so one at a time). */
static struct pending_right pending[2 * MACHD_MAX_RIGHTS + 2]; /* + released dead notify rights */
static struct machd_right send_rights[MACHD_MAX_RIGHTS]; /* its right items (p->rights) */

/* One right of the message body as a right item. A receive right with a port-destroyed request
 * armed here takes the request along (docs/machd.md 4): PD_REQUEST, then the request's notify
 * right as the next item; machd keeps it from then on. A notify port that died meanwhile has
 * no request to hand over: its send-once right is simply released when the message is out. */
static mach_msg_return_t encode_body_right(struct ipc_port *port, mach_msg_type_name_t disp,
                                           struct machd_payload *p, size_t *np) {
    if (p->right_count >= MACHD_MAX_RIGHTS)
        return MACH_SEND_TOO_LARGE;
    struct machd_right *item = &send_rights[p->right_count];
    if (!encode_right(port, disp, item, &pending[*np]))
        return MACH_SEND_INVALID_RIGHT;
    p->right_count++;
    ++*np;
    struct ipc_port *notify = disp == MACH_MSG_TYPE_PORT_RECEIVE ? port->pdrequest : NULL;
    if (!notify)
        return MACH_MSG_SUCCESS;
    if (p->right_count >= MACHD_MAX_RIGHTS)
        return MACH_SEND_TOO_LARGE;
    if (!notify->active && !notify->transport) { /* dead: nothing to hand over */
        pending[(*np)++] = (struct pending_right){notify, AFTER_RELEASE_ONCE, port};
        return MACH_MSG_SUCCESS;
    }
    if (!encode_right(notify, MACH_MSG_TYPE_PORT_SEND_ONCE, &send_rights[p->right_count], &pending[*np]))
        return MACH_SEND_INVALID_RIGHT;
    pending[*np].pd_of = port;
    item->flags |= MACHD_RIGHT_PD_REQUEST;
    p->right_count++;
    ++*np;
    return MACH_MSG_SUCCESS;
}

static mach_msg_return_t encode_descriptors(struct ipc_kmsg *kmsg, struct machd_payload *p, size_t *np) {
    for (uint32_t i = 0; i < kmsg->ndesc; i++) {
        struct kmsg_desc *d = &kmsg->desc[i];
        mach_msg_return_t mr = MACH_MSG_SUCCESS;
        switch (d->type) {
        case MACH_MSG_PORT_DESCRIPTOR:
        case MACH_MSG_GUARDED_PORT_DESCRIPTOR:
            mr = encode_body_right(d->port, d->disp, p, np);
            /* The sender's name for the right means nothing to the receiver. */
            memset(kmsg->data + d->offset, 0, sizeof(mach_port_name_t));
            break;
        case MACH_MSG_OOL_PORTS_DESCRIPTOR:
            for (uint32_t j = 0; j < d->count && mr == MACH_MSG_SUCCESS; j++)
                mr = encode_body_right(d->ports[j], d->disp, p, np);
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

static uint32_t request(struct machd_msg *m, struct waiter *w);

static void send_admit(uint32_t h, uint32_t flags, uint32_t timeout_ms, struct waiter *w, uint32_t *status) {
    struct machd_msg m;
    memset(&m, 0, sizeof m);
    m.type = MACHD_SEND_ADMIT;
    m.u.send_admit.name = h;
    m.u.send_admit.flags = flags;
    m.u.send_admit.timeout_ms = timeout_ms;
    if (w)
        *status = request(&m, w);
    else
        (void)write_msg(&m);
}

/* Queue limits (docs/machd.md): machd reserves room on the remote port for one message, the
 * thread waiting (IPC lock released) while the receiver's queue is full. Returns
 * MACH_MSG_SUCCESS (room reserved), MACH_SEND_TIMED_OUT or MACH_SEND_INVALID_DEST. */
static mach_msg_return_t wait_for_room(struct ipc_port *proxy, mach_msg_option_t option,
                                       mach_msg_timeout_t timeout) {
    uint32_t h = (uint32_t)proxy->transport_handle, status;
    struct waiter w;
    ipc_unlock();
    send_admit(h, (option & MACH_SEND_TIMEOUT) ? MACHD_ADMIT_TIMED : 0, timeout, &w, &status);
    ipc_lock();
    if (proxy->transport != &machd_ops) /* the port died while we waited */
        return MACH_SEND_INVALID_DEST;
    struct link *l = link_get(h);
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
    struct link *l = link_get((uint32_t)proxy->transport_handle);
    return (option & MACH_SEND_TIMEOUT) || (l && l->queue_full);
}

/* Tells machd the room of the ports this message exported (which starts flow control there). */
static void announce_new_exports(const struct machd_msg *m) {
    const struct machd_payload *p = &m->u.send.p;
    for (uint32_t i = 0; i <= p->right_count; i++) {
        const struct machd_right *r = i < p->right_count ? &p->rights[i] : &m->u.send.reply;
        struct link *l = (r->flags & MACHD_RIGHT_NEW) ? link_get(r->name) : NULL;
        if (l && !l->port->transport && r->disposition != MACHD_DISP_MOVE_RECEIVE)
            announce_room(r->name, &l->rx, l->port);
    }
}

static mach_msg_return_t encode_send(struct ipc_port *proxy, struct ipc_kmsg *kmsg, bool admitted);

/* ops.send: a copied-in message for a proxy. IPC lock held. Rights whose handles could not be
 * given to machd make the send fail before anything is written (the core destroys kmsg). */
static mach_msg_return_t machd_send(struct ipc_port *proxy, struct ipc_kmsg *kmsg, mach_msg_option_t option,
                                    mach_msg_timeout_t timeout) {
    if (!T.up)
        return MACH_SEND_INVALID_DEST;
    bool admitted = false;
    if (needs_room(proxy, kmsg, option)) {
        mach_msg_return_t mr = wait_for_room(proxy, option, timeout);
        if (mr != MACH_MSG_SUCCESS)
            return mr; /* MACH_SEND_TIMED_OUT: the core gives the message back untouched */
        admitted = true;
    }
    mach_msg_return_t mr = encode_send(proxy, kmsg, admitted);
    if (mr != MACH_MSG_SUCCESS && admitted)
        send_admit((uint32_t)proxy->transport_handle, MACHD_ADMIT_RELEASE, 0, NULL, NULL);
    return mr;
}

/* Encodes and writes the MSG_SEND, then settles the local rights (machd_send's second half). */
static mach_msg_return_t encode_send(struct ipc_port *proxy, struct ipc_kmsg *kmsg, bool admitted) {
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
    if (IPC_PORT_VALID(kmsg->local)) {
        if (!encode_right(kmsg->local, kmsg->local_type, &m->u.send.reply, &pending[np++]))
            return MACH_SEND_INVALID_REPLY;
    } else {
        /* No reply port, or a dead one: nothing to give (a dead reply right is just dropped). */
        m->u.send.reply = (struct machd_right){MACHD_HANDLE_NULL, MACHD_DISP_NONE, 0};
        if (kmsg->local == IPC_PORT_DEAD)
            kmsg->local = NULL;
    }
    struct machd_payload *p = &m->u.send.p;
    p->msgh_bits = kmsg->bits & MACH_MSGH_BITS_COMPLEX;
    p->msgh_id = kmsg->id;
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
    credit_attach(m); /* last: nothing can fail between here and the write */
    int err = write_msg(m);
    if (spill_fd >= 0)
        close(spill_fd); /* machd holds its own reference now (or the send failed) */
    if (err) {
        credit_unattach(m);
        return err == EINVAL ? MACH_SEND_TOO_LARGE : MACH_SEND_INVALID_DEST;
    }
    announce_new_exports(m);
    /* machd has the message: the local rights it carried are settled, the storage freed. */
    kmsg->remote = NULL;
    kmsg->local = NULL;
    finish_right(&dest_pr);
    size_t nmoved = 0;
    struct ipc_port **moved = NULL;
    for (size_t i = 0; i < np; i++) {
        if (pending[i].after == AFTER_RELEASE_RECEIVE) {
            if (!moved)
                moved = malloc(np * sizeof *moved);
            if (moved)
                moved[nmoved++] = pending[i].port;
        }
        finish_right(&pending[i]);
    }
    release_descriptor_memory(kmsg);
    kmsg_free(kmsg);
    finish_moves(moved, nmoved);
    return MACH_MSG_SUCCESS;
}

/* ops.proxy_released: no local send right to a proxy is left; tell machd. IPC lock held. */
static void machd_proxy_released(struct ipc_port *proxy) {
    uint32_t h = (uint32_t)proxy->transport_handle;
    tell_mod_refs(h, MACHD_RIGHT_SEND, -1);
    if (proxy->sorights == 0)
        link_drop(h);
}

static const struct ipc_transport_ops machd_ops = {
    .send = machd_send,
    .proxy_released = machd_proxy_released,
    .port_died = NULL,
};

/* The receive right of an exported local port died here: machd kills the port for everyone
 * (dead names, send-once and port-destroyed handling, bootstrap names). IPC lock held. */
static void machd_export_died(struct ipc_port *port) {
    machd_names_forget_port(port);
    uint32_t h = port->export_handle;
    port->export_handle = 0;
    tell_mod_refs(h, MACHD_RIGHT_RECEIVE, -1);
    link_drop(h);
}

/* A message was received from an exported port (or its limit changed): machd may let more
 * senders in. IPC lock held. */
static void machd_export_queue_changed(struct ipc_port *port) {
    struct link *l = link_get(port->export_handle);
    if (!l || l->port != port || !flow_rx_due(&l->rx, port))
        return;
    /* Not urgent: the next MSG_SEND (an RPC server's reply) carries it, or it goes alone
     * before a thread of ours sleeps (credits_flush). */
    if (!flow_rx_urgent(&l->rx, port) && (l->rx.deferred || flow_deferred_push(&T.credits, port->export_handle)))
        l->rx.deferred = true;
    else
        announce_room(port->export_handle, &l->rx, port);
}

/* The receive right of an exported port is being destroyed here while machd holds a
 * port-destroyed request for it: the right is not destroyed but handed to machd, which sends it
 * to the request's notify port (docs/machd.md 4). Local send rights and queued messages follow
 * it as when it moves in a message (become_proxy); if the notify port is dead, machd destroys
 * the port and they become dead names. Returns false when there is no such request (the port
 * dies here as usual). IPC lock held; the caller has detached the receive right. */
static bool machd_export_receive_destroyed(struct ipc_port *port) {
    uint32_t h = port->export_handle;
    struct link *l = link_get(h);
    if (!T.up || !l || l->port != port || !l->pd_at_machd)
        return false;
    if (port->srights || port->msgcount) {
        tell_mod_refs(h, MACHD_RIGHT_SEND, 1);
        l->makes++;
        l->keeps_send = true;
    }
    tell_mod_refs(h, MACHD_RIGHT_RECEIVE, -1);
    become_proxy(port);
    port_release(port); /* the receive right's reference */
    return true;
}

static const struct ipc_transport_ops machd_export_ops = {.port_died = machd_export_died,
                                                          .queue_changed = machd_export_queue_changed,
                                                          .receive_destroyed = machd_export_receive_destroyed};

/* ---- receiving: machd's deliveries become local messages ---- */

/* Extra send references machd gave for handles we hold already go back in one MOD_REFS per run
 * of the same handle: a message carrying 16,000 send rights to one port costs one datagram, not
 * 16,000. The thread processing a datagram only (IPC lock held); reader_process flushes them
 * when it is done with the datagram. */
static struct {
    uint32_t handle;
    int32_t count;
} send_returns;

static void flush_send_returns(void) {
    if (send_returns.count)
        tell_mod_refs(send_returns.handle, MACHD_RIGHT_SEND, -send_returns.count);
    send_returns.count = 0;
}

static void return_send_ref(uint32_t h) {
    if (send_returns.count && send_returns.handle != h)
        flush_send_returns();
    send_returns.handle = h;
    send_returns.count++;
}

/* A right machd gave this task under handle h, as a port reference holding it (IPC lock held). */
static struct ipc_port *take_right(uint32_t h, uint8_t type) {
    if (h == MACHD_HANDLE_NULL)
        return NULL;
    if (h == MACHD_HANDLE_DEAD)
        return IPC_PORT_DEAD;
    struct link *l = link_get(h);
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
                tell_mod_refs(h, MACHD_RIGHT_SEND, -1);
            port->transport = NULL;
            port->transport_handle = 0;
            port->export_handle = h;
            port_reference(port); /* the receive right's reference */
            l->makes = 0; /* machd's make-send count restarted with the move */
            l->pd_at_machd = false;
            l->queue_full = false;
            flow_rx_reset(&l->rx);
            announce_room(h, &l->rx, port);
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
            announce_room(h, &nl->rx, port);
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
static void note_pd_armed(const struct machd_right *r, struct ipc_port *port) {
    struct link *l = (r->flags & MACHD_RIGHT_PD_ARMED) && IPC_PORT_VALID(port) ? link_get(r->name) : NULL;
    if (l && l->port == port)
        l->pd_at_machd = true;
}

/* Drops the rights of a delivery that cannot be queued (IPC lock held). */
static void refuse_delivery(const struct machd_msg *m) {
    const struct machd_payload *p = &m->u.deliver.p;
    for (uint32_t i = 0; i < p->right_count + 1; i++) {
        struct machd_right r = i < p->right_count ? machd_payload_right(p, i) : m->u.deliver.reply;
        if (r.name == MACHD_HANDLE_NULL || r.name == MACHD_HANDLE_DEAD || r.disposition == 0)
            continue;
        uint32_t kind = r.disposition == MACHD_DISP_MOVE_SEND        ? MACHD_RIGHT_SEND
                        : r.disposition == MACHD_DISP_MOVE_SEND_ONCE ? MACHD_RIGHT_SEND_ONCE
                                                                     : MACHD_RIGHT_RECEIVE;
        if (!link_get(r.name) || kind == MACHD_RIGHT_SEND_ONCE)
            tell_mod_refs(r.name, kind, -1);
    }
}

/* Checks the descriptors at the start of a delivered body (`len` bytes of it) against its
 * rights and regions (hostile input: every offset and count is checked) and returns how many
 * there are, or -1. */
static long count_descriptors(const struct machd_payload *p, const uint8_t *body, uint32_t len) {
    if (!(p->msgh_bits & MACH_MSGH_BITS_COMPLEX))
        return p->right_count == 0 && p->ool_count == 0 ? 0 : -1;
    if (len < sizeof(mach_msg_body_t))
        return -1;
    uint32_t n;
    memcpy(&n, body, sizeof n);
    uint32_t off = sizeof(mach_msg_body_t), rights = 0, ool = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (len - off < DESC_PORT_SIZE)
            return -1;
        uint8_t type = body[off + 11]; /* the type byte ends every descriptor's first 12 */
        uint32_t size = type == MACH_MSG_PORT_DESCRIPTOR ? DESC_PORT_SIZE : DESC_LONG_SIZE;
        if (type > MACH_MSG_GUARDED_PORT_DESCRIPTOR || len - off < size)
            return -1;
        if (type == MACH_MSG_PORT_DESCRIPTOR || type == MACH_MSG_GUARDED_PORT_DESCRIPTOR) {
            rights++;
        } else if (type == MACH_MSG_OOL_PORTS_DESCRIPTOR) {
            mach_msg_ool_ports_descriptor_t od;
            memcpy(&od, body + off, sizeof od);
            if (od.count > MACHD_MAX_RIGHTS - rights)
                return -1;
            rights += od.count;
        } else {
            ool++;
        }
        off += size;
    }
    return rights == p->right_count && ool == p->ool_count ? (long)n : -1;
}

/* count_descriptors for a delivery: on the datagram's bytes, or on the head of the spilled
 * memfd (the descriptors come first; only their bytes are read here). */
static long count_delivered_descriptors(const struct machd_payload *p) {
    if (!(p->msgh_bits & MACHD_PAYLOAD_SPILLED) || !(p->msgh_bits & MACH_MSGH_BITS_COMPLEX))
        return count_descriptors(p, p->body, p->body_len);
    uint32_t n;
    if (p->body_len < sizeof n || !spill_read_body(p->spill_fd, &n, sizeof n))
        return -1;
    uint64_t head = sizeof(mach_msg_body_t) + (uint64_t)n * DESC_LONG_SIZE;
    uint32_t len = head < p->body_len ? (uint32_t)head : p->body_len;
    uint8_t *buf = malloc(len);
    long count = buf && spill_read_body(p->spill_fd, buf, len) ? count_descriptors(p, buf, len) : -1;
    free(buf);
    return count;
}

static void fill_audit(struct ipc_kmsg *kmsg, const struct machd_audit *a) {
    memset(&kmsg->audit, 0, sizeof kmsg->audit);
    kmsg->audit.val[1] = a->uid;
    kmsg->audit.val[2] = a->gid;
    kmsg->audit.val[3] = a->uid;
    kmsg->audit.val[4] = a->gid;
    kmsg->audit.val[5] = a->pid;
    kmsg->audit.val[7] = (uint32_t)a->task_id; /* pid version: the pidfd inode */
    kmsg->sec.val[0] = a->uid;
    kmsg->sec.val[1] = a->gid;
    kmsg->from_kernel = a->pid == 0 && a->task_id == 0;
}

/* The region for delivered OOL region o: a copy of the datagram's bytes, or the mapping of the
 * spilled payload's memfd the reader made before taking the lock (prepare_spilled). */
static bool take_region(const struct machd_payload *p, uint32_t o, void **region) {
    uint32_t size = p->ool[o].size;
    if (size == 0) {
        *region = NULL;
        return true;
    }
    if (p->msgh_bits & MACHD_PAYLOAD_SPILLED) {
        *region = T.pre.regions[o];
        T.pre.regions[o] = NULL;
    } else {
        *region = spill_copy_region(p->ool[o].data, size); /* our own receive buffer: a plain copy */
    }
    return ool_adopt(*region, size) != NULL;
}

/* Builds the descriptors of kmsg from the delivered rights and regions, in order. */
static bool build_descriptors(struct ipc_kmsg *kmsg, const struct machd_payload *p) {
    uint32_t off = sizeof(mach_msg_header_t) + sizeof(mach_msg_body_t), r = 0, o = 0;
    for (uint32_t i = 0; i < kmsg->ndesc; i++) {
        struct kmsg_desc *d = &kmsg->desc[i];
        d->type = kmsg->data[off + 11];
        d->offset = off;
        if (d->type == MACH_MSG_PORT_DESCRIPTOR || d->type == MACH_MSG_GUARDED_PORT_DESCRIPTOR) {
            struct machd_right item = machd_payload_right(p, r++);
            d->disp = item.disposition;
            d->port = take_right(item.name, item.disposition);
            note_pd_armed(&item, d->port);
        } else if (d->type == MACH_MSG_OOL_PORTS_DESCRIPTOR) {
            mach_msg_ool_ports_descriptor_t od;
            memcpy(&od, kmsg->data + off, sizeof od);
            d->count = od.count;
            d->disp = od.count ? machd_payload_right(p, r).disposition : MACH_MSG_TYPE_PORT_SEND;
            d->ports = od.count ? calloc(od.count, sizeof *d->ports) : NULL;
            if (od.count && !d->ports)
                return false;
            for (uint32_t j = 0; j < od.count; j++) {
                struct machd_right item = machd_payload_right(p, r++);
                d->ports[j] = take_right(item.name, item.disposition);
                note_pd_armed(&item, d->ports[j]);
            }
        } else {
            d->size = p->ool[o].size;
            if (!take_region(p, o, &d->addr))
                return false;
            o++;
        }
        if (d->disp == MACH_MSG_TYPE_PORT_RECEIVE)
            kmsg->carries_receive = true;
        off += d->type == MACH_MSG_PORT_DESCRIPTOR ? DESC_PORT_SIZE : DESC_LONG_SIZE;
    }
    return true;
}

static void deliver(const struct machd_msg *m) {
    const struct machd_payload *p = &m->u.deliver.p;
    struct link *dl = link_get(m->u.deliver.dest.name);
    if (dl && !dl->port->transport)
        dl->rx.seen++; /* machd counted it against the room we announced */
    bool spilled = (p->msgh_bits & MACHD_PAYLOAD_SPILLED) != 0;
    long ndesc = !spilled ? count_delivered_descriptors(p) : T.pre.ready ? T.pre.ndesc : -1;
    if (!dl || dl->port->transport || ndesc < 0) {
        refuse_delivery(m);
        return;
    }
    struct ipc_kmsg *kmsg = T.pre.kmsg; /* spilled: the body is in it already */
    T.pre.kmsg = NULL;
    if (!spilled)
        kmsg = kmsg_alloc((mach_msg_size_t)(sizeof(mach_msg_header_t) + p->body_len), (uint32_t)ndesc);
    if (!kmsg) {
        refuse_delivery(m);
        return;
    }
    memset(kmsg->data, 0, sizeof(mach_msg_header_t));
    if (!spilled)
        memcpy(kmsg->data + sizeof(mach_msg_header_t), p->body, p->body_len);
    kmsg->bits = p->msgh_bits & MACH_MSGH_BITS_COMPLEX;
    kmsg->id = p->msgh_id;
    fill_audit(kmsg, &m->u.deliver.audit);
    struct ipc_port *dest = dl->port;
    if (m->u.deliver.dest.disposition == MACHD_DISP_MOVE_SEND_ONCE && dl->remote_once)
        dl->remote_once--; /* one of the send-once rights we handed out came back used */
    if (m->u.deliver.dest.disposition == MACHD_DISP_MOVE_SEND_ONCE) {
        port_make_send_once(dest);
        kmsg->remote_type = MACH_MSG_TYPE_PORT_SEND_ONCE;
    } else {
        port_copy_send(dest);
        kmsg->remote_type = MACH_MSG_TYPE_PORT_SEND;
    }
    kmsg->remote = dest;
    kmsg->local = take_right(m->u.deliver.reply.name, m->u.deliver.reply.disposition);
    kmsg->local_type = m->u.deliver.reply.disposition;
    if (!build_descriptors(kmsg, p)) {
        kmsg_destroy(kmsg);
        return;
    }
    transport_deliver(kmsg);
}

/* Events from machd (IPC lock held). */
static void port_dead(uint32_t h) {
    struct link *l = link_get(h);
    if (!l || l->port->transport != &machd_ops)
        return;
    struct ipc_port *proxy = l->port;
    port_reference(proxy);
    link_drop(h);
    transport_proxy_dead(proxy);
    port_release(proxy);
}

static void senders_gone(uint32_t h, uint32_t mscount) {
    struct link *l = link_get(h);
    if (!l || l->port->transport || !l->remote_senders)
        return;
    /* A make-send of ours that machd had not seen yet when it counted zero: not gone. */
    if (mscount != l->makes)
        return;
    l->remote_senders = false;
    transport_remote_senders(l->port, -1);
}

/* machd's hint that the port behind our send handle h has no room: ask before sending. */
static void queue_full(uint32_t h) {
    struct link *l = link_get(h);
    if (l && l->port->transport == &machd_ops)
        l->queue_full = true;
}

static struct waiter *find_waiter(uint32_t seq) {
    for (struct waiter *w = T.waiters; w; w = w->next)
        if (w->seq == seq)
            return w;
    return NULL;
}

/* Reader, IPC lock held. The right a bootstrap reply carries is taken here, not in the waiting
 * thread (deliveries right behind the reply, a created service's held messages, must find the
 * handle known), but outside wait_mu: take_right may write to machd (write_mu), and request()
 * takes write_mu before wait_mu. The waiter stays listed meanwhile: only its owner unlinks it,
 * after `done`, which only the reader (this thread) sets. */
static void answer_waiter(const struct machd_msg *m) {
    pthread_mutex_lock(&T.wait_mu);
    struct waiter *w = find_waiter(m->seq);
    pthread_mutex_unlock(&T.wait_mu);
    if (!w)
        return;
    struct ipc_port *port = NULL;
    const bool brings_right = m->type == MACHD_BOOTSTRAP_REPLY && m->u.bootstrap_reply.status == KERN_SUCCESS &&
                              m->u.bootstrap_reply.type != MACHD_DISP_NONE;
    if (brings_right)
        port = take_right(m->u.bootstrap_reply.name, (uint8_t)m->u.bootstrap_reply.type);
    pthread_mutex_lock(&T.wait_mu);
    if (m->type == MACHD_BOOTSTRAP_REPLY) {
        w->status = m->u.bootstrap_reply.status;
        w->name = m->u.bootstrap_reply.name;
        w->type = m->u.bootstrap_reply.type;
        w->port = port;
    } else {
        w->status = m->u.status_reply.status;
        w->name = m->u.status_reply.value;
    }
    w->done = true;
    pthread_cond_broadcast(&T.wait_cv);
    pthread_mutex_unlock(&T.wait_mu);
}

/* Forgets everything this process knew through its connection to machd, as Mach destroys the
 * rights of a space that loses its peers (IPC lock held): proxies become dead names (dead-name
 * notifications fire), exported ports are no longer known and lose their remote senders
 * (no-senders fire), and each send-once right handed out and not used yet becomes a send-once
 * notification (a client waiting for a reply gets MIG_SERVER_DIED, never a hang). */
static void forget_links(void) {
    for (size_t i = 0; i < T.links.cap; i++) {
        struct link *l = T.links.values[i];
        if (!l)
            continue;
        uint32_t h = T.links.keys[i];
        struct ipc_port *port = l->port;
        if (port->transport == &machd_ops) {
            port_reference(port);
            link_drop(h);
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
            link_drop(h);
        }
    }
    flow_deferred_clear(&T.credits);
}

/* Fails every request waiting for machd's reply (wait_mu held). */
static void fail_waiters(void) {
    for (struct waiter *w = T.waiters; w; w = w->next) {
        w->status = MACH_SEND_INVALID_DEST;
        w->done = true;
    }
    pthread_cond_broadcast(&T.wait_cv);
}

/* machd is gone (seen by the thread reading it; no lock held): the task forgets it and closes
 * the connection; the next call that needs machd connects again, as a new task
 * (transport_machd_start). start_mu keeps a new connection from starting before the old one is
 * fully forgotten. */
static void connection_lost(void) {
    pthread_mutex_lock(&T.start_mu);
    ipc_lock();
    pthread_mutex_lock(&T.write_mu);
    T.up = false;
    pthread_mutex_unlock(&T.write_mu);
    forget_links();
    ipc_unlock();
    pthread_mutex_lock(&T.wait_mu);
    fail_waiters();
    pthread_mutex_unlock(&T.wait_mu);
    machd_conn_close(&T.conn); /* nobody writes once `up` is false */
    start_rebinder();
    pthread_mutex_unlock(&T.start_mu);
}

/* Reader, no lock held: everything of the spilled delivery p that touches its memfd (the checks,
 * reading the descriptors and the body, mapping the regions), so that none of it happens under
 * the IPC lock. T.pre.ready says whether all of it worked (else deliver refuses the message). */
static void prepare_spilled(const struct machd_payload *p) {
    struct spilled_in *s = &T.pre;
    s->ready = false;
    s->count = 0;
    long ndesc = spill_fd_matches(p->spill_fd, p) ? count_delivered_descriptors(p) : -1;
    if (ndesc < 0)
        return;
    ipc_lock(); /* the message counters */
    s->kmsg = kmsg_alloc((mach_msg_size_t)(sizeof(mach_msg_header_t) + p->body_len), (uint32_t)ndesc);
    ipc_unlock();
    if (!s->kmsg || !spill_read_body(p->spill_fd, s->kmsg->data + sizeof(mach_msg_header_t), p->body_len))
        return;
    uint64_t offsets[MACHD_MAX_OOL];
    spill_offsets_of(p, offsets);
    for (; s->count < p->ool_count; s->count++) {
        uint32_t size = p->ool[s->count].size;
        s->sizes[s->count] = size;
        s->regions[s->count] = size ? spill_map_region(p->spill_fd, offsets[s->count], size) : NULL;
        if (size && !s->regions[s->count])
            return;
    }
    s->ndesc = ndesc;
    s->ready = true;
}

/* Frees what deliver did not take of T.pre (IPC lock held). */
static void release_spilled(void) {
    struct spilled_in *s = &T.pre;
    for (uint32_t i = 0; i < s->count; i++)
        if (s->regions[i])
            vm_region_free(s->regions[i], s->sizes[i]);
    if (s->kmsg)
        kmsg_free(s->kmsg);
    memset(s, 0, sizeof *s);
}

/* One datagram from machd into T.in (the reader only, no lock held). */
static int reader_receive(int timeout_ms) {
    int err = machd_conn_recv(&T.conn, T.in_buf, &T.in, timeout_ms);
    if (err == 0 && T.in.type == MACHD_MSG_DELIVER && (T.in.u.deliver.p.msgh_bits & MACHD_PAYLOAD_SPILLED))
        prepare_spilled(&T.in.u.deliver.p);
    if (err == 0 || err == ETIMEDOUT)
        return err;
    return err == EPIPE || err == EPROTO ? EPIPE : EAGAIN;
}

/* Acts on T.in (IPC lock held); false when machd refused us. */
static bool reader_act(void) {
    switch (T.in.type) {
    case MACHD_MSG_DELIVER:
        deliver(&T.in);
        release_spilled();
        if (T.in.u.deliver.p.spill_fd >= 0)
            close(T.in.u.deliver.p.spill_fd); /* its regions are mapped or copied by now */
        return true;
    case MACHD_PORT_DEAD:
        port_dead(T.in.u.port_dead.name);
        return true;
    case MACHD_QUEUE_FULL:
        queue_full(T.in.u.queue_full.name);
        return true;
    case MACHD_SENDERS_GONE:
        senders_gone(T.in.u.senders_gone.name, T.in.u.senders_gone.mscount);
        return true;
    case MACHD_BOOTSTRAP_REPLY:
    case MACHD_STATUS_REPLY:
        answer_waiter(&T.in);
        return true;
    case MACHD_ERROR:
        return false;
    default: /* SEND_REPLY errors of fire-and-forget sends: the message is lost, as in Mach
                when the destination dies after copyin */
        return true;
    }
}

/* Acts on T.in, then gives back the extra send references it brought (IPC lock held); false when
 * machd refused us. */
static bool reader_process(void) {
    bool ok = reader_act();
    flush_send_returns();
    return ok;
}

/* A MOD_REFS that changes nothing, on a handle this task never uses: machd's STATUS_REPLY
 * makes a thread blocked receiving from machd return. IPC lock held. */
static void reader_nudge(void) { tell_mod_refs(MACHD_HANDLE_NUDGE, MACHD_RIGHT_SEND, 0); }

static const struct machd_reader_ops reader_ops = {reader_receive, reader_process, connection_lost, reader_nudge,
                                                   credits_flush};

/* ---- fork ---- */

/* A child of fork() is a new task (docs/machd.md, "fork"): it does not share the parent's
 * connection or handles. It forgets them as if machd had gone (its copies of proxies become
 * dead names; its copies of exported ports are unknown to machd, whose senders reach the
 * parent's ports) and connects as itself on its next call that needs machd. */
static void fork_prepare(void) { pthread_mutex_lock(&T.start_mu); }

static void fork_parent(void) { pthread_mutex_unlock(&T.start_mu); }

/* Only the forking thread exists in the child: the standby thread and any thread that held
 * write_mu or wait_mu (or waited for a reply) are gone, so those are made anew. The core's
 * child handler, registered before this one, has already released the IPC lock. */
static void fork_child(void) {
    pthread_mutex_init(&T.write_mu, NULL);
    pthread_mutex_init(&T.wait_mu, NULL);
    pthread_cond_init(&T.wait_cv, NULL);
    T.waiters = NULL;
    T.rebinder_running = false;
    pthread_mutex_init(&T.rebind_mu, NULL);
    T.connected_before = false; /* the child's first connection is its first */
    __atomic_store_n(&T.rebind_due, false, __ATOMIC_RELAXED);
    ipc_lock();
    machd_names_clear(); /* the parent's names, not the child's */
    ipc_unlock();
    if (T.up) {
        ipc_lock();
        T.up = false;
        forget_links();
        ipc_unlock();
        machd_conn_close(&T.conn); /* our copy: the parent's connection is untouched */
    }
    pthread_mutex_unlock(&T.start_mu);
}

static void watch_forks(void) { (void)pthread_atfork(fork_prepare, fork_parent, fork_child); }

/* ---- starting, bootstrap ---- */

/* Connects (autostart: starting machd on demand, section 7) unless connected. */
static kern_return_t start_transport(bool autostart) {
    pthread_mutex_lock(&T.start_mu);
    kern_return_t kr = KERN_SUCCESS;
    if (!T.up) {
        if (!T.in_buf)
            T.in_buf = malloc(MACHD_MAX_PACKET);
        if (!T.in_buf || machd_conn_open(&T.conn, NULL, autostart) != 0) {
            kr = KERN_FAILURE;
        } else {
            static pthread_once_t fork_once = PTHREAD_ONCE_INIT;
            pthread_once(&fork_once, watch_forks);
            T.up = true;
            if (T.connected_before) /* a new machd: our names are to be bound again */
                __atomic_store_n(&T.rebind_due, true, __ATOMIC_RELEASE);
            T.connected_before = true;
            transport_set_export_ops(&machd_export_ops);
            ool_stage_set_ops(&machd_ops, &spill_stage_ops);
            if (!machd_reader_start(&reader_ops)) {
                T.up = false;
                machd_conn_close(&T.conn);
                kr = KERN_FAILURE;
            }
        }
    }
    pthread_mutex_unlock(&T.start_mu);
    return kr;
}

kern_return_t transport_machd_start(void) { return start_transport(true); }

/* Undoes export_handle for a port machd refused to learn (IPC lock held): the send right made
 * for machd is gone with the refused request. */
static void unexport(uint32_t h, struct link *l) {
    struct ipc_port *port = l->port;
    bool counted = l->remote_senders;
    port->export_handle = 0;
    link_drop(h);
    if (counted)
        transport_remote_senders(port, -1);
}

void transport_machd_stats_get(struct transport_machd_stats *out) {
    struct machd_reader_stats r;
    machd_reader_stats_get(&r);
    *out = (struct transport_machd_stats){__atomic_load_n(&T.conn.send_calls, __ATOMIC_RELAXED),
                                          __atomic_load_n(&T.conn.recv_calls, __ATOMIC_RELAXED),
                                          r.datagrams, r.nudges, r.handoffs, r.standby_datagrams};
}

/* Sends a request and waits for its reply (not under the IPC lock). */
static uint32_t request(struct machd_msg *m, struct waiter *w) {
    *w = (struct waiter){0};
    machd_reader_request_begin(); /* someone reads machd's connection until the reply came */
    pthread_mutex_lock(&T.write_mu);
    /* wait_mu is held across the send: the reader cannot match the reply before the waiter
     * is registered (it takes wait_mu to answer). */
    pthread_mutex_lock(&T.wait_mu);
    int err = T.up ? machd_conn_send(&T.conn, m) : EPIPE;
    if (!err) {
        w->seq = m->seq;
        w->next = T.waiters;
        T.waiters = w;
    }
    pthread_mutex_unlock(&T.wait_mu);
    pthread_mutex_unlock(&T.write_mu);
    if (err) {
        machd_reader_request_end();
        return MACH_SEND_INVALID_DEST;
    }
    pthread_mutex_lock(&T.wait_mu);
    while (!w->done)
        pthread_cond_wait(&T.wait_cv, &T.wait_mu);
    for (struct waiter **p = &T.waiters; *p; p = &(*p)->next)
        if (*p == w) {
            *p = w->next;
            break;
        }
    pthread_mutex_unlock(&T.wait_mu);
    machd_reader_request_end();
    return w->status;
}

/* One BOOTSTRAP request. `port`/`type`: the right an op with a right item binds (a port
 * reference holding that right, consumed), else NULL. On success *got is the right machd gave
 * (check-in, look-up, create; a reference holding it) or NULL, and *value the reply's name field
 * (STATUS). Not under the IPC lock. */
static kern_return_t bootstrap_request(uint32_t op, const char *name, struct ipc_port *port,
                                       mach_msg_type_name_t type, struct ipc_port **got, uint32_t *value) {
    *got = NULL;
    struct machd_msg m;
    memset(&m, 0, sizeof m);
    m.type = MACHD_BOOTSTRAP;
    m.u.bootstrap.op = op;
    m.u.bootstrap.name = name;
    m.u.bootstrap.name_len = (uint32_t)strnlen(name, MACHD_MAX_SERVICE_NAME + 1);
    struct pending_right pr = {NULL, AFTER_NOTHING, NULL};
    if (port) {
        ipc_lock();
        bool ok = encode_right(port, type, &m.u.bootstrap.right, &pr);
        if (!ok)
            right_destroy(port, type);
        ipc_unlock();
        if (!ok)
            return KERN_INVALID_RIGHT;
    }
    struct waiter w;
    uint32_t status = request(&m, &w);
    ipc_lock();
    uint32_t h = m.u.bootstrap.right.name;
    struct link *exported = (m.u.bootstrap.right.flags & MACHD_RIGHT_NEW) ? link_get(h) : NULL;
    if (exported && status != KERN_SUCCESS)
        unexport(h, exported); /* machd refused the name: it never learnt the port */
    else if (exported && !exported->port->transport)
        announce_room(h, &exported->rx, exported->port);
    if (pr.port)
        finish_right(&pr);
    if (status == KERN_SUCCESS && w.type != MACHD_DISP_NONE) {
        if (IPC_PORT_VALID(w.port))
            *got = w.port;
        else
            status = KERN_RESOURCE_SHORTAGE;
    }
    *value = w.name;
    ipc_unlock();
    return status;
}

/* Binds again, at a new machd, the names this task had bound at the one that died
 * (transport_machd_names.h): checked-in names to the receive rights still held, registered
 * names to the local ports still alive. A name someone else took meanwhile is given up. */
static void rebind_names(void) {
    pthread_mutex_lock(&T.rebind_mu); /* a task's own calls come after its names are back */
    if (!__atomic_exchange_n(&T.rebind_due, false, __ATOMIC_ACQ_REL)) {
        pthread_mutex_unlock(&T.rebind_mu);
        return;
    }
    ipc_lock();
    struct machd_name_record *all = machd_names_take_all();
    ipc_unlock();
    while (all) {
        struct machd_name_record *r = all;
        all = r->next;
        ipc_lock();
        bool ours = r->port->active && r->port->transport == NULL;
        if (ours)
            port_make_send(r->port); /* the right the request carries (MAKE_SEND at machd) */
        ipc_unlock();
        struct ipc_port *got;
        uint32_t value;
        kern_return_t kr = ours ? bootstrap_request(r->checked_in ? MACHD_BOOTSTRAP_RECLAIM : MACHD_BOOTSTRAP_REGISTER,
                                                    r->name, r->port, MACH_MSG_TYPE_PORT_SEND, &got, &value)
                                : KERN_FAILURE;
        ipc_lock();
        if (kr == KERN_SUCCESS)
            machd_names_note(r->name, r->port, r->checked_in);
        machd_names_free(r);
        ipc_unlock();
    }
    pthread_mutex_unlock(&T.rebind_mu);
}

/* The thread that waits for a new machd after the old one died, while this task has names to
 * bind again: once a machd listens at the path (restarted, or started on demand by another
 * task) it connects, binds them and ends. */
static void *rebinder(void *arg) {
    (void)arg;
    unsigned delay_ms = 20;
    for (;;) {
        ipc_lock();
        bool any = machd_names_any();
        ipc_unlock();
        if (!any)
            break;
        /* Only to a machd someone started: one stopped on purpose stays stopped. */
        if (start_transport(false) == KERN_SUCCESS) {
            rebind_names();
            break;
        }
        struct timespec ts = {0, (long)delay_ms * 1000000L};
        nanosleep(&ts, NULL);
        delay_ms = delay_ms < 500 ? delay_ms * 2 : 1000;
    }
    pthread_mutex_lock(&T.start_mu);
    T.rebinder_running = false;
    pthread_mutex_unlock(&T.start_mu);
    return NULL;
}

/* After the connection was lost (start_mu held): a task with names to bind again does not wait
 * for its next bootstrap call to reconnect. */
static void start_rebinder(void) {
    ipc_lock();
    bool any = machd_names_any();
    ipc_unlock();
    if (!any || T.rebinder_running)
        return;
    pthread_attr_t attr;
    pthread_t thread;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    T.rebinder_running = pthread_create(&thread, &attr, rebinder, NULL) == 0;
    pthread_attr_destroy(&attr);
}

/* What a successful request leaves to remember (IPC lock held). */
static void note_binding(uint32_t op, const char *name, struct ipc_port *bound, struct ipc_port *got) {
    if (op == MACHD_BOOTSTRAP_CHECK_IN && got)
        machd_names_note(name, got, true);
    else if (op == MACHD_BOOTSTRAP_REGISTER && bound && bound->active && !bound->transport)
        machd_names_note(name, bound, false);
    else if (op == MACHD_BOOTSTRAP_UNREGISTER)
        machd_names_forget(name);
}

kern_return_t transport_machd_bootstrap(uint32_t op, const char *name, mach_port_name_t right_in,
                                        mach_port_name_t *right_out) {
    if (!name || op < MACHD_BOOTSTRAP_CHECK_IN || op > MACHD_BOOTSTRAP_STATUS || op == MACHD_BOOTSTRAP_RECLAIM)
        return KERN_INVALID_ARGUMENT;
    if (transport_machd_start() != KERN_SUCCESS)
        return MACH_SEND_INVALID_DEST;
    rebind_names();
    struct ipc_space *space = ipc_space_current();
    struct ipc_port *port = NULL, *bound = NULL;
    mach_msg_type_name_t type = 0;
    if (op == MACHD_BOOTSTRAP_REGISTER) {
        ipc_lock();
        kern_return_t kr = right_copyin(space, right_in, MACH_MSG_TYPE_COPY_SEND, &port, &type);
        if (kr == KERN_SUCCESS && !IPC_PORT_VALID(port)) {
            right_destroy(port, type);
            kr = KERN_INVALID_RIGHT;
        }
        if (kr == KERN_SUCCESS) {
            bound = port;
            port_reference(bound); /* to remember the binding after the request */
        }
        ipc_unlock();
        if (kr != KERN_SUCCESS)
            return kr;
    }
    struct ipc_port *got;
    uint32_t value;
    kern_return_t status = bootstrap_request(op, name, port, type, &got, &value);
    ipc_lock();
    if (status == KERN_SUCCESS)
        note_binding(op, name, bound, got);
    if (bound)
        port_release(bound);
    if (status == KERN_SUCCESS && op == MACHD_BOOTSTRAP_STATUS && right_out)
        *right_out = value;
    if (got && right_out && status == KERN_SUCCESS)
        status = right_copyout(space, got, op == MACHD_BOOTSTRAP_CHECK_IN ? MACH_MSG_TYPE_PORT_RECEIVE
                                                                           : MACH_MSG_TYPE_PORT_SEND,
                               right_out);
    else if (got)
        right_destroy(got, op == MACHD_BOOTSTRAP_CHECK_IN ? MACH_MSG_TYPE_PORT_RECEIVE : MACH_MSG_TYPE_PORT_SEND);
    ipc_unlock();
    return status;
}

static bool machd_in_use(void) {
    const char *off = getenv("MACHD_DISABLE");
    if (off && strcmp(off, "1") == 0)
        return false;
    const char *env = getenv("MACHD_SOCKET");
    if (env && *env)
        return true;
    char path[108];
    bool private_dir;
    struct stat st;
    if (!machd_socket_path(path, sizeof path, &private_dir) || stat(path, &st) != 0 ||
        !S_ISSOCK(st.st_mode))
        return false;
    return machd_conn_listening(path);
}

bool transport_machd_take_bootstrap(void) {
    static bool done;
    pthread_mutex_lock(&T.start_mu);
    bool first = !done;
    done = true;
    pthread_mutex_unlock(&T.start_mu);
    return first && machd_in_use();
}
