/* machd broker: order across a receive right's move. When a task moves a receive right away,
 * deliveries machd had already written to it are still in its socket; its runtime forwards them
 * on the send right it kept, after the move. Until it says MOVED_DONE (it has read machd's MOVED
 * and forwarded everything before it), deliveries to the port from every other task are held
 * (in the keeper's space, broker_keeper.c), so that one sender's messages arrive in the order
 * sent. A fence is bounded (FENCE_MS, FENCE_MAX_HELD): a holder that never answers only delays
 * the port, then order is given up and nothing is lost (docs/machd.md 7). */
#include "broker_internal.h"

#include <mach/message.h>

/* How long a fence may hold a port's deliveries, and how many. */
#define FENCE_MS 2000u
#define FENCE_MAX_HELD 1024u
/* Past this many held deliveries on one port, their senders stop being read until it lifts. */
#define FENCE_PAUSE_AT 64u
/* Spilled deliveries held (machd keeps a duplicate of each memfd), over all fences. */
#define FENCE_MAX_FDS 256u

static void fence_unlink(struct broker *b, struct broker_port *p) {
    if (p->fence_prev)
        p->fence_prev->fence_next = p->fence_next;
    else
        b->fenced = p->fence_next;
    if (p->fence_next)
        p->fence_next->fence_prev = p->fence_prev;
    p->fence_prev = p->fence_next = NULL;
    p->fence_from = NULL;
}

void fence_lift(struct broker *b, struct broker_port *p) {
    if (!p->fence_from)
        return;
    fence_unlink(b, p);
    if (p->fence_held)
        keeper_held_forward(b, p, p->receiver, true);
    admit_release_held(b, p);
}

void fence_port_gone(struct broker *b, struct broker_port *p) {
    if (!p->fence_from)
        return;
    fence_unlink(b, p);
    keeper_held_orphan(b, p); /* destroyed by fence_reap: this may run inside a forward */
    admit_release_held(b, p);
}

void fence_reap(struct broker *b) {
    if (b->fence_orphans) {
        b->fence_orphans = false;
        keeper_held_discard(b, NULL);
    }
}

bool fence_holds(const struct broker_port *p, const struct broker_task *t) {
    return p && p->fence_from && p->fence_from != t;
}

/* Whether a message from t lifts the fence of its destination instead of waiting behind it:
 * the fence is full, or the message moves a receive right (its own deliveries would then have
 * to be held in the keeper's space too). */
static bool passes_bounds(struct broker *b, const struct broker_port *p, const struct machd_payload *pl) {
    struct broker_task *k = keeper_get(b);
    if (!k || p->fence_held >= FENCE_MAX_HELD || !entry_room(b, k, pl->right_count + 1))
        return false;
    if ((pl->msgh_bits & MACHD_PAYLOAD_SPILLED) && b->fence_fds >= FENCE_MAX_FDS)
        return false;
    for (uint32_t i = 0; i < pl->right_count; i++)
        if (machd_payload_right(pl, i).disposition == MACHD_DISP_MOVE_RECEIVE)
            return false;
    return true;
}

void fence_before_send(struct broker *b, struct broker_task *t, const struct machd_msg *req) {
    if (!b->fenced)
        return;
    const struct machd_payload *pl = &req->u.send.p;
    /* A fenced port's receive right moving on: what was held goes to its holder now (whose
     * runtime forwards it, in order, with its own backlog). */
    for (uint32_t i = 0; i < pl->right_count; i++) {
        struct machd_right r = machd_payload_right(pl, i);
        struct entry *e = r.disposition == MACHD_DISP_MOVE_RECEIVE ? entry_lookup(t, r.name) : NULL;
        if (e && e->receive)
            fence_lift(b, e->port);
    }
    if (req->u.send.flags & MACHD_SEND_TICKET)
        return;
    struct entry *d = entry_lookup(t, req->u.send.dest.name);
    if (d && fence_holds(d->port, t) && !passes_bounds(b, d->port, pl))
        fence_lift(b, d->port);
}

void fence_held_one(struct broker *b, struct broker_task *t, struct broker_port *p, bool spilled) {
    b->fence_fds += spilled;
    if (p->fence_held >= FENCE_PAUSE_AT)
        admit_pause(b, t, p);
}

void fence_start(struct broker *b, struct broker_port *p, struct broker_task *t) {
    if (p->fence_from || t == b->keeper || !p->receiver || p->receiver == b->keeper || !b->hooks->now_ms)
        return;
    struct entry *kept = entry_for_port(t, p);
    if (!kept || kept->send_urefs == 0)
        return; /* it cannot forward anything: nothing to wait for */
    p->fence_from = t;
    p->fence_deadline = b->hooks->now_ms(b->ctx) + FENCE_MS;
    p->fence_prev = NULL;
    p->fence_next = b->fenced;
    if (b->fenced)
        b->fenced->fence_prev = p;
    b->fenced = p;
}

void fence_handle_moved_done(struct broker *b, struct broker_task *t, uint32_t name) {
    struct entry *e = entry_lookup(t, name);
    if (e && e->port->fence_from == t)
        fence_lift(b, e->port);
}

void fence_forget_task(struct broker *b, struct broker_task *t) {
    for (struct broker_port *p = b->fenced, *next; p; p = next) {
        next = p->fence_next;
        if (p->fence_from == t)
            fence_lift(b, p);
    }
}

bool fence_next_deadline(const struct broker *b, uint64_t *deadline) {
    if (!b->fenced)
        return false;
    uint64_t earliest = UINT64_MAX;
    for (const struct broker_port *p = b->fenced; p; p = p->fence_next)
        if (p->fence_deadline < earliest)
            earliest = p->fence_deadline;
    *deadline = earliest;
    return true;
}

void fence_expire(struct broker *b, uint64_t now_ms) {
    for (struct broker_port *p = b->fenced, *next; p; p = next) {
        next = p->fence_next;
        if (p->fence_deadline <= now_ms)
            fence_lift(b, p);
    }
}
