/* machd wire protocol: the messages a task and machd exchange over SOCK_SEQPACKET, with a strict
 * decoder and an encoder. Shared by the daemon (runtime/machd) and the runtime's transport.
 * The format is described in docs/machd.md, section 3. KEEP IN SYNC: docs/machd.md */
#ifndef OPENMIG_MACHD_PROTO_H
#define OPENMIG_MACHD_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MACHD_PROTO_MAGIC 0x4448434du /* "MCHD" in memory order */
#define MACHD_PROTO_VERSION 9u /* 2: port-destroyed requests follow receive rights; 3: MSG_SEND credit
                                  item, STATS_REPLY I/O counters; 4: MOVED; 5: QUERY; 6: direct
                                  channels (HELLO_DIRECT, ROUTE, CHANNEL, ROUTE_ADD/DEL, tickets);
                                  7: fileports (FILEPORT right items with their descriptors,
                                  STATS_REPLY and task records count held descriptors);
                                  8: MOVED_DONE; 9: TOKEN_CLAIM, TOKEN_CLAIMED, TOKEN_GRANT */
#define MACHD_HEADER_SIZE 16u
#define MACHD_RIGHT_ITEM_SIZE 8u
#define MACHD_OOL_ITEM_SIZE 8u
#define MACHD_MAX_PACKET (128u * 1024u)
/* Rights per message. Darwin takes at most 16,383 (IPC_KMSG_MAX_OOL_PORT_COUNT, port and OOL
 * port descriptors together); here the right items of a MSG_DELIVER must fit one datagram with
 * 64 OOL items, which allows 16,311: the limit is the round figure below that. */
#define MACHD_MAX_RIGHTS 16000u
#define MACHD_MAX_OOL 64u
/* Rights to fileports per message: right items flagged MACHD_RIGHT_FILEPORT, each with one
 * descriptor attached (docs/fileports.md); a message with more is MACH_SEND_TOO_LARGE. */
#define MACHD_MAX_FILEPORTS 8u
#define MACHD_MAX_SERVICE_NAME 127u /* bytes, without the NUL (Darwin's name_t is 128) */

/* Handles: a task's names for rights in its broker space. machd allocates handles with bit 31
 * clear; a task exporting one of its own ports picks a handle with bit 31 set. */
#define MACHD_HANDLE_NULL 0u
#define MACHD_HANDLE_DEAD 0xffffffffu
#define MACHD_HANDLE_TASK_BIT 0x80000000u

/* Dispositions and received types: the values of Mach's MACH_MSG_TYPE_* (checked against
 * <mach/message.h> by the runtime transport). */
enum machd_disposition {
    MACHD_DISP_NONE = 0,
    MACHD_DISP_MOVE_RECEIVE = 16,  /* received as a receive right */
    MACHD_DISP_MOVE_SEND = 17,     /* received as a send right */
    MACHD_DISP_MOVE_SEND_ONCE = 18, /* received as a send-once right */
    MACHD_DISP_COPY_SEND = 19,
    MACHD_DISP_MAKE_SEND = 20,
    MACHD_DISP_MAKE_SEND_ONCE = 21,
};

enum machd_msg_type {
    MACHD_HELLO = 1,
    MACHD_HELLO_REPLY = 2,
    MACHD_MSG_SEND = 3,
    MACHD_SEND_REPLY = 4,
    MACHD_MSG_DELIVER = 5,
    MACHD_MOD_REFS = 6,
    MACHD_STATUS_REPLY = 7,
    MACHD_NOTIFY_REQUEST = 8,
    MACHD_PORT_DEAD = 9,
    MACHD_SENDERS_GONE = 10,
    MACHD_BOOTSTRAP = 11,
    MACHD_BOOTSTRAP_REPLY = 12,
    MACHD_ERROR = 13,
    MACHD_STATS = 14,
    MACHD_STATS_REPLY = 15,
    MACHD_QUEUE_CREDIT = 16, /* T->D: receiver's room on its port (flow control) */
    MACHD_SEND_ADMIT = 17,   /* T->D: wait for room before a send (flow control) */
    MACHD_QUEUE_FULL = 18,   /* D->T: the port behind a send handle has no room left */
    MACHD_MOVED = 19,        /* D->T: a receive right this task moved is at its new receiver: no
                                delivery for it follows on this connection */
    MACHD_QUERY = 20,        /* T->D: one page of what machd holds (machctl) */
    MACHD_QUERY_REPLY = 21,  /* D->T: the page: records of services or tasks */
    /* Direct channels (docs/machd.md 9): */
    MACHD_ROUTE = 22,        /* T->D: may I send to the port behind my send handle directly? */
    MACHD_ROUTE_REPLY = 23,  /* D->T: yes on this channel and route slot, or why not */
    MACHD_CHANNEL = 24,      /* D->T: a channel to a peer task, with its 4 descriptors */
    MACHD_ROUTE_ADD = 25,    /* D->T (receiver): the peer may send to our port on this slot */
    MACHD_ROUTE_DEL = 26,    /* D->T (receiver): it may not any more (it lost its send right) */
    MACHD_MOVED_DONE = 27,   /* T->D: after MOVED: every delivery machd sent us for that moved
                                receive right has been forwarded (u.moved; no reply) */
    /* A reply right that came on a channel leaves the process (docs/machd.md 9.6): */
    MACHD_TOKEN_CLAIM = 28,  /* T->D: make the peer's send-once token I hold a machd right;
                                answered by STATUS_REPLY (value: a send-once handle) */
    MACHD_TOKEN_CLAIMED = 29, /* D->T (the token's issuer): your peer claims this token */
    MACHD_TOKEN_GRANT = 30,  /* T->D: the answer to TOKEN_CLAIMED: the send-once right to the
                                token's reply port, or a refusal (no reply) */
};

/* HELLO flags. */
#define MACHD_HELLO_DIRECT 0x1u /* the task maps direct channels (else machd never routes to or
                                   from it: every message is relayed) */

/* Descriptors of a CHANNEL message, in this order (SCM_RIGHTS). */
enum machd_channel_fd {
    MACHD_CHANNEL_FD_MEMORY = 0, /* sealed memfd, CHAN_SHARED_SIZE bytes (wire/chan_ring.h) */
    MACHD_CHANNEL_FD_WAKE_ME,    /* eventfd (non-blocking) the peer writes to wake this task */
    MACHD_CHANNEL_FD_WAKE_PEER,  /* eventfd (non-blocking) this task writes to wake the peer */
    MACHD_CHANNEL_FD_LINK,       /* this task's end of a socketpair: hang-up = the peer is gone */
    MACHD_CHANNEL_FDS
};

/* QUERY: which list, paged by record index (docs/machd.md 3, "Queries"). */
enum machd_query_kind {
    MACHD_QUERY_SERVICES = 1, /* the bootstrap names, with the task holding each receive right */
    MACHD_QUERY_TASKS = 2,    /* the connected tasks, with their rights and queued datagrams */
};

/* Bytes of a QUERY_REPLY before its records (header, status, kind, offset, total, count). */
#define MACHD_QUERY_REPLY_FIXED (MACHD_HEADER_SIZE + 20u)
/* Records of one QUERY_REPLY: what fits one datagram. */
#define MACHD_QUERY_MAX_RECORDS_LEN (MACHD_MAX_PACKET - MACHD_QUERY_REPLY_FIXED)
/* A command name as the kernel keeps it (/proc/PID/comm, TASK_COMM_LEN): at most 15 bytes and
 * a NUL, zero-padded on the wire. */
#define MACHD_COMM_SIZE 16u

/* How a bootstrap name was bound (a service record's state). */
enum machd_service_state {
    MACHD_SERVICE_CHECKED_IN = 1, /* a task checked it in (or reclaimed it): it holds the receive right */
    MACHD_SERVICE_REGISTERED = 2, /* bound to a send right by REGISTER */
    MACHD_SERVICE_CREATED = 3,    /* bootstrap_create_service: machd holds the receive right until a check-in */
};

/* Who holds a receive right, or is a connected task: machd's record of it (identity from the
 * kernel, command from /proc/PID/comm when machd answered). task_id 0: machd itself. */
struct machd_query_who {
    uint64_t task_id;
    uint32_t pid, uid;
    char comm[MACHD_COMM_SIZE]; /* NUL-terminated; "" when unknown */
};

/* A service record: name_len u32, name bytes, state u32, owner task id u64 (the task that bound
 * the name), receiver task id u64, pid u32, uid u32, comm 16 bytes. */
struct machd_query_service {
    char name[MACHD_MAX_SERVICE_NAME + 1]; /* NUL-terminated */
    uint32_t state;                        /* enum machd_service_state */
    uint64_t owner;
    struct machd_query_who receiver;       /* the port's receiver (task_id 0: machd holds it) */
};

/* A task record (68 bytes): task id u64, pid u32, uid u32, gid u32, comm 16 bytes, receive u32,
 * send u32, send-once u32, names u32, queued u32, queued bytes u64, fileports u32. */
struct machd_query_task {
    struct machd_query_who who;
    uint32_t gid;
    uint32_t receive;   /* receive rights it holds (ports other processes can reach) */
    uint32_t send;      /* names holding send rights in its broker space */
    uint32_t send_once; /* send-once rights */
    uint32_t names;     /* bootstrap names it bound */
    uint32_t queued;    /* datagrams machd has queued for it and not yet written */
    uint64_t queued_bytes;
    uint32_t fileports; /* descriptors machd holds for fileports it exported (version 7) */
};

/* Right item flags. */
#define MACHD_RIGHT_NEW 0x01u /* the handle names a local port of the sender, exported now */
#define MACHD_RIGHT_KEEP_SEND 0x02u /* with NEW and MOVE_RECEIVE: the sender keeps one send right,
                                       made from the receive right before it moves */
#define MACHD_RIGHT_PD_REQUEST 0x04u /* MSG_SEND body, on MOVE_RECEIVE: the next item is not a right
                                        of the message but the notify right (send-once) of the
                                        port's port-destroyed request, which machd keeps */
#define MACHD_RIGHT_PD_ARMED 0x08u /* MSG_DELIVER body, on a receive right: machd holds a
                                      port-destroyed request for the port */
#define MACHD_RIGHT_FILEPORT 0x10u /* the port is a fileport and one descriptor of its open file
                                      is attached for this item (SCM_RIGHTS, after a spilled
                                      payload's memfd, in item order). MSG_SEND body: only with
                                      NEW and MAKE_SEND (the sender exports its fileport; machd
                                      keeps a duplicate with the port). MSG_DELIVER body: only on
                                      a send right (machd's duplicate, for the receiver to make
                                      or find its local fileport) */

/* MSG_SEND flags. */
#define MACHD_SEND_ACK_ERRORS_ONLY 0x0001u
#define MACHD_SEND_ADMITTED 0x0002u /* uses the room a SEND_ADMIT reserved for this task */
#define MACHD_SEND_CREDIT 0x0004u   /* a credit item follows the fixed fields: the sender's
                                       QUEUE_CREDIT for one of its ports, carried along */
#define MACHD_SEND_TICKET 0x0008u   /* a ticket (docs/machd.md 9): dest.name is a channel of the
                                       sender's and dest.disposition NONE; delivered to the peer
                                       with MACHD_PAYLOAD_TICKET, dest = the same channel, in
                                       order and never held back by flow control */

/* SEND_ADMIT flags. */
#define MACHD_ADMIT_TIMED 0x1u   /* give up after timeout_ms (0: answer at once) */
#define MACHD_ADMIT_RELEASE 0x2u /* give back one reservation not used (no reply) */

/* Largest room a receiver may announce (Mach's MACH_PORT_QLIMIT_LARGEST is 1024). */
#define MACHD_MAX_ROOM 65535u

/* The only msgh_bits that travel (ports and their dispositions travel as right items). */
#define MACHD_MSGH_BITS_COMPLEX 0x80000000u
/* Payload flag in the same field (Mach's port-disposition bits never travel, so bit 0 is free):
 * the body and OOL bytes are not in the datagram but in one sealed memfd passed with it
 * (SCM_RIGHTS), laid out by machd_spill_layout (machd_spill.h). */
#define MACHD_PAYLOAD_SPILLED 0x00000001u
/* Payload flag of a MSG_DELIVER (bit 1, free for the same reason): the message is a ticket sent
 * on a direct channel (dest.name: the channel; msgh_id: the ticket's number; the ring record that
 * refers to it carries the real msgh_id and destination). */
#define MACHD_PAYLOAD_TICKET 0x00000002u
/* Limits of a spilled payload: inline body bytes, and the whole memfd (body + OOL regions,
 * each region starting on a MACHD_SPILL_ALIGN boundary). */
#define MACHD_MAX_SPILL_BODY (64u * 1024u * 1024u)
#define MACHD_MAX_SPILL_BYTES ((uint64_t)1 << 31)
#define MACHD_SPILL_ALIGN 65536u

/* MOD_REFS rights. */
enum machd_right_kind {
    MACHD_RIGHT_SEND = 0,
    MACHD_RIGHT_SEND_ONCE = 1,
    MACHD_RIGHT_RECEIVE = 2,
    MACHD_RIGHT_DEAD_NAME = 3,
};

/* NOTIFY_REQUEST variants: Mach's notification message ids. */
#define MACHD_NOTIFY_PORT_DESTROYED 0x45u

enum machd_bootstrap_op {
    MACHD_BOOTSTRAP_CHECK_IN = 1,
    MACHD_BOOTSTRAP_LOOK_UP = 2,
    MACHD_BOOTSTRAP_REGISTER = 3,
    MACHD_BOOTSTRAP_UNREGISTER = 4, /* drop a name bound by REGISTER */
    MACHD_BOOTSTRAP_CREATE = 5,     /* bootstrap_create_service: machd keeps the receive right */
    MACHD_BOOTSTRAP_RECLAIM = 6,    /* bind a name, as checked in, to a receive right the task
                                       holds (right item: a send right made from it) */
    MACHD_BOOTSTRAP_STATUS = 7,     /* reply name = BOOTSTRAP_STATUS_ACTIVE / _INACTIVE */
};

/* True for the ops whose request carries a right item (REGISTER, RECLAIM). */
static inline bool machd_bootstrap_op_has_right(uint32_t op) {
    return op == MACHD_BOOTSTRAP_REGISTER || op == MACHD_BOOTSTRAP_RECLAIM;
}

/* Why a datagram was refused by machd_proto_decode. */
enum machd_decode_status {
    MACHD_DECODE_OK = 0,
    MACHD_DECODE_SHORT,         /* fewer bytes than the header or the fixed body */
    MACHD_DECODE_BAD_MAGIC,
    MACHD_DECODE_BAD_VERSION,
    MACHD_DECODE_BAD_TYPE,
    MACHD_DECODE_BAD_LENGTH,    /* header length differs from the datagram, or trailing bytes */
    MACHD_DECODE_TOO_LARGE,     /* datagram or a count above its limit */
    MACHD_DECODE_BAD_RIGHT,     /* disposition, flags, name or reserved field of a right item */
    MACHD_DECODE_BAD_FIELD,     /* any other field out of range (bits, op, variant, name bytes) */
};

struct machd_right {
    uint32_t name;
    uint8_t disposition; /* enum machd_disposition */
    uint8_t flags;       /* MACHD_RIGHT_* */
};

struct machd_ool {
    uint32_t size;
    const uint8_t *data; /* points into the decoded datagram, or the caller's memory to encode;
                            NULL when the payload is spilled */
};

/* The part shared by MSG_SEND and MSG_DELIVER: the Mach message after its header. */
struct machd_payload {
    uint32_t msgh_bits; /* MACHD_MSGH_BITS_COMPLEX and/or MACHD_PAYLOAD_SPILLED */
    int32_t msgh_id;
    uint32_t right_count;
    uint32_t ool_count;
    uint32_t body_len;
    const uint8_t *body; /* NULL when spilled */
    /* Not on the wire: the descriptors that came with the datagram (SCM_RIGHTS). The decoder
     * sets spill_fd -1 and fds_received 0; the connection layer fills them. Senders set
     * spill_fd when MACHD_PAYLOAD_SPILLED is set (the codec never reads it). */
    int spill_fd;
    uint32_t fds_received;
    /* Not on the wire: the right items flagged MACHD_RIGHT_FILEPORT (the decoder counts them)
     * and their descriptors, in item order. Senders fill fileport_fds (the codec never reads
     * them); a receiver's connection layer fills them (-1 when absent; the decoder sets -1). */
    uint32_t fileport_count;
    int fileport_fds[MACHD_MAX_FILEPORTS];
    /* The right_count right items. Encoding: `rights` points to the caller's items. Decoding:
     * `rights` is NULL and the items stay in the datagram (`right_items`, checked); read either
     * form with machd_payload_right. */
    const struct machd_right *rights;
    const uint8_t *right_items;
    struct machd_ool ool[MACHD_MAX_OOL];
};

/* Right item i (< p->right_count) of a payload, encoded or decoded. */
struct machd_right machd_payload_right(const struct machd_payload *p, uint32_t i);

/* How many right items of p carry MACHD_RIGHT_FILEPORT (each travels with one descriptor). */
uint32_t machd_payload_fileports(const struct machd_payload *p);


/* Who sent a delivered message, as the kernel told machd (all zero for machd's own messages). */
struct machd_audit {
    uint32_t pid;
    uint32_t uid;
    uint32_t gid;
    uint64_t task_id;
};

/* machd's own work since it started (STATS_REPLY, for benchmarks): its event-loop waits, socket
 * calls, other system calls, and the datagrams it read and wrote. */
struct machd_io_counts {
    uint64_t epoll_waits;   /* epoll_wait calls */
    uint64_t recv_calls;    /* recvmsg calls on task connections */
    uint64_t send_calls;    /* sendmsg calls on task connections */
    uint64_t other_calls;   /* every other system call of the event loop (epoll_ctl, accept,
                               fcntl, close, ...) */
    uint64_t datagrams_in;  /* datagrams read from tasks */
    uint64_t datagrams_out; /* datagrams written to tasks */
};

struct machd_msg {
    uint16_t type; /* enum machd_msg_type */
    uint32_t seq;
    union {
        struct { uint32_t min_version, max_version, flags; } hello; /* flags: MACHD_HELLO_* */
        struct {
            uint32_t version, status;
            uint64_t task_id;
            uint32_t pid, uid, gid;
        } hello_reply;
        struct {
            struct machd_right dest, reply;
            uint16_t flags;
            /* With MACHD_SEND_CREDIT: a queue_credit of the sender's (same rules); all zero
             * otherwise. */
            struct { uint32_t name, seen, room; } credit;
            struct machd_payload p;
        } send;
        struct { uint32_t status; } send_reply;
        struct {
            struct machd_right dest;  /* disposition: the type the sender used (send, send-once) */
            struct machd_right reply; /* disposition holds the received type (0 = none) */
            struct machd_audit audit;
            struct machd_payload p;   /* right dispositions hold received types 16, 17, 18 */
        } deliver;
        struct { uint32_t name, right; int32_t delta; } mod_refs;
        struct { uint32_t status, value; } status_reply;
        struct { uint32_t name, variant; struct machd_right notify; } notify_request;
        struct { uint32_t name; } port_dead;
        struct { uint32_t name, mscount; } senders_gone;
        struct {
            uint32_t op; /* enum machd_bootstrap_op */
            uint32_t name_len;
            const char *name;         /* not NUL-terminated */
            struct machd_right right; /* REGISTER and RECLAIM only */
        } bootstrap;
        /* The receiver has seen `seen` deliveries to its port `name` (all of them, counted
         * from when it got the receive right) and has room for `room` more messages. */
        struct { uint32_t name, seen, room; } queue_credit;
        struct { uint32_t name, flags, timeout_ms; } send_admit; /* flags: MACHD_ADMIT_* */
        struct { uint32_t name; } queue_full;
        /* TOKEN_CLAIM: `token` (nonzero) was issued to the sender by its peer on `channel`. */
        struct { uint32_t channel, token; } token_claim;
        /* TOKEN_CLAIMED: machd's `claim` (nonzero, never 0xffffffff) for `token` of ours on
         * `channel`: answer it with TOKEN_GRANT. */
        struct { uint32_t channel, token, claim; } token_claimed;
        /* TOKEN_GRANT: status 0 with a send-once right (MAKE_SEND_ONCE or MOVE_SEND_ONCE), or a
         * nonzero status and no right (MACHD_DISP_NONE, MACHD_HANDLE_NULL). */
        struct { uint32_t claim, status; struct machd_right right; } token_grant;
        struct { uint32_t name; } moved; /* MOVED, MOVED_DONE: the mover's handle (its send right, if it kept one) */
        struct { uint32_t status, name, type; } bootstrap_reply;
        /* ROUTE: `name` is a handle of the sender holding a send right. */
        struct { uint32_t name; } route;
        /* ROUTE_REPLY: KERN_SUCCESS with the channel (announced before by CHANNEL) and the route
         * slot; KERN_INVALID_NAME / KERN_INVALID_RIGHT (no send right under name),
         * KERN_FAILURE (no route possible: the receiver is machd, the sender itself, a task
         * without HELLO_DIRECT, or machd still holds messages for the port),
         * KERN_RESOURCE_SHORTAGE (a channel or slot limit). `serial` names the route (nonzero,
         * never reused by one machd; ROUTE_ADD carries the same): the sender writes on the slot
         * once the receiver has activated that serial in the ring (wire/chan_ring.h). */
        struct { uint32_t status, channel, slot, serial; } route_reply;
        /* CHANNEL: channel ids are never 0 and never reused by one machd. fds are filled by the
         * connection layer (-1 when absent; the decoder sets -1) and owned by the receiver. */
        struct {
            uint32_t channel;
            uint32_t side;           /* 0 or 1: this task's side (wire/chan_ring.h) */
            struct machd_audit peer; /* who the peer is, from the kernel (fills its trailers) */
            int fds[MACHD_CHANNEL_FDS];
        } channel;
        /* ROUTE_ADD: `name` is the receiver's handle of the port (its receive right); `serial`
         * as in the ROUTE_REPLY of the same route. */
        struct { uint32_t channel, slot, name, serial; } route_add;
        struct { uint32_t channel, slot; } route_del;
        struct { uint32_t status, type; } error;
        struct { uint32_t flags; } stats; /* flags must be 0 */
        struct { uint32_t kind, offset; } query; /* enum machd_query_kind; first record wanted */
        struct machd_query_reply {
            uint32_t status;  /* KERN_SUCCESS, or KERN_NO_ACCESS (then no records) */
            uint32_t kind, offset;
            uint32_t total;   /* records in the list when machd answered */
            uint32_t count;   /* records in this page, from `offset` */
            uint32_t records_len;
            const uint8_t *records; /* count records of `kind`, back to back; read them with
                                       machd_query_get_* */
        } query_reply;
        struct machd_stats_reply {
            uint32_t tasks, ports, entries, names;
            uint64_t rss_bytes; /* machd's resident memory, for leak tests */
            uint32_t fileports; /* descriptors machd holds for fileports (version 7) */
            struct machd_io_counts io; /* machd's system calls and datagrams since it started */
        } stats_reply;
    } u;
};

/* The descriptors that travel with message m, in SCM_RIGHTS order (a spilled payload's memfd,
 * then one per FILEPORT item), copied into fds (capacity cap); returns how many, or -1 when
 * they do not fit or one is missing (< 0). CHANNEL's descriptors are the connection layer's. */
int machd_msg_fds(const struct machd_msg *m, int *fds, int cap);

/* Decodes one datagram of `len` bytes into *out after checking every field (docs/machd.md,
 * section 3). `buf` must be private to the caller and outlive *out: decoded body, OOL and name
 * pointers point into it. Returns MACHD_DECODE_OK, or why it refused (then *out is unspecified).
 * Pure and thread-safe. */
enum machd_decode_status machd_proto_decode(const uint8_t *buf, size_t len, struct machd_msg *out);

/* Encodes *msg into buf (capacity cap). Returns the datagram length, or 0 when msg is not a
 * message the decoder would accept (so nothing invalid is ever sent) or does not fit in cap.
 * Thread-safe. */
size_t machd_proto_encode(const struct machd_msg *msg, uint8_t *buf, size_t cap);

/* Query records: put one at buf (capacity cap) and return its size, or 0 when it does not fit or
 * is invalid (a name of 0 or more than 127 bytes, a state out of range); get one from len bytes
 * at buf and return its size, or 0 when the bytes are not one valid record (the codec checks
 * every record of a QUERY_REPLY this way). */
size_t machd_query_put_service(uint8_t *buf, size_t cap, const struct machd_query_service *s);
size_t machd_query_get_service(const uint8_t *buf, size_t len, struct machd_query_service *out);
size_t machd_query_put_task(uint8_t *buf, size_t cap, const struct machd_query_task *t);
size_t machd_query_get_task(const uint8_t *buf, size_t len, struct machd_query_task *out);

/* True for the types a task may send to machd. */
bool machd_proto_is_request(uint16_t type);

/* A short English name for a decode status, for logs. */
const char *machd_proto_decode_status_name(enum machd_decode_status status);

#endif
