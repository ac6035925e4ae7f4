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

/* Names machd chooses: a 24-bit index (from 0x100) under a 7-bit generation, below
 * MACHD_HANDLE_TASK_BIT (the task-chosen range), as Mach's names are an index and a generation.
 * An index comes back only after NAME_REUSE_AFTER other names were given back, and then under the
 * next generation: a task that sends to a name it gave up finds no right (or, after 128
 * generations of that index, one of its own), and a datagram about the old right, sent before
 * machd saw the name go, reaches the task before any about the new one (each direction is in
 * order). Before, names were never reused: a server whose every request brings a new send-once
 * reply right through the relay ran out of its 2^31 names after about 15 hours at 40,000 RPCs/s. */
#define NAME_INDEX_BITS 24u
#define NAME_INDEX_MASK ((1u << NAME_INDEX_BITS) - 1u)
#define NAME_GEN_MASK 0x7fu
#define NAME_FIRST_INDEX 0x100u
#define NAME_REUSE_AFTER 4096u

_Static_assert(((NAME_GEN_MASK << NAME_INDEX_BITS) | NAME_INDEX_MASK) < MACHD_HANDLE_TASK_BIT,
               "machd-chosen names stay below the task-chosen range");

static void name_given_back(struct broker_task *t, uint32_t name) {
    if (name >= MACHD_HANDLE_TASK_BIT || (name & NAME_INDEX_MASK) < NAME_FIRST_INDEX)
        return; /* chosen by the task (exports): not ours to hand out again */
    struct freed_names *f = &t->freed;
    if (f->count == f->cap) {
        uint32_t cap = f->cap ? 2 * f->cap : 256;
        uint32_t *grown = malloc(cap * sizeof *grown);
        if (!grown)
            return; /* the index is not reused: harmless */
        for (uint32_t i = 0; i < f->count; i++) /* unwrap the ring */
            grown[i] = f->names[(f->head + i) % f->cap];
        free(f->names);
        f->names = grown;
        f->head = 0;
        f->cap = cap;
    }
    f->names[(f->head + f->count) % f->cap] = name;
    f->count++;
}

uint32_t entry_new_name(struct broker_task *t) {
    struct freed_names *f = &t->freed;
    if (f->count > NAME_REUSE_AFTER || (t->next_name > NAME_INDEX_MASK && f->count > 0)) {
        uint32_t old = f->names[f->head];
        f->head = (f->head + 1) % f->cap;
        f->count--;
        uint32_t gen = ((old >> NAME_INDEX_BITS) + 1u) & NAME_GEN_MASK;
        return (gen << NAME_INDEX_BITS) | (old & NAME_INDEX_MASK);
    }
    if (t->next_name > NAME_INDEX_MASK)
        return MACHD_HANDLE_NULL;
    return t->next_name++;
}

void entry_names_fini(struct broker_task *t) {
    free(t->freed.names);
    t->freed = (struct freed_names){0};
}

void entry_remove(struct broker *b, struct entry *e) {
    if (e->route) /* its send right goes with it */
        channel_route_drop(b, e);
    if (e->admitted) { /* reserved room never used: another sender may have it */
        flow_give_back(&e->port->flow, e->admitted);
        b->flow_recheck = true;
    }
    handle_map_remove(&e->task->names, e->name);
    name_given_back(e->task, e->name);
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
