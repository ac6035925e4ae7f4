/* machd broker: a task's space, the table handle -> entry (one per name; a send-once right always
 * has a name of its own), and the entries' links among their port's holders. */
#include "broker_internal.h"

#include <stdlib.h>

struct entry *entry_lookup(struct broker_task *t, uint32_t name) {
    return handle_map_get(&t->names, name);
}

struct entry *entry_for_port(struct broker_task *t, struct broker_port *p) {
    for (struct entry *e = p->holders; e; e = e->port_next)
        if (e->task == t && !e->send_once)
            return e;
    return NULL;
}

bool entry_room(const struct broker *b, const struct broker_task *t, uint32_t n) {
    if (t == b->keeper) /* machd's own: bounded by the names of created services */
        return t->names.count + n <= BROKER_MAX_ENTRIES_PER_TASK;
    return t->names.count + n <= b->limits.entries_per_task &&
           t->account->entries + n <= b->limits.entries_per_uid;
}

struct entry *entry_add(struct broker *b, struct broker_task *t, uint32_t name,
                        struct broker_port *p) {
    if (!entry_room(b, t, 1))
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
    t->account->entries++;
    return e;
}

/* A fresh machd-chosen handle: sequential in the machd range, never reused by a task. */
uint32_t entry_new_name(struct broker_task *t) {
    if (t->next_name >= MACHD_HANDLE_TASK_BIT)
        return MACHD_HANDLE_NULL;
    return t->next_name++;
}

void entry_remove(struct broker *b, struct entry *e) {
    if (e->route) /* its send right goes with it */
        channel_route_drop(b, e);
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
    e->task->account->entries--;
    free(e);
}

void entry_drop_if_empty(struct broker *b, struct entry *e) {
    if (e->route && e->send_urefs == 0) /* the last send right went: so does its route */
        channel_route_drop(b, e);
    if (!e->receive && !e->send_once && e->send_urefs == 0)
        entry_remove(b, e);
}
