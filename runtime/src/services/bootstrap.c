/* bootstrap.c: the client side of the bootstrap name service (<servers/bootstrap.h>): the
 * bootstrap_port global and the bootstrap_* calls, each an RPC over mach_msg to bootstrap_port,
 * so they work unchanged whoever serves the port (the in-process service or machd). */
#include "services/bootstrap_client.h"
#include "services/bootstrap_proto.h"
#include "services/bootstrap_server.h"

#include <mach/mach.h>
#include <mach/mach_error.h>
#include <mach/notify.h>
#include <mach/openmig_bootstrap.h>

#include <pthread.h>
#include <stdbool.h>
#include <string.h>

mach_port_t bootstrap_port = MACH_PORT_NULL;

/* The in-process service's port (receive right and the send right bootstrap_port names),
 * served from the first bootstrap call on. In a forked child the parent's port is left alone
 * (its queue may still list the parent's waiting threads) and the child's service gets a new
 * port on first use; calls naming the parent's port are taken to the new one. */
static mach_port_t local_service_port = MACH_PORT_NULL;
static mach_port_t parent_service_port = MACH_PORT_NULL;
static bool needs_new_port;
static pthread_mutex_t local_service_lock = PTHREAD_MUTEX_INITIALIZER;
static bool local_service_started;

/* fork() with the start lock held, so that the child gets it unlocked. */
static void bootstrap_before_fork(void) {
    pthread_mutex_lock(&local_service_lock);
}

static void bootstrap_after_fork_parent(void) {
    pthread_mutex_unlock(&local_service_lock);
}

/* A forked child has no service thread: the next call starts one for the child. */
static void bootstrap_after_fork_child(void) {
    if (local_service_started) {
        parent_service_port = local_service_port;
        needs_new_port = true;
    }
    local_service_started = false;
    bootstrap_local_service_forget_after_fork();
    pthread_mutex_unlock(&local_service_lock);
}

/* A receive right with one send reference under the same name, or MACH_PORT_NULL. */
static mach_port_t make_service_port(void) {
    mach_port_t task = mach_task_self();
    mach_port_t port = MACH_PORT_NULL;
    if (mach_port_allocate(task, MACH_PORT_RIGHT_RECEIVE, &port) != KERN_SUCCESS)
        return MACH_PORT_NULL;
    if (mach_port_insert_right(task, port, port, MACH_MSG_TYPE_MAKE_SEND) != KERN_SUCCESS) {
        (void)mach_port_mod_refs(task, port, MACH_PORT_RIGHT_RECEIVE, -1);
        return MACH_PORT_NULL;
    }
    return port;
}

/* Makes port the in-process service's port and the task's bootstrap port. */
static void adopt_service_port(mach_port_t port) {
    local_service_port = port;
    bootstrap_port = port;
    /* task_get_bootstrap_port() reads the task's special port. */
    (void)task_set_special_port(mach_task_self(), TASK_BOOTSTRAP_PORT, port);
}

__attribute__((constructor)) static void bootstrap_port_init(void) {
    mach_port_t port = make_service_port();
    if (port == MACH_PORT_NULL)
        return;
    adopt_service_port(port);
    (void)pthread_atfork(bootstrap_before_fork, bootstrap_after_fork_parent,
                         bootstrap_after_fork_child);
    /* machd's name service becomes the bootstrap port (bootstrap_client_use_port) unless the
     * program chose the in-process one (MACH_BOOTSTRAP=private). */
    bootstrap_client_use_machd();
}

/* A transport serving calls made on its own bootstrap port (see bootstrap_client.h). */
static mach_port_t transport_port = MACH_PORT_NULL;
static bootstrap_transport_fn transport_serve;

void bootstrap_client_use_port(mach_port_t port, bootstrap_transport_fn serve) {
    transport_port = port;
    transport_serve = serve;
    bootstrap_port = port;
    (void)task_set_special_port(mach_task_self(), TASK_BOOTSTRAP_PORT, port);
}

kern_return_t openmig_bootstrap_private(void) {
    pthread_mutex_lock(&local_service_lock);
    mach_port_t port = local_service_port;
    if (port != MACH_PORT_NULL) {
        transport_serve = NULL; /* machd's stand-in stays in the space, unused */
        transport_port = MACH_PORT_NULL;
        adopt_service_port(port);
    }
    pthread_mutex_unlock(&local_service_lock);
    return port != MACH_PORT_NULL ? KERN_SUCCESS : KERN_FAILURE;
}

/* True when a transport takes calls made on bp. */
static bool transport_serves(mach_port_t bp) {
    return transport_serve != NULL && bp == transport_port && bp != MACH_PORT_NULL;
}

/* Starts the in-process service on first use (again, on a new port, in a forked child). */
static void ensure_local_service(void) {
    pthread_mutex_lock(&local_service_lock);
    if (needs_new_port) {
        mach_port_t port = make_service_port();
        if (port != MACH_PORT_NULL) {
            bool was_bootstrap_port = (bootstrap_port == parent_service_port);
            local_service_port = port;
            if (was_bootstrap_port)
                adopt_service_port(port);
            needs_new_port = false;
        }
    }
    if (!local_service_started && !needs_new_port)
        local_service_started =
            bootstrap_local_service_start(local_service_port) == KERN_SUCCESS;
    pthread_mutex_unlock(&local_service_lock);
}

/* The port a call on bp goes to: the in-process service's, for bp naming it or (in a forked
 * child) the parent's; otherwise bp itself. */
static mach_port_t service_port_for(mach_port_t bp) {
    if (bp == MACH_PORT_NULL || (bp != local_service_port && bp != parent_service_port))
        return bp;
    ensure_local_service();
    return local_service_port;
}

/* The reply of one RPC plus room for the trailer mach_msg appends. */
struct bootstrap_reply_buffer {
    union bootstrap_reply reply;
    mach_msg_max_trailer_t trailer;
};

/* Sends request (size bytes, bits beyond the header ports in extra_bits) to bp and receives
 * the reply into *buffer, with the reply-port handling of a MIG user stub. Returns
 * KERN_SUCCESS with a reply whose id matches, or the error (nothing left to release). */
static kern_return_t call_service(mach_port_t bp, mach_msg_header_t *request,
                                  mach_msg_bits_t extra_bits, mach_msg_size_t size,
                                  struct bootstrap_reply_buffer *buffer) {
    bp = service_port_for(bp);
    mach_port_t reply_port = mig_get_reply_port();
    mach_msg_id_t id = request->msgh_id;
    request->msgh_bits =
        MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE) | extra_bits;
    request->msgh_size = size;
    request->msgh_remote_port = bp;
    request->msgh_local_port = reply_port;
    request->msgh_voucher_port = MACH_PORT_NULL;
    mach_msg_header_t *reply = &buffer->reply.error.Head;
    mach_msg_return_t mr = mach_msg_overwrite(request, MACH_SEND_MSG | MACH_RCV_MSG, size,
                                              sizeof *buffer, reply_port, MACH_MSG_TIMEOUT_NONE,
                                              MACH_PORT_NULL, reply, 0 /* no scatter list */);
    if (mr != MACH_MSG_SUCCESS) {
        if (mr == MACH_SEND_INVALID_DATA || mr == MACH_SEND_INVALID_DEST ||
            mr == MACH_SEND_INVALID_HEADER)
            mig_put_reply_port(reply_port);
        else
            mig_dealloc_reply_port(reply_port);
        return mr;
    }
    if (reply->msgh_id != BOOTSTRAP_REPLY_ID(id)) {
        kern_return_t kr =
            reply->msgh_id == MACH_NOTIFY_SEND_ONCE ? MIG_SERVER_DIED : MIG_REPLY_MISMATCH;
        mach_msg_destroy(reply);
        return kr;
    }
    return KERN_SUCCESS;
}

/* The RetCode of a simple reply of the expected size, or MIG_TYPE_ERROR (reply destroyed). */
static kern_return_t simple_reply_code(struct bootstrap_reply_buffer *buffer,
                                       mach_msg_size_t success_size) {
    mig_reply_error_t *reply = &buffer->reply.error;
    if (!(reply->Head.msgh_bits & MACH_MSGH_BITS_COMPLEX)) {
        if (reply->Head.msgh_size == sizeof(mig_reply_error_t) && reply->RetCode != KERN_SUCCESS)
            return reply->RetCode;
        if (reply->Head.msgh_size == success_size && reply->RetCode == KERN_SUCCESS)
            return KERN_SUCCESS;
    }
    mach_msg_destroy(&reply->Head);
    return MIG_TYPE_ERROR;
}

/* Takes the one right of a port reply (received as `expected`), or returns the error code of
 * an error reply; anything else is MIG_TYPE_ERROR and is destroyed. */
static kern_return_t take_port_reply(struct bootstrap_reply_buffer *buffer,
                                     mach_msg_type_name_t expected, mach_port_t *port) {
    bootstrap_port_reply_t *reply = &buffer->reply.port;
    if (!(reply->Head.msgh_bits & MACH_MSGH_BITS_COMPLEX))
        return simple_reply_code(buffer, 0); /* no simple success reply here */
    if (reply->Head.msgh_size == sizeof *reply && reply->msgh_body.msgh_descriptor_count == 1 &&
        reply->port.type == MACH_MSG_PORT_DESCRIPTOR && reply->port.disposition == expected) {
        *port = reply->port.name;
        return KERN_SUCCESS;
    }
    mach_msg_destroy(&reply->Head);
    return MIG_TYPE_ERROR;
}

/* Builds a name request; BOOTSTRAP_BAD_COUNT when the name cannot be sent as is. */
static kern_return_t fill_name(char *field, const char *service_name) {
    if (!bootstrap_name_is_valid(service_name, BOOTSTRAP_MAX_NAME_LEN))
        return BOOTSTRAP_BAD_COUNT;
    (void)mig_strncpy_zerofill(field, service_name, BOOTSTRAP_MAX_NAME_LEN);
    return KERN_SUCCESS;
}

/* Sends a name request (check_in, look_up, create_service, status) and receives its reply. */
static kern_return_t name_request_call(mach_port_t bp, mach_msg_id_t id, const char *name,
                                       struct bootstrap_reply_buffer *buffer) {
    bootstrap_name_request_t request;
    memset(&request, 0, sizeof request);
    kern_return_t kr = fill_name(request.name, name);
    if (kr != KERN_SUCCESS)
        return kr;
    request.Head.msgh_id = id;
    request.NDR = NDR_record;
    return call_service(bp, &request.Head, 0, sizeof request, buffer);
}

/* check_in, look_up and create_service: a name in, one right (of type `expected`) out. */
static kern_return_t name_to_port_call(mach_port_t bp, mach_msg_id_t id, const char *name,
                                       mach_msg_type_name_t expected, mach_port_t *sp) {
    if (sp == NULL)
        return KERN_INVALID_ARGUMENT;
    if (transport_serves(bp))
        return bootstrap_name_is_valid(name, BOOTSTRAP_MAX_NAME_LEN)
                   ? transport_serve((uint32_t)id, name, MACH_PORT_NULL, sp)
                   : BOOTSTRAP_BAD_COUNT;
    struct bootstrap_reply_buffer buffer;
    kern_return_t kr = name_request_call(bp, id, name, &buffer);
    if (kr != KERN_SUCCESS)
        return kr;
    return take_port_reply(&buffer, expected, sp);
}

kern_return_t bootstrap_check_in(mach_port_t bp, const char *service_name, mach_port_t *sp) {
    return name_to_port_call(bp, BOOTSTRAP_MSG_CHECK_IN, service_name,
                             MACH_MSG_TYPE_PORT_RECEIVE, sp);
}

kern_return_t bootstrap_look_up(mach_port_t bp, const char *service_name, mach_port_t *sp) {
    return name_to_port_call(bp, BOOTSTRAP_MSG_LOOK_UP, service_name, MACH_MSG_TYPE_PORT_SEND,
                             sp);
}

kern_return_t bootstrap_create_service(mach_port_t bp, const char *service_name,
                                       mach_port_t *sp) {
    return name_to_port_call(bp, BOOTSTRAP_MSG_CREATE_SERVICE, service_name,
                             MACH_MSG_TYPE_PORT_SEND, sp);
}

kern_return_t bootstrap_register(mach_port_t bp, const char *service_name, mach_port_t sp) {
    if (transport_serves(bp)) {
        mach_port_t unused = MACH_PORT_NULL;
        return bootstrap_name_is_valid(service_name, BOOTSTRAP_MAX_NAME_LEN)
                   ? transport_serve(BOOTSTRAP_MSG_REGISTER, service_name, sp, &unused)
                   : BOOTSTRAP_BAD_COUNT;
    }
    bootstrap_register_request_t request;
    memset(&request, 0, sizeof request);
    kern_return_t kr = fill_name(request.name, service_name);
    if (kr != KERN_SUCCESS)
        return kr;
    request.Head.msgh_id = BOOTSTRAP_MSG_REGISTER;
    request.msgh_body.msgh_descriptor_count = 1;
    request.port.name = sp;
    request.port.disposition = MACH_MSG_TYPE_COPY_SEND;
    request.port.type = MACH_MSG_PORT_DESCRIPTOR;
    request.NDR = NDR_record;
    struct bootstrap_reply_buffer buffer;
    kr = call_service(bp, &request.Head, MACH_MSGH_BITS_COMPLEX, sizeof request, &buffer);
    if (kr != KERN_SUCCESS)
        return kr;
    return simple_reply_code(&buffer, sizeof(mig_reply_error_t));
}

kern_return_t bootstrap_status(mach_port_t bp, const char *service_name,
                               bootstrap_status_t *service_active) {
    if (service_active == NULL)
        return KERN_INVALID_ARGUMENT;
    if (transport_serves(bp)) {
        mach_port_t status = 0;
        kern_return_t kr = bootstrap_name_is_valid(service_name, BOOTSTRAP_MAX_NAME_LEN)
                               ? transport_serve(BOOTSTRAP_MSG_STATUS, service_name,
                                                 MACH_PORT_NULL, &status)
                               : BOOTSTRAP_BAD_COUNT;
        if (kr == KERN_SUCCESS)
            *service_active = (bootstrap_status_t)status;
        return kr;
    }
    struct bootstrap_reply_buffer buffer;
    kern_return_t kr = name_request_call(bp, BOOTSTRAP_MSG_STATUS, service_name, &buffer);
    if (kr != KERN_SUCCESS)
        return kr;
    kr = simple_reply_code(&buffer, sizeof(bootstrap_status_reply_t));
    if (kr == KERN_SUCCESS)
        *service_active = buffer.reply.status.status;
    return kr;
}

const char *bootstrap_strerror(kern_return_t r) {
    switch (r) {
    case BOOTSTRAP_SUCCESS:
        return "Success";
    case BOOTSTRAP_NOT_PRIVILEGED:
        return "Permission denied";
    case BOOTSTRAP_NAME_IN_USE:
        return "Service name in use";
    case BOOTSTRAP_UNKNOWN_SERVICE:
        return "Unknown service name";
    case BOOTSTRAP_SERVICE_ACTIVE:
        return "Service already active";
    case BOOTSTRAP_BAD_COUNT:
        return "Bad name or count";
    case BOOTSTRAP_NO_MEMORY:
        return "Out of memory";
    case BOOTSTRAP_NO_CHILDREN:
        return "No child bootstrap";
    default:
        return mach_error_string(r);
    }
}
