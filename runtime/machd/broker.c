/* machd broker: the broker object (create, destroy, counts), the one way out to tasks (encode and
 * queue through the hooks, or hold for the keeper) and the dispatch of decoded requests to the
 * broker's files. See docs/machd.md, sections 2-6. */
#include "broker_internal.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mach/kern_return.h>

/* ---- emitting ---- */

bool broker_can_emit(struct broker *b, struct broker_task *to, size_t len) {
    if (to && to == b->keeper)
        return keeper_has_room(b);
    return to && b->hooks->room(b->ctx, to->conn, len);
}

/* Encodes b->msg and queues it for `to`, with fd (-1: none) attached. Never refused for room:
 * what machd says is never dropped (a delivery's room was checked before its sender's rights
 * were taken; machd's own answers and notifications are bounded by the requests and rights of
 * the task they go to, and a task whose queue is over its limit is not read until it drains). */
bool broker_emit_fd(struct broker *b, struct broker_task *to, int fd) {
    size_t len = machd_proto_encode(&b->msg, b->out, sizeof b->out);
    if (len == 0 || !to)
        return false;
    if (to == b->keeper)
        return keeper_hold(b, len, fd);
    if (fd >= 0)
        b->hooks->send_fd(b->ctx, to->conn, b->out, len, fd);
    else
        b->hooks->send(b->ctx, to->conn, b->out, len);
    return true;
}

bool broker_emit(struct broker *b, struct broker_task *to) { return broker_emit_fd(b, to, -1); }

bool broker_emit_fds(struct broker *b, struct broker_task *to, const int *fds, int nfds) {
    if (!to || to == b->keeper || !b->hooks->send_fds)
        return false;
    size_t len = machd_proto_encode(&b->msg, b->out, sizeof b->out);
    if (len == 0)
        return false;
    b->hooks->send_fds(b->ctx, to->conn, b->out, len, fds, nfds);
    return true;
}

void broker_close_task_fd(struct broker *b, int fd) {
    if (fd < 0)
        return;
    if (b->hooks->close_fd)
        b->hooks->close_fd(b->ctx, fd);
    else
        close(fd);
}

void broker_reply_status(struct broker *b, struct broker_task *t, uint16_t type, uint32_t seq,
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
    broker_emit(b, t);
}

/* ---- the broker ---- */

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
    b->limits = BROKER_DEFAULT_LIMITS;
    handle_map_init(&b->channel_ids);
    handle_map_init(&b->claim_ids);
    return b;
}

void broker_set_limits(struct broker *b, const struct broker_limits *limits) {
    b->limits = *limits;
    if (b->limits.entries_per_task > BROKER_MAX_ENTRIES_PER_TASK)
        b->limits.entries_per_task = BROKER_MAX_ENTRIES_PER_TASK;
    if (b->limits.names_per_task > BROKER_MAX_SERVICES)
        b->limits.names_per_task = BROKER_MAX_SERVICES;
}

struct broker_uid_counts broker_uid_counts(const struct broker *b, uint32_t uid) {
    for (const struct broker_uid *u = b->uids; u; u = u->next)
        if (u->uid == uid)
            return (struct broker_uid_counts){u->tasks, u->entries, u->names, u->fileports};
    return (struct broker_uid_counts){0, 0, 0, 0};
}

void broker_destroy(struct broker *b) {
    if (!b)
        return;
    while (b->tasks)
        broker_task_destroy(b, b->tasks);
    keeper_destroy(b);
    while (b->ports) /* ports held only by the bootstrap table */
        port_destroy(b, b->ports, NULL);
    handle_map_fini(&b->channel_ids);
    handle_map_fini(&b->claim_ids);
    free(b->fwd);
    free(b->ci);
    free(b);
}

struct broker_counts broker_counts(const struct broker *b) { return b->counts; }

/* ---- requests ---- */

/* machd's counters, for its own user and root; any other task is answered KERN_NO_ACCESS in a
 * STATUS_REPLY (on a system machd, other users' activity is not theirs to watch). */
static void handle_stats(struct broker *b, struct broker_task *t, const struct machd_msg *req) {
    if (!query_may_inspect(t)) {
        broker_reply_status(b, t, MACHD_STATUS_REPLY, req->seq, KERN_NO_ACCESS, 0);
        return;
    }
    memset(&b->msg, 0, sizeof b->msg);
    b->msg.type = MACHD_STATS_REPLY;
    b->msg.seq = req->seq;
    b->msg.u.stats_reply.tasks = b->counts.tasks;
    b->msg.u.stats_reply.ports = b->counts.ports;
    b->msg.u.stats_reply.entries = b->counts.entries;
    b->msg.u.stats_reply.names = b->counts.names;
    b->msg.u.stats_reply.fileports = b->counts.fileports;
    b->msg.u.stats_reply.rss_bytes = b->hooks->rss_bytes ? b->hooks->rss_bytes(b->ctx) : 0;
    if (b->hooks->io_counts)
        b->hooks->io_counts(b->ctx, &b->msg.u.stats_reply.io);
    broker_emit(b, t);
}

void broker_handle(struct broker *b, struct broker_task *t, const struct machd_msg *req) {
    switch (req->type) {
    case MACHD_MSG_SEND:
        msg_handle_send(b, t, req);
        break;
    case MACHD_MOD_REFS: {
        uint32_t st = right_mod_refs(b, t, req->u.mod_refs.name, req->u.mod_refs.right, req->u.mod_refs.delta);
        broker_reply_status(b, t, MACHD_STATUS_REPLY, req->seq, st, 0);
        break;
    }
    case MACHD_NOTIFY_REQUEST:
        right_handle_notify_request(b, t, req);
        break;
    case MACHD_BOOTSTRAP:
        bootstrap_handle(b, t, req);
        break;
    case MACHD_STATS:
        handle_stats(b, t, req);
        break;
    case MACHD_SEND_ADMIT:
        admit_handle_send_admit(b, t, req);
        break;
    case MACHD_QUERY:
        query_handle(b, t, req);
        break;
    case MACHD_ROUTE:
        channel_handle_route(b, t, req);
        break;
    case MACHD_MOVED_DONE:
        fence_handle_moved_done(b, t, req->u.moved.name);
        break;
    case MACHD_TOKEN_CLAIM:
        claim_handle_claim(b, t, req);
        break;
    case MACHD_TOKEN_GRANT:
        claim_handle_grant(b, t, req);
        break;
    case MACHD_QUEUE_CREDIT:
        admit_apply_queue_credit(b, t, req->u.queue_credit.name, req->u.queue_credit.seen, req->u.queue_credit.room);
        break;
    default: /* HELLO belongs to the connection layer; replies and events never come from tasks */
        break;
    }
    fence_reap(b);
    admit_recheck(b);
}
