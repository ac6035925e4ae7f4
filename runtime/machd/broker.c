/* machd broker: broker spaces, ports and Mach's rules for moving rights between tasks; death
 * handling and the notifications it produces; bootstrap names. See docs/machd.md, sections 2-6. */
#include "broker.h"
#include "wire/machd_spill.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mach/kern_return.h>
#include <mach/message.h>
#include <mach/notify.h>

#include "flow.h"
#include "wire/handle_map.h"

/* Darwin's bootstrap status codes (servers/bootstrap.h). */
enum {
    BS_NOT_PRIVILEGED = 1100,
    BS_NAME_IN_USE = 1101,
    BS_UNKNOWN_SERVICE = 1102,
    BS_SERVICE_ACTIVE = 1103,
    BS_NO_MEMORY = 1105,
};

#define UREFS_MAX 0xffffu /* MACH_PORT_UREFS_MAX */

struct broker_port;

/* One name in one task's broker space. A send-once right always has a name of its own. */
struct entry {
    uint32_t name;
    struct broker_task *task;
    struct broker_port *port;
    uint32_t send_urefs;
    bool send_once;
    bool receive;
    uint32_t admitted;     /* room SEND_ADMIT reserved for this sender, not used yet */
    struct entry *port_prev, *port_next; /* the port's holders */
};

struct broker_port {
    struct broker_task *receiver; /* NULL only while a receive right moves inside a request */
    uint32_t recv_name;           /* the receiver's handle for the receive right */
    uint32_t send_urefs;          /* user references of send rights held in broker spaces */
    uint32_t mscount;             /* make-sends of the current receiver since it got the receive
                                     right (reset when the right moves: the receiver's runtime
                                     counts its own, which makes the no-senders race check work) */
    uint32_t names_bound;         /* bootstrap names bound to this port */
    uint32_t table_urefs;         /* send references held by the bootstrap table (counted) */
    struct broker_port *pd_notify; /* port-destroyed request: machd holds a send-once right */
    struct port_flow flow;        /* queue limit: room left, senders waiting (flow.h) */
    struct entry *holders;
    struct broker_port *prev, *next; /* every live port */
};

struct broker_task {
    struct machd_audit identity;
    void *conn;
    struct handle_map names;
    uint32_t next_name;
    struct broker_task *prev, *next;
};

/* What remains of one name while the items of one request are checked in order. */
struct pending {
    uint32_t name;
    uint32_t slot;         /* its place in copyin_scratch.index */
    struct entry *e;       /* NULL for a NEW export */
    uint32_t send_left;
    bool send_once_left;
    bool receive_left;
};

/* Power of two, more than twice the items of a request: names are found in O(1) even when a
 * message carries MACHD_MAX_RIGHTS distinct ones. */
#define CI_INDEX_SIZE 32768u

struct copyin_scratch {
    struct pending items[MACHD_MAX_RIGHTS + 3];
    size_t count;
    uint16_t index[CI_INDEX_SIZE]; /* 1 + position in items, by name hash; 0 = free */
};

/* How a name came to be bound (section 6 of docs/machd.md). */
enum service_state {
    SERVICE_CHECKED_IN, /* a task holds the receive right (CHECK_IN or RECLAIM) */
    SERVICE_REGISTERED, /* bound to a send right by REGISTER (may be unregistered) */
    SERVICE_CREATED,    /* CREATE: the keeper holds the receive right until a check-in */
};

struct service {
    char name[MACHD_MAX_SERVICE_NAME + 1];
    enum service_state state;
    struct broker_task *owner; /* the task that bound it; its names go when it dies */
    struct broker_port *port;
    struct service *next;
};

/* A delivery to a port the keeper holds (a created service nobody checked in yet), kept as the
 * encoded MSG_DELIVER datagram: its rights sit in the keeper's space under the handles it
 * names. Forwarded, rights moved to the new receiver, when a task checks in. */
struct held {
    struct held *next;
    uint32_t dest; /* the keeper's handle of the destination port */
    int fd;        /* spilled payload: machd's own duplicate of the memfd, else -1 */
    size_t len;
    uint8_t data[];
};

/* Messages held for created services, over all of them (section 6). */
#define KEEPER_MAX_HELD 64u

struct broker {
    const struct broker_hooks *hooks;
    void *ctx;
    struct broker_task *tasks;
    struct broker_port *ports;
    struct service *services;
    struct broker_counts counts;
    uint8_t out[MACHD_MAX_PACKET];
    struct machd_msg msg; /* scratch for outgoing messages: large, so not on the stack */
    struct copyin_scratch *ci;
    bool flow_recheck;     /* credit came back somewhere: admit waiters after this request */
    uint32_t timed_waiters; /* SEND_ADMIT waiters with a deadline, over all ports */
    /* The name service's own space: receive rights of created services (no connection). */
    struct broker_task *keeper;
    struct held *held, **held_tail;
    uint32_t held_count;
    struct machd_msg *fwd; /* scratch for a held delivery being forwarded or destroyed */
};

static bool keeper_hold(struct broker *b, size_t len, int fd);
static bool keeper_has_room(const struct broker *b) { return b->held_count < KEEPER_MAX_HELD; }

/* ---- emitting ---- */

static bool can_emit(struct broker *b, struct broker_task *to, size_t len) {
    if (to && to == b->keeper)
        return keeper_has_room(b);
    return to && b->hooks->room(b->ctx, to->conn, len);
}

/* Encodes b->msg and queues it for `to`, with fd (-1: none) attached, if there is room. */
static bool emit_fd(struct broker *b, struct broker_task *to, int fd) {
    size_t len = machd_proto_encode(&b->msg, b->out, sizeof b->out);
    if (len == 0 || !can_emit(b, to, len))
        return false;
    if (to == b->keeper)
        return keeper_hold(b, len, fd);
    if (fd >= 0)
        b->hooks->send_fd(b->ctx, to->conn, b->out, len, fd);
    else
        b->hooks->send(b->ctx, to->conn, b->out, len);
    return true;
}

static bool emit(struct broker *b, struct broker_task *to) { return emit_fd(b, to, -1); }

static void reply_status(struct broker *b, struct broker_task *t, uint16_t type, uint32_t seq,
                         uint32_t status, uint32_t value) {
    memset(&b->msg, 0, sizeof b->msg);
    b->msg.type = type;
    b->msg.seq = seq;
    if (type == MACHD_SEND_REPLY) {
        b->msg.u.send_reply.status = status;
    } else {
        b->msg.u.status_reply.status = status;
        b->msg.u.status_reply.value = value;
    }
    emit(b, t);
}

/* ---- broker spaces ---- */

static struct entry *lookup(struct broker_task *t, uint32_t name) {
    return handle_map_get(&t->names, name);
}

static struct entry *entry_for_port(struct broker_task *t, struct broker_port *p) {
    for (struct entry *e = p->holders; e; e = e->port_next)
        if (e->task == t && !e->send_once)
            return e;
    return NULL;
}

static struct entry *entry_add(struct broker *b, struct broker_task *t, uint32_t name,
                               struct broker_port *p) {
    if (t->names.count >= BROKER_MAX_ENTRIES_PER_TASK)
        return NULL;
    struct entry *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    if (!handle_map_put(&t->names, name, e)) {
        free(e);
        return NULL;
    }
    e->name = name;
    e->task = t;
    e->port = p;
    e->port_next = p->holders;
    if (p->holders)
        p->holders->port_prev = e;
    p->holders = e;
    b->counts.entries++;
    return e;
}

/* A fresh machd-chosen handle: sequential in the machd range, never reused by a task. */
static uint32_t new_name(struct broker_task *t) {
    if (t->next_name >= MACHD_HANDLE_TASK_BIT)
        return MACHD_HANDLE_NULL;
    return t->next_name++;
}

static void entry_remove(struct broker *b, struct entry *e) {
    if (e->admitted) { /* reserved room never used: another sender may have it */
        flow_give_back(&e->port->flow, e->admitted);
        b->flow_recheck = true;
    }
    handle_map_remove(&e->task->names, e->name);
    if (e->port_prev)
        e->port_prev->port_next = e->port_next;
    else
        e->port->holders = e->port_next;
    if (e->port_next)
        e->port_next->port_prev = e->port_prev;
    b->counts.entries--;
    free(e);
}

static void entry_drop_if_empty(struct broker *b, struct entry *e) {
    if (!e->receive && !e->send_once && e->send_urefs == 0)
        entry_remove(b, e);
}

/* ---- ports ---- */

static struct broker_port *port_create(struct broker *b) {
    struct broker_port *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->next = b->ports;
    if (b->ports)
        b->ports->prev = p;
    b->ports = p;
    b->counts.ports++;
    flow_init(&p->flow);
    return p;
}

static void port_free(struct broker *b, struct broker_port *p) {
    if (p->prev)
        p->prev->next = p->next;
    else
        b->ports = p->next;
    if (p->next)
        p->next->prev = p->prev;
    b->counts.ports--;
    free(p);
}

static void send_once_notification(struct broker *b, struct broker_port *p);
static void services_release_owned(struct broker *b, struct broker_task *owner);
static void keeper_destroy(struct broker *b);
static void port_destroy(struct broker *b, struct broker_port *p, struct broker_task *dying);
static void flow_fail_waiters(struct broker *b, struct broker_port *p);
static void flow_recheck(struct broker *b);

/* Send rights outside the receiver went away: tell the receiver when none are left. */
static void senders_check(struct broker *b, struct broker_port *p, struct broker_task *dying) {
    if (p->send_urefs != 0 || !p->receiver || p->receiver == dying)
        return;
    memset(&b->msg, 0, sizeof b->msg);
    b->msg.type = MACHD_SENDERS_GONE;
    b->msg.u.senders_gone.name = p->recv_name;
    b->msg.u.senders_gone.mscount = p->mscount;
    emit(b, p->receiver);
}

static void send_urefs_drop(struct broker *b, struct broker_port *p, uint32_t n, struct broker_task *dying) {
    p->send_urefs -= n;
    senders_check(b, p, dying);
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
    if (emit(b, p->receiver))
        flow_note_delivery(&p->flow);
}

/* A send-once right to p was destroyed unused: Mach sends a send-once notification. */
static void send_once_notification(struct broker *b, struct broker_port *p) {
    if (p->receiver)
        deliver_notification(b, p, MACH_NOTIFY_SEND_ONCE, NULL, 0, 0);
}

/* Moves p's receive right into a port-destroyed notification to `notify`'s receiver. Returns
 * false when that is impossible (notify port dead or in the dying task): p then dies. */
static bool port_destroyed_notification(struct broker *b, struct broker_port *p, struct broker_task *dying) {
    struct broker_port *notify = p->pd_notify;
    p->pd_notify = NULL;
    struct broker_task *to = notify->receiver;
    if (!to || to == dying)
        return false;
    struct entry *e = entry_for_port(to, p);
    if (!e) {
        uint32_t name = new_name(to);
        e = name ? entry_add(b, to, name, p) : NULL;
        if (!e)
            return false;
    }
    e->receive = true;
    p->receiver = to;
    p->recv_name = e->name;
    p->mscount = 0;
    flow_receiver_changed(&p->flow);
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

static void services_release(struct broker *b, struct broker_port *p) {
    for (struct service **s = &b->services; *s && p->names_bound;) {
        if ((*s)->port == p) {
            struct service *dead = *s;
            *s = dead->next;
            p->names_bound--;
            b->counts.names--;
            free(dead);
        } else {
            s = &(*s)->next;
        }
    }
    p->send_urefs -= p->table_urefs;
    p->table_urefs = 0;
}

/* Ports whose port-destroyed request names p lose it (machd's send-once right dies with p). */
static void pd_requests_drop(struct broker *b, struct broker_port *p) {
    for (struct broker_port *q = b->ports; q; q = q->next)
        if (q->pd_notify == p)
            q->pd_notify = NULL;
}

/* The receive right of p is destroyed: port-destroyed notification if requested, else the port
 * dies: every holder's send and send-once names become dead (PORT_DEAD), names are released. */
static void port_destroy(struct broker *b, struct broker_port *p, struct broker_task *dying) {
    struct entry *re = p->receiver ? entry_for_port(p->receiver, p) : NULL;
    if (re) {
        re->receive = false;
        p->receiver = NULL;
        entry_drop_if_empty(b, re);
    }
    p->receiver = NULL;
    if (p->pd_notify && port_destroyed_notification(b, p, dying))
        return;
    services_release(b, p);
    pd_requests_drop(b, p);
    flow_fail_waiters(b, p);
    while (p->holders) {
        struct entry *e = p->holders;
        struct broker_task *holder = e->task;
        uint32_t name = e->name;
        entry_remove(b, e);
        if (holder != dying) {
            memset(&b->msg, 0, sizeof b->msg);
            b->msg.type = MACHD_PORT_DEAD;
            b->msg.u.port_dead.name = name;
            emit(b, holder);
        }
    }
    port_free(b, p);
}

/* ---- tasks ---- */

struct broker *broker_create(const struct broker_hooks *hooks, void *ctx) {
    struct broker *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->ci = malloc(sizeof *b->ci);
    if (!b->ci) {
        free(b);
        return NULL;
    }
    b->hooks = hooks;
    b->ctx = ctx;
    b->held_tail = &b->held;
    return b;
}

void broker_destroy(struct broker *b) {
    if (!b)
        return;
    while (b->tasks)
        broker_task_destroy(b, b->tasks);
    keeper_destroy(b);
    while (b->ports) /* ports held only by the bootstrap table */
        port_destroy(b, b->ports, NULL);
    free(b->fwd);
    free(b->ci);
    free(b);
}

struct broker_task *broker_task_create(struct broker *b, const struct machd_audit *identity, void *conn) {
    struct broker_task *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->identity = *identity;
    t->conn = conn;
    t->next_name = 0x100;
    handle_map_init(&t->names);
    t->next = b->tasks;
    if (b->tasks)
        b->tasks->prev = t;
    b->tasks = t;
    b->counts.tasks++;
    return t;
}

const struct machd_audit *broker_task_identity(const struct broker_task *t) { return &t->identity; }

struct broker_counts broker_counts(const struct broker *b) { return b->counts; }

/* Walks t's table slots directly: while t dies, entries are only removed from its table (which
 * leaves tombstones and never rehashes), never added, so the walk stays valid. */
void broker_task_destroy(struct broker *b, struct broker_task *t) {
    struct handle_map *m = &t->names;
    /* Pass 0: its waiting sends (a sender that dies while blocked leaves nothing behind). */
    for (struct broker_port *p = b->ports; p; p = p->next)
        b->timed_waiters -= flow_drop_task(&p->flow, t);
    /* Pass 1: receive rights (ports die or move to their port-destroyed notify port). */
    for (size_t i = 0; i < m->cap; i++) {
        struct entry *e = m->values[i];
        if (e && e->receive)
            port_destroy(b, e->port, t);
    }
    /* Pass 2: send and send-once rights still held. */
    for (size_t i = 0; i < m->cap; i++) {
        struct entry *e = m->values[i];
        if (!e)
            continue;
        struct broker_port *p = e->port;
        bool was_send_once = e->send_once;
        uint32_t urefs = e->send_urefs;
        entry_remove(b, e);
        if (was_send_once)
            send_once_notification(b, p);
        else if (urefs)
            send_urefs_drop(b, p, urefs, t);
    }
    /* Pass 3: the names it bound (its rights are gone: nothing is told to it). */
    services_release_owned(b, t);
    handle_map_fini(&t->names);
    if (t->prev)
        t->prev->next = t->next;
    else
        b->tasks = t->next;
    if (t->next)
        t->next->prev = t->prev;
    b->counts.tasks--;
    free(t);
    flow_recheck(b);
}

static bool is_once(uint8_t disposition) {
    return disposition == MACHD_DISP_MOVE_SEND_ONCE || disposition == MACHD_DISP_MAKE_SEND_ONCE;
}

/* ---- copyin: check every right of a request against the sender's space, in order ---- */

/* Starts checking a new request (clears only the index slots the last one used). */
static void ci_reset(struct copyin_scratch *ci) {
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
    *pd = (struct pending){.name = r->name, .slot = slot, .e = lookup(t, r->name)};
    *fresh = true;
    if (pd->e) {
        pd->send_left = pd->e->send_urefs;
        pd->send_once_left = pd->e->send_once;
        pd->receive_left = pd->e->receive;
    }
    return pd;
}

/* Whether the sender can give right r, given what earlier items of the request used. */
static bool copyin_check(struct copyin_scratch *ci, struct broker_task *t, const struct machd_right *r) {
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
        if (!pd->receive_left)
            return false;
        pd->receive_left = false;
        return true;
    default:
        return false;
    }
}

/* A right taken out of the sender's space, on its way to the receiver. */
struct transit {
    struct broker_port *port; /* NULL: the item carries no right */
    uint8_t type;             /* MOVE_RECEIVE, MOVE_SEND or MOVE_SEND_ONCE (received types) */
    uint32_t raw_name;        /* MACHD_HANDLE_NULL / DEAD when port is NULL */
};

/* Applies a right already checked by copyin_check. Only fails (NULL port, false) when out of
 * memory creating a NEW export. */
static bool copyin_apply(struct broker *b, struct broker_task *t, const struct machd_right *r,
                         struct transit *out) {
    *out = (struct transit){NULL, 0, r->name};
    if (r->name == MACHD_HANDLE_NULL || r->name == MACHD_HANDLE_DEAD) {
        out->type = r->disposition == MACHD_DISP_MOVE_RECEIVE ? MACHD_DISP_MOVE_RECEIVE
                    : is_once(r->disposition)                  ? MACHD_DISP_MOVE_SEND_ONCE
                                                               : MACHD_DISP_MOVE_SEND;
        return true;
    }
    struct entry *e = lookup(t, r->name);
    if (!e) { /* NEW export: the port's receive right is in t */
        struct broker_port *p = port_create(b);
        if (!p)
            return false;
        e = entry_add(b, t, r->name, p);
        if (!e) {
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
static void transit_destroy(struct broker *b, struct transit *tr) {
    if (!tr->port)
        return;
    if (tr->type == MACHD_DISP_MOVE_SEND)
        send_urefs_drop(b, tr->port, 1, NULL);
    else if (tr->type == MACHD_DISP_MOVE_SEND_ONCE)
        send_once_notification(b, tr->port);
    else
        port_destroy(b, tr->port, NULL);
    tr->port = NULL;
}

/* Inserts the right into t's space; returns its name, or NULL handle when t is out of names or
 * memory (the right is then destroyed as if the message had been destroyed). */
static uint32_t copyout(struct broker *b, struct broker_task *t, struct transit *tr) {
    struct broker_port *p = tr->port;
    if (!p)
        return tr->raw_name;
    struct entry *e = tr->type == MACHD_DISP_MOVE_SEND_ONCE ? NULL : entry_for_port(t, p);
    if (!e) {
        uint32_t name = new_name(t);
        e = name ? entry_add(b, t, name, p) : NULL;
    }
    if (e && tr->type == MACHD_DISP_MOVE_SEND && e->send_urefs >= UREFS_MAX)
        e = NULL;
    if (!e) {
        transit_destroy(b, tr);
        return MACHD_HANDLE_NULL;
    }
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
        flow_receiver_changed(&p->flow);
        break;
    }
    return e->name;
}


/* ---- flow control: queue limits across processes (flow.h, docs/machd.md) ---- */

static void answer_admit(struct broker *b, struct flow_waiter *w, uint32_t status, uint32_t credit_left) {
    if (w->timed)
        b->timed_waiters--;
    reply_status(b, w->task, MACHD_STATUS_REPLY, w->seq, status, credit_left);
    free(w);
}

/* The receive right died: its waiting senders get MACH_SEND_INVALID_DEST. */
static void flow_fail_waiters(struct broker *b, struct broker_port *p) {
    for (struct flow_waiter *w; (w = flow_pop(&p->flow)) != NULL;)
        answer_admit(b, w, MACH_SEND_INVALID_DEST, 0);
}

/* The room left, for the sender's hint (no limit known: plenty). */
static uint32_t credit_left(const struct broker_port *p) {
    if (!p->flow.active)
        return MACHD_MAX_ROOM;
    return p->flow.credit > 0 ? (uint32_t)p->flow.credit : 0;
}

/* Lets in the waiters the port's credit allows, in order. */
static void flow_admit_waiters(struct broker *b, struct broker_port *p) {
    for (struct flow_waiter *w; (w = flow_next_admitted(&p->flow)) != NULL;) {
        struct entry *e = lookup(w->task, w->name);
        if (e && e->port == p && e->send_urefs > 0) {
            e->admitted++;
            answer_admit(b, w, MACH_MSG_SUCCESS, credit_left(p));
        } else { /* the sender gave its right away meanwhile */
            flow_give_back(&p->flow, 1);
            answer_admit(b, w, MACH_SEND_INVALID_DEST, 0);
        }
    }
}

/* After a request: credit that came back (reservations of removed entries) admits waiters. */
static void flow_recheck(struct broker *b) {
    if (!b->flow_recheck)
        return;
    b->flow_recheck = false;
    for (struct broker_port *p = b->ports; p; p = p->next)
        if (p->flow.head && (!p->flow.active || p->flow.credit > 0))
            flow_admit_waiters(b, p);
}

/* SEND_ADMIT: reserve room for one message to the port behind the sender's handle, waiting
 * (FIFO, until the deadline) while the receiver's queue is full; or give a reservation back. */
static void handle_send_admit(struct broker *b, struct broker_task *t, const struct machd_msg *req) {
    struct entry *e = lookup(t, req->u.send_admit.name);
    if (req->u.send_admit.flags & MACHD_ADMIT_RELEASE) {
        if (e && e->admitted) {
            e->admitted--;
            flow_give_back(&e->port->flow, 1);
            flow_admit_waiters(b, e->port);
        }
        return;
    }
    bool timed = (req->u.send_admit.flags & MACHD_ADMIT_TIMED) != 0;
    if (!e || e->send_urefs == 0 || !e->port->receiver) {
        reply_status(b, t, MACHD_STATUS_REPLY, req->seq, MACH_SEND_INVALID_DEST, 0);
    } else if (flow_take(&e->port->flow)) {
        e->admitted++;
        reply_status(b, t, MACHD_STATUS_REPLY, req->seq, MACH_MSG_SUCCESS, credit_left(e->port));
    } else if (timed && req->u.send_admit.timeout_ms == 0) {
        reply_status(b, t, MACHD_STATUS_REPLY, req->seq, MACH_SEND_TIMED_OUT, 0);
    } else {
        uint64_t deadline = timed ? b->hooks->now_ms(b->ctx) + req->u.send_admit.timeout_ms : 0;
        if (!flow_wait(&e->port->flow, t, req->seq, req->u.send_admit.name, timed, deadline))
            reply_status(b, t, MACHD_STATUS_REPLY, req->seq, MACH_SEND_NO_BUFFER, 0);
        else if (timed)
            b->timed_waiters++;
    }
}

/* QUEUE_CREDIT from the receiver (alone, or carried by its MSG_SEND): its room on the port
 * behind its handle `name`, and how many deliveries it has seen. */
static void apply_queue_credit(struct broker *b, struct broker_task *t, uint32_t name, uint32_t seen, uint32_t room) {
    struct entry *e = lookup(t, name);
    if (!e || !e->receive)
        return; /* one-way: a stale or foreign handle changes nothing */
    flow_set_room(&e->port->flow, seen, room);
    flow_admit_waiters(b, e->port);
}

/* Takes the room a message to p uses; returns false when the queue is full (the message is
 * still delivered: the sender had no reason to wait, see docs/machd.md). */
static bool flow_consume(struct broker_port *p, struct entry *sender, bool admitted) {
    if (admitted && sender->admitted) {
        sender->admitted--;
        return !p->flow.active || p->flow.credit > 0;
    }
    return flow_take(&p->flow) && (!p->flow.active || p->flow.credit > 0);
}

static void queue_full_hint(struct broker *b, struct broker_task *t, uint32_t name) {
    memset(&b->msg, 0, sizeof b->msg);
    b->msg.type = MACHD_QUEUE_FULL;
    b->msg.u.queue_full.name = name;
    emit(b, t);
}

int broker_next_timeout_ms(struct broker *b, uint64_t now_ms) {
    if (b->timed_waiters == 0)
        return -1;
    uint64_t earliest = UINT64_MAX, d;
    for (struct broker_port *p = b->ports; p; p = p->next)
        if (flow_earliest_deadline(&p->flow, &d) && d < earliest)
            earliest = d;
    if (earliest == UINT64_MAX)
        return -1;
    return earliest <= now_ms ? 0 : (int)(earliest - now_ms < 60000 ? earliest - now_ms : 60000);
}

void broker_expire(struct broker *b, uint64_t now_ms) {
    if (b->timed_waiters == 0)
        return;
    for (struct broker_port *p = b->ports; p; p = p->next)
        for (struct flow_waiter *w; (w = flow_next_expired(&p->flow, now_ms)) != NULL;)
            answer_admit(b, w, MACH_SEND_TIMED_OUT, 0);
}

/* ---- requests ---- */

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

/* Checks every right of a MSG_SEND in Mach's order (destination, reply, body) and returns the
 * Mach error of the first that the sender cannot give, or MACH_MSG_SUCCESS. */
static uint32_t send_check(struct broker *b, struct broker_task *t, const struct machd_msg *req,
                           struct broker_port **dest_port) {
    struct copyin_scratch *ci = b->ci;
    ci_reset(ci);
    const struct machd_payload *pl = &req->u.send.p;
    if (!copyin_check(ci, t, &req->u.send.dest))
        return MACH_SEND_INVALID_DEST;
    struct entry *de = lookup(t, req->u.send.dest.name);
    *dest_port = de->port;
    if (!de->port->receiver)
        return MACH_SEND_INVALID_DEST;
    if (req->u.send.reply.disposition != MACHD_DISP_NONE && !copyin_check(ci, t, &req->u.send.reply))
        return MACH_SEND_INVALID_REPLY;
    for (uint32_t i = 0; i < pl->right_count; i++) {
        struct machd_right r = machd_payload_right(pl, i);
        if (!copyin_check(ci, t, &r))
            return MACH_SEND_INVALID_RIGHT;
        /* A message may not carry the receive right of its own destination. */
        struct entry *e = r.disposition == MACHD_DISP_MOVE_RECEIVE ? lookup(t, r.name) : NULL;
        if (e && e->port == *dest_port)
            return MACH_SEND_INVALID_RIGHT;
    }
    uint32_t st = spill_check(b, pl, (*dest_port)->receiver);
    if (st != MACH_MSG_SUCCESS)
        return st;
    size_t len = machd_deliver_size(pl);
    if (len > MACHD_MAX_PACKET)
        return MACH_SEND_TOO_LARGE;
    if (!can_emit(b, (*dest_port)->receiver, len))
        return MACH_SEND_NO_BUFFER;
    return MACH_MSG_SUCCESS;
}

/* Takes the destination right out of the sender: it is consumed by the delivery. Returns how
 * many send references disappear with it (checked for senders-gone after delivering). */
static uint32_t consume_dest(struct broker *b, struct broker_task *t, const struct machd_right *d) {
    struct entry *e = lookup(t, d->name);
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
                send_once_notification(b, p->pd_notify);
            p->pd_notify = notify;
            tr[i + 1].port = NULL;
        }
        i++;
    }
}

/* Destroys the rights of transits tr[0..n): receive rights last, so no right names a port freed
 * by an earlier one. */
static void transits_destroy(struct broker *b, struct transit *tr, uint32_t n) {
    for (uint32_t i = 0; i < n; i++)
        if (tr[i].type != MACHD_DISP_MOVE_RECEIVE)
            transit_destroy(b, &tr[i]);
    for (uint32_t i = 0; i < n; i++)
        transit_destroy(b, &tr[i]);
}

/* A MSG_SEND refused after its sender took it as sent (ACK_ERRORS_ONLY: the runtime settled its
 * rights when it wrote the message, e.g. to a destination that died meanwhile): the message is
 * destroyed as Mach destroys one whose destination died after copyin. Every right the sender
 * can give is taken (NEW exports registered first, so machd knows those ports afterwards) and
 * destroyed; rights the sender does not hold are skipped. */
static void destroy_refused(struct broker *b, struct broker_task *t, const struct machd_msg *req) {
    static struct send_out so; /* machd is single-threaded; too large for the stack */
    const struct machd_payload *pl = &req->u.send.p;
    ci_reset(b->ci);
    if (copyin_check(b->ci, t, &req->u.send.dest)) {
        struct broker_port *p = lookup(t, req->u.send.dest.name)->port;
        uint8_t disp = req->u.send.dest.disposition;
        if (consume_dest(b, t, &req->u.send.dest))
            send_urefs_drop(b, p, 1, NULL);
        else if (disp == MACHD_DISP_MOVE_SEND_ONCE)
            send_once_notification(b, p);
        else if (disp == MACHD_DISP_MAKE_SEND)
            senders_check(b, p, NULL);
    }
    so.reply = (struct transit){NULL, 0, MACHD_HANDLE_NULL};
    if (req->u.send.reply.disposition != MACHD_DISP_NONE && copyin_check(b->ci, t, &req->u.send.reply))
        (void)copyin_apply(b, t, &req->u.send.reply, &so.reply);
    for (uint32_t i = 0; i < pl->right_count; i++) {
        so.rights[i] = (struct transit){NULL, 0, MACHD_HANDLE_NULL};
        struct machd_right r = machd_payload_right(pl, i);
        if (copyin_check(b->ci, t, &r))
            (void)copyin_apply(b, t, &r, &so.rights[i]);
    }
    pd_requests_take(b, pl, so.rights);
    transit_destroy(b, &so.reply);
    transits_destroy(b, so.rights, pl->right_count);
}

static void handle_send(struct broker *b, struct broker_task *t, const struct machd_msg *req) {
    if (req->u.send.flags & MACHD_SEND_CREDIT) /* whatever becomes of the message */
        apply_queue_credit(b, t, req->u.send.credit.name, req->u.send.credit.seen, req->u.send.credit.room);
    struct broker_port *dest = NULL;
    uint32_t st = send_check(b, t, req, &dest);
    if (st != MACH_MSG_SUCCESS) {
        if (req->u.send.flags & MACHD_SEND_ACK_ERRORS_ONLY)
            destroy_refused(b, t, req);
        reply_status(b, t, MACHD_SEND_REPLY, req->seq, st, 0);
        return;
    }
    static struct send_out so; /* machd is single-threaded; too large for the stack */
    const struct machd_payload *pl = &req->u.send.p;
    /* Queue limit: send-once messages are never held back (as in Mach). */
    bool room_left = is_once(req->u.send.dest.disposition) ||
                     flow_consume(dest, lookup(t, req->u.send.dest.name),
                                  (req->u.send.flags & MACHD_SEND_ADMITTED) != 0);
    uint32_t dest_dropped = consume_dest(b, t, &req->u.send.dest);
    bool ok = true;
    so.reply = (struct transit){NULL, 0, MACHD_HANDLE_NULL};
    if (req->u.send.reply.disposition != MACHD_DISP_NONE)
        ok = copyin_apply(b, t, &req->u.send.reply, &so.reply);
    for (uint32_t i = 0; ok && i < pl->right_count; i++) {
        struct machd_right r = machd_payload_right(pl, i);
        ok = copyin_apply(b, t, &r, &so.rights[i]);
    }
    if (!ok) {
        /* Out of memory creating an export: the rights taken so far are lost with the message. */
        if (dest_dropped)
            send_urefs_drop(b, dest, dest_dropped, NULL);
        reply_status(b, t, MACHD_SEND_REPLY, req->seq, MACH_SEND_NO_BUFFER, 0);
        return;
    }
    pd_requests_take(b, pl, so.rights);
    struct broker_task *to = dest->receiver;
    so.reply_name = copyout(b, to, &so.reply);
    for (uint32_t i = 0; i < pl->right_count; i++)
        so.names[i] = is_pd_notify_item(pl, i) ? MACHD_HANDLE_NULL : copyout(b, to, &so.rights[i]);

    memset(&b->msg, 0, sizeof b->msg);
    b->msg.type = MACHD_MSG_DELIVER;
    b->msg.u.deliver.dest = (struct machd_right){dest->recv_name,
                                                 is_once(req->u.send.dest.disposition) ? MACHD_DISP_MOVE_SEND_ONCE
                                                                                       : MACHD_DISP_MOVE_SEND,
                                                 0};
    if (so.reply_name != MACHD_HANDLE_NULL)
        b->msg.u.deliver.reply = (struct machd_right){so.reply_name, so.reply.type, 0};
    b->msg.u.deliver.audit = t->identity;
    struct machd_payload *out = &b->msg.u.deliver.p;
    out->msgh_bits = pl->msgh_bits;
    out->msgh_id = pl->msgh_id;
    out->body = pl->body;
    out->body_len = pl->body_len;
    out->ool_count = pl->ool_count;
    memcpy(out->ool, pl->ool, pl->ool_count * sizeof pl->ool[0]);
    out->right_count = 0;
    for (uint32_t i = 0; i < pl->right_count; i++) {
        if (is_pd_notify_item(pl, i))
            continue;
        /* A receive right that arrived (copyout gave it a name, so the port lives) says whether
         * machd holds a port-destroyed request for it. */
        bool armed = so.rights[i].type == MACHD_DISP_MOVE_RECEIVE && so.names[i] != MACHD_HANDLE_NULL &&
                     so.rights[i].port->pd_notify;
        so.items[out->right_count++] =
            (struct machd_right){so.names[i], so.rights[i].type, armed ? MACHD_RIGHT_PD_ARMED : 0};
    }
    out->rights = so.items;
    if (emit_fd(b, to, pl->msgh_bits & MACHD_PAYLOAD_SPILLED ? pl->spill_fd : -1))
        flow_note_delivery(&dest->flow);
    if (!room_left) /* the sender's next messages to this port ask for room first */
        queue_full_hint(b, t, req->u.send.dest.name);
    if (dest_dropped)
        send_urefs_drop(b, dest, dest_dropped, NULL);
    else if (req->u.send.dest.disposition == MACHD_DISP_MAKE_SEND)
        senders_check(b, dest, NULL);
    if (!(req->u.send.flags & MACHD_SEND_ACK_ERRORS_ONLY))
        reply_status(b, t, MACHD_SEND_REPLY, req->seq, MACH_MSG_SUCCESS, 0);
}

static uint32_t mod_refs(struct broker *b, struct broker_task *t, uint32_t name, uint32_t right, int32_t delta) {
    struct entry *e = lookup(t, name);
    if (!e)
        return KERN_INVALID_NAME;
    struct broker_port *p = e->port;
    switch (right) {
    case MACHD_RIGHT_SEND: {
        /* On a name holding the receive right, +n makes send rights (mach_port_insert_right
         * with MAKE_SEND): a task keeps local senders when it moves the receive right out. */
        if (e->send_urefs == 0 && !(e->receive && delta > 0))
            return KERN_INVALID_RIGHT;
        if (e->send_urefs == 0)
            p->mscount += (uint32_t)delta;
        int64_t n = (int64_t)e->send_urefs + delta;
        if (n < 0)
            return KERN_INVALID_VALUE;
        if (n > UREFS_MAX)
            return KERN_UREFS_OVERFLOW;
        e->send_urefs = (uint32_t)n;
        p->send_urefs = (uint32_t)((int64_t)p->send_urefs + delta);
        entry_drop_if_empty(b, e);
        senders_check(b, p, NULL);
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
        send_once_notification(b, p);
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
static void handle_notify_request(struct broker *b, struct broker_task *t, const struct machd_msg *req) {
    struct entry *e = lookup(t, req->u.notify_request.name);
    uint32_t st = !e ? KERN_INVALID_NAME : !e->receive ? KERN_INVALID_RIGHT : KERN_SUCCESS;
    const struct machd_right *nr = &req->u.notify_request.notify;
    struct transit tr = {NULL, 0, MACHD_HANDLE_NULL};
    if (st == KERN_SUCCESS && nr->disposition != MACHD_DISP_NONE) {
        ci_reset(b->ci);
        if (!copyin_check(b->ci, t, nr))
            st = KERN_INVALID_CAPABILITY;
        else if (!copyin_apply(b, t, nr, &tr))
            st = KERN_RESOURCE_SHORTAGE;
    }
    if (st != KERN_SUCCESS) {
        reply_status(b, t, MACHD_STATUS_REPLY, req->seq, st, 0);
        return;
    }
    struct broker_port *p = lookup(t, req->u.notify_request.name)->port;
    struct transit previous = {p->pd_notify, MACHD_DISP_MOVE_SEND_ONCE, MACHD_HANDLE_NULL};
    p->pd_notify = tr.port;
    uint32_t previous_name = copyout(b, t, &previous);
    reply_status(b, t, MACHD_STATUS_REPLY, req->seq, KERN_SUCCESS, previous_name);
}

static struct service *service_find(struct broker *b, const char *name, uint32_t len) {
    for (struct service *s = b->services; s; s = s->next)
        if (strlen(s->name) == len && memcmp(s->name, name, len) == 0)
            return s;
    return NULL;
}

/* Binds name to p for `owner`; the table takes one send reference to p (counted here). */
static bool service_add(struct broker *b, const char *name, uint32_t len, struct broker_port *p,
                        enum service_state state, struct broker_task *owner) {
    if (b->counts.names >= BROKER_MAX_SERVICES)
        return false;
    struct service *s = calloc(1, sizeof *s);
    if (!s)
        return false;
    memcpy(s->name, name, len);
    s->state = state;
    s->owner = owner;
    s->port = p;
    s->next = b->services;
    b->services = s;
    p->names_bound++;
    p->table_urefs++;
    p->send_urefs++;
    b->counts.names++;
    return true;
}

/* Unbinds one name: the table's send right to its port goes (senders-gone if it was the last). */
static void service_remove(struct broker *b, struct service *gone) {
    for (struct service **s = &b->services; *s; s = &(*s)->next)
        if (*s == gone) {
            *s = gone->next;
            break;
        }
    struct broker_port *p = gone->port;
    p->names_bound--;
    p->table_urefs--;
    b->counts.names--;
    free(gone);
    send_urefs_drop(b, p, 1, NULL);
}

/* ---- the keeper: receive rights of created services, and the messages sent to them ---- */

static struct broker_task *keeper_get(struct broker *b) {
    if (b->keeper)
        return b->keeper;
    if (!b->fwd && !(b->fwd = malloc(sizeof *b->fwd)))
        return NULL;
    struct broker_task *k = calloc(1, sizeof *k);
    if (!k)
        return NULL;
    k->next_name = 0x100;
    handle_map_init(&k->names);
    b->keeper = k; /* not in b->tasks: it has no connection and is not counted as a task */
    return k;
}

/* emit_fd's target when the receiver is the keeper: deliveries are kept, events dropped (the
 * keeper's entries already reflect them). */
static bool keeper_hold(struct broker *b, size_t len, int fd) {
    if (b->msg.type != MACHD_MSG_DELIVER)
        return true;
    struct held *h = malloc(sizeof *h + len);
    if (!h)
        return false;
    h->fd = fd >= 0 ? fcntl(fd, F_DUPFD_CLOEXEC, 0) : -1;
    if (fd >= 0 && h->fd < 0) {
        free(h);
        return false;
    }
    h->next = NULL;
    h->dest = b->msg.u.deliver.dest.name;
    h->len = len;
    memcpy(h->data, b->out, len);
    *b->held_tail = h;
    b->held_tail = &h->next;
    b->held_count++;
    return true;
}

/* Takes the next held delivery to the keeper's port `dest` out of the list, or NULL. */
static struct held *held_take(struct broker *b, uint32_t dest) {
    for (struct held **hp = &b->held; *hp; hp = &(*hp)->next) {
        struct held *h = *hp;
        if (h->dest != dest)
            continue;
        *hp = h->next;
        if (b->held_tail == &h->next)
            b->held_tail = hp;
        b->held_count--;
        return h;
    }
    return NULL;
}

/* Moves the right the keeper holds under `name` (received as `type`) out of its space. A right
 * whose port died meanwhile comes out as a dead name. */
static void keeper_take(struct broker *b, uint32_t name, uint8_t type, struct transit *tr) {
    struct machd_right r = {name, type, 0};
    ci_reset(b->ci);
    if (name == MACHD_HANDLE_NULL || name == MACHD_HANDLE_DEAD || !copyin_check(b->ci, b->keeper, &r)) {
        *tr = (struct transit){NULL, type, name == MACHD_HANDLE_NULL ? name : MACHD_HANDLE_DEAD};
        return;
    }
    (void)copyin_apply(b, b->keeper, &r, tr); /* moving an existing right cannot fail */
}

/* Decodes held delivery h into b->fwd and moves each of its rights out of the keeper's space:
 * into `to`'s space (renamed in b->fwd), or destroyed when `to` is NULL. */
static bool held_move_rights(struct broker *b, struct held *h, struct broker_task *to) {
    struct machd_msg *m = b->fwd;
    if (machd_proto_decode(h->data, h->len, m) != MACHD_DECODE_OK || m->type != MACHD_MSG_DELIVER)
        return false; /* cannot happen: machd encoded it */
    struct machd_payload *pl = &m->u.deliver.p;
    static struct machd_right items[MACHD_MAX_RIGHTS]; /* renamed here (machd is single-threaded) */
    for (uint32_t i = 0; i < pl->right_count; i++)
        items[i] = machd_payload_right(pl, i);
    pl->rights = items;
    for (uint32_t i = 0; i <= pl->right_count; i++) {
        struct machd_right *r = i < pl->right_count ? &items[i] : &m->u.deliver.reply;
        if (i == pl->right_count && r->disposition == MACHD_DISP_NONE)
            continue;
        struct transit tr;
        keeper_take(b, r->name, r->disposition, &tr);
        if (to)
            r->name = copyout(b, to, &tr);
        else
            transit_destroy(b, &tr);
    }
    return true;
}

static void held_free(struct held *h) {
    if (h->fd >= 0)
        close(h->fd);
    free(h);
}

/* The keeper's port `dest` dies or is gone: its held deliveries are destroyed with it. */
static void held_discard(struct broker *b, uint32_t dest) {
    for (struct held *h; (h = held_take(b, dest)) != NULL;) {
        (void)held_move_rights(b, h, NULL);
        held_free(h);
    }
}

/* A task checked in a created service: the deliveries held for it follow the receive right, in
 * order, with their original audit identity (as Mach keeps a queue when a receive right moves).
 * One the receiver's connection cannot take is destroyed. */
static void held_forward(struct broker *b, uint32_t dest, struct broker_task *to, struct broker_port *p) {
    for (struct held *h; (h = held_take(b, dest)) != NULL;) {
        bool room = can_emit(b, to, h->len) && (h->fd < 0 || b->hooks->room_fd(b->ctx, to->conn));
        if (held_move_rights(b, h, room ? to : NULL) && room) {
            b->fwd->u.deliver.dest.name = p->recv_name;
            memcpy(&b->msg, b->fwd, sizeof b->msg);
            if (emit_fd(b, to, h->fd))
                flow_note_delivery(&p->flow);
        }
        held_free(h);
    }
}

/* The port of a created service dies (its name is taken over or its creator died). */
static void created_port_destroy(struct broker *b, struct broker_port *p) {
    held_discard(b, p->recv_name);
    port_destroy(b, p, NULL);
}

/* At shutdown: held deliveries destroyed, then the keeper's space like any dying task's. */
static void keeper_destroy(struct broker *b) {
    struct broker_task *k = b->keeper;
    if (!k)
        return;
    while (b->held) {
        struct held *h = held_take(b, b->held->dest);
        (void)held_move_rights(b, h, NULL);
        held_free(h);
    }
    b->keeper = NULL;
    k->next = b->tasks; /* linked and counted only to die like a task */
    if (b->tasks)
        b->tasks->prev = k;
    b->tasks = k;
    b->counts.tasks++;
    broker_task_destroy(b, k);
}

/* A dying task's names go with it (as launchd removes a job's services). */
static void services_release_owned(struct broker *b, struct broker_task *owner) {
    for (struct service *s = b->services; s;) {
        if (s->owner != owner) {
            s = s->next;
            continue;
        }
        if (s->state == SERVICE_CREATED)
            created_port_destroy(b, s->port); /* releases the name with the port */
        else
            service_remove(b, s);
        s = b->services; /* the list changed */
    }
}

/* ---- bootstrap requests ---- */

static void bootstrap_reply(struct broker *b, struct broker_task *t, uint32_t seq, uint32_t status,
                            uint32_t name, uint32_t type) {
    memset(&b->msg, 0, sizeof b->msg);
    b->msg.type = MACHD_BOOTSTRAP_REPLY;
    b->msg.seq = seq;
    b->msg.u.bootstrap_reply.status = status;
    b->msg.u.bootstrap_reply.name = status ? MACHD_HANDLE_NULL : name;
    b->msg.u.bootstrap_reply.type = status ? MACHD_DISP_NONE : type;
    emit(b, t);
}

/* Why task t may not bind a name that is bound already (launchd's rules): another task's name
 * is not its to take, its own live name is active. */
static uint32_t bound_status(const struct service *s, const struct broker_task *t) {
    return s->owner != t ? BS_NOT_PRIVILEGED : BS_SERVICE_ACTIVE;
}

/* CHECK_IN: a free name gets a new port whose receive right goes to t; a created one hands the
 * keeper's receive right over, with the messages held for it. */
static void bootstrap_check_in(struct broker *b, struct broker_task *t, uint32_t seq, struct service *s,
                               const char *name, uint32_t len) {
    if (s && s->state != SERVICE_CREATED) {
        bootstrap_reply(b, t, seq, bound_status(s, t), 0, 0);
        return;
    }
    struct broker_port *p = s ? s->port : port_create(b);
    struct transit tr = {p, MACHD_DISP_MOVE_RECEIVE, MACHD_HANDLE_NULL};
    uint32_t keeper_name = s ? p->recv_name : MACHD_HANDLE_NULL;
    if (s) {
        keeper_take(b, keeper_name, MACHD_DISP_MOVE_RECEIVE, &tr);
    } else if (!p || !service_add(b, name, len, p, SERVICE_CHECKED_IN, t)) {
        if (p)
            port_free(b, p);
        bootstrap_reply(b, t, seq, BS_NO_MEMORY, 0, 0);
        return;
    }
    if (s) { /* before copyout: if it fails the port dies, and the name with it */
        s->state = SERVICE_CHECKED_IN;
        s->owner = t;
    }
    uint32_t h = copyout(b, t, &tr);
    if (h == MACHD_HANDLE_NULL) {
        if (keeper_name != MACHD_HANDLE_NULL)
            held_discard(b, keeper_name);
        bootstrap_reply(b, t, seq, BS_NO_MEMORY, 0, 0);
        return;
    }
    bootstrap_reply(b, t, seq, 0, h, MACHD_DISP_MOVE_RECEIVE);
    if (keeper_name != MACHD_HANDLE_NULL) /* after the reply that names the receive right */
        held_forward(b, keeper_name, t, p);
}

/* CREATE: a new port whose receive right the keeper holds; the name is t's until a check-in. */
static void bootstrap_create(struct broker *b, struct broker_task *t, uint32_t seq, const char *name,
                             uint32_t len) {
    struct broker_task *k = keeper_get(b);
    struct broker_port *p = k ? port_create(b) : NULL;
    uint32_t kname = p ? new_name(k) : MACHD_HANDLE_NULL;
    struct entry *e = kname != MACHD_HANDLE_NULL ? entry_add(b, k, kname, p) : NULL;
    if (!e) {
        if (p)
            port_free(b, p);
        bootstrap_reply(b, t, seq, BS_NO_MEMORY, 0, 0);
        return;
    }
    e->receive = true;
    p->receiver = k;
    p->recv_name = kname;
    if (!service_add(b, name, len, p, SERVICE_CREATED, t)) {
        port_destroy(b, p, NULL);
        bootstrap_reply(b, t, seq, BS_NO_MEMORY, 0, 0);
        return;
    }
    p->mscount = 2; /* the table's send right and the caller's */
    p->send_urefs++;
    struct transit tr = {p, MACHD_DISP_MOVE_SEND, MACHD_HANDLE_NULL};
    uint32_t h = copyout(b, t, &tr);
    bootstrap_reply(b, t, seq, h ? 0 : BS_NO_MEMORY, h, MACHD_DISP_MOVE_SEND);
}

/* REGISTER and RECLAIM: binds the name to the send right in the request (RECLAIM: made from a
 * receive right t holds, and the name counts as checked in). A created name of t's is replaced,
 * its port destroyed. */
static void bootstrap_bind(struct broker *b, struct broker_task *t, const struct machd_msg *req, struct service *s) {
    const char *name = req->u.bootstrap.name;
    uint32_t len = req->u.bootstrap.name_len, seq = req->seq;
    bool reclaim = req->u.bootstrap.op == MACHD_BOOTSTRAP_RECLAIM;
    if (s && (s->state != SERVICE_CREATED || s->owner != t)) {
        bootstrap_reply(b, t, seq, bound_status(s, t), 0, 0);
        return;
    }
    ci_reset(b->ci);
    if (!copyin_check(b->ci, t, &req->u.bootstrap.right)) {
        bootstrap_reply(b, t, seq, KERN_INVALID_RIGHT, 0, 0);
        return;
    }
    struct transit tr;
    if (!copyin_apply(b, t, &req->u.bootstrap.right, &tr)) {
        bootstrap_reply(b, t, seq, BS_NO_MEMORY, 0, 0);
        return;
    }
    if ((reclaim && tr.port->receiver != t) || (s && tr.port == s->port)) {
        /* RECLAIM needs the caller's receive right; nor can a created port replace itself. */
        transit_destroy(b, &tr);
        bootstrap_reply(b, t, seq, KERN_INVALID_RIGHT, 0, 0);
        return;
    }
    if (s)
        created_port_destroy(b, s->port);
    if (!service_add(b, name, len, tr.port, reclaim ? SERVICE_CHECKED_IN : SERVICE_REGISTERED, t)) {
        transit_destroy(b, &tr);
        bootstrap_reply(b, t, seq, BS_NO_MEMORY, 0, 0);
        return;
    }
    /* The table now holds the right the task gave: service_add counted one reference. */
    tr.port->send_urefs--;
    bootstrap_reply(b, t, seq, 0, MACHD_HANDLE_NULL, MACHD_DISP_NONE);
}

static void handle_bootstrap(struct broker *b, struct broker_task *t, const struct machd_msg *req) {
    const char *name = req->u.bootstrap.name;
    uint32_t len = req->u.bootstrap.name_len;
    struct service *s = service_find(b, name, len);
    uint32_t seq = req->seq;
    switch (req->u.bootstrap.op) {
    case MACHD_BOOTSTRAP_CHECK_IN:
        bootstrap_check_in(b, t, seq, s, name, len);
        return;
    case MACHD_BOOTSTRAP_LOOK_UP: {
        if (!s) {
            bootstrap_reply(b, t, seq, BS_UNKNOWN_SERVICE, 0, 0);
            return;
        }
        s->port->send_urefs++;
        struct transit tr = {s->port, MACHD_DISP_MOVE_SEND, MACHD_HANDLE_NULL};
        uint32_t h = copyout(b, t, &tr);
        bootstrap_reply(b, t, seq, h ? 0 : BS_NO_MEMORY, h, MACHD_DISP_MOVE_SEND);
        return;
    }
    case MACHD_BOOTSTRAP_REGISTER:
    case MACHD_BOOTSTRAP_RECLAIM:
        bootstrap_bind(b, t, req, s);
        return;
    case MACHD_BOOTSTRAP_UNREGISTER:
        if (!s || s->owner != t || s->state != SERVICE_REGISTERED) {
            bootstrap_reply(b, t, seq, s ? BS_NOT_PRIVILEGED : BS_UNKNOWN_SERVICE, 0, 0);
            return;
        }
        service_remove(b, s);
        bootstrap_reply(b, t, seq, 0, MACHD_HANDLE_NULL, MACHD_DISP_NONE);
        return;
    case MACHD_BOOTSTRAP_CREATE:
        if (s)
            bootstrap_reply(b, t, seq, BS_NAME_IN_USE, 0, 0);
        else
            bootstrap_create(b, t, seq, name, len);
        return;
    case MACHD_BOOTSTRAP_STATUS:
        if (!s)
            bootstrap_reply(b, t, seq, BS_UNKNOWN_SERVICE, 0, 0);
        else /* BOOTSTRAP_STATUS_INACTIVE 0, _ACTIVE 1 */
            bootstrap_reply(b, t, seq, 0, s->state == SERVICE_CREATED ? 0 : 1, MACHD_DISP_NONE);
        return;
    }
}

static void handle_stats(struct broker *b, struct broker_task *t, const struct machd_msg *req) {
    memset(&b->msg, 0, sizeof b->msg);
    b->msg.type = MACHD_STATS_REPLY;
    b->msg.seq = req->seq;
    b->msg.u.stats_reply.tasks = b->counts.tasks;
    b->msg.u.stats_reply.ports = b->counts.ports;
    b->msg.u.stats_reply.entries = b->counts.entries;
    b->msg.u.stats_reply.names = b->counts.names;
    b->msg.u.stats_reply.rss_bytes = b->hooks->rss_bytes ? b->hooks->rss_bytes(b->ctx) : 0;
    if (b->hooks->io_counts)
        b->hooks->io_counts(b->ctx, &b->msg.u.stats_reply.io);
    emit(b, t);
}

void broker_handle(struct broker *b, struct broker_task *t, const struct machd_msg *req) {
    switch (req->type) {
    case MACHD_MSG_SEND:
        handle_send(b, t, req);
        break;
    case MACHD_MOD_REFS: {
        uint32_t st = mod_refs(b, t, req->u.mod_refs.name, req->u.mod_refs.right, req->u.mod_refs.delta);
        reply_status(b, t, MACHD_STATUS_REPLY, req->seq, st, 0);
        break;
    }
    case MACHD_NOTIFY_REQUEST:
        handle_notify_request(b, t, req);
        break;
    case MACHD_BOOTSTRAP:
        handle_bootstrap(b, t, req);
        break;
    case MACHD_STATS:
        handle_stats(b, t, req);
        break;
    case MACHD_SEND_ADMIT:
        handle_send_admit(b, t, req);
        break;
    case MACHD_QUEUE_CREDIT:
        apply_queue_credit(b, t, req->u.queue_credit.name, req->u.queue_credit.seen, req->u.queue_credit.room);
        break;
    default: /* HELLO belongs to the connection layer; replies and events never come from tasks */
        break;
    }
    flow_recheck(b);
}
