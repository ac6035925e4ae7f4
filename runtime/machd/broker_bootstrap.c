/* machd broker: the bootstrap name table (launchd's rules: CHECK_IN, LOOK_UP, REGISTER,
 * RECLAIM, UNREGISTER, CREATE, STATUS), look-ups falling through from a user domain to the
 * system domain (broker_domain.c says which domain a task binds in), and the release of names
 * when ports or tasks die (docs/machd.md, 6). */
#include "broker_internal.h"

#include <stdlib.h>
#include <string.h>

#include <mach/kern_return.h>

/* Darwin's bootstrap status codes (servers/bootstrap.h). */
enum {
    BS_NOT_PRIVILEGED = 1100,
    BS_NAME_IN_USE = 1101,
    BS_UNKNOWN_SERVICE = 1102,
    BS_SERVICE_ACTIVE = 1103,
    BS_NO_MEMORY = 1105,
};

/* Counts a name against its owner and the owner's uid (b->limits), or gives it back. */
static void service_charge(struct service *s, struct broker_task *owner, int delta) {
    s->owner = owner;
    owner->names_bound += (uint32_t)delta;
    owner->account->names += (uint32_t)delta;
}

void bootstrap_release_port(struct broker *b, struct broker_port *p) {
    for (struct service **s = &b->services; *s && p->names_bound;) {
        if ((*s)->port == p) {
            struct service *dead = *s;
            *s = dead->next;
            service_charge(dead, dead->owner, -1);
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

static struct service *service_find(struct broker *b, const char *name, uint32_t len, uint32_t domain) {
    for (struct service *s = b->services; s; s = s->next)
        if (s->domain == domain && strlen(s->name) == len && memcmp(s->name, name, len) == 0)
            return s;
    return NULL;
}

/* Binds name to p for `owner`, in the owner's domain; the table takes one send reference to p
 * (counted here). */
static bool service_add(struct broker *b, const char *name, uint32_t len, struct broker_port *p,
                        enum service_state state, struct broker_task *owner) {
    if (b->counts.names >= BROKER_MAX_SERVICES || owner->names_bound >= b->limits.names_per_task ||
        owner->account->names >= b->limits.names_per_uid)
        return false;
    struct service *s = calloc(1, sizeof *s);
    if (!s)
        return false;
    memcpy(s->name, name, len);
    s->domain = domain_of(b, owner);
    s->state = state;
    service_charge(s, owner, +1);
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
    service_charge(gone, gone->owner, -1);
    p->names_bound--;
    p->table_urefs--;
    b->counts.names--;
    free(gone);
    port_send_urefs_drop(b, p, 1, NULL);
}

/* A dying task's names go with it (as launchd removes a job's services). */
void bootstrap_release_owned(struct broker *b, struct broker_task *owner) {
    for (struct service *s = b->services; s;) {
        if (s->owner != owner) {
            s = s->next;
            continue;
        }
        if (s->state == SERVICE_CREATED)
            keeper_port_destroy(b, s->port); /* releases the name with the port */
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
    broker_emit(b, t);
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
    /* A created service is its creator's job to run: only a task of the creator's user checks it
     * in (launchd: the job's own), never one of another user who can reach the socket. */
    if (s && s->owner->identity.uid != t->identity.uid) {
        bootstrap_reply(b, t, seq, BS_NOT_PRIVILEGED, 0, 0);
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
        service_charge(s, s->owner, -1);
        service_charge(s, t, +1);
    }
    uint32_t h = right_copyout(b, t, &tr);
    if (h == MACHD_HANDLE_NULL) {
        if (keeper_name != MACHD_HANDLE_NULL)
            keeper_held_discard(b, p);
        bootstrap_reply(b, t, seq, BS_NO_MEMORY, 0, 0);
        return;
    }
    bootstrap_reply(b, t, seq, 0, h, MACHD_DISP_MOVE_RECEIVE);
    if (keeper_name != MACHD_HANDLE_NULL) /* after the reply that names the receive right */
        keeper_held_forward(b, p, t, false);
}

/* CREATE: a new port whose receive right the keeper holds; the name is t's until a check-in. */
static void bootstrap_create(struct broker *b, struct broker_task *t, uint32_t seq, const char *name,
                             uint32_t len) {
    struct broker_task *k = keeper_get(b);
    struct broker_port *p = k ? port_create(b) : NULL;
    uint32_t kname = p ? entry_new_name(k) : MACHD_HANDLE_NULL;
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
    uint32_t h = right_copyout(b, t, &tr);
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
    right_copyin_reset(b->ci);
    if (!right_copyin_check(b->ci, t, &req->u.bootstrap.right)) {
        bootstrap_reply(b, t, seq, KERN_INVALID_RIGHT, 0, 0);
        return;
    }
    struct transit tr;
    if (!right_copyin_apply(b, t, &req->u.bootstrap.right, &tr)) {
        bootstrap_reply(b, t, seq, BS_NO_MEMORY, 0, 0);
        return;
    }
    if ((reclaim && tr.port->receiver != t) || (s && tr.port == s->port)) {
        /* RECLAIM needs the caller's receive right; nor can a created port replace itself. */
        right_transit_destroy(b, &tr);
        bootstrap_reply(b, t, seq, KERN_INVALID_RIGHT, 0, 0);
        return;
    }
    /* The created name is unbound first (its charge goes before the new one counts), its port
     * destroyed last: the deliveries held for it may carry the receive right of the very port
     * being registered, and destroying them then destroys that port, which the transit must not
     * still be pointing at (the broker fuzzer found the use after free). The name then goes with
     * it, as when a registered port dies. */
    struct broker_port *created = s ? s->port : NULL;
    if (s)
        service_remove(b, s);
    bool bound = service_add(b, name, len, tr.port, reclaim ? SERVICE_CHECKED_IN : SERVICE_REGISTERED, t);
    if (bound)
        tr.port->send_urefs--; /* the table now holds the right the task gave: service_add counted one */
    else
        right_transit_destroy(b, &tr);
    if (created)
        keeper_port_destroy(b, created);
    bootstrap_reply(b, t, seq, bound ? 0 : BS_NO_MEMORY, MACHD_HANDLE_NULL, MACHD_DISP_NONE);
}

void bootstrap_handle(struct broker *b, struct broker_task *t, const struct machd_msg *req) {
    const char *name = req->u.bootstrap.name;
    uint32_t len = req->u.bootstrap.name_len;
    uint32_t domain = domain_of(b, t);
    struct service *s = service_find(b, name, len, domain);
    uint32_t seq = req->seq;
    /* From a user domain, a name the domain does not have is looked for in the system domain;
     * there it may be looked up, never bound, replaced or removed. */
    struct service *sys = !s && domain != DOMAIN_SYSTEM ? service_find(b, name, len, DOMAIN_SYSTEM) : NULL;
    if (sys) {
        uint32_t op = req->u.bootstrap.op;
        if (op != MACHD_BOOTSTRAP_LOOK_UP && op != MACHD_BOOTSTRAP_STATUS) {
            bootstrap_reply(b, t, seq, BS_NOT_PRIVILEGED, 0, 0);
            return;
        }
        s = sys;
    }
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
        uint32_t h = right_copyout(b, t, &tr);
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
