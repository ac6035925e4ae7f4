/* machd wire protocol codec: one description of each message's layout (io_body), run in either
 * direction, and one set of field rules (check_msg) used by both, so the encoder can never emit
 * what the decoder refuses. */
#include "wire/machd_proto.h"
#include "wire/machd_spill.h"
#include "wire/chan_ring.h"

#include <string.h>

/* ---- one cursor for both directions: every field is described once, in io_* calls ---- */

struct codec {
    bool writing;
    const uint8_t *in; /* reading: the datagram */
    uint8_t *out;      /* writing: the destination */
    size_t cap, pos;
    bool failed;       /* read past the end, or wrote past the capacity */
    bool reserved_ok;  /* every reserved field read was zero */
};

static size_t io_left(const struct codec *c) { return c->cap - c->pos; }

/* Reading: returns where n bytes start and consumes them. Writing: copies n bytes from src. */
static const uint8_t *io_span(struct codec *c, const void *src, size_t n) {
    if (c->failed || io_left(c) < n) {
        c->failed = true;
        return NULL;
    }
    const uint8_t *at = c->writing ? c->out + c->pos : c->in + c->pos;
    if (c->writing && n)
        memcpy(c->out + c->pos, src, n);
    c->pos += n;
    return at;
}

/* A fixed-size field: written from *val, or read into *val (zero after a short read). */
static void io_field(struct codec *c, void *val, size_t n) {
    const uint8_t *at = io_span(c, val, n);
    if (!c->writing) {
        if (at)
            memcpy(val, at, n);
        else
            memset(val, 0, n);
    }
}

#define IO(c, lvalue) io_field((c), &(lvalue), sizeof(lvalue))

/* Reserved fields are written as zero and must read as zero. */
static void io_reserved(struct codec *c, size_t n) {
    uint64_t zero = 0;
    io_field(c, &zero, n);
    if (zero != 0)
        c->reserved_ok = false;
}

/* Variable bytes: written from *data, or *data set to point into the datagram. */
static void io_bytes(struct codec *c, const uint8_t **data, size_t n) {
    const uint8_t *at = io_span(c, *data, n);
    if (!c->writing)
        *data = at;
}

/* ---- field rules (shared by decode and encode) ---- */

/* Where a right item appears decides which dispositions are legal there. */
enum right_slot {
    SLOT_DEST,         /* MSG_SEND destination: a send or send-once right, never NEW */
    SLOT_REPLY,        /* MSG_SEND reply: none, or a send or send-once right */
    SLOT_BODY,         /* MSG_SEND body right: any of the six dispositions */
    SLOT_NOTIFY,       /* NOTIFY_REQUEST notify port: none, or a send-once right */
    SLOT_REGISTER,     /* BOOTSTRAP register: a send right */
    SLOT_RECV_DEST,    /* MSG_DELIVER destination: the send or send-once type the sender used */
    SLOT_RECV_REPLY,   /* MSG_DELIVER reply: none, or a received send or send-once right */
    SLOT_RECV_BODY,    /* MSG_DELIVER body right: a received receive, send or send-once right */
};

static bool is_send_disposition(uint8_t d) {
    return d == MACHD_DISP_MOVE_SEND || d == MACHD_DISP_COPY_SEND || d == MACHD_DISP_MAKE_SEND;
}

static bool is_send_once_disposition(uint8_t d) {
    return d == MACHD_DISP_MOVE_SEND_ONCE || d == MACHD_DISP_MAKE_SEND_ONCE;
}

static bool is_received_type(uint8_t d) {
    return d == MACHD_DISP_MOVE_RECEIVE || d == MACHD_DISP_MOVE_SEND ||
           d == MACHD_DISP_MOVE_SEND_ONCE;
}

static bool is_real_handle(uint32_t name) {
    return name != MACHD_HANDLE_NULL && name != MACHD_HANDLE_DEAD;
}

static bool check_right(const struct machd_right *r, enum right_slot slot) {
    if (r->flags & ~(MACHD_RIGHT_NEW | MACHD_RIGHT_KEEP_SEND | MACHD_RIGHT_PD_REQUEST | MACHD_RIGHT_PD_ARMED |
                     MACHD_RIGHT_FILEPORT))
        return false;
    /* A fileport's descriptor travels with the export of the port (a send right made from it)
     * and with every send right to it that machd delivers; nowhere else. */
    if ((r->flags & MACHD_RIGHT_FILEPORT) &&
        !(slot == SLOT_BODY && (r->flags & MACHD_RIGHT_NEW) && r->disposition == MACHD_DISP_MAKE_SEND) &&
        !(slot == SLOT_RECV_BODY && r->disposition == MACHD_DISP_MOVE_SEND && is_real_handle(r->name)))
        return false;
    /* Port-destroyed requests travel with receive rights: given in a MSG_SEND body (the
     * request's notify right follows, see check_pd_items), reported in a MSG_DELIVER body. */
    if ((r->flags & MACHD_RIGHT_PD_REQUEST) &&
        (slot != SLOT_BODY || r->disposition != MACHD_DISP_MOVE_RECEIVE || !is_real_handle(r->name)))
        return false;
    if ((r->flags & MACHD_RIGHT_PD_ARMED) &&
        (slot != SLOT_RECV_BODY || r->disposition != MACHD_DISP_MOVE_RECEIVE || !is_real_handle(r->name)))
        return false;
    /* Keeping a send right only means something for a receive right exported as it moves. */
    if ((r->flags & MACHD_RIGHT_KEEP_SEND) &&
        (slot != SLOT_BODY || !(r->flags & MACHD_RIGHT_NEW) || r->disposition != MACHD_DISP_MOVE_RECEIVE))
        return false;
    bool is_new = (r->flags & MACHD_RIGHT_NEW) != 0;
    if (is_new) {
        /* Exporting a local port: the task names it in its own range and makes or moves a
         * right from its receive right. */
        bool makes = r->disposition == MACHD_DISP_MAKE_SEND ||
                     r->disposition == MACHD_DISP_MAKE_SEND_ONCE ||
                     r->disposition == MACHD_DISP_MOVE_RECEIVE;
        if (!makes || !is_real_handle(r->name) || !(r->name & MACHD_HANDLE_TASK_BIT))
            return false;
    }
    switch (slot) {
    case SLOT_DEST:
        return !is_new && is_real_handle(r->name) &&
               (is_send_disposition(r->disposition) || is_send_once_disposition(r->disposition));
    case SLOT_REPLY:
        if (r->disposition == MACHD_DISP_NONE)
            return r->name == MACHD_HANDLE_NULL && !is_new;
        return is_real_handle(r->name) &&
               (is_send_disposition(r->disposition) || is_send_once_disposition(r->disposition));
    case SLOT_BODY:
        /* MACH_PORT_NULL and MACH_PORT_DEAD travel as themselves, carrying no right. */
        return r->disposition == MACHD_DISP_MOVE_RECEIVE || is_send_disposition(r->disposition) ||
               is_send_once_disposition(r->disposition);
    case SLOT_NOTIFY:
        if (r->disposition == MACHD_DISP_NONE)
            return r->name == MACHD_HANDLE_NULL && !is_new;
        return is_real_handle(r->name) && is_send_once_disposition(r->disposition);
    case SLOT_REGISTER:
        return is_real_handle(r->name) && is_send_disposition(r->disposition);
    case SLOT_RECV_DEST:
        return !is_new && is_real_handle(r->name) &&
               (r->disposition == MACHD_DISP_MOVE_SEND || r->disposition == MACHD_DISP_MOVE_SEND_ONCE);
    case SLOT_RECV_REPLY:
        if (is_new)
            return false;
        if (r->disposition == MACHD_DISP_NONE)
            return r->name == MACHD_HANDLE_NULL;
        return is_real_handle(r->name) && (r->disposition == MACHD_DISP_MOVE_SEND ||
                                           r->disposition == MACHD_DISP_MOVE_SEND_ONCE);
    case SLOT_RECV_BODY:
        return !is_new && is_received_type(r->disposition);
    }
    return false;
}

/* A PD_REQUEST item is followed by its notify right: a real send-once right, not itself a
 * request. */
static bool check_pd_items(const struct machd_payload *p) {
    for (uint32_t i = 0; i < p->right_count; i++) {
        if (!(machd_payload_right(p, i).flags & MACHD_RIGHT_PD_REQUEST))
            continue;
        if (i + 1 >= p->right_count)
            return false;
        struct machd_right n = machd_payload_right(p, ++i);
        if (!is_real_handle(n.name) || !is_send_once_disposition(n.disposition) ||
            (n.flags & MACHD_RIGHT_PD_REQUEST))
            return false;
    }
    return true;
}

static enum machd_decode_status check_payload(const struct machd_payload *p, enum right_slot slot) {
    uint32_t bits = MACHD_MSGH_BITS_COMPLEX | MACHD_PAYLOAD_SPILLED |
                    (slot == SLOT_RECV_BODY ? MACHD_PAYLOAD_TICKET : 0u);
    if (p->msgh_bits & ~bits)
        return MACHD_DECODE_BAD_FIELD;
    bool spilled = (p->msgh_bits & MACHD_PAYLOAD_SPILLED) != 0;
    if (p->right_count > MACHD_MAX_RIGHTS || p->ool_count > MACHD_MAX_OOL ||
        p->body_len > (spilled ? MACHD_MAX_SPILL_BODY : MACHD_MAX_PACKET))
        return MACHD_DECODE_TOO_LARGE;
    if (spilled && machd_spill_layout(p, NULL) > MACHD_MAX_SPILL_BYTES)
        return MACHD_DECODE_TOO_LARGE;
    /* Rights and out-of-line regions only travel in complex messages, as in Mach. */
    if (!(p->msgh_bits & MACHD_MSGH_BITS_COMPLEX) && (p->right_count || p->ool_count))
        return MACHD_DECODE_BAD_FIELD;
    if (p->right_count && !p->rights && !p->right_items)
        return MACHD_DECODE_BAD_FIELD;
    for (uint32_t i = 0; i < p->right_count; i++) {
        struct machd_right r = machd_payload_right(p, i);
        if (!check_right(&r, slot))
            return MACHD_DECODE_BAD_RIGHT;
    }
    if (machd_payload_fileports(p) > MACHD_MAX_FILEPORTS)
        return MACHD_DECODE_TOO_LARGE;
    return check_pd_items(p) ? MACHD_DECODE_OK : MACHD_DECODE_BAD_RIGHT;
}

static bool check_service_name(const char *name, uint32_t len) {
    if (len == 0 || len > MACHD_MAX_SERVICE_NAME || !name)
        return false;
    return memchr(name, '\0', len) == NULL;
}

static bool query_kind_ok(uint32_t kind) {
    return kind == MACHD_QUERY_SERVICES || kind == MACHD_QUERY_TASKS;
}

/* A page of records: `count` valid records of its kind filling records_len exactly, within the
 * list's total; a refusal carries none. */
static enum machd_decode_status check_query_reply(const struct machd_msg *m) {
    const struct machd_query_reply *r = &m->u.query_reply;
    if (!query_kind_ok(r->kind))
        return MACHD_DECODE_BAD_FIELD;
    if (r->status != 0 && (r->count || r->records_len))
        return MACHD_DECODE_BAD_FIELD;
    if (r->count && (uint64_t)r->offset + r->count > r->total)
        return MACHD_DECODE_BAD_FIELD;
    if (r->records_len > MACHD_QUERY_MAX_RECORDS_LEN || (r->records_len && !r->records))
        return MACHD_DECODE_TOO_LARGE;
    size_t at = 0;
    for (uint32_t i = 0; i < r->count; i++) {
        struct machd_query_service s;
        struct machd_query_task t;
        size_t n = r->kind == MACHD_QUERY_SERVICES
                       ? machd_query_get_service(r->records + at, r->records_len - at, &s)
                       : machd_query_get_task(r->records + at, r->records_len - at, &t);
        if (n == 0)
            return MACHD_DECODE_BAD_FIELD;
        at += n;
    }
    return at == r->records_len ? MACHD_DECODE_OK : MACHD_DECODE_BAD_LENGTH;
}

/* A ticket's destination: a channel (nonzero), no right, no flags. */
static bool check_ticket_dest(const struct machd_right *r) {
    return r->disposition == MACHD_DISP_NONE && r->name != 0 && r->flags == 0;
}

static bool route_slot_ok(uint32_t channel, uint32_t slot) { return channel != 0 && slot < CHAN_SLOTS; }

/* ROUTE_REPLY: a success names a channel and a slot; a refusal neither. */
static bool check_route_reply(const struct machd_msg *m) {
    if (m->u.route_reply.status == 0)
        return route_slot_ok(m->u.route_reply.channel, m->u.route_reply.slot) && m->u.route_reply.serial != 0;
    return m->u.route_reply.channel == 0 && m->u.route_reply.slot == 0 && m->u.route_reply.serial == 0;
}

/* TOKEN_GRANT: a grant carries a send-once right, a refusal none. */
static enum machd_decode_status check_token_grant(const struct machd_msg *m) {
    const struct machd_right *r = &m->u.token_grant.right;
    if (!is_real_handle(m->u.token_grant.claim))
        return MACHD_DECODE_BAD_FIELD;
    if (!check_right(r, SLOT_NOTIFY) || (r->flags & ~MACHD_RIGHT_NEW))
        return MACHD_DECODE_BAD_RIGHT;
    bool gives = r->disposition != MACHD_DISP_NONE;
    return gives == (m->u.token_grant.status == 0) ? MACHD_DECODE_OK : MACHD_DECODE_BAD_FIELD;
}

static enum machd_decode_status check_send(const struct machd_msg *m) {
    uint16_t flags = m->u.send.flags;
    if (flags & ~(MACHD_SEND_ACK_ERRORS_ONLY | MACHD_SEND_ADMITTED | MACHD_SEND_CREDIT | MACHD_SEND_TICKET))
        return MACHD_DECODE_BAD_FIELD;
    if ((flags & MACHD_SEND_TICKET) && (flags & MACHD_SEND_ADMITTED))
        return MACHD_DECODE_BAD_FIELD;
    if ((flags & MACHD_SEND_CREDIT) &&
        (!is_real_handle(m->u.send.credit.name) || m->u.send.credit.room > MACHD_MAX_ROOM))
        return MACHD_DECODE_BAD_FIELD;
    bool dest_ok = (flags & MACHD_SEND_TICKET) ? check_ticket_dest(&m->u.send.dest)
                                               : check_right(&m->u.send.dest, SLOT_DEST);
    if (!dest_ok || !check_right(&m->u.send.reply, SLOT_REPLY))
        return MACHD_DECODE_BAD_RIGHT;
    return check_payload(&m->u.send.p, SLOT_BODY);
}

static enum machd_decode_status check_msg(const struct machd_msg *m) {
    switch ((enum machd_msg_type)m->type) {
    case MACHD_HELLO:
        if ((m->u.hello.flags != 0 && m->u.hello.flags != MACHD_HELLO_DIRECT) || m->u.hello.min_version == 0 ||
            m->u.hello.min_version > m->u.hello.max_version)
            return MACHD_DECODE_BAD_FIELD;
        return MACHD_DECODE_OK;
    case MACHD_MSG_SEND:
        return check_send(m);
    case MACHD_MSG_DELIVER:
        if ((m->u.deliver.p.msgh_bits & MACHD_PAYLOAD_TICKET) ? !check_ticket_dest(&m->u.deliver.dest)
                                                               : !check_right(&m->u.deliver.dest, SLOT_RECV_DEST))
            return MACHD_DECODE_BAD_RIGHT;
        if (!check_right(&m->u.deliver.reply, SLOT_RECV_REPLY))
            return MACHD_DECODE_BAD_RIGHT;
        return check_payload(&m->u.deliver.p, SLOT_RECV_BODY);
    case MACHD_MOD_REFS:
        if (m->u.mod_refs.right > MACHD_RIGHT_DEAD_NAME || !is_real_handle(m->u.mod_refs.name))
            return MACHD_DECODE_BAD_FIELD;
        return MACHD_DECODE_OK;
    case MACHD_NOTIFY_REQUEST:
        if (m->u.notify_request.variant != MACHD_NOTIFY_PORT_DESTROYED ||
            !is_real_handle(m->u.notify_request.name))
            return MACHD_DECODE_BAD_FIELD;
        return check_right(&m->u.notify_request.notify, SLOT_NOTIFY) ? MACHD_DECODE_OK
                                                                      : MACHD_DECODE_BAD_RIGHT;
    case MACHD_PORT_DEAD:
        return is_real_handle(m->u.port_dead.name) ? MACHD_DECODE_OK : MACHD_DECODE_BAD_FIELD;
    case MACHD_SENDERS_GONE:
        return is_real_handle(m->u.senders_gone.name) ? MACHD_DECODE_OK : MACHD_DECODE_BAD_FIELD;
    case MACHD_BOOTSTRAP:
        if (m->u.bootstrap.op < MACHD_BOOTSTRAP_CHECK_IN || m->u.bootstrap.op > MACHD_BOOTSTRAP_STATUS)
            return MACHD_DECODE_BAD_FIELD;
        if (!check_service_name(m->u.bootstrap.name, m->u.bootstrap.name_len))
            return MACHD_DECODE_BAD_FIELD;
        if (machd_bootstrap_op_has_right(m->u.bootstrap.op) &&
            !check_right(&m->u.bootstrap.right, SLOT_REGISTER))
            return MACHD_DECODE_BAD_RIGHT;
        return MACHD_DECODE_OK;
    case MACHD_BOOTSTRAP_REPLY:
        if (m->u.bootstrap_reply.type != MACHD_DISP_NONE && !is_received_type((uint8_t)m->u.bootstrap_reply.type))
            return MACHD_DECODE_BAD_FIELD;
        return MACHD_DECODE_OK;
    case MACHD_STATS:
        return m->u.stats.flags == 0 ? MACHD_DECODE_OK : MACHD_DECODE_BAD_FIELD;
    case MACHD_QUEUE_CREDIT:
        if (!is_real_handle(m->u.queue_credit.name) || m->u.queue_credit.room > MACHD_MAX_ROOM)
            return MACHD_DECODE_BAD_FIELD;
        return MACHD_DECODE_OK;
    case MACHD_SEND_ADMIT:
        if (!is_real_handle(m->u.send_admit.name) ||
            (m->u.send_admit.flags != 0 && m->u.send_admit.flags != MACHD_ADMIT_TIMED &&
             m->u.send_admit.flags != MACHD_ADMIT_RELEASE))
            return MACHD_DECODE_BAD_FIELD;
        return MACHD_DECODE_OK;
    case MACHD_QUEUE_FULL:
        return is_real_handle(m->u.queue_full.name) ? MACHD_DECODE_OK : MACHD_DECODE_BAD_FIELD;
    case MACHD_MOVED:
    case MACHD_MOVED_DONE:
        return is_real_handle(m->u.moved.name) ? MACHD_DECODE_OK : MACHD_DECODE_BAD_FIELD;
    case MACHD_QUERY:
        return query_kind_ok(m->u.query.kind) ? MACHD_DECODE_OK : MACHD_DECODE_BAD_FIELD;
    case MACHD_QUERY_REPLY:
        return check_query_reply(m);
    case MACHD_ROUTE:
        return is_real_handle(m->u.route.name) ? MACHD_DECODE_OK : MACHD_DECODE_BAD_FIELD;
    case MACHD_ROUTE_REPLY:
        return check_route_reply(m) ? MACHD_DECODE_OK : MACHD_DECODE_BAD_FIELD;
    case MACHD_CHANNEL:
        return m->u.channel.channel != 0 && m->u.channel.side <= 1 ? MACHD_DECODE_OK : MACHD_DECODE_BAD_FIELD;
    case MACHD_ROUTE_ADD:
        return route_slot_ok(m->u.route_add.channel, m->u.route_add.slot) && is_real_handle(m->u.route_add.name) &&
                       m->u.route_add.serial != 0
                   ? MACHD_DECODE_OK
                   : MACHD_DECODE_BAD_FIELD;
    case MACHD_ROUTE_DEL:
        return route_slot_ok(m->u.route_del.channel, m->u.route_del.slot) ? MACHD_DECODE_OK : MACHD_DECODE_BAD_FIELD;
    case MACHD_TOKEN_CLAIM:
        return is_real_handle(m->u.token_claim.channel) && m->u.token_claim.token != 0 ? MACHD_DECODE_OK
                                                                                       : MACHD_DECODE_BAD_FIELD;
    case MACHD_TOKEN_CLAIMED:
        return is_real_handle(m->u.token_claimed.channel) && m->u.token_claimed.token != 0 &&
                       is_real_handle(m->u.token_claimed.claim)
                   ? MACHD_DECODE_OK
                   : MACHD_DECODE_BAD_FIELD;
    case MACHD_TOKEN_GRANT:
        return check_token_grant(m);
    case MACHD_STATS_REPLY:
    case MACHD_HELLO_REPLY:
    case MACHD_SEND_REPLY:
    case MACHD_STATUS_REPLY:
    case MACHD_ERROR:
        return MACHD_DECODE_OK;
    }
    return MACHD_DECODE_BAD_TYPE;
}

/* ---- the layout of every message, in order ---- */

static void io_right(struct codec *c, struct machd_right *r) {
    IO(c, r->name);
    IO(c, r->disposition);
    IO(c, r->flags);
    io_reserved(c, 2);
}

struct machd_right machd_payload_right(const struct machd_payload *p, uint32_t i) {
    if (p->rights)
        return p->rights[i];
    /* The wire layout of io_right: name u32, disposition u8, flags u8, reserved u16. */
    struct machd_right r;
    const uint8_t *at = p->right_items + (size_t)i * MACHD_RIGHT_ITEM_SIZE;
    memcpy(&r.name, at, sizeof r.name);
    r.disposition = at[4];
    r.flags = at[5];
    return r;
}

uint32_t machd_payload_fileports(const struct machd_payload *p) {
    uint32_t n = 0;
    for (uint32_t i = 0; i < p->right_count; i++)
        n += (machd_payload_right(p, i).flags & MACHD_RIGHT_FILEPORT) != 0;
    return n;
}

int machd_msg_fds(const struct machd_msg *m, int *fds, int cap) {
    const struct machd_payload *p = m->type == MACHD_MSG_SEND      ? &m->u.send.p
                                    : m->type == MACHD_MSG_DELIVER ? &m->u.deliver.p
                                                                   : NULL;
    if (!p)
        return 0;
    int n = 0;
    if (p->msgh_bits & MACHD_PAYLOAD_SPILLED) {
        if (n >= cap || p->spill_fd < 0)
            return -1;
        fds[n++] = p->spill_fd;
    }
    uint32_t count = machd_payload_fileports(p);
    if (count > MACHD_MAX_FILEPORTS)
        return -1;
    for (uint32_t i = 0; i < count; i++) {
        if (n >= cap || p->fileport_fds[i] < 0)
            return -1;
        fds[n++] = p->fileport_fds[i];
    }
    return n;
}

static void io_audit(struct codec *c, struct machd_audit *a) {
    IO(c, a->pid);
    IO(c, a->uid);
    IO(c, a->gid);
    IO(c, a->task_id);
}

static void io_payload_counts(struct codec *c, struct machd_payload *p) {
    IO(c, p->msgh_bits);
    IO(c, p->msgh_id);
    IO(c, p->right_count);
    IO(c, p->ool_count);
    IO(c, p->body_len);
}

/* The variable part; when reading, counts are bounded and the bytes must be exactly there. */
static enum machd_decode_status io_payload_items(struct codec *c, struct machd_payload *p) {
    if (c->failed)
        return MACHD_DECODE_SHORT;
    if (p->right_count > MACHD_MAX_RIGHTS || p->ool_count > MACHD_MAX_OOL)
        return MACHD_DECODE_TOO_LARGE;
    if (!c->writing && (size_t)p->right_count * MACHD_RIGHT_ITEM_SIZE +
                               (size_t)p->ool_count * MACHD_OOL_ITEM_SIZE > io_left(c))
        return MACHD_DECODE_BAD_LENGTH;
    if (!c->writing) {
        p->rights = NULL;
        p->right_items = c->in + c->pos; /* checked item by item below */
    }
    for (uint32_t i = 0; i < p->right_count; i++) {
        struct machd_right r = c->writing ? machd_payload_right(p, i) : (struct machd_right){0};
        io_right(c, &r);
    }
    uint64_t ool_total = 0;
    for (uint32_t i = 0; i < p->ool_count; i++) {
        IO(c, p->ool[i].size);
        io_reserved(c, 4);
        ool_total += p->ool[i].size;
    }
    if (!c->reserved_ok)
        return MACHD_DECODE_BAD_RIGHT;
    if (!c->writing) {
        p->spill_fd = -1;
        p->fds_received = 0;
        p->fileport_count = 0;
        for (uint32_t i = 0; i < MACHD_MAX_FILEPORTS; i++)
            p->fileport_fds[i] = -1;
    }
    if (p->msgh_bits & MACHD_PAYLOAD_SPILLED) { /* the bytes are in the memfd */
        if (!c->writing) {
            p->body = NULL;
            for (uint32_t i = 0; i < p->ool_count; i++)
                p->ool[i].data = NULL;
        }
        return c->failed ? MACHD_DECODE_SHORT : MACHD_DECODE_OK;
    }
    if (!c->writing && (uint64_t)p->body_len + ool_total != io_left(c))
        return MACHD_DECODE_BAD_LENGTH;
    io_bytes(c, &p->body, p->body_len);
    for (uint32_t i = 0; i < p->ool_count; i++)
        io_bytes(c, &p->ool[i].data, p->ool[i].size);
    return c->failed ? MACHD_DECODE_SHORT : MACHD_DECODE_OK;
}

static enum machd_decode_status io_body(struct codec *c, struct machd_msg *m) {
    enum machd_decode_status st = MACHD_DECODE_OK;
    switch ((enum machd_msg_type)m->type) {
    case MACHD_HELLO:
        IO(c, m->u.hello.min_version);
        IO(c, m->u.hello.max_version);
        IO(c, m->u.hello.flags);
        break;
    case MACHD_HELLO_REPLY:
        IO(c, m->u.hello_reply.version);
        IO(c, m->u.hello_reply.status);
        IO(c, m->u.hello_reply.task_id);
        IO(c, m->u.hello_reply.pid);
        IO(c, m->u.hello_reply.uid);
        IO(c, m->u.hello_reply.gid);
        break;
    case MACHD_MSG_SEND:
        io_right(c, &m->u.send.dest);
        io_right(c, &m->u.send.reply);
        IO(c, m->u.send.flags);
        io_reserved(c, 2);
        if (m->u.send.flags & MACHD_SEND_CREDIT) {
            IO(c, m->u.send.credit.name);
            IO(c, m->u.send.credit.seen);
            IO(c, m->u.send.credit.room);
        } else if (!c->writing) {
            m->u.send.credit.name = m->u.send.credit.seen = m->u.send.credit.room = 0;
        }
        io_payload_counts(c, &m->u.send.p);
        st = c->reserved_ok ? io_payload_items(c, &m->u.send.p) : MACHD_DECODE_BAD_RIGHT;
        break;
    case MACHD_MSG_DELIVER:
        io_right(c, &m->u.deliver.dest);
        io_right(c, &m->u.deliver.reply);
        io_audit(c, &m->u.deliver.audit);
        io_payload_counts(c, &m->u.deliver.p);
        st = c->reserved_ok ? io_payload_items(c, &m->u.deliver.p) : MACHD_DECODE_BAD_RIGHT;
        break;
    case MACHD_SEND_REPLY:
        IO(c, m->u.send_reply.status);
        break;
    case MACHD_MOD_REFS:
        IO(c, m->u.mod_refs.name);
        IO(c, m->u.mod_refs.right);
        IO(c, m->u.mod_refs.delta);
        break;
    case MACHD_STATUS_REPLY:
        IO(c, m->u.status_reply.status);
        IO(c, m->u.status_reply.value);
        break;
    case MACHD_NOTIFY_REQUEST:
        IO(c, m->u.notify_request.name);
        IO(c, m->u.notify_request.variant);
        io_right(c, &m->u.notify_request.notify);
        break;
    case MACHD_PORT_DEAD:
        IO(c, m->u.port_dead.name);
        break;
    case MACHD_SENDERS_GONE:
        IO(c, m->u.senders_gone.name);
        IO(c, m->u.senders_gone.mscount);
        break;
    case MACHD_BOOTSTRAP:
        IO(c, m->u.bootstrap.op);
        IO(c, m->u.bootstrap.name_len);
        if (m->u.bootstrap.name_len > MACHD_MAX_SERVICE_NAME)
            return c->failed ? MACHD_DECODE_SHORT : MACHD_DECODE_BAD_FIELD;
        io_bytes(c, (const uint8_t **)&m->u.bootstrap.name, m->u.bootstrap.name_len);
        if (machd_bootstrap_op_has_right(m->u.bootstrap.op))
            io_right(c, &m->u.bootstrap.right);
        else if (!c->writing)
            m->u.bootstrap.right = (struct machd_right){0, 0, 0};
        break;
    case MACHD_BOOTSTRAP_REPLY:
        IO(c, m->u.bootstrap_reply.status);
        IO(c, m->u.bootstrap_reply.name);
        IO(c, m->u.bootstrap_reply.type);
        break;
    case MACHD_ERROR:
        IO(c, m->u.error.status);
        IO(c, m->u.error.type);
        break;
    case MACHD_STATS:
        IO(c, m->u.stats.flags);
        break;
    case MACHD_QUEUE_CREDIT:
        IO(c, m->u.queue_credit.name);
        IO(c, m->u.queue_credit.seen);
        IO(c, m->u.queue_credit.room);
        break;
    case MACHD_SEND_ADMIT:
        IO(c, m->u.send_admit.name);
        IO(c, m->u.send_admit.flags);
        IO(c, m->u.send_admit.timeout_ms);
        break;
    case MACHD_QUEUE_FULL:
        IO(c, m->u.queue_full.name);
        break;
    case MACHD_MOVED:
    case MACHD_MOVED_DONE:
        IO(c, m->u.moved.name);
        break;
    case MACHD_QUERY:
        IO(c, m->u.query.kind);
        IO(c, m->u.query.offset);
        break;
    case MACHD_QUERY_REPLY:
        IO(c, m->u.query_reply.status);
        IO(c, m->u.query_reply.kind);
        IO(c, m->u.query_reply.offset);
        IO(c, m->u.query_reply.total);
        IO(c, m->u.query_reply.count);
        if (!c->writing && !c->failed)
            m->u.query_reply.records_len = (uint32_t)io_left(c); /* the rest: checked record by record */
        io_bytes(c, &m->u.query_reply.records, m->u.query_reply.records_len);
        break;
    case MACHD_ROUTE:
        IO(c, m->u.route.name);
        break;
    case MACHD_ROUTE_REPLY:
        IO(c, m->u.route_reply.status);
        IO(c, m->u.route_reply.channel);
        IO(c, m->u.route_reply.slot);
        IO(c, m->u.route_reply.serial);
        break;
    case MACHD_CHANNEL:
        IO(c, m->u.channel.channel);
        IO(c, m->u.channel.side);
        io_audit(c, &m->u.channel.peer);
        if (!c->writing)
            for (int i = 0; i < MACHD_CHANNEL_FDS; i++)
                m->u.channel.fds[i] = -1;
        break;
    case MACHD_ROUTE_ADD:
        IO(c, m->u.route_add.channel);
        IO(c, m->u.route_add.slot);
        IO(c, m->u.route_add.name);
        IO(c, m->u.route_add.serial);
        break;
    case MACHD_ROUTE_DEL:
        IO(c, m->u.route_del.channel);
        IO(c, m->u.route_del.slot);
        break;
    case MACHD_TOKEN_CLAIM:
        IO(c, m->u.token_claim.channel);
        IO(c, m->u.token_claim.token);
        break;
    case MACHD_TOKEN_CLAIMED:
        IO(c, m->u.token_claimed.channel);
        IO(c, m->u.token_claimed.token);
        IO(c, m->u.token_claimed.claim);
        break;
    case MACHD_TOKEN_GRANT:
        IO(c, m->u.token_grant.claim);
        IO(c, m->u.token_grant.status);
        io_right(c, &m->u.token_grant.right);
        break;
    case MACHD_STATS_REPLY:
        IO(c, m->u.stats_reply.tasks);
        IO(c, m->u.stats_reply.ports);
        IO(c, m->u.stats_reply.entries);
        IO(c, m->u.stats_reply.names);
        IO(c, m->u.stats_reply.rss_bytes);
        IO(c, m->u.stats_reply.fileports);
        IO(c, m->u.stats_reply.io.epoll_waits);
        IO(c, m->u.stats_reply.io.recv_calls);
        IO(c, m->u.stats_reply.io.send_calls);
        IO(c, m->u.stats_reply.io.other_calls);
        IO(c, m->u.stats_reply.io.datagrams_in);
        IO(c, m->u.stats_reply.io.datagrams_out);
        break;
    default:
        return MACHD_DECODE_BAD_TYPE;
    }
    if (st != MACHD_DECODE_OK)
        return st;
    if (c->failed)
        return MACHD_DECODE_SHORT;
    if (!c->reserved_ok)
        return MACHD_DECODE_BAD_RIGHT;
    return MACHD_DECODE_OK;
}

/* ---- query records (QUERY_REPLY), described once for both directions ---- */

/* A command name: 16 bytes, the name then zeros (canonical, so a decoded record encodes back to
 * the same bytes). */
static void io_comm(struct codec *c, char comm[MACHD_COMM_SIZE], bool *ok) {
    char wire[MACHD_COMM_SIZE] = {0};
    if (c->writing) {
        size_t n = strnlen(comm, MACHD_COMM_SIZE);
        if (n >= MACHD_COMM_SIZE)
            *ok = false;
        else
            memcpy(wire, comm, n);
    }
    io_field(c, wire, sizeof wire);
    if (!c->writing) {
        size_t n = strnlen(wire, MACHD_COMM_SIZE);
        if (n >= MACHD_COMM_SIZE)
            *ok = false;
        for (size_t i = n; i < MACHD_COMM_SIZE; i++)
            if (wire[i] != 0)
                *ok = false;
        memcpy(comm, wire, MACHD_COMM_SIZE);
        comm[MACHD_COMM_SIZE - 1] = '\0';
    }
}

static void io_who(struct codec *c, struct machd_query_who *w, bool *ok) {
    IO(c, w->task_id);
    IO(c, w->pid);
    IO(c, w->uid);
    io_comm(c, w->comm, ok);
}

static bool io_service(struct codec *c, struct machd_query_service *s) {
    bool ok = true;
    uint32_t name_len = c->writing ? (uint32_t)strnlen(s->name, sizeof s->name) : 0;
    IO(c, name_len);
    if (c->failed || name_len > MACHD_MAX_SERVICE_NAME)
        return false;
    const uint8_t *name = (const uint8_t *)s->name;
    io_bytes(c, &name, name_len);
    if (c->failed)
        return false;
    if (!c->writing) {
        memcpy(s->name, name, name_len);
        s->name[name_len] = '\0';
    }
    if (!check_service_name(s->name, name_len))
        return false;
    IO(c, s->state);
    IO(c, s->owner);
    io_who(c, &s->receiver, &ok);
    return ok && !c->failed && s->state >= MACHD_SERVICE_CHECKED_IN && s->state <= MACHD_SERVICE_CREATED;
}

static bool io_task(struct codec *c, struct machd_query_task *t) {
    bool ok = true;
    io_who(c, &t->who, &ok);
    IO(c, t->gid);
    IO(c, t->receive);
    IO(c, t->send);
    IO(c, t->send_once);
    IO(c, t->names);
    IO(c, t->queued);
    IO(c, t->queued_bytes);
    IO(c, t->fileports);
    return ok && !c->failed;
}

size_t machd_query_put_service(uint8_t *buf, size_t cap, const struct machd_query_service *s) {
    struct codec c = {.writing = true, .out = buf, .cap = cap, .reserved_ok = true};
    return io_service(&c, (struct machd_query_service *)s) ? c.pos : 0; /* writing only reads *s */
}

size_t machd_query_get_service(const uint8_t *buf, size_t len, struct machd_query_service *out) {
    struct codec c = {.writing = false, .in = buf, .cap = len, .reserved_ok = true};
    return io_service(&c, out) ? c.pos : 0;
}

size_t machd_query_put_task(uint8_t *buf, size_t cap, const struct machd_query_task *t) {
    struct codec c = {.writing = true, .out = buf, .cap = cap, .reserved_ok = true};
    return io_task(&c, (struct machd_query_task *)t) ? c.pos : 0; /* writing only reads *t */
}

size_t machd_query_get_task(const uint8_t *buf, size_t len, struct machd_query_task *out) {
    struct codec c = {.writing = false, .in = buf, .cap = len, .reserved_ok = true};
    return io_task(&c, out) ? c.pos : 0;
}

enum machd_decode_status machd_proto_decode(const uint8_t *buf, size_t len, struct machd_msg *out) {
    if (len > MACHD_MAX_PACKET)
        return MACHD_DECODE_TOO_LARGE;
    if (len < MACHD_HEADER_SIZE)
        return MACHD_DECODE_SHORT;
    struct codec c = {.writing = false, .in = buf, .cap = len, .reserved_ok = true};
    uint32_t magic, total;
    uint16_t version;
    IO(&c, magic);
    IO(&c, version);
    IO(&c, out->type);
    IO(&c, total);
    IO(&c, out->seq);
    if (magic != MACHD_PROTO_MAGIC)
        return MACHD_DECODE_BAD_MAGIC;
    if (version != MACHD_PROTO_VERSION)
        return MACHD_DECODE_BAD_VERSION;
    if (total != len)
        return MACHD_DECODE_BAD_LENGTH;
    enum machd_decode_status st = io_body(&c, out);
    if (st != MACHD_DECODE_OK)
        return st;
    if (io_left(&c) != 0)
        return MACHD_DECODE_BAD_LENGTH;
    st = check_msg(out);
    if (st == MACHD_DECODE_OK && (out->type == MACHD_MSG_SEND || out->type == MACHD_MSG_DELIVER)) {
        struct machd_payload *p = out->type == MACHD_MSG_SEND ? &out->u.send.p : &out->u.deliver.p;
        p->fileport_count = machd_payload_fileports(p);
    }
    return st;
}

static bool payload_pointers_ok(const struct machd_payload *p) {
    if (p->msgh_bits & MACHD_PAYLOAD_SPILLED)
        return true; /* the bytes travel in the memfd */
    if (p->body_len && !p->body)
        return false;
    for (uint32_t i = 0; i < p->ool_count; i++)
        if (p->ool[i].size && !p->ool[i].data)
            return false;
    return true;
}

size_t machd_proto_encode(const struct machd_msg *msg, uint8_t *buf, size_t cap) {
    if (check_msg(msg) != MACHD_DECODE_OK)
        return 0;
    if (msg->type == MACHD_MSG_SEND && !payload_pointers_ok(&msg->u.send.p))
        return 0;
    if (msg->type == MACHD_MSG_DELIVER && !payload_pointers_ok(&msg->u.deliver.p))
        return 0;
    struct codec c = {.writing = true, .out = buf, .cap = cap < MACHD_MAX_PACKET ? cap : MACHD_MAX_PACKET,
                      .reserved_ok = true};
    uint32_t magic = MACHD_PROTO_MAGIC, total = 0;
    uint16_t version = MACHD_PROTO_VERSION, type = msg->type;
    uint32_t seq = msg->seq;
    IO(&c, magic);
    IO(&c, version);
    IO(&c, type);
    IO(&c, total); /* patched below */
    IO(&c, seq);
    /* Writing only reads *msg; io_body takes a mutable pointer because reading fills it. */
    if (io_body(&c, (struct machd_msg *)msg) != MACHD_DECODE_OK || c.failed)
        return 0;
    total = (uint32_t)c.pos;
    memcpy(buf + 8, &total, sizeof total);
    return c.pos;
}

bool machd_proto_is_request(uint16_t type) {
    switch (type) {
    case MACHD_HELLO:
    case MACHD_MSG_SEND:
    case MACHD_MOD_REFS:
    case MACHD_NOTIFY_REQUEST:
    case MACHD_BOOTSTRAP:
    case MACHD_STATS:
    case MACHD_QUEUE_CREDIT:
    case MACHD_SEND_ADMIT:
    case MACHD_QUERY:
    case MACHD_ROUTE:
    case MACHD_MOVED_DONE:
    case MACHD_TOKEN_CLAIM:
    case MACHD_TOKEN_GRANT:
        return true;
    default:
        return false;
    }
}

const char *machd_proto_decode_status_name(enum machd_decode_status status) {
    switch (status) {
    case MACHD_DECODE_OK: return "ok";
    case MACHD_DECODE_SHORT: return "truncated";
    case MACHD_DECODE_BAD_MAGIC: return "bad magic";
    case MACHD_DECODE_BAD_VERSION: return "unsupported version";
    case MACHD_DECODE_BAD_TYPE: return "unknown message type";
    case MACHD_DECODE_BAD_LENGTH: return "length mismatch";
    case MACHD_DECODE_TOO_LARGE: return "too large";
    case MACHD_DECODE_BAD_RIGHT: return "invalid right item";
    case MACHD_DECODE_BAD_FIELD: return "invalid field";
    }
    return "unknown status";
}
