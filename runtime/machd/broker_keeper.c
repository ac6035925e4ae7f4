/* machd broker: the keeper, the name service's own space: it holds the receive rights of created
 * services until a task checks in, and the deliveries sent to them meanwhile (docs/machd.md, 6). */
#include "broker_internal.h"
#include "wire/machd_spill.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A delivery to a port the keeper holds (a created service nobody checked in yet), or to a
 * port behind a fence (broker_fence.c), kept as the encoded MSG_DELIVER datagram: its rights
 * sit in the keeper's space under the handles it names. Forwarded, rights moved to the
 * receiver, when a task checks in or the fence lifts. */
struct held {
    struct held *next;
    struct broker_port *port; /* the destination */
    bool fenced;   /* held behind a fence (counted in port->fence_held), not for the keeper */
    int fd;        /* spilled payload: machd's own duplicate of the memfd, else -1 */
    bool fileports; /* it carries rights to fileports (their descriptors stay with the ports) */
    size_t len;
    uint8_t data[];
};

/* Messages held for created services, over all of them (section 6). */
#define KEEPER_MAX_HELD 64u

bool keeper_has_room(const struct broker *b) { return b->held_count < KEEPER_MAX_HELD; }

struct broker_task *keeper_get(struct broker *b) {
    if (b->keeper)
        return b->keeper;
    if (!b->fwd && !(b->fwd = malloc(sizeof *b->fwd)))
        return NULL;
    struct broker_task *k = calloc(1, sizeof *k);
    if (!k)
        return NULL;
    k->account = broker_account_get(b, BROKER_KEEPER_UID);
    if (!k->account) {
        free(k);
        return NULL;
    }
    k->account->tasks++;
    k->next_name = 0x100;
    handle_map_init(&k->names);
    b->keeper = k; /* not in b->tasks: it has no connection and is not counted as a task */
    return k;
}

/* broker_emit_fd's target when the receiver is the keeper: deliveries are kept, events dropped (the
 * keeper's entries already reflect them). */
bool keeper_hold(struct broker *b, size_t len, int fd) {
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
    h->fileports = machd_payload_fileports(&b->msg.u.deliver.p) > 0;
    h->fenced = b->holding_for != NULL;
    if (h->fenced) {
        h->port = b->holding_for;
    } else {
        struct entry *e = entry_lookup(b->keeper, b->msg.u.deliver.dest.name);
        h->port = e ? e->port : NULL;
    }
    h->len = len;
    memcpy(h->data, b->out, len);
    *b->held_tail = h;
    b->held_tail = &h->next;
    if (h->fenced)
        h->port->fence_held++;
    else
        b->held_count++;
    return true;
}

/* Takes the next held delivery to p out of the list, or NULL. */
static struct held *held_take(struct broker *b, const struct broker_port *p) {
    for (struct held **hp = &b->held; *hp; hp = &(*hp)->next) {
        struct held *h = *hp;
        if (h->port != p)
            continue;
        *hp = h->next;
        if (b->held_tail == &h->next)
            b->held_tail = hp;
        if (h->fenced) {
            if (h->port)
                h->port->fence_held--;
            if (h->fd >= 0)
                b->fence_fds--;
        } else {
            b->held_count--;
        }
        return h;
    }
    return NULL;
}

/* Moves the right the keeper holds under `name` (received as `type`) out of its space. A right
 * whose port died meanwhile comes out as a dead name. */
void keeper_take(struct broker *b, uint32_t name, uint8_t type, struct transit *tr) {
    struct machd_right r = {name, type, 0};
    right_copyin_reset(b->ci);
    if (name == MACHD_HANDLE_NULL || name == MACHD_HANDLE_DEAD || !right_copyin_check(b->ci, b->keeper, &r)) {
        *tr = (struct transit){NULL, type, name == MACHD_HANDLE_NULL ? name : MACHD_HANDLE_DEAD};
        return;
    }
    (void)right_copyin_apply(b, b->keeper, &r, tr); /* moving an existing right cannot fail */
}

/* Decodes held delivery h into b->fwd and moves each of its rights out of the keeper's space:
 * into `to`'s space (renamed in b->fwd), or destroyed when `to` is NULL. The descriptors of the
 * delivery (the held memfd, then machd's own of each fileport right that arrived: FILEPORT stays
 * only on those) go to fds (MACHD_MAX_FDS_PER_PACKET), their count to *nfds. */
static bool held_move_rights(struct broker *b, struct held *h, struct broker_task *to, int *fds, int *nfds) {
    *nfds = 0;
    if (h->fd >= 0)
        fds[(*nfds)++] = h->fd;
    struct machd_msg *m = b->fwd;
    if (machd_proto_decode(h->data, h->len, m) != MACHD_DECODE_OK || m->type != MACHD_MSG_DELIVER)
        return false; /* cannot happen: machd encoded it */
    struct machd_payload *pl = &m->u.deliver.p;
    static struct machd_right items[MACHD_MAX_RIGHTS]; /* renamed here (machd is single-threaded) */
    for (uint32_t i = 0; i < pl->right_count; i++)
        items[i] = machd_payload_right(pl, i);
    pl->rights = items;
    /* All out of the keeper's space first, then into `to`'s; what does not fit there (and
     * everything, when there is no `to`) is destroyed last, receive rights after the others. */
    static struct transit tr[MACHD_MAX_RIGHTS + 1];
    static struct machd_right *of[MACHD_MAX_RIGHTS + 1]; /* the item each transit renames */
    uint32_t n = 0;
    for (uint32_t i = 0; i < pl->right_count; i++)
        of[n++] = &items[i];
    if (m->u.deliver.reply.disposition != MACHD_DISP_NONE)
        of[n++] = &m->u.deliver.reply;
    for (uint32_t k = 0; k < n; k++)
        keeper_take(b, of[k]->name, of[k]->disposition, &tr[k]);
    for (uint32_t k = 0; to && k < n; k++) {
        struct broker_port *port = tr[k].port;
        of[k]->name = right_copyout_keep(b, to, &tr[k]);
        if (of[k]->name != MACHD_HANDLE_NULL)
            tr[k].port = NULL; /* it is `to`'s now */
        /* A fileport's descriptor goes with the right if it arrived (not as a dead name). */
        bool fileport = (of[k]->flags & MACHD_RIGHT_FILEPORT) && port && !tr[k].port && port->fd >= 0 &&
                        *nfds < MACHD_MAX_FDS_PER_PACKET;
        if (fileport)
            fds[(*nfds)++] = port->fd;
        else
            of[k]->flags &= (uint8_t)~MACHD_RIGHT_FILEPORT;
    }
    right_transits_destroy(b, tr, n);
    return true;
}

static void held_free(struct held *h) {
    if (h->fd >= 0)
        close(h->fd); /* a spilled payload: a memfd machd checked, whose close never blocks */
    free(h);
}

/* p dies or is gone: its held deliveries are destroyed with it. */
void keeper_held_discard(struct broker *b, struct broker_port *p) {
    for (struct held *h; (h = held_take(b, p)) != NULL;) {
        int fds[MACHD_MAX_FDS_PER_PACKET], nfds;
        (void)held_move_rights(b, h, NULL, fds, &nfds);
        held_free(h);
    }
}

void keeper_held_orphan(struct broker *b, struct broker_port *p) {
    for (struct held *h = p->fence_held ? b->held : NULL; h; h = h->next)
        if (h->fenced && h->port == p) {
            h->port = NULL;
            b->fence_orphans = true;
        }
    p->fence_held = 0;
}

/* A task checked in a created service, or a fence lifts: the deliveries held for p follow the
 * receive right, in order, with their original audit identity (as Mach keeps a queue when a
 * receive right moves). One the receiver's connection cannot take is destroyed, unless
 * `always` (accepted messages bounded by the fence: queued past the byte limit). */
void keeper_held_forward(struct broker *b, struct broker_port *p, struct broker_task *to, bool always) {
    for (struct held *h; (h = held_take(b, p)) != NULL;) {
        /* Room for a datagram with descriptors when it may carry any (its memfd, fileports). */
        bool fds_room = h->fd < 0 && !h->fileports ? true : to && b->hooks->room_fd(b->ctx, to->conn);
        bool room = to && (always || broker_can_emit(b, to, h->len)) && fds_room;
        int fds[MACHD_MAX_FDS_PER_PACKET], nfds;
        if (held_move_rights(b, h, room ? to : NULL, fds, &nfds) && room) {
            b->fwd->u.deliver.dest.name = p->recv_name;
            memcpy(&b->msg, b->fwd, sizeof b->msg);
            bool sent = nfds > 1 || (nfds == 1 && h->fd < 0) ? broker_emit_fds(b, to, fds, nfds)
                                                             : broker_emit_fd(b, to, h->fd);
            if (sent)
                flow_note_delivery(&p->flow);
        }
        held_free(h);
    }
}

/* The port of a created service dies (its name is taken over or its creator died). */
void keeper_port_destroy(struct broker *b, struct broker_port *p) {
    keeper_held_discard(b, p);
    port_destroy(b, p, NULL);
}

/* At shutdown: held deliveries destroyed, then the keeper's space like any dying task's. */
uint32_t broker_kept_ports(const struct broker *b) {
    const struct broker_task *k = b->keeper;
    uint32_t n = 0;
    for (size_t i = 0; k && i < k->names.cap; i++) {
        const struct entry *e = k->names.values[i];
        if (e && e->receive)
            n++;
    }
    return n;
}

void keeper_destroy(struct broker *b) {
    struct broker_task *k = b->keeper;
    if (!k)
        return;
    while (b->held) {
        struct held *h = held_take(b, b->held->port);
        int fds[MACHD_MAX_FDS_PER_PACKET], nfds;
        (void)held_move_rights(b, h, NULL, fds, &nfds);
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
