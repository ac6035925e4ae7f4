/* test_server.c: mach_msg_server_once / mach_msg_server and the MIG ownership rule: on an
 * error reply or an unknown id the request's rights and out-of-line memory are destroyed once;
 * on MIG_NO_REPLY nothing is sent or destroyed; an undeliverable reply is destroyed;
 * MACH_RCV_TOO_LARGE and trailer options behave as on Darwin. Counts rights and memory. */
#include "svc_support.h"

#include <mach/mig.h>

#include <pthread.h>
#include <stdbool.h>

void mig_reply_setup(mach_msg_header_t *request, mach_msg_header_t *reply);

enum {
    ID_OK = 1000,        /* success: the routine takes the request's memory and rights */
    ID_ERROR,            /* routine error: error reply, request destroyed by the loop */
    ID_NO_REPLY,         /* MIG_NO_REPLY: routine keeps everything, nothing is sent */
    ID_UNKNOWN,          /* demux returns FALSE after mig_reply_setup */
    ID_FALSE_BLANK,      /* demux returns FALSE without touching the reply */
    ID_COMPLEX_REPLY,    /* success with a complex reply (OOL + a send right) */
    ID_BIG_REPLY,        /* a simple reply larger than max_size (fits Darwin's page rounding) */
    ID_BAD_REPLY,        /* a reply naming a right the server does not hold */
};

#define BIG_REPLY_DATA 2000

static struct {
    mach_msg_header_t kept[sizeof(svc_complex_msg_t) / sizeof(mach_msg_header_t) + 1];
    mach_msg_size_t trailer_size;
    mach_msg_trailer_type_t trailer_type;
    mach_port_t reply_carried; /* port whose send right ID_COMPLEX_REPLY replies carry */
    int calls;
} server_state;

static char ool_data[3 * 4096 + 17];

static void record_trailer(const mach_msg_header_t *in) {
    const mach_msg_trailer_t *trailer =
        (const mach_msg_trailer_t *)((const char *)in + round_msg(in->msgh_size));
    server_state.trailer_size = trailer->msgh_trailer_size;
    server_state.trailer_type = trailer->msgh_trailer_type;
}

/* What a generated routine does with a request it accepted: release what it was given. */
static void consume_request(mach_msg_header_t *in) {
    if (!(in->msgh_bits & MACH_MSGH_BITS_COMPLEX))
        return;
    svc_complex_msg_t *request = (svc_complex_msg_t *)in;
    assert_int_equal(vm_deallocate(mach_task_self(), (vm_address_t)request->ool.address,
                                   request->ool.size),
                     KERN_SUCCESS);
    assert_int_equal(mach_port_deallocate(mach_task_self(), request->port.name), KERN_SUCCESS);
}

static void complex_reply(mach_msg_header_t *in, mach_msg_header_t *out) {
    svc_complex_msg_t *reply = (svc_complex_msg_t *)out;
    vm_address_t address = 0;
    assert_int_equal(vm_allocate(mach_task_self(), &address, 8192, VM_FLAGS_ANYWHERE),
                     KERN_SUCCESS);
    memset((void *)address, 0x77, 8192);
    assert_int_equal(mach_port_insert_right(mach_task_self(), server_state.reply_carried,
                                            server_state.reply_carried, MACH_MSG_TYPE_MAKE_SEND),
                     KERN_SUCCESS);
    reply->Head.msgh_bits |= MACH_MSGH_BITS_COMPLEX;
    reply->Head.msgh_size = sizeof *reply;
    reply->body.msgh_descriptor_count = 2;
    reply->ool = (mach_msg_ool_descriptor_t){.address = (void *)address,
                                             .size = 8192,
                                             .deallocate = TRUE,
                                             .copy = MACH_MSG_VIRTUAL_COPY,
                                             .type = MACH_MSG_OOL_DESCRIPTOR};
    reply->port = (mach_msg_port_descriptor_t){.name = server_state.reply_carried,
                                               .disposition = MACH_MSG_TYPE_MOVE_SEND,
                                               .type = MACH_MSG_PORT_DESCRIPTOR};
    reply->NDR = NDR_record;
    reply->value = (int)in->msgh_id;
}

static boolean_t test_demux(mach_msg_header_t *in, mach_msg_header_t *out) {
    server_state.calls++;
    record_trailer(in);
    if (in->msgh_id == ID_FALSE_BLANK)
        return FALSE;
    mig_reply_setup(in, out);
    mig_reply_error_t *reply = (mig_reply_error_t *)out;
    switch (in->msgh_id) {
    case ID_OK:
        consume_request(in);
        reply->RetCode = KERN_SUCCESS;
        return TRUE;
    case ID_ERROR:
        reply->RetCode = KERN_FAILURE;
        return TRUE;
    case ID_NO_REPLY:
        memcpy(server_state.kept, in, in->msgh_size);
        reply->RetCode = MIG_NO_REPLY;
        return TRUE;
    case ID_COMPLEX_REPLY:
        consume_request(in);
        complex_reply(in, out);
        return TRUE;
    case ID_BAD_REPLY: {
        consume_request(in);
        svc_complex_msg_t *bad = (svc_complex_msg_t *)out;
        bad->Head.msgh_bits |= MACH_MSGH_BITS_COMPLEX;
        bad->Head.msgh_size = sizeof *bad;
        bad->body.msgh_descriptor_count = 2;
        bad->ool = (mach_msg_ool_descriptor_t){.type = MACH_MSG_OOL_DESCRIPTOR};
        bad->port = (mach_msg_port_descriptor_t){.name = 0x0badbad0,
                                                 .disposition = MACH_MSG_TYPE_COPY_SEND,
                                                 .type = MACH_MSG_PORT_DESCRIPTOR};
        return TRUE;
    }
    case ID_BIG_REPLY:
        reply->RetCode = KERN_SUCCESS;
        memset((char *)out + sizeof *reply, 0x42, BIG_REPLY_DATA);
        out->msgh_size = sizeof *reply + BIG_REPLY_DATA;
        return TRUE;
    default:
        return FALSE; /* MIG_BAD_ID from mig_reply_setup */
    }
}

struct fixture {
    mach_port_t service;  /* receive right the server loop serves */
    mach_port_t reply;    /* client's reply port */
    mach_port_t carried;  /* a port whose send rights travel in requests */
    struct openmig_ipc_stats before;
};

static int setup(void **state) {
    static struct fixture f;
    memset(&server_state, 0, sizeof server_state);
    memset(ool_data, 0x3c, sizeof ool_data);
    f.service = svc_make_port();
    f.reply = svc_make_port();
    f.carried = svc_make_port();
    server_state.reply_carried = svc_make_port();
    f.before = svc_stats();
    *state = &f;
    return 0;
}

static int teardown(void **state) {
    struct fixture *f = *state;
    svc_assert_no_leaks(&f->before);
    assert_int_equal(svc_refs(f->carried, MACH_PORT_RIGHT_SEND), 0);
    assert_int_equal(svc_refs(server_state.reply_carried, MACH_PORT_RIGHT_SEND), 0);
    svc_destroy_port(f->service);
    svc_destroy_port(f->reply);
    svc_destroy_port(f->carried);
    svc_destroy_port(server_state.reply_carried);
    return 0;
}

static void send_complex(struct fixture *f, mach_msg_id_t id) {
    assert_int_equal(svc_send_complex(f->service, f->reply, id, ool_data, sizeof ool_data,
                                      f->carried, MACH_MSG_TYPE_MAKE_SEND),
                     MACH_MSG_SUCCESS);
    assert_int_equal(svc_refs(f->carried, MACH_PORT_RIGHT_SEND), 0); /* in the message */
}

static void expect_error_reply(struct fixture *f, mach_msg_id_t id, kern_return_t code) {
    svc_buffer_t reply;
    assert_int_equal(svc_receive(f->reply, &reply, 0), MACH_MSG_SUCCESS);
    assert_int_equal(reply.Head.msgh_id, id + 100);
    assert_int_equal(reply.Head.msgh_bits & MACH_MSGH_BITS_COMPLEX, 0);
    assert_int_equal(reply.Head.msgh_size, sizeof(mig_reply_error_t));
    assert_int_equal(reply.error.RetCode, code);
}

static void expect_no_message(mach_port_t port) {
    svc_buffer_t buffer;
    assert_int_equal(svc_receive(port, &buffer, 0), MACH_RCV_TIMED_OUT);
}

static void test_success_owned_by_routine(void **state) {
    struct fixture *f = *state;
    send_complex(f, ID_OK);
    assert_int_equal(mach_msg_server_once(test_demux, sizeof(svc_complex_msg_t), f->service, 0),
                     MACH_MSG_SUCCESS);
    expect_error_reply(f, ID_OK, KERN_SUCCESS); /* a simple reply with RetCode 0 */
    assert_int_equal(server_state.calls, 1);
}

static void test_error_destroys_request(void **state) {
    struct fixture *f = *state;
    send_complex(f, ID_ERROR);
    assert_int_equal(mach_msg_server_once(test_demux, sizeof(svc_complex_msg_t), f->service, 0),
                     MACH_MSG_SUCCESS);
    expect_error_reply(f, ID_ERROR, KERN_FAILURE);
    /* teardown: the carried send right and the OOL region are gone, exactly once */
}

static void test_unknown_id_destroys_request(void **state) {
    struct fixture *f = *state;
    send_complex(f, ID_UNKNOWN);
    assert_int_equal(mach_msg_server_once(test_demux, sizeof(svc_complex_msg_t), f->service, 0),
                     MACH_MSG_SUCCESS);
    expect_error_reply(f, ID_UNKNOWN, MIG_BAD_ID);
}

static void test_false_without_reply_gets_bad_id(void **state) {
    struct fixture *f = *state;
    send_complex(f, ID_FALSE_BLANK);
    assert_int_equal(mach_msg_server_once(test_demux, sizeof(svc_complex_msg_t), f->service, 0),
                     MACH_MSG_SUCCESS);
    expect_error_reply(f, ID_FALSE_BLANK, MIG_BAD_ID);
}

static void test_simple_unknown_id(void **state) {
    struct fixture *f = *state;
    assert_int_equal(svc_send_simple(f->service, f->reply, ID_UNKNOWN, 5), MACH_MSG_SUCCESS);
    assert_int_equal(mach_msg_server_once(test_demux, sizeof(svc_complex_msg_t), f->service, 0),
                     MACH_MSG_SUCCESS);
    expect_error_reply(f, ID_UNKNOWN, MIG_BAD_ID);
}

static void test_no_reply_keeps_everything(void **state) {
    struct fixture *f = *state;
    struct openmig_ipc_stats sent = svc_stats();
    send_complex(f, ID_NO_REPLY);
    assert_int_equal(mach_msg_server_once(test_demux, sizeof(svc_complex_msg_t), f->service, 0),
                     MACH_MSG_SUCCESS);
    expect_no_message(f->reply);
    /* Still held by the routine: the carried right, the OOL region, the reply right. */
    assert_int_equal(svc_refs(f->carried, MACH_PORT_RIGHT_SEND), 1);
    struct openmig_ipc_stats held = svc_stats();
    assert_int_equal(held.vm_regions, sent.vm_regions + 1);
    mach_msg_header_t *kept = server_state.kept;
    mach_port_type_t type = 0;
    assert_int_equal(mach_port_type(mach_task_self(), kept->msgh_remote_port, &type),
                     KERN_SUCCESS);
    assert_true(type & MACH_PORT_TYPE_SEND_ONCE);
    /* The routine answers later by destroying it all: the client sees a send-once
     * notification on its reply port, as MIG's MIG_SERVER_DIED check expects. */
    mach_msg_destroy(kept);
    svc_buffer_t notification;
    assert_int_equal(svc_receive(f->reply, &notification, 0), MACH_MSG_SUCCESS);
    assert_int_equal(notification.Head.msgh_id, MACH_NOTIFY_SEND_ONCE);
}

/* The client's reply port dies before the answer: the complex reply is destroyed. */
static void test_dead_client_reply_destroyed(void **state) {
    struct fixture *f = *state;
    mach_port_t doomed = svc_make_port();
    assert_int_equal(svc_send_complex(f->service, doomed, ID_COMPLEX_REPLY, ool_data,
                                      sizeof ool_data, f->carried, MACH_MSG_TYPE_MAKE_SEND),
                     MACH_MSG_SUCCESS);
    svc_destroy_port(doomed);
    assert_int_equal(mach_msg_server_once(test_demux, sizeof(svc_complex_msg_t), f->service, 0),
                     MACH_MSG_SUCCESS);
    /* teardown checks: reply's OOL freed, its send right released, dead name released */
}

/* A reply to a send right must not block: the full queue makes it time out; destroyed. */
static void test_full_reply_queue_times_out(void **state) {
    struct fixture *f = *state;
    mach_port_t slow = svc_make_port();
    svc_set_qlimit(slow, 1);
    assert_int_equal(svc_send_simple(slow, MACH_PORT_NULL, 1, 1), MACH_MSG_SUCCESS);
    svc_simple_msg_t request = {
        .Head = {.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND, MACH_MSG_TYPE_MAKE_SEND),
                 .msgh_size = sizeof request,
                 .msgh_remote_port = f->service,
                 .msgh_local_port = slow,
                 .msgh_id = ID_ERROR},
        .NDR = NDR_record,
    };
    assert_int_equal(mach_msg(&request.Head, MACH_SEND_MSG, sizeof request, 0, MACH_PORT_NULL,
                              0, MACH_PORT_NULL),
                     MACH_MSG_SUCCESS);
    assert_int_equal(mach_msg_server_once(test_demux, sizeof(svc_complex_msg_t), f->service, 0),
                     MACH_MSG_SUCCESS);
    assert_int_equal(svc_refs(slow, MACH_PORT_RIGHT_SEND), 0); /* reply destroyed */
    svc_buffer_t filler;
    assert_int_equal(svc_receive(slow, &filler, 0), MACH_MSG_SUCCESS);
    assert_int_equal(filler.Head.msgh_id, 1);
    expect_no_message(slow);
    svc_destroy_port(slow);
}

static void test_too_large_without_rcv_large(void **state) {
    struct fixture *f = *state;
    send_complex(f, ID_OK);
    assert_int_equal(mach_msg_server_once(test_demux, sizeof(svc_simple_msg_t), f->service, 0),
                     MACH_RCV_TOO_LARGE);
    assert_int_equal(server_state.calls, 0);
    expect_no_message(f->service); /* dropped, and its rights and memory with it */
    /* Darwin: the dropped request's reply right is destroyed: a send-once notification. */
    svc_buffer_t notification;
    assert_int_equal(svc_receive(f->reply, &notification, 0), MACH_MSG_SUCCESS);
    assert_int_equal(notification.Head.msgh_id, MACH_NOTIFY_SEND_ONCE);
}

static void test_too_large_with_rcv_large(void **state) {
    struct fixture *f = *state;
    send_complex(f, ID_OK);
    assert_int_equal(mach_msg_server_once(test_demux, sizeof(svc_simple_msg_t), f->service,
                                          MACH_RCV_LARGE),
                     MACH_MSG_SUCCESS);
    assert_int_equal(server_state.calls, 1);
    expect_error_reply(f, ID_OK, KERN_SUCCESS);
}

/* A reply the core refuses in its body: the error comes back from the loop, the core has
 * destroyed the reply right (the client hears MACH_NOTIFY_SEND_ONCE, so a MIG client gets
 * MIG_SERVER_DIED instead of waiting) and nothing is freed twice (teardown counts). */
static void test_bad_reply_returns_error(void **state) {
    struct fixture *f = *state;
    send_complex(f, ID_BAD_REPLY);
    assert_int_equal(mach_msg_server_once(test_demux, sizeof(svc_complex_msg_t), f->service, 0),
                     MACH_SEND_INVALID_RIGHT);
    svc_buffer_t notification;
    assert_int_equal(svc_receive(f->reply, &notification, 0), MACH_MSG_SUCCESS);
    assert_int_equal(notification.Head.msgh_id, MACH_NOTIFY_SEND_ONCE);
}

/* Code that passes its request size as max_size and answers with more still works, as on
 * Darwin, whose server buffers are whole pages (ASan checks the write stays in bounds). */
static void test_reply_larger_than_max_size(void **state) {
    struct fixture *f = *state;
    assert_int_equal(svc_send_simple(f->service, f->reply, ID_BIG_REPLY, 1), MACH_MSG_SUCCESS);
    assert_int_equal(mach_msg_server_once(test_demux, sizeof(svc_simple_msg_t), f->service, 0),
                     MACH_MSG_SUCCESS);
    struct {
        mig_reply_error_t head;
        char data[BIG_REPLY_DATA];
        mach_msg_max_trailer_t trailer;
    } reply;
    memset(&reply, 0, sizeof reply);
    assert_int_equal(mach_msg(&reply.head.Head, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof reply,
                              f->reply, 0, MACH_PORT_NULL),
                     MACH_MSG_SUCCESS);
    assert_int_equal(reply.head.Head.msgh_size, sizeof reply.head + BIG_REPLY_DATA);
    assert_int_equal(reply.head.RetCode, KERN_SUCCESS);
    assert_int_equal(reply.data[BIG_REPLY_DATA - 1], 0x42);
}

static void test_trailer_options(void **state) {
    struct fixture *f = *state;
    assert_int_equal(svc_send_simple(f->service, f->reply, ID_OK, 1), MACH_MSG_SUCCESS);
    assert_int_equal(mach_msg_server_once(test_demux, sizeof(svc_simple_msg_t), f->service, 0),
                     MACH_MSG_SUCCESS);
    assert_int_equal(server_state.trailer_size, sizeof(mach_msg_trailer_t));
    expect_error_reply(f, ID_OK, KERN_SUCCESS);

    assert_int_equal(svc_send_simple(f->service, f->reply, ID_OK, 2), MACH_MSG_SUCCESS);
    mach_msg_options_t audit = MACH_RCV_TRAILER_TYPE(MACH_MSG_TRAILER_FORMAT_0) |
                               MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_AUDIT);
    assert_int_equal(
        mach_msg_server_once(test_demux, sizeof(svc_simple_msg_t), f->service, audit),
        MACH_MSG_SUCCESS);
    assert_int_equal(server_state.trailer_size, sizeof(mach_msg_audit_trailer_t));
    assert_int_equal(server_state.trailer_type, MACH_MSG_TRAILER_FORMAT_0);
    expect_error_reply(f, ID_OK, KERN_SUCCESS);
}

static void test_receive_error_returned(void **state) {
    struct fixture *f = *state;
    (void)f;
    assert_int_equal(mach_msg_server_once(test_demux, 64, 0x7777, 0), MACH_RCV_INVALID_NAME);
    assert_int_equal(mach_msg_server_once(test_demux, 64, f->service, MACH_RCV_TIMEOUT),
                     MACH_RCV_TIMED_OUT);
}

struct loop_args {
    mach_port_t port;
    mach_msg_return_t result;
};

static void *loop_main(void *arg) {
    struct loop_args *args = arg;
    args->result = mach_msg_server(test_demux, sizeof(svc_complex_msg_t), args->port, 0);
    return NULL;
}

/* mach_msg_server serves until receiving fails (here: its port is destroyed). */
static void test_server_loop(void **state) {
    (void)state;
    mach_port_t reply = mig_get_reply_port();
    struct openmig_ipc_stats before = svc_stats();
    mach_port_t port = svc_make_port();
    struct loop_args args = {.port = port};
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, loop_main, &args), 0);
    for (int i = 0; i < 20; i++) {
        mach_msg_id_t id = (i % 2) ? ID_OK : ID_ERROR;
        assert_int_equal(svc_send_simple(port, reply, id, i), MACH_MSG_SUCCESS);
        svc_buffer_t answer;
        assert_int_equal(svc_receive(reply, &answer, 10000), MACH_MSG_SUCCESS);
        assert_int_equal(answer.Head.msgh_id, id + 100);
        assert_int_equal(answer.error.RetCode, id == ID_OK ? KERN_SUCCESS : KERN_FAILURE);
    }
    svc_destroy_port(port);
    assert_int_equal(pthread_join(thread, NULL), 0);
    /* Blocked in receive when the port died, or receiving after: either way it returns. */
    assert_true(args.result == MACH_RCV_PORT_DIED || args.result == MACH_RCV_INVALID_NAME);
    svc_assert_no_leaks(&before);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_success_owned_by_routine, setup, teardown),
        cmocka_unit_test_setup_teardown(test_error_destroys_request, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_id_destroys_request, setup, teardown),
        cmocka_unit_test_setup_teardown(test_false_without_reply_gets_bad_id, setup, teardown),
        cmocka_unit_test_setup_teardown(test_simple_unknown_id, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_reply_keeps_everything, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dead_client_reply_destroyed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_full_reply_queue_times_out, setup, teardown),
        cmocka_unit_test_setup_teardown(test_too_large_without_rcv_large, setup, teardown),
        cmocka_unit_test_setup_teardown(test_too_large_with_rcv_large, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reply_larger_than_max_size, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_reply_returns_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_trailer_options, setup, teardown),
        cmocka_unit_test_setup_teardown(test_receive_error_returned, setup, teardown),
        cmocka_unit_test(test_server_loop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
