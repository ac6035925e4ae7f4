/* server_internal.h: the pieces of a MIG server loop that mach_msg_server(_once) and the
 * server pool share: request/reply buffers, receiving with MACH_RCV_LARGE growth, and handling
 * one request under the MIG ownership rule. Private to runtime/src. */
#ifndef OPENMIG_SERVER_INTERNAL_H
#define OPENMIG_SERVER_INTERNAL_H

#include <mach/boolean.h>
#include <mach/message.h>
#include <mach/mig_errors.h>

typedef boolean_t (*server_demux_fn)(mach_msg_header_t *request, mach_msg_header_t *reply);

/* One thread's buffers, whole pages. request holds request_capacity bytes; request_size is the
 * receive limit (max_size plus the trailer the options ask for, or the whole buffer with
 * MACH_RCV_LARGE); reply holds reply_size bytes. */
struct server_buffers {
    mig_reply_error_t *request;
    mach_msg_size_t request_capacity;
    mach_msg_size_t request_size;
    mig_reply_error_t *reply;
    mach_msg_size_t reply_size;
    mach_msg_size_t trailer_size; /* REQUESTED_TRAILER_SIZE(options) */
};

/* Allocates buffers for requests of up to max_size bytes (plus the requested trailer).
 * Returns KERN_SUCCESS, KERN_INVALID_ARGUMENT (max_size too small or too large for a message)
 * or KERN_RESOURCE_SHORTAGE. */
kern_return_t server_buffers_init(struct server_buffers *buffers, mach_msg_size_t max_size,
                                  mach_msg_options_t options);
void server_buffers_fini(struct server_buffers *buffers);

/* The receive-side option bits of options (trailer requests, MACH_RCV_LARGE, ...). */
mach_msg_options_t server_receive_options(mach_msg_options_t options);

/* Receives one request from rcv_name into buffers->request. With MACH_RCV_LARGE in options a
 * request larger than the buffer grows it and is received again; without it the kernel drops
 * the message and MACH_RCV_TOO_LARGE is returned (Darwin's behaviour). timeout applies when
 * options holds MACH_RCV_TIMEOUT. Returns mach_msg's result, or MACH_RCV_TOO_LARGE when the
 * buffer cannot grow. */
mach_msg_return_t server_receive(struct server_buffers *buffers, mach_port_t rcv_name,
                                 mach_msg_options_t options, mach_msg_timeout_t timeout);

/* Dispatches buffers->request to demux and completes it under the MIG ownership rule:
 * - demux FALSE: the reply becomes (or stays) a MIG error reply (MIG_BAD_ID unless the demux
 *   wrote another error code);
 * - error reply (simple reply, RetCode not KERN_SUCCESS and not MIG_NO_REPLY): the request's
 *   rights and out-of-line memory, except its reply right, are destroyed once, then the error
 *   reply is sent;
 * - MIG_NO_REPLY: nothing is sent and nothing destroyed (the routine owns the request);
 * - otherwise the reply is sent (send-once: no timeout; send right: MACH_SEND_TIMEOUT 0).
 * A reply that cannot be delivered (MACH_SEND_INVALID_DEST, MACH_SEND_TIMED_OUT) is destroyed
 * and MACH_MSG_SUCCESS returned. Any other send error is returned; the reply is destroyed too
 * when the core left it whole (header errors), not after a body error (the core destroyed what
 * it had copied in; see docs/ownership.md). */
mach_msg_return_t server_handle_request(server_demux_fn demux, struct server_buffers *buffers,
                                        mach_msg_options_t options);

#endif /* OPENMIG_SERVER_INTERNAL_H */
