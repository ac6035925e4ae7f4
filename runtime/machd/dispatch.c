/* machd dispatch: one datagram a task sent, read by server.c into s->in: decoded, checked (its
 * descriptors, a request type, HELLO first and once: version agreed, identity answered), then
 * handed to the broker; a protocol violation answers ERROR and drops the task. */
#include "server_conn.h"

#include <string.h>

#include <mach/kern_return.h>

#include "broker.h"
#include "wire/machd_proto.h"

/* A protocol violation: tell the task why, then drop it (it is treated as dead). */
static void protocol_error(struct machd_server *s, struct conn *c, uint32_t status, uint16_t type,
                           const char *why) {
    memset(&s->req, 0, sizeof s->req);
    s->req.type = MACHD_ERROR;
    s->req.u.error.status = status;
    s->req.u.error.type = type;
    uint8_t buf[64];
    size_t len = machd_proto_encode(&s->req, buf, sizeof buf);
    server_conn_send_last(s, c, buf, len, why);
}

static void handle_hello(struct machd_server *s, struct conn *c) {
    uint32_t lo = s->req.u.hello.min_version, hi = s->req.u.hello.max_version;
    uint32_t seq = s->req.seq;
    if (lo > MACHD_PROTO_VERSION || hi < MACHD_PROTO_VERSION) {
        protocol_error(s, c, KERN_NOT_SUPPORTED, MACHD_HELLO, "no common protocol version");
        return;
    }
    broker_task_set_direct(c->task, (s->req.u.hello.flags & MACHD_HELLO_DIRECT) != 0);
    const struct machd_audit *id = broker_task_identity(c->task);
    memset(&s->req, 0, sizeof s->req);
    s->req.type = MACHD_HELLO_REPLY;
    s->req.seq = seq;
    s->req.u.hello_reply.version = MACHD_PROTO_VERSION;
    s->req.u.hello_reply.task_id = id->task_id;
    s->req.u.hello_reply.pid = id->pid;
    s->req.u.hello_reply.uid = id->uid;
    s->req.u.hello_reply.gid = id->gid;
    uint8_t buf[64];
    size_t len = machd_proto_encode(&s->req, buf, sizeof buf);
    server_conn_send(s, c, buf, len);
    c->greeted = true;
}

/* Descriptors may only come with a MSG_SEND: a spilled payload's memfd (the broker judges it)
 * and, after it, exactly one per FILEPORT item (anything else with FILEPORT items: false, a
 * protocol error). The broker duplicates what it keeps: the server closes them all. */
static bool attach_fds(struct machd_msg *req, const int *fds, int nfds, bool extra) {
    if (req->type != MACHD_MSG_SEND)
        return nfds == 0 && !extra;
    struct machd_payload *p = &req->u.send.p;
    int spill = (p->msgh_bits & MACHD_PAYLOAD_SPILLED) ? 1 : 0;
    if (p->fileport_count > 0) {
        if (extra || nfds != spill + (int)p->fileport_count)
            return false;
        for (uint32_t i = 0; i < p->fileport_count; i++)
            p->fileport_fds[i] = fds[spill + (int)i];
        nfds = spill;
    }
    p->fds_received = (uint32_t)nfds + (extra ? 1u : 0u);
    p->spill_fd = nfds == 1 && !extra ? fds[0] : -1;
    return true;
}

void dispatch_datagram(struct machd_server *s, struct conn *c, size_t len, const int *fds, int nfds, bool extra) {
    if (len > sizeof s->in) {
        protocol_error(s, c, KERN_INVALID_ARGUMENT, 0, "datagram too large");
        return;
    }
    enum machd_decode_status st = machd_proto_decode(s->in, len, &s->req);
    if (st != MACHD_DECODE_OK) {
        protocol_error(s, c, KERN_INVALID_ARGUMENT, 0, machd_proto_decode_status_name(st));
        return;
    }
    if (!attach_fds(&s->req, fds, nfds, extra)) {
        protocol_error(s, c, KERN_INVALID_ARGUMENT, s->req.type,
                       s->req.type == MACHD_MSG_SEND ? "descriptors that do not match the fileport rights"
                                                     : "descriptors with a request that takes none");
        return;
    }
    if (!machd_proto_is_request(s->req.type)) {
        protocol_error(s, c, KERN_INVALID_ARGUMENT, s->req.type, "not a request type");
        return;
    }
    if (s->req.type == MACHD_HELLO) {
        if (c->greeted)
            protocol_error(s, c, KERN_INVALID_ARGUMENT, MACHD_HELLO, "second HELLO");
        else
            handle_hello(s, c);
        return;
    }
    if (!c->greeted) {
        protocol_error(s, c, KERN_INVALID_ARGUMENT, s->req.type, "request before HELLO");
        return;
    }
    broker_handle(s->broker, c->task, &s->req);
}
