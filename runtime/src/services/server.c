/* server.c: mach_msg_server and mach_msg_server_once, the receive / demux / reply loops that
 * drive a MIG-generated <subsystem>_server routine, with the MIG ownership rule (see
 * server_internal.h and docs/server-loops.md). */
#include "services/server_internal.h"

#include <mach/mach.h>
#include <mach/mig.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The MACH_RCV_TRAILER_TYPE and _ELEMENTS fields (written out: the macros shift a signed 0xf
 * into the sign bit). */
#define SERVER_RCV_TRAILER_FIELDS ((mach_msg_options_t)0xff000000u)

/* Receive-only modifiers; everything else in a server's options concerns the reply's send. */
#define SERVER_RCV_ONLY_OPTIONS                                                              \
    (MACH_RCV_MSG | MACH_RCV_LARGE | MACH_RCV_LARGE_IDENTITY | MACH_RCV_TIMEOUT |            \
     MACH_RCV_INTERRUPT | MACH_RCV_VOUCHER | MACH_RCV_GUARDED_DESC | MACH_RCV_SYNC_WAIT |    \
     MACH_RCV_SYNC_PEEK | SERVER_RCV_TRAILER_FIELDS)

/* Largest request a server loop will grow its buffer to (the core refuses larger sends). */
#define SERVER_MAX_REQUEST_SIZE ((mach_msg_size_t)64 * 1024 * 1024)

mach_msg_options_t server_receive_options(mach_msg_options_t options) {
    return options & (SERVER_RCV_ONLY_OPTIONS & ~MACH_RCV_MSG);
}

static mach_msg_options_t server_send_options(mach_msg_options_t options) {
    return options & ~(SERVER_RCV_ONLY_OPTIONS | MACH_SEND_MSG);
}

/* Buffers are whole pages, as on Darwin: code that passes the request size as max_size while
 * its replies are a little larger (a common mistake Darwin's rounding hides) stays in bounds. */
static mach_msg_size_t round_to_page(mach_msg_size_t size) {
    mach_msg_size_t page = (mach_msg_size_t)vm_page_size;
    return (size + page - 1) & ~(page - 1);
}

kern_return_t server_buffers_init(struct server_buffers *buffers, mach_msg_size_t max_size,
                                  mach_msg_options_t options) {
    memset(buffers, 0, sizeof *buffers);
    if (max_size > SERVER_MAX_REQUEST_SIZE)
        return KERN_INVALID_ARGUMENT;
    /* Both buffers hold at least an error reply, so mig_reply_setup() always fits. */
    mach_msg_size_t size = max_size;
    if (size < sizeof(mig_reply_error_t))
        size = sizeof(mig_reply_error_t);
    buffers->trailer_size = (mach_msg_size_t)REQUESTED_TRAILER_SIZE(options);
    buffers->request_capacity = round_to_page(round_msg(size) + buffers->trailer_size);
    /* The receive limit is exact (a larger request is MACH_RCV_TOO_LARGE), except that with
     * MACH_RCV_LARGE the whole buffer may be used, as on Darwin. */
    buffers->request_size = (options & MACH_RCV_LARGE)
                                ? buffers->request_capacity
                                : round_msg(size) + buffers->trailer_size;
    buffers->reply_size =
        round_to_page(size + ((options & MACH_SEND_TRAILER) ? MAX_TRAILER_SIZE : 0));
    buffers->request = calloc(1, buffers->request_capacity);
    buffers->reply = calloc(1, buffers->reply_size);
    if (buffers->request == NULL || buffers->reply == NULL) {
        server_buffers_fini(buffers);
        return KERN_RESOURCE_SHORTAGE;
    }
    return KERN_SUCCESS;
}

void server_buffers_fini(struct server_buffers *buffers) {
    free(buffers->request);
    free(buffers->reply);
    memset(buffers, 0, sizeof *buffers);
}

/* Makes room for a queued request of msgh_size bytes plus its trailer. */
static bool grow_request_buffer(struct server_buffers *buffers, mach_msg_size_t msgh_size) {
    if (msgh_size > SERVER_MAX_REQUEST_SIZE)
        return false;
    mach_msg_size_t size = round_to_page(round_msg(msgh_size) + buffers->trailer_size);
    if (size > buffers->request_capacity) {
        mig_reply_error_t *bigger = calloc(1, size);
        if (bigger == NULL)
            return false;
        free(buffers->request);
        buffers->request = bigger;
        buffers->request_capacity = size;
    }
    /* Otherwise another thread took the big one and ours is large enough already. */
    buffers->request_size = buffers->request_capacity;
    return true;
}

mach_msg_return_t server_receive(struct server_buffers *buffers, mach_port_t rcv_name,
                                 mach_msg_options_t options, mach_msg_timeout_t timeout) {
    mach_msg_options_t rcv_options = MACH_RCV_MSG | server_receive_options(options);
    for (;;) {
        mach_msg_return_t mr = mach_msg(&buffers->request->Head, rcv_options, 0,
                                        buffers->request_size, rcv_name, timeout, MACH_PORT_NULL);
        if (mr != MACH_RCV_TOO_LARGE || !(options & MACH_RCV_LARGE))
            return mr;
        if (!grow_request_buffer(buffers, buffers->request->Head.msgh_size))
            return MACH_RCV_TOO_LARGE;
    }
}

/* A simple reply carrying a RetCode (generated error and simple replies do). */
static bool reply_has_retcode(const mig_reply_error_t *reply) {
    return !(reply->Head.msgh_bits & MACH_MSGH_BITS_COMPLEX) &&
           reply->Head.msgh_size >= sizeof(mig_reply_error_t);
}

static bool reply_is_error(const mig_reply_error_t *reply) {
    return reply_has_retcode(reply) && reply->RetCode != KERN_SUCCESS &&
           reply->RetCode != MIG_NO_REPLY;
}

/* Destroys every right and region the request holds except its reply right, which the error
 * reply is about to use; the header is left without body so nothing is destroyed twice. */
static void destroy_request_body(mach_msg_header_t *request) {
    mach_port_t reply_port = request->msgh_remote_port;
    request->msgh_remote_port = MACH_PORT_NULL;
    mach_msg_destroy(request);
    request->msgh_remote_port = reply_port;
    request->msgh_bits &= ~MACH_MSGH_BITS_COMPLEX;
    request->msgh_voucher_port = MACH_PORT_NULL;
    request->msgh_bits &= ~MACH_MSGH_BITS_VOUCHER_MASK;
}

/* Send errors after which the whole message is still the sender's (refused before copyin, or
 * copied back out by a timed-out or interrupted send). After a body error the core has already
 * destroyed what it copied in, so destroying the message again would free things twice. */
static bool send_error_returns_message(mach_msg_return_t mr) {
    return mr == MACH_SEND_INVALID_DEST || mr == MACH_SEND_TIMED_OUT ||
           mr == MACH_SEND_INTERRUPTED || mr == MACH_SEND_INVALID_HEADER ||
           mr == MACH_SEND_TOO_LARGE ||
           mr == MACH_SEND_INVALID_REPLY || mr == MACH_SEND_INVALID_VOUCHER ||
           mr == MACH_SEND_INVALID_OPTIONS;
}

static mach_msg_return_t send_reply(mig_reply_error_t *reply, mach_msg_options_t options) {
    mach_msg_options_t send_options = MACH_SEND_MSG | server_send_options(options);
    /* A send-once reply never blocks; a send right might, if the client stops receiving. */
    if (MACH_MSGH_BITS_REMOTE(reply->Head.msgh_bits) != MACH_MSG_TYPE_MOVE_SEND_ONCE)
        send_options |= MACH_SEND_TIMEOUT;
    mach_msg_return_t mr = mach_msg(&reply->Head, send_options, reply->Head.msgh_size, 0,
                                    MACH_PORT_NULL, MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL);
    if (mr == MACH_MSG_SUCCESS)
        return mr;
    if (send_error_returns_message(mr))
        mach_msg_destroy(&reply->Head); /* not sent: its rights and memory are ours */
    if (mr == MACH_SEND_INVALID_DEST || mr == MACH_SEND_TIMED_OUT)
        return MACH_MSG_SUCCESS; /* the client went away or stopped listening */
    return mr;
}

mach_msg_return_t server_handle_request(server_demux_fn demux, struct server_buffers *buffers,
                                        mach_msg_options_t options) {
    mach_msg_header_t *request = &buffers->request->Head;
    mig_reply_error_t *reply = buffers->reply;

    memset(&reply->Head, 0, sizeof reply->Head);
    reply->RetCode = KERN_SUCCESS;
    if (!demux(request, &reply->Head) && !reply_is_error(reply))
        mig_reply_setup(request, &reply->Head);

    if (reply_has_retcode(reply)) {
        if (reply->RetCode == MIG_NO_REPLY)
            return MACH_MSG_SUCCESS;
        if (reply->RetCode != KERN_SUCCESS)
            destroy_request_body(request);
    }
    if (reply->Head.msgh_remote_port == MACH_PORT_NULL) {
        /* Nobody to answer (a simpleroutine, or a request without reply port). */
        if (reply->Head.msgh_bits & MACH_MSGH_BITS_COMPLEX)
            mach_msg_destroy(&reply->Head);
        return MACH_MSG_SUCCESS;
    }
    return send_reply(reply, options);
}

/* Serves one request (once) or until an error (!once) with fresh buffers. */
static mach_msg_return_t serve(server_demux_fn demux, mach_msg_size_t max_size,
                               mach_port_t rcv_name, mach_msg_options_t options, bool once) {
    struct server_buffers buffers;
    kern_return_t kr = server_buffers_init(&buffers, max_size, options);
    if (kr != KERN_SUCCESS)
        return kr;
    mach_msg_return_t mr;
    do {
        mr = server_receive(&buffers, rcv_name, options, MACH_MSG_TIMEOUT_NONE);
        if (mr == MACH_MSG_SUCCESS)
            mr = server_handle_request(demux, &buffers, options);
    } while (mr == MACH_MSG_SUCCESS && !once);
    server_buffers_fini(&buffers);
    return mr;
}

mach_msg_return_t mach_msg_server_once(boolean_t (*demux)(mach_msg_header_t *,
                                                          mach_msg_header_t *),
                                       mach_msg_size_t max_size, mach_port_t rcv_name,
                                       mach_msg_options_t options) {
    return serve(demux, max_size, rcv_name, options, true);
}

mach_msg_return_t mach_msg_server(boolean_t (*demux)(mach_msg_header_t *, mach_msg_header_t *),
                                  mach_msg_size_t max_size, mach_port_t rcv_name,
                                  mach_msg_options_t options) {
    return serve(demux, max_size, rcv_name, options, false);
}
