/* machd broker: tasks (one per connection): creation with the identity the kernel reported, and
 * teardown, which destroys a task's space as Mach destroys an IPC space (docs/machd.md, 4). */
#include "broker_internal.h"

#include <stdlib.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

struct broker_uid *broker_account_get(struct broker *b, uint32_t uid) {
    for (struct broker_uid *u = b->uids; u; u = u->next)
        if (u->uid == uid)
            return u;
    struct broker_uid *u = calloc(1, sizeof *u);
    if (!u)
        return NULL;
    u->uid = uid;
    u->next = b->uids;
    b->uids = u;
    return u;
}

/* Drops uid's counts with its last task (what it held is gone by then). */
static void account_put(struct broker *b, struct broker_uid *gone) {
    if (--gone->tasks != 0)
        return;
    for (struct broker_uid **u = &b->uids; *u; u = &(*u)->next)
        if (*u == gone) {
            *u = gone->next;
            break;
        }
    free(gone);
}

struct broker_task *broker_task_create(struct broker *b, const struct machd_audit *identity, void *conn) {
    struct broker_task *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->account = broker_account_get(b, identity->uid);
    if (!t->account) {
        free(t);
        return NULL;
    }
    t->account->tasks++;
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

void broker_task_set_direct(struct broker_task *t, bool direct) { t->direct = direct; }

const struct machd_audit *broker_task_identity(const struct broker_task *t) { return &t->identity; }

/* Gives freed heap back to the system (glibc keeps it otherwise: a task that held 65,536 entries
 * left machd about 12 MiB larger) once entries freed since the last trim reach half of those
 * still live, and at least BROKER_TRIM_ENTRIES: a trim costs about the heap's size, so this keeps
 * it proportional to what was freed, and small deaths never pay for one. */
#define BROKER_TRIM_ENTRIES 4096u
static void trim_after(struct broker *b, uint32_t freed) {
    b->freed_since_trim += freed;
    if (b->freed_since_trim < BROKER_TRIM_ENTRIES || b->freed_since_trim < b->counts.entries / 2)
        return;
    b->freed_since_trim = 0;
#ifdef __GLIBC__
    malloc_trim(0);
#endif
}

/* Walks t's table slots directly: while t dies, entries are only removed from its table (a
 * walk: removals leave tombstones and never shrink it), never added, so the walk stays valid.
 * The table is freed at the end, whatever it held at its peak. */
void broker_task_destroy(struct broker *b, struct broker_task *t) {
    struct handle_map *m = &t->names;
    uint32_t entries_before = b->counts.entries;
    handle_map_walk_begin(m); /* ended by handle_map_fini below */
    /* Pass 0: its channels and routes (ROUTE_DEL for its routes), and its waiting sends (a
     * sender that dies while blocked leaves nothing behind). */
    channel_forget_task(b, t);
    fence_forget_task(b, t); /* what it did not forward is lost with it */
    if (t->waiters)
        admit_drop_task(b, t);
    admit_forget_held(t);
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
            port_send_once_notification(b, p);
        else if (urefs)
            port_send_urefs_drop(b, p, urefs, t);
    }
    /* Pass 3: the names it bound (its rights are gone: nothing is told to it). */
    bootstrap_release_owned(b, t);
    handle_map_fini(&t->names);
    entry_names_fini(t);
    fileport_release_all(b, t); /* fileports whose receive right went elsewhere (the keeper) */
    if (t->prev)
        t->prev->next = t->next;
    else
        b->tasks = t->next;
    if (t->next)
        t->next->prev = t->prev;
    b->counts.tasks--;
    account_put(b, t->account);
    free(t);
    fence_reap(b);
    admit_recheck(b);
    trim_after(b, entries_before > b->counts.entries ? entries_before - b->counts.entries : 0);
}
