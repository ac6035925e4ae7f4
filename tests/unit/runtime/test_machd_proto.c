/* Unit tests for the machd wire codec (runtime/src/machd_proto.c): round trips of every message
 * type and the decoder's refusals (truncation, lengths, counts, dispositions, reserved fields). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "wire/chan_ring.h"
#include "wire/machd_proto.h"

static uint8_t buf[MACHD_MAX_PACKET];
static struct machd_msg in, out;
static struct machd_right in_rights[3]; /* the right items of `in` */

static size_t encode(const struct machd_msg *m) { return machd_proto_encode(m, buf, sizeof buf); }

static void set_u32(size_t off, uint32_t v) { memcpy(buf + off, &v, sizeof v); }

/* A complex MSG_SEND with a NEW export, a moved send right, a null name, body and two OOL regions. */
static const uint8_t body_bytes[] = "body-bytes-of-the-message";
static const uint8_t ool_a[] = {1, 2, 3, 4, 5};
static const uint8_t ool_b[] = {9, 8, 7};

static void make_send(struct machd_msg *m) {
    memset(m, 0, sizeof *m);
    m->type = MACHD_MSG_SEND;
    m->seq = 77;
    m->u.send.dest = (struct machd_right){0x105, MACHD_DISP_COPY_SEND, 0};
    m->u.send.reply = (struct machd_right){0x80000002, MACHD_DISP_MAKE_SEND_ONCE, MACHD_RIGHT_NEW};
    m->u.send.flags = MACHD_SEND_ACK_ERRORS_ONLY;
    struct machd_payload *p = &m->u.send.p;
    p->msgh_bits = MACHD_MSGH_BITS_COMPLEX;
    p->msgh_id = -42;
    p->right_count = 3;
    in_rights[0] = (struct machd_right){0x80000003, MACHD_DISP_MAKE_SEND, MACHD_RIGHT_NEW};
    in_rights[1] = (struct machd_right){0x207, MACHD_DISP_MOVE_SEND, 0};
    in_rights[2] = (struct machd_right){MACHD_HANDLE_NULL, MACHD_DISP_COPY_SEND, 0};
    p->rights = in_rights;
    p->body = body_bytes;
    p->body_len = sizeof body_bytes;
    p->ool_count = 2;
    p->ool[0] = (struct machd_ool){sizeof ool_a, ool_a};
    p->ool[1] = (struct machd_ool){sizeof ool_b, ool_b};
}

static void make_deliver(struct machd_msg *m) {
    memset(m, 0, sizeof *m);
    m->type = MACHD_MSG_DELIVER;
    m->u.deliver.dest = (struct machd_right){0x80000001, MACHD_DISP_MOVE_SEND, 0};
    m->u.deliver.reply = (struct machd_right){0x301, MACHD_DISP_MOVE_SEND_ONCE, 0};
    m->u.deliver.audit = (struct machd_audit){1234, 1000, 100, 0x1122334455667788ull};
    struct machd_payload *p = &m->u.deliver.p;
    p->msgh_bits = MACHD_MSGH_BITS_COMPLEX;
    p->msgh_id = 500;
    p->right_count = 2;
    in_rights[0] = (struct machd_right){0x401, MACHD_DISP_MOVE_RECEIVE, 0};
    in_rights[1] = (struct machd_right){0x502, MACHD_DISP_MOVE_SEND, 0};
    p->rights = in_rights;
    p->body = body_bytes;
    p->body_len = 4;
}

static void expect_decode(size_t len, enum machd_decode_status want) {
    assert_int_equal(machd_proto_decode(buf, len, &out), want);
}

static void send_round_trips_rights_body_and_ool(void **state) {
    (void)state;
    make_send(&in);
    size_t len = encode(&in);
    assert_int_equal(len, MACHD_HEADER_SIZE + 2 * 8 + 4 + 20 + 3 * 8 + 2 * 8 + sizeof body_bytes + 8);
    expect_decode(len, MACHD_DECODE_OK);
    assert_int_equal(out.type, MACHD_MSG_SEND);
    assert_int_equal(out.seq, 77);
    assert_int_equal(out.u.send.dest.name, 0x105);
    assert_int_equal(out.u.send.dest.disposition, MACHD_DISP_COPY_SEND);
    assert_int_equal(out.u.send.reply.name, 0x80000002);
    assert_int_equal(out.u.send.reply.flags, MACHD_RIGHT_NEW);
    assert_int_equal(out.u.send.flags, MACHD_SEND_ACK_ERRORS_ONLY);
    assert_int_equal(out.u.send.p.msgh_id, -42);
    assert_int_equal(out.u.send.p.right_count, 3);
    for (int i = 0; i < 3; i++) {
        struct machd_right r = machd_payload_right(&out.u.send.p, (uint32_t)i);
        assert_int_equal(r.name, in_rights[i].name);
        assert_int_equal(r.disposition, in_rights[i].disposition);
        assert_int_equal(r.flags, in_rights[i].flags);
    }
    assert_int_equal(out.u.send.p.body_len, sizeof body_bytes);
    assert_memory_equal(out.u.send.p.body, body_bytes, sizeof body_bytes);
    assert_int_equal(out.u.send.p.ool_count, 2);
    assert_int_equal(out.u.send.p.ool[0].size, sizeof ool_a);
    assert_memory_equal(out.u.send.p.ool[0].data, ool_a, sizeof ool_a);
    assert_memory_equal(out.u.send.p.ool[1].data, ool_b, sizeof ool_b);
    /* Decoded pointers point into the caller's buffer: nothing is allocated. */
    assert_true(out.u.send.p.body > buf && out.u.send.p.body < buf + len);
}

/* Version 2: a MSG_SEND may carry its sender's room announcement (12 bytes more, only with the
 * flag); the same rules as QUEUE_CREDIT apply, and without the flag the item is absent. */
static void send_carries_a_credit_item_only_with_its_flag(void **state) {
    (void)state;
    make_send(&in);
    size_t plain = encode(&in);
    in.u.send.flags |= MACHD_SEND_CREDIT;
    in.u.send.credit.name = 0x80000007;
    in.u.send.credit.seen = 0xfffffffeu;
    in.u.send.credit.room = 5;
    size_t len = encode(&in);
    assert_int_equal(len, plain + 12);
    uint32_t at_name;
    memcpy(&at_name, buf + MACHD_HEADER_SIZE + 2 * 8 + 4, sizeof at_name);
    assert_int_equal(at_name, 0x80000007); /* right after the fixed fields */
    expect_decode(len, MACHD_DECODE_OK);
    assert_int_equal(out.u.send.flags, MACHD_SEND_ACK_ERRORS_ONLY | MACHD_SEND_CREDIT);
    assert_int_equal(out.u.send.credit.name, 0x80000007);
    assert_int_equal(out.u.send.credit.seen, 0xfffffffeu);
    assert_int_equal(out.u.send.credit.room, 5);
    assert_memory_equal(out.u.send.p.body, body_bytes, sizeof body_bytes);
    /* The flag without the item, or the item with a bad name or room, is refused. */
    set_u32(MACHD_HEADER_SIZE + 2 * 8 + 4, MACHD_HANDLE_NULL);
    expect_decode(len, MACHD_DECODE_BAD_FIELD);
    in.u.send.credit.room = MACHD_MAX_ROOM + 1;
    assert_int_equal(encode(&in), 0);
    in.u.send.credit.room = 1;
    in.u.send.credit.name = MACHD_HANDLE_DEAD;
    assert_int_equal(encode(&in), 0);
    make_send(&in);
    len = encode(&in);
    uint16_t flags = MACHD_SEND_ACK_ERRORS_ONLY | MACHD_SEND_CREDIT;
    memcpy(buf + MACHD_HEADER_SIZE + 2 * 8, &flags, sizeof flags);
    assert_int_not_equal(machd_proto_decode(buf, len, &out), MACHD_DECODE_OK);
    /* Decoding a send without the flag leaves no stale credit behind. */
    out.u.send.credit.name = 99;
    expect_decode(encode(&in), MACHD_DECODE_OK);
    assert_int_equal(out.u.send.credit.name, 0);
}

static void stats_reply_carries_io_counters(void **state) {
    (void)state;
    struct machd_msg m;
    memset(&m, 0, sizeof m);
    m.type = MACHD_STATS_REPLY;
    m.u.stats_reply.tasks = 3;
    m.u.stats_reply.rss_bytes = 1u << 20;
    m.u.stats_reply.io = (struct machd_io_counts){1, 2, 3, 4, 5, 0x0102030405060708ull};
    size_t len = encode(&m);
    assert_int_equal(len, MACHD_HEADER_SIZE + 4 * 4 + 8 + 4 + 6 * 8);
    expect_decode(len, MACHD_DECODE_OK);
    assert_int_equal(out.u.stats_reply.tasks, 3);
    assert_true(out.u.stats_reply.io.epoll_waits == 1 && out.u.stats_reply.io.recv_calls == 2 &&
                out.u.stats_reply.io.send_calls == 3 && out.u.stats_reply.io.other_calls == 4 &&
                out.u.stats_reply.io.datagrams_in == 5 &&
                out.u.stats_reply.io.datagrams_out == 0x0102030405060708ull);
    set_u32(8, (uint32_t)(len - 8)); /* the version 1 layout (no counters) is refused */
    assert_int_not_equal(machd_proto_decode(buf, len - 8, &out), MACHD_DECODE_OK);
}

static void deliver_round_trips_audit_and_received_types(void **state) {
    (void)state;
    make_deliver(&in);
    size_t len = encode(&in);
    assert_true(len > 0);
    expect_decode(len, MACHD_DECODE_OK);
    assert_int_equal(out.u.deliver.dest.name, 0x80000001);
    assert_int_equal(out.u.deliver.reply.disposition, MACHD_DISP_MOVE_SEND_ONCE);
    assert_int_equal(out.u.deliver.audit.pid, 1234);
    assert_int_equal(out.u.deliver.audit.uid, 1000);
    assert_int_equal(out.u.deliver.audit.gid, 100);
    assert_true(out.u.deliver.audit.task_id == 0x1122334455667788ull);
    assert_int_equal(machd_payload_right(&out.u.deliver.p, 0).disposition, MACHD_DISP_MOVE_RECEIVE);
    assert_int_equal(out.u.deliver.p.body_len, 4);
}

static void small_messages_round_trip(void **state) {
    (void)state;
    struct machd_msg m;
    memset(&m, 0, sizeof m);

    m.type = MACHD_HELLO;
    m.u.hello.min_version = 1;
    m.u.hello.max_version = 3;
    expect_decode(encode(&m), MACHD_DECODE_OK);
    assert_int_equal(out.u.hello.max_version, 3);

    m.type = MACHD_HELLO_REPLY;
    m.u.hello_reply.version = 1;
    m.u.hello_reply.task_id = 99;
    m.u.hello_reply.pid = 5;
    expect_decode(encode(&m), MACHD_DECODE_OK);
    assert_true(out.u.hello_reply.task_id == 99);
    assert_int_equal(out.u.hello_reply.pid, 5);

    memset(&m, 0, sizeof m);
    m.type = MACHD_MOD_REFS;
    m.u.mod_refs.name = 0x33;
    m.u.mod_refs.right = MACHD_RIGHT_SEND;
    m.u.mod_refs.delta = -2;
    expect_decode(encode(&m), MACHD_DECODE_OK);
    assert_int_equal(out.u.mod_refs.delta, -2);

    memset(&m, 0, sizeof m);
    m.type = MACHD_NOTIFY_REQUEST;
    m.u.notify_request.name = 0x80000001;
    m.u.notify_request.variant = MACHD_NOTIFY_PORT_DESTROYED;
    m.u.notify_request.notify = (struct machd_right){0x80000004, MACHD_DISP_MAKE_SEND_ONCE, MACHD_RIGHT_NEW};
    expect_decode(encode(&m), MACHD_DECODE_OK);
    assert_int_equal(out.u.notify_request.notify.name, 0x80000004);

    memset(&m, 0, sizeof m);
    m.type = MACHD_SENDERS_GONE;
    m.u.senders_gone.name = 0x80000001;
    m.u.senders_gone.mscount = 7;
    expect_decode(encode(&m), MACHD_DECODE_OK);
    assert_int_equal(out.u.senders_gone.mscount, 7);

    memset(&m, 0, sizeof m);
    m.type = MACHD_QUEUE_CREDIT;
    m.u.queue_credit.name = 0x80000002;
    m.u.queue_credit.seen = 0xfffffff0u; /* wraps: compared by difference */
    m.u.queue_credit.room = 5;
    expect_decode(encode(&m), MACHD_DECODE_OK);
    assert_int_equal(out.u.queue_credit.seen, 0xfffffff0u);
    assert_int_equal(out.u.queue_credit.room, 5);
    m.u.queue_credit.room = MACHD_MAX_ROOM + 1;
    assert_int_equal(encode(&m), 0);

    memset(&m, 0, sizeof m);
    m.type = MACHD_SEND_ADMIT;
    m.u.send_admit.name = 0x105;
    m.u.send_admit.flags = MACHD_ADMIT_TIMED;
    m.u.send_admit.timeout_ms = 250;
    expect_decode(encode(&m), MACHD_DECODE_OK);
    assert_int_equal(out.u.send_admit.timeout_ms, 250);
    m.u.send_admit.flags = MACHD_ADMIT_TIMED | MACHD_ADMIT_RELEASE; /* one or the other */
    assert_int_equal(encode(&m), 0);
    m.u.send_admit.flags = 0;
    m.u.send_admit.name = MACHD_HANDLE_DEAD;
    assert_int_equal(encode(&m), 0);

    memset(&m, 0, sizeof m);
    m.type = MACHD_QUEUE_FULL;
    m.u.queue_full.name = 0x105;
    expect_decode(encode(&m), MACHD_DECODE_OK);
    assert_int_equal(out.u.queue_full.name, 0x105);

    memset(&m, 0, sizeof m);
    m.type = MACHD_ERROR;
    m.u.error.status = 0x10000003;
    m.u.error.type = 77;
    expect_decode(encode(&m), MACHD_DECODE_OK);
    assert_int_equal(out.u.error.type, 77);
}

static void bootstrap_round_trips_name_and_register_right(void **state) {
    (void)state;
    struct machd_msg m;
    memset(&m, 0, sizeof m);
    m.type = MACHD_BOOTSTRAP;
    m.u.bootstrap.op = MACHD_BOOTSTRAP_REGISTER;
    m.u.bootstrap.name = "com.example.echo";
    m.u.bootstrap.name_len = 16;
    m.u.bootstrap.right = (struct machd_right){0x80000009, MACHD_DISP_MAKE_SEND, MACHD_RIGHT_NEW};
    size_t len = encode(&m);
    expect_decode(len, MACHD_DECODE_OK);
    assert_int_equal(out.u.bootstrap.name_len, 16);
    assert_memory_equal(out.u.bootstrap.name, "com.example.echo", 16);
    assert_int_equal(out.u.bootstrap.right.name, 0x80000009);

    m.u.bootstrap.op = MACHD_BOOTSTRAP_LOOK_UP;
    len = encode(&m);
    assert_int_equal(len, MACHD_HEADER_SIZE + 8 + 16); /* no right item for look-up */
    expect_decode(len, MACHD_DECODE_OK);
}

static void every_truncation_is_refused(void **state) {
    (void)state;
    make_send(&in);
    size_t len = encode(&in);
    for (size_t cut = 0; cut < len; cut++) {
        /* A shorter datagram whose header still claims the full length, and one whose header
         * matches the cut: both must be refused. */
        enum machd_decode_status st = machd_proto_decode(buf, cut, &out);
        assert_int_not_equal(st, MACHD_DECODE_OK);
        if (cut >= MACHD_HEADER_SIZE) {
            uint8_t copy[1024];
            memcpy(copy, buf, cut);
            uint32_t total = (uint32_t)cut;
            memcpy(copy + 8, &total, sizeof total);
            assert_int_not_equal(machd_proto_decode(copy, cut, &out), MACHD_DECODE_OK);
        }
    }
}

static void header_errors_are_named(void **state) {
    (void)state;
    make_send(&in);
    size_t len = encode(&in);
    buf[0] ^= 1;
    expect_decode(len, MACHD_DECODE_BAD_MAGIC);
    buf[0] ^= 1;
    buf[4] = MACHD_PROTO_VERSION - 1; /* the previous version's layout differs */
    expect_decode(len, MACHD_DECODE_BAD_VERSION);
    buf[4] = MACHD_PROTO_VERSION + 1;
    expect_decode(len, MACHD_DECODE_BAD_VERSION);
    buf[4] = MACHD_PROTO_VERSION;
    buf[6] = 99;
    expect_decode(len, MACHD_DECODE_BAD_TYPE);
    buf[6] = MACHD_MSG_SEND;
    set_u32(8, (uint32_t)len + 1);
    expect_decode(len, MACHD_DECODE_BAD_LENGTH);
    set_u32(8, (uint32_t)len + 4);
    memset(buf + len, 0, 4);
    expect_decode(len + 4, MACHD_DECODE_BAD_LENGTH); /* trailing bytes */
    expect_decode(MACHD_MAX_PACKET + 1, MACHD_DECODE_TOO_LARGE);
    expect_decode(3, MACHD_DECODE_SHORT);
}

/* Offsets in an encoded MSG_SEND: header 16, dest 16..23, reply 24..31, flags 32, payload 36. */
enum { OFF_DEST = 16, OFF_REPLY = 24, OFF_FLAGS = 32, OFF_BITS = 36, OFF_RCOUNT = 44,
       OFF_OCOUNT = 48, OFF_BODYLEN = 52, OFF_RIGHTS = 56 };

static void counts_and_sizes_are_bounded(void **state) {
    (void)state;
    make_send(&in);
    size_t len = encode(&in);
    set_u32(OFF_RCOUNT, MACHD_MAX_RIGHTS + 1);
    expect_decode(len, MACHD_DECODE_TOO_LARGE);
    set_u32(OFF_RCOUNT, 0xffffffffu);
    expect_decode(len, MACHD_DECODE_TOO_LARGE);
    set_u32(OFF_RCOUNT, 3);
    set_u32(OFF_OCOUNT, MACHD_MAX_OOL + 1);
    expect_decode(len, MACHD_DECODE_TOO_LARGE);
    set_u32(OFF_OCOUNT, 2);
    set_u32(OFF_BODYLEN, 0xffffffffu);
    expect_decode(len, MACHD_DECODE_BAD_LENGTH);
    set_u32(OFF_BODYLEN, sizeof body_bytes);
    /* First OOL size made huge: sum of sizes no longer matches the bytes present. */
    size_t ool0 = OFF_RIGHTS + 3 * MACHD_RIGHT_ITEM_SIZE;
    set_u32(ool0, 0xfffffff0u);
    expect_decode(len, MACHD_DECODE_BAD_LENGTH);
    set_u32(ool0, sizeof ool_a);
    set_u32(ool0 + 4, 1); /* reserved */
    expect_decode(len, MACHD_DECODE_BAD_RIGHT);
    set_u32(ool0 + 4, 0);
    expect_decode(len, MACHD_DECODE_OK);
}

static void dispositions_are_checked_per_slot(void **state) {
    (void)state;
    make_send(&in);
    size_t len = encode(&in);
    buf[OFF_DEST + 4] = MACHD_DISP_MOVE_RECEIVE; /* a destination is never a receive right */
    expect_decode(len, MACHD_DECODE_BAD_RIGHT);
    buf[OFF_DEST + 4] = 22;
    expect_decode(len, MACHD_DECODE_BAD_RIGHT);
    buf[OFF_DEST + 4] = MACHD_DISP_COPY_SEND;
    set_u32(OFF_DEST, MACHD_HANDLE_NULL);
    expect_decode(len, MACHD_DECODE_BAD_RIGHT);
    set_u32(OFF_DEST, MACHD_HANDLE_DEAD);
    expect_decode(len, MACHD_DECODE_BAD_RIGHT);
    set_u32(OFF_DEST, 0x105);
    buf[OFF_DEST + 5] = MACHD_RIGHT_NEW; /* the destination is never a fresh export */
    expect_decode(len, MACHD_DECODE_BAD_RIGHT);
    buf[OFF_DEST + 5] = 0;
    buf[OFF_DEST + 6] = 1; /* reserved */
    expect_decode(len, MACHD_DECODE_BAD_RIGHT);
    buf[OFF_DEST + 6] = 0;
    buf[OFF_REPLY + 4] = MACHD_DISP_NONE; /* no reply disposition but a reply handle */
    expect_decode(len, MACHD_DECODE_BAD_RIGHT);
    buf[OFF_REPLY + 4] = MACHD_DISP_MAKE_SEND_ONCE;
    buf[OFF_RIGHTS + 4] = 0; /* body right without a disposition */
    expect_decode(len, MACHD_DECODE_BAD_RIGHT);
    buf[OFF_RIGHTS + 4] = MACHD_DISP_COPY_SEND; /* NEW with a disposition that needs a held right */
    expect_decode(len, MACHD_DECODE_BAD_RIGHT);
    buf[OFF_RIGHTS + 4] = MACHD_DISP_MAKE_SEND;
    set_u32(OFF_RIGHTS, 0x3); /* NEW outside the task range */
    expect_decode(len, MACHD_DECODE_BAD_RIGHT);
    set_u32(OFF_RIGHTS, 0x80000003);
    buf[OFF_RIGHTS + 5] = 0x80; /* unknown flag */
    expect_decode(len, MACHD_DECODE_BAD_RIGHT);
    buf[OFF_RIGHTS + 5] = MACHD_RIGHT_NEW;
    set_u32(OFF_FLAGS, 0x10000); /* reserved half of the flags word */
    expect_decode(len, MACHD_DECODE_BAD_RIGHT);
    set_u32(OFF_FLAGS, 0x10); /* unknown send flag (0x8 is MACHD_SEND_TICKET) */
    expect_decode(len, MACHD_DECODE_BAD_FIELD);
    set_u32(OFF_FLAGS, MACHD_SEND_ACK_ERRORS_ONLY);
    set_u32(OFF_BITS, 0); /* rights in a message that is not complex */
    expect_decode(len, MACHD_DECODE_BAD_FIELD);
    set_u32(OFF_BITS, MACHD_MSGH_BITS_COMPLEX | 0x1e); /* bit 0 is MACHD_PAYLOAD_SPILLED */
    expect_decode(len, MACHD_DECODE_BAD_FIELD);
    set_u32(OFF_BITS, MACHD_MSGH_BITS_COMPLEX);
    expect_decode(len, MACHD_DECODE_OK);
}

static void delivered_types_are_checked(void **state) {
    (void)state;
    make_deliver(&in);
    in_rights[1].disposition = MACHD_DISP_COPY_SEND; /* a disposition, not a type */
    assert_int_equal(encode(&in), 0);
    make_deliver(&in);
    in.u.deliver.reply.disposition = MACHD_DISP_MOVE_RECEIVE;
    assert_int_equal(encode(&in), 0);
    make_deliver(&in);
    in.u.deliver.dest.name = MACHD_HANDLE_NULL;
    assert_int_equal(encode(&in), 0);
    make_deliver(&in);
    in.u.deliver.dest.disposition = MACHD_DISP_COPY_SEND; /* a type, not a disposition */
    assert_int_equal(encode(&in), 0);
}

/* KEEP_SEND only with a receive right exported (NEW) as it moves, in a message body. */
static void keep_send_goes_with_a_new_moved_receive_right_only(void **state) {
    (void)state;
    make_send(&in);
    in_rights[0] = (struct machd_right){0x80000003, MACHD_DISP_MOVE_RECEIVE,
                                                  MACHD_RIGHT_NEW | MACHD_RIGHT_KEEP_SEND};
    size_t len = encode(&in);
    expect_decode(len, MACHD_DECODE_OK);
    assert_int_equal(machd_payload_right(&out.u.send.p, 0).flags, MACHD_RIGHT_NEW | MACHD_RIGHT_KEEP_SEND);
    in_rights[0].flags = MACHD_RIGHT_KEEP_SEND; /* not NEW */
    assert_int_equal(encode(&in), 0);
    in_rights[0] = (struct machd_right){0x80000003, MACHD_DISP_MAKE_SEND,
                                                  MACHD_RIGHT_NEW | MACHD_RIGHT_KEEP_SEND};
    assert_int_equal(encode(&in), 0);
    make_send(&in);
    in.u.send.reply.flags |= MACHD_RIGHT_KEEP_SEND; /* not in a body slot */
    assert_int_equal(encode(&in), 0);
}

/* PD_REQUEST: on a moved receive right in a body, followed by a real send-once notify right;
 * PD_ARMED: on a delivered receive right only. */
static void port_destroyed_requests_travel_with_receive_rights_only(void **state) {
    (void)state;
    make_send(&in);
    in_rights[1] = (struct machd_right){0x207, MACHD_DISP_MOVE_RECEIVE, MACHD_RIGHT_PD_REQUEST};
    in_rights[2] = (struct machd_right){0x80000009, MACHD_DISP_MAKE_SEND_ONCE, MACHD_RIGHT_NEW};
    size_t len = encode(&in);
    expect_decode(len, MACHD_DECODE_OK);
    assert_int_equal(machd_payload_right(&out.u.send.p, 1).flags, MACHD_RIGHT_PD_REQUEST);
    assert_int_equal(machd_payload_right(&out.u.send.p, 2).name, 0x80000009);
    in_rights[2].disposition = MACHD_DISP_MAKE_SEND; /* the notify right is send-once */
    assert_int_equal(encode(&in), 0);
    in_rights[2] = (struct machd_right){MACHD_HANDLE_DEAD, MACHD_DISP_MOVE_SEND_ONCE, 0};
    assert_int_equal(encode(&in), 0); /* and a real one */
    in_rights[2] = (struct machd_right){0x209, MACHD_DISP_MOVE_RECEIVE, MACHD_RIGHT_PD_REQUEST};
    assert_int_equal(encode(&in), 0); /* not a request itself, and none after the last item */
    in.u.send.p.right_count = 2;
    assert_int_equal(encode(&in), 0);
    make_send(&in);
    in_rights[1].flags = MACHD_RIGHT_PD_REQUEST; /* on a send right */
    assert_int_equal(encode(&in), 0);
    make_send(&in);
    in_rights[0].flags |= MACHD_RIGHT_PD_ARMED; /* a delivery flag in a request */
    assert_int_equal(encode(&in), 0);
    make_deliver(&in);
    in_rights[0].flags = MACHD_RIGHT_PD_ARMED;
    len = encode(&in);
    expect_decode(len, MACHD_DECODE_OK);
    assert_int_equal(machd_payload_right(&out.u.deliver.p, 0).flags, MACHD_RIGHT_PD_ARMED);
    in_rights[1].flags = MACHD_RIGHT_PD_ARMED; /* on a send right */
    assert_int_equal(encode(&in), 0);
    make_deliver(&in);
    in_rights[0].flags = MACHD_RIGHT_PD_REQUEST; /* a request flag in a delivery */
    assert_int_equal(encode(&in), 0);
}

static void bootstrap_names_are_checked(void **state) {
    (void)state;
    struct machd_msg m;
    memset(&m, 0, sizeof m);
    m.type = MACHD_BOOTSTRAP;
    m.u.bootstrap.op = MACHD_BOOTSTRAP_CHECK_IN;
    char name[200];
    memset(name, 'a', sizeof name);
    m.u.bootstrap.name = name;
    m.u.bootstrap.name_len = MACHD_MAX_SERVICE_NAME;
    size_t len = encode(&m);
    expect_decode(len, MACHD_DECODE_OK);
    m.u.bootstrap.name_len = MACHD_MAX_SERVICE_NAME + 1;
    assert_int_equal(encode(&m), 0);
    m.u.bootstrap.name_len = 0;
    assert_int_equal(encode(&m), 0);
    m.u.bootstrap.name_len = 5;
    len = encode(&m);
    buf[MACHD_HEADER_SIZE + 8 + 2] = '\0'; /* a NUL inside the name */
    expect_decode(len, MACHD_DECODE_BAD_FIELD);
    buf[MACHD_HEADER_SIZE + 8 + 2] = 'a';
    set_u32(MACHD_HEADER_SIZE, MACHD_BOOTSTRAP_STATUS + 1); /* unknown op */
    expect_decode(len, MACHD_DECODE_BAD_FIELD);
    set_u32(MACHD_HEADER_SIZE, MACHD_BOOTSTRAP_CHECK_IN);
    set_u32(MACHD_HEADER_SIZE + 4, 1000); /* name length beyond the limit */
    expect_decode(len, MACHD_DECODE_BAD_FIELD);
    set_u32(MACHD_HEADER_SIZE + 4, 6); /* name length beyond the datagram */
    expect_decode(len, MACHD_DECODE_SHORT);
}

static void encoder_refuses_invalid_messages_and_small_buffers(void **state) {
    (void)state;
    make_send(&in);
    uint8_t small[32];
    assert_int_equal(machd_proto_encode(&in, small, sizeof small), 0);
    in.u.send.p.body = NULL; /* a length without bytes */
    assert_int_equal(encode(&in), 0);
    make_send(&in);
    in.u.send.p.right_count = MACHD_MAX_RIGHTS + 1;
    assert_int_equal(encode(&in), 0);
    make_send(&in);
    in.type = 200;
    assert_int_equal(encode(&in), 0);
    struct machd_msg m;
    memset(&m, 0, sizeof m);
    m.type = MACHD_HELLO;
    m.u.hello.min_version = 2;
    m.u.hello.max_version = 1;
    assert_int_equal(encode(&m), 0);
}

static void request_types_are_the_task_to_machd_ones(void **state) {
    (void)state;
    assert_true(machd_proto_is_request(MACHD_HELLO));
    assert_true(machd_proto_is_request(MACHD_MSG_SEND));
    assert_true(machd_proto_is_request(MACHD_BOOTSTRAP));
    assert_false(machd_proto_is_request(MACHD_MSG_DELIVER));
    assert_false(machd_proto_is_request(MACHD_PORT_DEAD));
    assert_true(machd_proto_is_request(MACHD_SEND_ADMIT));
    assert_true(machd_proto_is_request(MACHD_QUEUE_CREDIT));
    assert_false(machd_proto_is_request(MACHD_QUEUE_FULL));
    assert_false(machd_proto_is_request(0));
    assert_string_equal(machd_proto_decode_status_name(MACHD_DECODE_BAD_RIGHT), "invalid right item");
}

/* QUERY and its paged reply: records of both kinds round trip; a record that is not canonical
 * (a command with bytes after its NUL, a bad state, an empty name), a count that does not match
 * the bytes, a page past the total or a refusal with records are refused. */
static void query_reply_records_round_trip_and_are_checked(void **state) {
    (void)state;
    struct machd_msg m;
    memset(&m, 0, sizeof m);
    m.type = MACHD_QUERY;
    m.u.query.kind = MACHD_QUERY_TASKS;
    m.u.query.offset = 1000;
    size_t len = encode(&m);
    assert_int_equal(len, MACHD_HEADER_SIZE + 8);
    expect_decode(len, MACHD_DECODE_OK);
    assert_int_equal(out.u.query.offset, 1000);
    set_u32(MACHD_HEADER_SIZE, 3); /* no such list */
    expect_decode(len, MACHD_DECODE_BAD_FIELD);
    assert_true(machd_proto_is_request(MACHD_QUERY));
    assert_false(machd_proto_is_request(MACHD_QUERY_REPLY));

    static uint8_t records[1024];
    struct machd_query_service s = {.name = "com.example.svc", .state = MACHD_SERVICE_CREATED, .owner = 7,
                                    .receiver = {.task_id = 9, .pid = 42, .uid = 1000, .comm = "srv"}};
    size_t n1 = machd_query_put_service(records, sizeof records, &s);
    assert_int_equal(n1, 4 + strlen(s.name) + 4 + 8 + 8 + 4 + 4 + MACHD_COMM_SIZE);
    struct machd_query_service s2 = s;
    s2.name[0] = 'X';
    size_t n2 = machd_query_put_service(records + n1, sizeof records - n1, &s2);
    assert_int_equal(n2, n1);
    memset(&m, 0, sizeof m);
    m.type = MACHD_QUERY_REPLY;
    m.u.query_reply = (struct machd_query_reply){.kind = MACHD_QUERY_SERVICES, .offset = 3, .total = 5,
                                                 .count = 2, .records_len = (uint32_t)(n1 + n2), .records = records};
    len = encode(&m);
    assert_int_equal(len, MACHD_QUERY_REPLY_FIXED + n1 + n2);
    expect_decode(len, MACHD_DECODE_OK);
    assert_int_equal(out.u.query_reply.count, 2);
    struct machd_query_service got;
    assert_int_equal(machd_query_get_service(out.u.query_reply.records, out.u.query_reply.records_len, &got), n1);
    assert_string_equal(got.name, "com.example.svc");
    assert_string_equal(got.receiver.comm, "srv");
    assert_int_equal(got.receiver.pid, 42);
    assert_int_equal(got.owner, 7);
    /* A byte after the command's NUL, a state out of range: refused. */
    size_t comm_at = MACHD_QUERY_REPLY_FIXED + n1 - MACHD_COMM_SIZE;
    buf[comm_at + 10] = 'z';
    expect_decode(len, MACHD_DECODE_BAD_FIELD);
    buf[comm_at + 10] = 0;
    set_u32(MACHD_QUERY_REPLY_FIXED + 4 + strlen(s.name), 4);
    expect_decode(len, MACHD_DECODE_BAD_FIELD);
    set_u32(MACHD_QUERY_REPLY_FIXED + 4 + strlen(s.name), MACHD_SERVICE_CREATED);
    expect_decode(len, MACHD_DECODE_OK);
    /* count against the bytes and the total. */
    set_u32(MACHD_HEADER_SIZE + 16, 1);
    expect_decode(len, MACHD_DECODE_BAD_LENGTH);
    set_u32(MACHD_HEADER_SIZE + 16, 3);
    expect_decode(len, MACHD_DECODE_BAD_FIELD);
    set_u32(MACHD_HEADER_SIZE + 16, 2);
    set_u32(MACHD_HEADER_SIZE + 12, 4); /* total: offset 3 + 2 records > 4 */
    expect_decode(len, MACHD_DECODE_BAD_FIELD);
    /* An empty name cannot be put; a refusal carries no records. */
    s2.name[0] = '\0';
    assert_int_equal(machd_query_put_service(records, sizeof records, &s2), 0);
    m.u.query_reply.status = 8; /* KERN_NO_ACCESS */
    assert_int_equal(encode(&m), 0);
    m.u.query_reply = (struct machd_query_reply){.status = 8, .kind = MACHD_QUERY_TASKS};
    assert_int_not_equal(encode(&m), 0);

    struct machd_query_task t = {.who = {.task_id = 1, .pid = 2, .uid = 3, .comm = "fifteen-chars.."},
                                 .gid = 4, .receive = 5, .send = 6, .send_once = 7, .names = 8, .queued = 9,
                                 .queued_bytes = 10, .fileports = 11};
    assert_int_equal(machd_query_put_task(records, sizeof records, &t), 68);
    assert_int_equal(machd_query_put_task(records, 67, &t), 0);
    struct machd_query_task tg;
    assert_int_equal(machd_query_get_task(records, 68, &tg), 68);
    assert_int_equal(tg.fileports, 11);
    assert_string_equal(tg.who.comm, "fifteen-chars..");
    assert_true(tg.who.task_id == 1 && tg.who.pid == 2 && tg.who.uid == 3 && tg.gid == 4);
    assert_true(tg.receive == 5 && tg.send == 6 && tg.send_once == 7 && tg.names == 8);
    assert_true(tg.queued == 9 && tg.queued_bytes == 10);
    assert_int_equal(machd_query_get_task(records, 63, &tg), 0);
    records[8 + 4 + 4 + 15] = 'x'; /* a command of 16 bytes has no NUL */
    assert_int_equal(machd_query_get_task(records, 68, &tg), 0);
}

/* Version 7: FILEPORT goes on a NEW export made as a send right in a MSG_SEND body, and on a
 * delivered send right; nowhere else. The decoder counts the items (one descriptor each), at
 * most MACHD_MAX_FILEPORTS, and leaves no descriptor filled in (-1). */
static void fileport_items_are_checked_and_counted(void **state) {
    (void)state;
    make_send(&in);
    in_rights[0].flags = MACHD_RIGHT_NEW | MACHD_RIGHT_FILEPORT;
    expect_decode(encode(&in), MACHD_DECODE_OK);
    assert_int_equal(out.u.send.p.fileport_count, 1);
    assert_int_equal(machd_payload_right(&out.u.send.p, 0).flags, MACHD_RIGHT_NEW | MACHD_RIGHT_FILEPORT);
    for (uint32_t i = 0; i < MACHD_MAX_FILEPORTS; i++)
        assert_int_equal(out.u.send.p.fileport_fds[i], -1);
    in.u.send.p.fileport_fds[0] = 7;
    int fds[MACHD_MAX_FILEPORTS + 1];
    assert_int_equal(machd_msg_fds(&in, fds, MACHD_MAX_FILEPORTS + 1), 1);
    assert_int_equal(fds[0], 7);
    in.u.send.p.fileport_fds[0] = -1; /* announced, not given: nothing can be sent */
    assert_int_equal(machd_msg_fds(&in, fds, MACHD_MAX_FILEPORTS + 1), -1);
    /* Without NEW, on another disposition, or on the reply: refused both ways. */
    in_rights[0].flags = MACHD_RIGHT_FILEPORT;
    assert_int_equal(encode(&in), 0);
    in_rights[0].flags = MACHD_RIGHT_NEW | MACHD_RIGHT_FILEPORT;
    in_rights[0].disposition = MACHD_DISP_MAKE_SEND_ONCE;
    assert_int_equal(encode(&in), 0);
    make_send(&in);
    in.u.send.reply.flags |= MACHD_RIGHT_FILEPORT;
    assert_int_equal(encode(&in), 0);
    make_send(&in);
    size_t len = encode(&in);
    buf[MACHD_HEADER_SIZE + 2 * 8 + 4 + 20 + 5] = MACHD_RIGHT_FILEPORT; /* item 0's flags, NEW dropped */
    expect_decode(len, MACHD_DECODE_BAD_RIGHT);
    /* Delivered: on a send right only. */
    make_deliver(&in);
    in_rights[1].flags = MACHD_RIGHT_FILEPORT;
    expect_decode(encode(&in), MACHD_DECODE_OK);
    assert_int_equal(out.u.deliver.p.fileport_count, 1);
    in_rights[0].flags = MACHD_RIGHT_FILEPORT; /* a receive right */
    assert_int_equal(encode(&in), 0);
    /* More than MACHD_MAX_FILEPORTS in one message. */
    static struct machd_right many[MACHD_MAX_FILEPORTS + 1];
    make_send(&in);
    for (uint32_t i = 0; i <= MACHD_MAX_FILEPORTS; i++)
        many[i] = (struct machd_right){0x80000010u + i, MACHD_DISP_MAKE_SEND, MACHD_RIGHT_NEW | MACHD_RIGHT_FILEPORT};
    in.u.send.p.rights = many;
    in.u.send.p.right_count = MACHD_MAX_FILEPORTS;
    expect_decode(encode(&in), MACHD_DECODE_OK);
    assert_int_equal(out.u.send.p.fileport_count, MACHD_MAX_FILEPORTS);
    in.u.send.p.right_count = MACHD_MAX_FILEPORTS + 1;
    assert_int_equal(encode(&in), 0);
}

/* Version 6: HELLO flags are 0 or MACHD_HELLO_DIRECT; anything else is refused. */
static void hello_flags_are_zero_or_direct(void **state) {
    (void)state;
    struct machd_msg m;
    memset(&m, 0, sizeof m);
    m.type = MACHD_HELLO;
    m.u.hello.min_version = m.u.hello.max_version = MACHD_PROTO_VERSION;
    m.u.hello.flags = MACHD_HELLO_DIRECT;
    size_t len = encode(&m);
    assert_int_equal(len, MACHD_HEADER_SIZE + 12);
    expect_decode(len, MACHD_DECODE_OK);
    assert_int_equal(out.u.hello.flags, MACHD_HELLO_DIRECT);
    m.u.hello.flags = 2;
    assert_int_equal(encode(&m), 0);
    set_u32(MACHD_HEADER_SIZE + 8, 3);
    expect_decode(len, MACHD_DECODE_BAD_FIELD);
}

/* Encodes m, checks its length, decodes it back into out. */
static size_t round_trip(const struct machd_msg *m, size_t want_len) {
    size_t len = encode(m);
    assert_int_equal(len, want_len);
    expect_decode(len, MACHD_DECODE_OK);
    assert_int_equal(out.type, m->type);
    return len;
}

/* ROUTE (T->D), ROUTE_REPLY, CHANNEL, ROUTE_ADD and ROUTE_DEL (D->T): exact layouts, and each
 * field range-checked by the decoder and the encoder alike. */
static void route_messages_round_trip_and_are_checked(void **state) {
    (void)state;
    struct machd_msg m;
    memset(&m, 0, sizeof m);
    m.type = MACHD_ROUTE;
    m.u.route.name = 0x105;
    size_t len = round_trip(&m, MACHD_HEADER_SIZE + 4);
    assert_int_equal(out.u.route.name, 0x105);
    set_u32(MACHD_HEADER_SIZE, MACHD_HANDLE_NULL);
    expect_decode(len, MACHD_DECODE_BAD_FIELD);
    set_u32(MACHD_HEADER_SIZE, MACHD_HANDLE_DEAD);
    expect_decode(len, MACHD_DECODE_BAD_FIELD);
    m.u.route.name = 0;
    assert_int_equal(encode(&m), 0);

    memset(&m, 0, sizeof m);
    m.type = MACHD_ROUTE_REPLY;
    m.u.route_reply.channel = 7;
    m.u.route_reply.slot = CHAN_SLOTS - 1;
    m.u.route_reply.serial = 42;
    len = round_trip(&m, MACHD_HEADER_SIZE + 16);
    assert_int_equal(out.u.route_reply.channel, 7);
    assert_int_equal(out.u.route_reply.slot, CHAN_SLOTS - 1);
    assert_int_equal(out.u.route_reply.serial, 42);
    set_u32(MACHD_HEADER_SIZE + 12, 0); /* a success without a serial */
    expect_decode(len, MACHD_DECODE_BAD_FIELD);
    set_u32(MACHD_HEADER_SIZE + 12, 42);
    set_u32(MACHD_HEADER_SIZE + 8, CHAN_SLOTS); /* slot out of range */
    expect_decode(len, MACHD_DECODE_BAD_FIELD);
    set_u32(MACHD_HEADER_SIZE + 8, 0);
    set_u32(MACHD_HEADER_SIZE + 4, 0); /* success without a channel */
    expect_decode(len, MACHD_DECODE_BAD_FIELD);
    m.u.route_reply.status = 5; /* KERN_FAILURE: no channel, no slot */
    m.u.route_reply.channel = 0;
    m.u.route_reply.slot = 0;
    m.u.route_reply.serial = 0;
    len = round_trip(&m, MACHD_HEADER_SIZE + 16);
    set_u32(MACHD_HEADER_SIZE + 12, 9); /* a refusal naming a route */
    expect_decode(len, MACHD_DECODE_BAD_FIELD);
    set_u32(MACHD_HEADER_SIZE + 12, 0);
    set_u32(MACHD_HEADER_SIZE + 4, 7); /* a refusal naming a channel */
    expect_decode(len, MACHD_DECODE_BAD_FIELD);
    set_u32(MACHD_HEADER_SIZE + 4, 0);
    set_u32(MACHD_HEADER_SIZE + 8, 1);
    expect_decode(len, MACHD_DECODE_BAD_FIELD);
    m.u.route_reply.slot = 3;
    assert_int_equal(encode(&m), 0);

    memset(&m, 0, sizeof m);
    m.type = MACHD_CHANNEL;
    m.u.channel.channel = 9;
    m.u.channel.side = 1;
    m.u.channel.peer = (struct machd_audit){4321, 1000, 100, 0x8877665544332211ull};
    for (int i = 0; i < MACHD_CHANNEL_FDS; i++)
        m.u.channel.fds[i] = 10 + i; /* not on the wire */
    len = round_trip(&m, MACHD_HEADER_SIZE + 8 + 20);
    assert_int_equal(out.u.channel.channel, 9);
    assert_int_equal(out.u.channel.side, 1);
    assert_int_equal(out.u.channel.peer.pid, 4321);
    assert_int_equal(out.u.channel.peer.uid, 1000);
    assert_int_equal(out.u.channel.peer.gid, 100);
    assert_true(out.u.channel.peer.task_id == 0x8877665544332211ull);
    for (int i = 0; i < MACHD_CHANNEL_FDS; i++)
        assert_int_equal(out.u.channel.fds[i], -1);
    set_u32(MACHD_HEADER_SIZE + 4, 2); /* side */
    expect_decode(len, MACHD_DECODE_BAD_FIELD);
    set_u32(MACHD_HEADER_SIZE + 4, 0);
    set_u32(MACHD_HEADER_SIZE, 0); /* channel 0 */
    expect_decode(len, MACHD_DECODE_BAD_FIELD);
    m.u.channel.side = 2;
    assert_int_equal(encode(&m), 0);

    memset(&m, 0, sizeof m);
    m.type = MACHD_ROUTE_ADD;
    m.u.route_add.channel = 3;
    m.u.route_add.slot = 17;
    m.u.route_add.name = 0x80000004;
    m.u.route_add.serial = 77;
    len = round_trip(&m, MACHD_HEADER_SIZE + 16);
    assert_int_equal(out.u.route_add.serial, 77);
    set_u32(MACHD_HEADER_SIZE + 12, 0); /* no serial */
    expect_decode(len, MACHD_DECODE_BAD_FIELD);
    set_u32(MACHD_HEADER_SIZE + 12, 77);
    assert_int_equal(out.u.route_add.channel, 3);
    assert_int_equal(out.u.route_add.slot, 17);
    assert_int_equal(out.u.route_add.name, 0x80000004);
    set_u32(MACHD_HEADER_SIZE + 8, MACHD_HANDLE_NULL);
    expect_decode(len, MACHD_DECODE_BAD_FIELD);
    set_u32(MACHD_HEADER_SIZE + 8, MACHD_HANDLE_DEAD);
    expect_decode(len, MACHD_DECODE_BAD_FIELD);
    set_u32(MACHD_HEADER_SIZE + 8, 5);
    set_u32(MACHD_HEADER_SIZE + 4, CHAN_SLOTS);
    expect_decode(len, MACHD_DECODE_BAD_FIELD);
    set_u32(MACHD_HEADER_SIZE + 4, 0);
    set_u32(MACHD_HEADER_SIZE, 0);
    expect_decode(len, MACHD_DECODE_BAD_FIELD);

    memset(&m, 0, sizeof m);
    m.type = MACHD_ROUTE_DEL;
    m.u.route_del.channel = 3;
    m.u.route_del.slot = 17;
    len = round_trip(&m, MACHD_HEADER_SIZE + 8);
    assert_int_equal(out.u.route_del.slot, 17);
    set_u32(MACHD_HEADER_SIZE + 4, CHAN_SLOTS);
    expect_decode(len, MACHD_DECODE_BAD_FIELD);
    set_u32(MACHD_HEADER_SIZE + 4, 0);
    set_u32(MACHD_HEADER_SIZE, 0);
    expect_decode(len, MACHD_DECODE_BAD_FIELD);
    m.u.route_del.channel = 0;
    assert_int_equal(encode(&m), 0);

    /* Exact lengths: one byte more or less is refused. */
    memset(&m, 0, sizeof m);
    m.type = MACHD_ROUTE_DEL;
    m.u.route_del.channel = 1;
    len = encode(&m);
    set_u32(8, (uint32_t)len + 1);
    expect_decode(len + 1, MACHD_DECODE_BAD_LENGTH);
    set_u32(8, (uint32_t)len - 1);
    expect_decode(len - 1, MACHD_DECODE_SHORT);
    assert_true(machd_proto_is_request(MACHD_ROUTE));
    assert_false(machd_proto_is_request(MACHD_ROUTE_REPLY));
    assert_false(machd_proto_is_request(MACHD_CHANNEL));
    assert_false(machd_proto_is_request(MACHD_ROUTE_ADD));
    assert_false(machd_proto_is_request(MACHD_ROUTE_DEL));
}

/* MOVED_DONE (T->D, version 8): the mover's handle, a real one, nothing else; a request. */
static void moved_done_names_a_real_handle(void **state) {
    (void)state;
    struct machd_msg m;
    memset(&m, 0, sizeof m);
    m.type = MACHD_MOVED_DONE;
    m.u.moved.name = 0x80000007u;
    size_t len = round_trip(&m, MACHD_HEADER_SIZE + 4);
    assert_int_equal(out.u.moved.name, 0x80000007u);
    set_u32(MACHD_HEADER_SIZE, MACHD_HANDLE_DEAD);
    expect_decode(len, MACHD_DECODE_BAD_FIELD);
    set_u32(MACHD_HEADER_SIZE, MACHD_HANDLE_NULL);
    expect_decode(len, MACHD_DECODE_BAD_FIELD);
    assert_true(machd_proto_is_request(MACHD_MOVED_DONE));
    assert_false(machd_proto_is_request(MACHD_MOVED));
}

/* Token claims (version 9, docs/machd.md 9.6): TOKEN_CLAIM names a channel and a token (both
 * nonzero), TOKEN_CLAIMED adds machd's claim id (a real handle), TOKEN_GRANT gives a send-once
 * right with status 0 or nothing with a nonzero status; claims and grants are requests. */
static void token_claims_round_trip_and_are_checked(void **state) {
    (void)state;
    struct machd_msg m;
    memset(&m, 0, sizeof m);
    m.type = MACHD_TOKEN_CLAIM;
    m.u.token_claim.channel = 3;
    m.u.token_claim.token = 9;
    size_t len = round_trip(&m, MACHD_HEADER_SIZE + 8);
    assert_int_equal(out.u.token_claim.channel, 3);
    assert_int_equal(out.u.token_claim.token, 9);
    set_u32(MACHD_HEADER_SIZE + 4, 0);
    expect_decode(len, MACHD_DECODE_BAD_FIELD);
    set_u32(MACHD_HEADER_SIZE + 4, 9);
    set_u32(MACHD_HEADER_SIZE, MACHD_HANDLE_DEAD);
    expect_decode(len, MACHD_DECODE_BAD_FIELD);

    memset(&m, 0, sizeof m);
    m.type = MACHD_TOKEN_CLAIMED;
    m.u.token_claimed.channel = 3;
    m.u.token_claimed.token = 9;
    m.u.token_claimed.claim = 77;
    len = round_trip(&m, MACHD_HEADER_SIZE + 12);
    assert_int_equal(out.u.token_claimed.claim, 77);
    set_u32(MACHD_HEADER_SIZE + 8, MACHD_HANDLE_DEAD);
    expect_decode(len, MACHD_DECODE_BAD_FIELD);

    memset(&m, 0, sizeof m);
    m.type = MACHD_TOKEN_GRANT;
    m.u.token_grant.claim = 77;
    m.u.token_grant.right = (struct machd_right){0x80000001u, MACHD_DISP_MAKE_SEND_ONCE, MACHD_RIGHT_NEW};
    len = round_trip(&m, MACHD_HEADER_SIZE + 16);
    assert_int_equal(out.u.token_grant.right.name, 0x80000001u);
    assert_int_equal(out.u.token_grant.right.disposition, MACHD_DISP_MAKE_SEND_ONCE);
    assert_int_equal(out.u.token_grant.right.flags, MACHD_RIGHT_NEW);
    set_u32(MACHD_HEADER_SIZE + 4, 5); /* a refusal with a right */
    expect_decode(len, MACHD_DECODE_BAD_FIELD);
    m.u.token_grant.right.disposition = MACHD_DISP_MAKE_SEND; /* not a send-once right */
    assert_int_equal(machd_proto_encode(&m, buf, sizeof buf), 0);
    m.u.token_grant.right = (struct machd_right){0x80000001u, MACHD_DISP_MAKE_SEND_ONCE, MACHD_RIGHT_KEEP_SEND};
    assert_int_equal(machd_proto_encode(&m, buf, sizeof buf), 0);
    m.u.token_grant.status = 5;
    m.u.token_grant.right = (struct machd_right){MACHD_HANDLE_NULL, MACHD_DISP_NONE, 0};
    round_trip(&m, MACHD_HEADER_SIZE + 16);
    m.u.token_grant.status = 0; /* success without a right */
    assert_int_equal(machd_proto_encode(&m, buf, sizeof buf), 0);
    m.u.token_grant.status = 5;
    m.u.token_grant.claim = 0;
    assert_int_equal(machd_proto_encode(&m, buf, sizeof buf), 0);

    assert_true(machd_proto_is_request(MACHD_TOKEN_CLAIM));
    assert_true(machd_proto_is_request(MACHD_TOKEN_GRANT));
    assert_false(machd_proto_is_request(MACHD_TOKEN_CLAIMED));
}

/* Tickets: a MSG_SEND with MACHD_SEND_TICKET names a channel (nonzero) with no disposition and
 * may not use an admission; a MSG_DELIVER with MACHD_PAYLOAD_TICKET names the channel the same
 * way; without the flag or bit the old rules hold. */
static void tickets_name_a_channel_without_a_right(void **state) {
    (void)state;
    make_send(&in);
    in.u.send.flags = MACHD_SEND_TICKET;
    in.u.send.dest = (struct machd_right){12, MACHD_DISP_NONE, 0};
    size_t len = encode(&in);
    assert_true(len > 0);
    expect_decode(len, MACHD_DECODE_OK);
    assert_int_equal(out.u.send.flags, MACHD_SEND_TICKET);
    assert_int_equal(out.u.send.dest.name, 12);
    assert_int_equal(out.u.send.dest.disposition, MACHD_DISP_NONE);
    /* dest sits right after the header: name u32, disposition u8, flags u8. */
    buf[MACHD_HEADER_SIZE + 4] = MACHD_DISP_COPY_SEND;
    expect_decode(len, MACHD_DECODE_BAD_RIGHT);
    buf[MACHD_HEADER_SIZE + 4] = MACHD_DISP_NONE;
    buf[MACHD_HEADER_SIZE + 5] = MACHD_RIGHT_NEW;
    expect_decode(len, MACHD_DECODE_BAD_RIGHT);
    buf[MACHD_HEADER_SIZE + 5] = 0;
    set_u32(MACHD_HEADER_SIZE, 0);
    expect_decode(len, MACHD_DECODE_BAD_RIGHT);
    set_u32(MACHD_HEADER_SIZE, 12);
    expect_decode(len, MACHD_DECODE_OK);
    struct machd_msg bad = in;
    bad.u.send.flags |= MACHD_SEND_ADMITTED;
    assert_int_equal(encode(&bad), 0);
    bad = in;
    bad.u.send.dest.name = 0;
    assert_int_equal(encode(&bad), 0);
    bad = in;
    bad.u.send.flags = 0; /* a port destination needs a disposition */
    assert_int_equal(encode(&bad), 0);
    bad = in;
    bad.u.send.p.msgh_bits |= MACHD_PAYLOAD_TICKET; /* the bit is the delivery's only */
    assert_int_equal(encode(&bad), 0);
    /* The flags field: ADMITTED with TICKET, refused by the decoder too. */
    len = encode(&in);
    uint16_t flags = MACHD_SEND_TICKET | MACHD_SEND_ADMITTED;
    memcpy(buf + MACHD_HEADER_SIZE + 16, &flags, sizeof flags);
    expect_decode(len, MACHD_DECODE_BAD_FIELD);

    make_deliver(&in);
    in.u.deliver.p.msgh_bits |= MACHD_PAYLOAD_TICKET;
    in.u.deliver.dest = (struct machd_right){12, MACHD_DISP_NONE, 0};
    len = encode(&in);
    assert_true(len > 0);
    expect_decode(len, MACHD_DECODE_OK);
    assert_int_equal(out.u.deliver.p.msgh_bits, MACHD_MSGH_BITS_COMPLEX | MACHD_PAYLOAD_TICKET);
    assert_int_equal(out.u.deliver.dest.name, 12);
    buf[MACHD_HEADER_SIZE + 4] = MACHD_DISP_MOVE_SEND;
    expect_decode(len, MACHD_DECODE_BAD_RIGHT);
    buf[MACHD_HEADER_SIZE + 4] = MACHD_DISP_NONE;
    set_u32(MACHD_HEADER_SIZE, 0);
    expect_decode(len, MACHD_DECODE_BAD_RIGHT);
    bad = in;
    bad.u.deliver.p.msgh_bits &= ~MACHD_PAYLOAD_TICKET; /* old rules: a received send type */
    assert_int_equal(encode(&bad), 0);
    bad = in;
    bad.u.deliver.p.msgh_bits = MACHD_MSGH_BITS_COMPLEX | 0x4u; /* unknown bit */
    assert_int_equal(encode(&bad), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(send_round_trips_rights_body_and_ool),
        cmocka_unit_test(send_carries_a_credit_item_only_with_its_flag),
        cmocka_unit_test(stats_reply_carries_io_counters),
        cmocka_unit_test(deliver_round_trips_audit_and_received_types),
        cmocka_unit_test(small_messages_round_trip),
        cmocka_unit_test(bootstrap_round_trips_name_and_register_right),
        cmocka_unit_test(every_truncation_is_refused),
        cmocka_unit_test(header_errors_are_named),
        cmocka_unit_test(counts_and_sizes_are_bounded),
        cmocka_unit_test(dispositions_are_checked_per_slot),
        cmocka_unit_test(delivered_types_are_checked),
        cmocka_unit_test(bootstrap_names_are_checked),
        cmocka_unit_test(encoder_refuses_invalid_messages_and_small_buffers),
        cmocka_unit_test(request_types_are_the_task_to_machd_ones),
        cmocka_unit_test(query_reply_records_round_trip_and_are_checked),
        cmocka_unit_test(keep_send_goes_with_a_new_moved_receive_right_only),
        cmocka_unit_test(moved_done_names_a_real_handle),
        cmocka_unit_test(token_claims_round_trip_and_are_checked),
        cmocka_unit_test(port_destroyed_requests_travel_with_receive_rights_only),
        cmocka_unit_test(hello_flags_are_zero_or_direct),
        cmocka_unit_test(fileport_items_are_checked_and_counted),
        cmocka_unit_test(route_messages_round_trip_and_are_checked),
        cmocka_unit_test(tickets_name_a_channel_without_a_right),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
