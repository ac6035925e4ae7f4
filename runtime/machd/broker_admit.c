/* machd broker: queue limits across processes, the broker's side of flow.h: SEND_ADMIT waiters
 * and their deadlines, QUEUE_CREDIT from receivers, QUEUE_FULL hints (docs/machd.md, 3.2). */
#include "broker_internal.h"

#include <stdlib.h>
#include <string.h>

#include <mach/message.h>

/* Keeps b->waiting, the ports with senders waiting, in step with p: the walks over waiters
 * (deadlines, rechecks, a task's death) visit those ports, not every port. */
static void track_waiting(struct broker *b, struct broker_port *p) {
    bool waiting = p->flow.head != NULL;
    if (waiting == p->waiting_listed)
        return;
    if (waiting) {
        p->wait_prev = NULL;
        p->wait_next = b->waiting;
        if (b->waiting)
            b->waiting->wait_prev = p;
        b->waiting = p;
    } else {
        if (p->wait_prev)
            p->wait_prev->wait_next = p->wait_next;
        else
            b->waiting = p->wait_next;
        if (p->wait_next)
            p->wait_next->wait_prev = p->wait_prev;
    }
    p->waiting_listed = waiting;
}

static void answer_admit(struct broker *b, struct flow_waiter *w, uint32_t status, uint32_t credit_left) {
    if (w->timed)
        b->timed_waiters--;
    w->task->waiters--;
    broker_reply_status(b, w->task, MACHD_STATUS_REPLY, w->seq, status, credit_left);
    free(w);
}

/* The receive right died: its waiting senders get MACH_SEND_INVALID_DEST. */
void admit_fail_waiters(struct broker *b, struct broker_port *p) {
    for (struct flow_waiter *w; (w = flow_pop(&p->flow)) != NULL;)
        answer_admit(b, w, MACH_SEND_INVALID_DEST, 0);
    track_waiting(b, p);
}

void admit_drop_task(struct broker *b, struct broker_task *t) {
    for (struct broker_port *p = b->waiting, *next; p; p = next) {
        next = p->wait_next;
        b->timed_waiters -= flow_drop_task(&p->flow, t);
        track_waiting(b, p);
    }
    t->waiters = 0;
}

void admit_hold_back(struct broker *b, struct broker_task *t, struct broker_port *p, const struct entry *sender) {
    if (sender && sender->overshoot >= b->limits.overshoot)
        admit_pause(b, t, p);
}

void admit_pause(struct broker *b, struct broker_task *t, struct broker_port *p) {
    if (t->paused_on || !b->hooks->pause)
        return;
    t->paused_on = p;
    t->pause_prev = NULL;
    t->pause_next = p->paused;
    if (p->paused)
        p->paused->pause_prev = t;
    p->paused = t;
    b->hooks->pause(b->ctx, t->conn, true);
}

void admit_forget_held(struct broker_task *t) {
    struct broker_port *p = t->paused_on;
    if (!p)
        return;
    if (t->pause_prev)
        t->pause_prev->pause_next = t->pause_next;
    else
        p->paused = t->pause_next;
    if (t->pause_next)
        t->pause_next->pause_prev = t->pause_prev;
    t->paused_on = NULL;
}

void admit_receiver_changed(struct broker *b, struct broker_port *p) {
    flow_receiver_changed(&p->flow);
    /* Reservations were room at the old receiver: none of it is room at the new one. */
    for (struct entry *e = p->holders; e; e = e->port_next)
        e->admitted = 0;
    admit_release_held(b, p);
}

void admit_release_held(struct broker *b, struct broker_port *p) {
    while (p->paused) {
        struct broker_task *t = p->paused;
        admit_forget_held(t);
        b->hooks->pause(b->ctx, t->conn, false);
    }
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
        struct entry *e = entry_lookup(w->task, w->name);
        if (e && e->port == p && e->send_urefs > 0) {
            e->admitted += p->flow.active; /* a reservation only where room is counted */
            answer_admit(b, w, MACH_MSG_SUCCESS, credit_left(p));
        } else { /* the sender gave its right away meanwhile */
            flow_give_back(&p->flow, 1);
            answer_admit(b, w, MACH_SEND_INVALID_DEST, 0);
        }
    }
    track_waiting(b, p);
}

/* After a request: credit that came back (reservations of removed entries) admits waiters. */
void admit_recheck(struct broker *b) {
    if (!b->flow_recheck)
        return;
    b->flow_recheck = false;
    for (struct broker_port *p = b->waiting, *next; p; p = next) {
        next = p->wait_next;
        if (!p->flow.active || p->flow.credit > 0)
            flow_admit_waiters(b, p); /* may take p off the list, never another port */
    }
}

/* SEND_ADMIT: reserve room for one message to the port behind the sender's handle, waiting
 * (FIFO, until the deadline) while the receiver's queue is full; or give a reservation back. */
void admit_handle_send_admit(struct broker *b, struct broker_task *t, const struct machd_msg *req) {
    struct entry *e = entry_lookup(t, req->u.send_admit.name);
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
        broker_reply_status(b, t, MACHD_STATUS_REPLY, req->seq, MACH_SEND_INVALID_DEST, 0);
    } else if (flow_take(&e->port->flow)) {
        /* While the receiver has not announced its room nothing is taken, so nothing is reserved
         * either (given back later, it would count as room that never was). */
        e->admitted += e->port->flow.active;
        broker_reply_status(b, t, MACHD_STATUS_REPLY, req->seq, MACH_MSG_SUCCESS, credit_left(e->port));
    } else if (timed && req->u.send_admit.timeout_ms == 0) {
        broker_reply_status(b, t, MACHD_STATUS_REPLY, req->seq, MACH_SEND_TIMED_OUT, 0);
    } else if (t->waiters >= b->limits.waiters_per_task) {
        /* As many of its sends wait already as it may have: this one is refused at once. */
        broker_reply_status(b, t, MACHD_STATUS_REPLY, req->seq, MACH_SEND_NO_BUFFER, 0);
    } else {
        uint64_t deadline = timed ? b->hooks->now_ms(b->ctx) + req->u.send_admit.timeout_ms : 0;
        if (!flow_wait(&e->port->flow, t, req->seq, req->u.send_admit.name, timed, deadline)) {
            broker_reply_status(b, t, MACHD_STATUS_REPLY, req->seq, MACH_SEND_NO_BUFFER, 0);
        } else {
            t->waiters++;
            b->timed_waiters += timed;
            track_waiting(b, e->port);
        }
    }
}

/* QUEUE_CREDIT from the receiver (alone, or carried by its MSG_SEND): its room on the port
 * behind its handle `name`, and how many deliveries it has seen. */
void admit_apply_queue_credit(struct broker *b, struct broker_task *t, uint32_t name, uint32_t seen, uint32_t room) {
    struct entry *e = entry_lookup(t, name);
    if (!e || !e->receive)
        return; /* one-way: a stale or foreign handle changes nothing */
    flow_set_room(&e->port->flow, seen, room);
    flow_admit_waiters(b, e->port);
    if (e->port->flow.credit > 0)
        admit_release_held(b, e->port);
}

/* Takes the room a message to p uses; returns false when the queue is full (the message is
 * still delivered: the sender had no reason to wait, see docs/machd.md). */
bool admit_consume(struct broker_port *p, struct entry *sender, bool admitted) {
    if (admitted && sender->admitted) {
        sender->admitted--;
        sender->overshoot = 0; /* it asks for room: it heard machd */
        return !p->flow.active || p->flow.credit > 0;
    }
    if (flow_take(&p->flow)) {
        sender->overshoot = 0;
        return !p->flow.active || p->flow.credit > 0;
    }
    sender->overshoot++; /* past the full queue without asking (a race, or a hostile sender) */
    return false;
}

void admit_queue_full_hint(struct broker *b, struct broker_task *t, uint32_t name) {
    memset(&b->msg, 0, sizeof b->msg);
    b->msg.type = MACHD_QUEUE_FULL;
    b->msg.u.queue_full.name = name;
    broker_emit(b, t);
}

int broker_next_timeout_ms(struct broker *b, uint64_t now_ms) {
    uint64_t earliest = UINT64_MAX, d;
    if (fence_next_deadline(b, &d))
        earliest = d;
    if (claim_next_deadline(b, &d) && d < earliest)
        earliest = d;
    for (struct broker_port *p = b->timed_waiters ? b->waiting : NULL; p; p = p->wait_next)
        if (flow_earliest_deadline(&p->flow, &d) && d < earliest)
            earliest = d;
    if (earliest == UINT64_MAX)
        return -1;
    return earliest <= now_ms ? 0 : (int)(earliest - now_ms < 60000 ? earliest - now_ms : 60000);
}

void broker_expire(struct broker *b, uint64_t now_ms) {
    fence_expire(b, now_ms);
    fence_reap(b);
    claim_expire(b, now_ms);
    if (b->timed_waiters == 0)
        return;
    for (struct broker_port *p = b->waiting, *next; p; p = next) {
        next = p->wait_next;
        for (struct flow_waiter *w; (w = flow_next_expired(&p->flow, now_ms)) != NULL;)
            answer_admit(b, w, MACH_SEND_TIMED_OUT, 0);
        track_waiting(b, p);
    }
}
