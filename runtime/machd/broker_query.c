/* machd broker: QUERY, what machd holds, for machctl (docs/machd.md 3, "Queries"): the
 * bootstrap names with the task holding each receive right, and the connected tasks with their
 * rights and queued datagrams, one page (one datagram) at a time from a record index. Only a
 * task of machd's own uid, or root, is answered. */
#include "broker_internal.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mach/kern_return.h>

/* The command of pid as the kernel names it now (/proc/PID/comm, read when asked, like ps);
 * "" when it cannot be read (the task has just died, or /proc is not there). */
static void read_comm(uint32_t pid, char comm[MACHD_COMM_SIZE]) {
    memset(comm, 0, MACHD_COMM_SIZE);
    if (pid == 0)
        return;
    char path[32];
    snprintf(path, sizeof path, "/proc/%u/comm", (unsigned)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    ssize_t n = read(fd, comm, MACHD_COMM_SIZE - 1);
    close(fd);
    if (n <= 0) {
        comm[0] = '\0';
        return;
    }
    comm[n] = '\0';
    char *nl = strchr(comm, '\n');
    if (nl)
        memset(nl, 0, (size_t)(comm + MACHD_COMM_SIZE - nl));
}

/* Who t is; the keeper (and no task at all) is machd itself: task id 0. */
static void who_of(const struct broker *b, const struct broker_task *t, struct machd_query_who *w) {
    memset(w, 0, sizeof *w);
    if (!t || t == b->keeper) {
        w->pid = (uint32_t)getpid();
        w->uid = (uint32_t)geteuid();
        snprintf(w->comm, sizeof w->comm, "machd");
        return;
    }
    w->task_id = t->identity.task_id;
    w->pid = t->identity.pid;
    w->uid = t->identity.uid;
    read_comm(w->pid, w->comm);
}

static size_t put_service(struct broker *b, const struct service *s, uint8_t *at, size_t cap) {
    struct machd_query_service r;
    memset(&r, 0, sizeof r);
    memcpy(r.name, s->name, sizeof r.name);
    r.state = s->state == SERVICE_CHECKED_IN   ? MACHD_SERVICE_CHECKED_IN
              : s->state == SERVICE_REGISTERED ? MACHD_SERVICE_REGISTERED
                                               : MACHD_SERVICE_CREATED;
    r.owner = s->owner && s->owner != b->keeper ? s->owner->identity.task_id : 0;
    who_of(b, s->port ? s->port->receiver : NULL, &r.receiver);
    return machd_query_put_service(at, cap, &r);
}

/* What t holds: its entries walked once (linear in its space). */
static size_t put_task(struct broker *b, struct broker_task *t, uint8_t *at, size_t cap) {
    struct machd_query_task r;
    memset(&r, 0, sizeof r);
    who_of(b, t, &r.who);
    r.gid = t->identity.gid;
    const struct handle_map *m = &t->names;
    for (size_t i = 0; i < m->cap; i++) {
        const struct entry *e = m->values[i];
        if (!e)
            continue;
        r.receive += e->receive;
        r.send += e->send_urefs != 0;
        r.send_once += e->send_once;
    }
    r.names = t->names_bound;
    r.fileports = t->fileports;
    if (b->hooks->queued)
        b->hooks->queued(b->ctx, t->conn, &r.queued, &r.queued_bytes);
    return machd_query_put_task(at, cap, &r);
}

/* Fills records from index `offset` of the list while they fit; sets total and count. */
static size_t fill_page(struct broker *b, uint32_t kind, uint32_t offset, uint8_t *buf, size_t cap,
                        uint32_t *total, uint32_t *count) {
    size_t len = 0;
    uint32_t index = 0;
    bool full = false;
    *count = 0;
    if (kind == MACHD_QUERY_SERVICES) {
        for (const struct service *s = b->services; s; s = s->next, index++) {
            if (index < offset || full)
                continue;
            size_t n = put_service(b, s, buf + len, cap - len);
            if (n == 0) {
                full = true;
                continue;
            }
            len += n;
            ++*count;
        }
    } else {
        for (struct broker_task *t = b->tasks; t; t = t->next, index++) {
            if (index < offset || full)
                continue;
            size_t n = put_task(b, t, buf + len, cap - len);
            if (n == 0) {
                full = true;
                continue;
            }
            len += n;
            ++*count;
        }
    }
    *total = index;
    return len;
}

bool query_may_inspect(const struct broker_task *t) {
    uint32_t uid = t->identity.uid;
    return uid == (uint32_t)geteuid() || uid == 0;
}

void query_handle(struct broker *b, struct broker_task *t, const struct machd_msg *req) {
    uint32_t status = KERN_SUCCESS, total = 0, count = 0;
    size_t len = 0;
    uint8_t *records = NULL;
    if (!query_may_inspect(t))
        status = KERN_NO_ACCESS; /* what machd holds is its user's business (docs/security.md) */
    else if (!(records = malloc(MACHD_QUERY_MAX_RECORDS_LEN)))
        status = KERN_RESOURCE_SHORTAGE;
    else
        len = fill_page(b, req->u.query.kind, req->u.query.offset, records, MACHD_QUERY_MAX_RECORDS_LEN,
                        &total, &count);
    memset(&b->msg, 0, sizeof b->msg);
    b->msg.type = MACHD_QUERY_REPLY;
    b->msg.seq = req->seq;
    b->msg.u.query_reply = (struct machd_query_reply){
        .status = status, .kind = req->u.query.kind, .offset = req->u.query.offset,
        .total = total, .count = count, .records_len = (uint32_t)len, .records = records};
    broker_emit(b, t);
    free(records);
}
