/* machd flow control for one port: credit from the receiver's announced room, FIFO waiters with
 * deadlines. See flow.h and docs/machd.md ("Queue limits across processes"). */
#include "flow.h"

#include <stdlib.h>

void flow_init(struct port_flow *f) { *f = (struct port_flow){.active = false}; }

void flow_receiver_changed(struct port_flow *f) {
    f->active = false;
    f->credit = 0;
    f->delivered = 0;
}

void flow_note_delivery(struct port_flow *f) { f->delivered++; }

void flow_set_room(struct port_flow *f, uint32_t seen, uint32_t room) {
    uint32_t in_flight = f->delivered - seen; /* modular: counters wrap together */
    f->credit = (int64_t)room - (int64_t)in_flight;
    f->active = true;
}

bool flow_take(struct port_flow *f) {
    if (!f->active)
        return true;
    if (f->head || f->credit <= 0)
        return false;
    f->credit--;
    return true;
}

void flow_give_back(struct port_flow *f, uint32_t n) { f->credit += n; }

bool flow_wait(struct port_flow *f, struct broker_task *task, uint32_t seq, uint32_t name, bool timed,
               uint64_t deadline_ms) {
    struct flow_waiter *w = calloc(1, sizeof *w);
    if (!w)
        return false;
    *w = (struct flow_waiter){task, seq, name, timed, deadline_ms, NULL};
    if (f->tail)
        f->tail->next = w;
    else
        f->head = w;
    f->tail = w;
    return true;
}

/* Unlinks *link (a pointer into the list) and returns the waiter. */
static struct flow_waiter *unlink_at(struct port_flow *f, struct flow_waiter **link, struct flow_waiter *prev) {
    struct flow_waiter *w = *link;
    *link = w->next;
    if (f->tail == w)
        f->tail = prev;
    w->next = NULL;
    return w;
}

struct flow_waiter *flow_next_admitted(struct port_flow *f) {
    if (!f->head || (f->active && f->credit <= 0))
        return NULL;
    if (f->active)
        f->credit--;
    return unlink_at(f, &f->head, NULL);
}

struct flow_waiter *flow_next_expired(struct port_flow *f, uint64_t now_ms) {
    struct flow_waiter *prev = NULL;
    for (struct flow_waiter **link = &f->head; *link; prev = *link, link = &(*link)->next)
        if ((*link)->timed && (*link)->deadline_ms <= now_ms)
            return unlink_at(f, link, prev);
    return NULL;
}

struct flow_waiter *flow_pop(struct port_flow *f) { return f->head ? unlink_at(f, &f->head, NULL) : NULL; }

uint32_t flow_drop_task(struct port_flow *f, const struct broker_task *task) {
    uint32_t timed = 0;
    struct flow_waiter *prev = NULL;
    for (struct flow_waiter **link = &f->head; *link;) {
        if ((*link)->task == task) {
            struct flow_waiter *w = unlink_at(f, link, prev);
            timed += w->timed;
            free(w);
        } else {
            prev = *link;
            link = &(*link)->next;
        }
    }
    return timed;
}

bool flow_earliest_deadline(const struct port_flow *f, uint64_t *deadline_ms) {
    bool any = false;
    for (const struct flow_waiter *w = f->head; w; w = w->next)
        if (w->timed && (!any || w->deadline_ms < *deadline_ms)) {
            *deadline_ms = w->deadline_ms;
            any = true;
        }
    return any;
}
