/* echo_handwritten.c: an echo service and its client written by hand over mach_msg (no
 * compiler): the server checks in with the bootstrap service and runs mach_msg_server; the
 * client looks it up and makes RPCs with inline data, out-of-line data and a port right. */
#include "../unit/runtime/svc_support.h"

#include <servers/bootstrap.h>

#include <mach/mig.h>

#include <pthread.h>
#include <stdbool.h>

void mig_reply_setup(mach_msg_header_t *request, mach_msg_header_t *reply);

#define ECHO_SERVICE "org.openmig.test.echo"
#define ECHO_INLINE 3000 /* count + bytes inline, echoed inline */
#define ECHO_OOL 3001    /* bytes out of line, echoed back out of line (moved) */
#define ECHO_PORT 3002   /* a send right: the server sends a ping to it and returns it */
#define ECHO_PING 3100
#define ECHO_MAX_INLINE 1024

#pragma pack(push, 4)
typedef struct {
    mach_msg_header_t Head;
    NDR_record_t NDR;
    mach_msg_type_number_t count;
    char data[ECHO_MAX_INLINE];
} echo_inline_request_t;

typedef struct {
    mach_msg_header_t Head;
    NDR_record_t NDR;
    kern_return_t RetCode;
    mach_msg_type_number_t count;
    char data[ECHO_MAX_INLINE];
} echo_inline_reply_t;

typedef struct {
    mach_msg_header_t Head;
    mach_msg_body_t body;
    mach_msg_ool_descriptor_t ool;
} echo_ool_msg_t;

typedef struct {
    mach_msg_header_t Head;
    mach_msg_body_t body;
    mach_msg_port_descriptor_t port;
} echo_port_msg_t;
#pragma pack(pop)

union echo_request {
    echo_inline_request_t in_line;
    echo_ool_msg_t ool;
    echo_port_msg_t port;
};

union echo_reply_buffer {
    mig_reply_error_t error;
    echo_inline_reply_t in_line;
    echo_ool_msg_t ool;
    echo_port_msg_t port;
    char bytes[sizeof(echo_inline_reply_t) + sizeof(mach_msg_max_trailer_t)];
};

/* ---- server ---- */

static kern_return_t serve_inline(const mach_msg_header_t *in, mach_msg_header_t *out) {
    const echo_inline_request_t *request = (const echo_inline_request_t *)in;
    echo_inline_reply_t *reply = (echo_inline_reply_t *)out;
    mach_msg_size_t fixed = offsetof(echo_inline_request_t, data);
    if (in->msgh_size < fixed || request->count > ECHO_MAX_INLINE ||
        in->msgh_size != fixed + ((request->count + 3) & ~3u))
        return MIG_BAD_ARGUMENTS;
    reply->RetCode = KERN_SUCCESS;
    reply->count = request->count;
    memcpy(reply->data, request->data, request->count);
    reply->Head.msgh_size = (mach_msg_size_t)offsetof(echo_inline_reply_t, data) +
                            ((request->count + 3) & ~3u);
    return KERN_SUCCESS;
}

static kern_return_t serve_ool(const mach_msg_header_t *in, mach_msg_header_t *out) {
    const echo_ool_msg_t *request = (const echo_ool_msg_t *)in;
    if (!(in->msgh_bits & MACH_MSGH_BITS_COMPLEX) || in->msgh_size != sizeof *request ||
        request->body.msgh_descriptor_count != 1 || request->ool.type != MACH_MSG_OOL_DESCRIPTOR)
        return MIG_BAD_ARGUMENTS;
    echo_ool_msg_t *reply = (echo_ool_msg_t *)out;
    reply->Head.msgh_bits |= MACH_MSGH_BITS_COMPLEX;
    reply->Head.msgh_size = sizeof *reply;
    reply->body.msgh_descriptor_count = 1;
    reply->ool = request->ool; /* the region we received goes back, moved */
    reply->ool.deallocate = TRUE;
    reply->ool.copy = MACH_MSG_VIRTUAL_COPY;
    return KERN_SUCCESS;
}

static kern_return_t serve_port(const mach_msg_header_t *in, mach_msg_header_t *out) {
    const echo_port_msg_t *request = (const echo_port_msg_t *)in;
    if (!(in->msgh_bits & MACH_MSGH_BITS_COMPLEX) || in->msgh_size != sizeof *request ||
        request->body.msgh_descriptor_count != 1 ||
        request->port.type != MACH_MSG_PORT_DESCRIPTOR ||
        request->port.disposition != MACH_MSG_TYPE_PORT_SEND)
        return MIG_BAD_ARGUMENTS;
    mach_msg_header_t ping = {.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0),
                              .msgh_size = sizeof ping,
                              .msgh_remote_port = request->port.name,
                              .msgh_id = ECHO_PING};
    if (mach_msg(&ping, MACH_SEND_MSG | MACH_SEND_TIMEOUT, sizeof ping, 0, MACH_PORT_NULL, 0,
                 MACH_PORT_NULL) != MACH_MSG_SUCCESS)
        return KERN_FAILURE; /* error reply: the loop releases the right we were given */
    echo_port_msg_t *reply = (echo_port_msg_t *)out;
    reply->Head.msgh_bits |= MACH_MSGH_BITS_COMPLEX;
    reply->Head.msgh_size = sizeof *reply;
    reply->body.msgh_descriptor_count = 1;
    reply->port = request->port;
    reply->port.disposition = MACH_MSG_TYPE_MOVE_SEND;
    return KERN_SUCCESS;
}

static boolean_t echo_demux(mach_msg_header_t *in, mach_msg_header_t *out) {
    mig_reply_setup(in, out);
    mig_reply_error_t *reply = (mig_reply_error_t *)out;
    kern_return_t kr;
    switch (in->msgh_id) {
    case ECHO_INLINE:
        kr = serve_inline(in, out);
        break;
    case ECHO_OOL:
        kr = serve_ool(in, out);
        break;
    case ECHO_PORT:
        kr = serve_port(in, out);
        break;
    default:
        return FALSE;
    }
    if (kr != KERN_SUCCESS) {
        reply->Head.msgh_bits &= ~MACH_MSGH_BITS_COMPLEX;
        reply->Head.msgh_size = sizeof *reply;
        reply->RetCode = kr;
    }
    return TRUE;
}

struct echo_server {
    pthread_t thread;
    mach_port_t port;
    mach_msg_return_t result;
};

static void *echo_server_main(void *arg) {
    struct echo_server *server = arg;
    server->result = mach_msg_server(echo_demux, sizeof(union echo_request), server->port, 0);
    return NULL;
}

static void echo_server_start(struct echo_server *server) {
    assert_int_equal(bootstrap_check_in(bootstrap_port, ECHO_SERVICE, &server->port),
                     BOOTSTRAP_SUCCESS);
    assert_int_equal(pthread_create(&server->thread, NULL, echo_server_main, server), 0);
}

static void echo_server_stop(struct echo_server *server) {
    svc_destroy_port(server->port); /* mach_msg_server returns; the name is released */
    assert_int_equal(pthread_join(server->thread, NULL), 0);
    assert_true(server->result == MACH_RCV_PORT_DIED || server->result == MACH_RCV_INVALID_NAME);
}

/* ---- client ---- */

/* One RPC: request of size bytes to service, reply into *reply. Returns mach_msg's result or
 * MIG_REPLY_MISMATCH. */
static kern_return_t echo_call(mach_port_t service, mach_msg_header_t *request,
                               mach_msg_size_t size, union echo_reply_buffer *reply) {
    mach_port_t reply_port = mig_get_reply_port();
    request->msgh_bits |= MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE);
    request->msgh_size = size;
    request->msgh_remote_port = service;
    request->msgh_local_port = reply_port;
    mach_msg_id_t id = request->msgh_id;
    mach_msg_return_t mr = mach_msg_overwrite(request, MACH_SEND_MSG | MACH_RCV_MSG, size,
                                              sizeof *reply, reply_port, MACH_MSG_TIMEOUT_NONE,
                                              MACH_PORT_NULL, &reply->error.Head, sizeof *reply);
    if (mr != MACH_MSG_SUCCESS) {
        mig_dealloc_reply_port(reply_port);
        return mr;
    }
    if (reply->error.Head.msgh_id != id + 100) {
        mach_msg_destroy(&reply->error.Head);
        return MIG_REPLY_MISMATCH;
    }
    return KERN_SUCCESS;
}

static void echo_inline(mach_port_t service, mach_msg_type_number_t count) {
    echo_inline_request_t request;
    memset(&request, 0, sizeof request);
    request.Head.msgh_id = ECHO_INLINE;
    request.NDR = NDR_record;
    request.count = count;
    for (mach_msg_type_number_t i = 0; i < count; i++)
        request.data[i] = (char)(i * 7 + count);
    union echo_reply_buffer reply;
    mach_msg_size_t size = (mach_msg_size_t)offsetof(echo_inline_request_t, data) +
                           ((count + 3) & ~3u);
    assert_int_equal(echo_call(service, &request.Head, size, &reply), KERN_SUCCESS);
    assert_int_equal(reply.in_line.RetCode, KERN_SUCCESS);
    assert_int_equal(reply.in_line.count, count);
    assert_memory_equal(reply.in_line.data, request.data, count);
}

static void echo_ool(mach_port_t service, vm_size_t size) {
    vm_address_t data = 0;
    assert_int_equal(vm_allocate(mach_task_self(), &data, size, VM_FLAGS_ANYWHERE), KERN_SUCCESS);
    for (vm_size_t i = 0; i < size; i++)
        ((unsigned char *)data)[i] = (unsigned char)(i % 251);
    echo_ool_msg_t request;
    memset(&request, 0, sizeof request);
    request.Head.msgh_bits = MACH_MSGH_BITS_COMPLEX;
    request.Head.msgh_id = ECHO_OOL;
    request.body.msgh_descriptor_count = 1;
    request.ool = (mach_msg_ool_descriptor_t){.address = (void *)data,
                                              .size = (mach_msg_size_t)size,
                                              .deallocate = TRUE, /* moved to the server */
                                              .copy = MACH_MSG_VIRTUAL_COPY,
                                              .type = MACH_MSG_OOL_DESCRIPTOR};
    union echo_reply_buffer reply;
    assert_int_equal(echo_call(service, &request.Head, sizeof request, &reply), KERN_SUCCESS);
    assert_true(reply.ool.Head.msgh_bits & MACH_MSGH_BITS_COMPLEX);
    assert_int_equal(reply.ool.ool.size, size);
    const unsigned char *back = reply.ool.ool.address;
    for (vm_size_t i = 0; i < size; i++)
        assert_int_equal(back[i], (unsigned char)(i % 251));
    assert_int_equal(vm_deallocate(mach_task_self(), (vm_address_t)back, size), KERN_SUCCESS);
}

static void echo_port(mach_port_t service) {
    mach_port_t mine = svc_make_port();
    echo_port_msg_t request;
    memset(&request, 0, sizeof request);
    request.Head.msgh_bits = MACH_MSGH_BITS_COMPLEX;
    request.Head.msgh_id = ECHO_PORT;
    request.body.msgh_descriptor_count = 1;
    request.port = (mach_msg_port_descriptor_t){.name = mine,
                                                .disposition = MACH_MSG_TYPE_MAKE_SEND,
                                                .type = MACH_MSG_PORT_DESCRIPTOR};
    union echo_reply_buffer reply;
    assert_int_equal(echo_call(service, &request.Head, sizeof request, &reply), KERN_SUCCESS);
    assert_true(reply.port.Head.msgh_bits & MACH_MSGH_BITS_COMPLEX);
    assert_int_equal(reply.port.port.disposition, MACH_MSG_TYPE_PORT_SEND);
    assert_int_equal(reply.port.port.name, mine); /* our own port, back under our name */
    svc_buffer_t ping;
    assert_int_equal(svc_receive(mine, &ping, 0), MACH_MSG_SUCCESS); /* sent through it */
    assert_int_equal(ping.Head.msgh_id, ECHO_PING);
    assert_int_equal(svc_refs(mine, MACH_PORT_RIGHT_SEND), 1);
    assert_int_equal(mach_port_deallocate(mach_task_self(), mine), KERN_SUCCESS);
    svc_destroy_port(mine);
}

static void test_echo(void **state) {
    (void)state;
    (void)mig_get_reply_port();
    bootstrap_status_t status;
    (void)bootstrap_status(bootstrap_port, ECHO_SERVICE, &status); /* starts the service */
    struct openmig_ipc_stats before = svc_stats();
    struct echo_server server;
    echo_server_start(&server);

    mach_port_t service = MACH_PORT_NULL;
    assert_int_equal(bootstrap_look_up(bootstrap_port, ECHO_SERVICE, &service),
                     BOOTSTRAP_SUCCESS);
    for (int round = 0; round < 100; round++) {
        echo_inline(service, (mach_msg_type_number_t)(round * 10 % (ECHO_MAX_INLINE + 1)));
        echo_ool(service, (vm_size_t)(1 + round * 997 % 70000));
        echo_port(service);
    }
    /* A request the server rejects: error reply, nothing leaked. */
    echo_inline_request_t bad;
    memset(&bad, 0, sizeof bad);
    bad.Head.msgh_id = ECHO_INLINE;
    bad.count = ECHO_MAX_INLINE + 1;
    union echo_reply_buffer reply;
    assert_int_equal(echo_call(service, &bad.Head, sizeof bad, &reply), KERN_SUCCESS);
    assert_int_equal(reply.error.RetCode, MIG_BAD_ARGUMENTS);
    bad.Head.msgh_id = 3999;
    assert_int_equal(echo_call(service, &bad.Head, 64, &reply), KERN_SUCCESS);
    assert_int_equal(reply.error.RetCode, MIG_BAD_ID);

    assert_int_equal(mach_port_deallocate(mach_task_self(), service), KERN_SUCCESS);
    echo_server_stop(&server);
    assert_int_equal(bootstrap_look_up(bootstrap_port, ECHO_SERVICE, &service),
                     BOOTSTRAP_UNKNOWN_SERVICE);
    svc_assert_no_leaks(&before);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_echo)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
