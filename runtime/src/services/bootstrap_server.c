/* bootstrap_server.c: the server side of the bootstrap protocol (bootstrap_proto.h): a MIG-style
 * demux over a bootstrap_registry, and the in-process name service, a thread running
 * mach_msg_server() on it for processes without machd. */
#include "services/bootstrap_server.h"

#include "services/bootstrap_proto.h"
#include "services/server_internal.h"

#include <mach/mach.h>

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* The registry the demux serves; set once by bootstrap_local_service_start(). */
static struct bootstrap_registry *served_registry;

static void set_error(mig_reply_error_t *reply, kern_return_t code) {
    reply->Head.msgh_bits &= ~MACH_MSGH_BITS_COMPLEX;
    reply->Head.msgh_size = sizeof(mig_reply_error_t);
    reply->NDR = NDR_record;
    reply->RetCode = code;
}

static void set_port_reply(mach_msg_header_t *out, mach_port_t port,
                           mach_msg_type_name_t disposition) {
    bootstrap_port_reply_t *reply = (bootstrap_port_reply_t *)out;
    reply->Head.msgh_bits |= MACH_MSGH_BITS_COMPLEX;
    reply->Head.msgh_size = sizeof *reply;
    reply->msgh_body.msgh_descriptor_count = 1;
    memset(&reply->port, 0, sizeof reply->port);
    reply->port.name = port;
    reply->port.disposition = disposition;
    reply->port.type = MACH_MSG_PORT_DESCRIPTOR;
}

/* A simple request of exactly the name layout, with a terminated name. */
static const char *checked_name_request(const mach_msg_header_t *in) {
    const bootstrap_name_request_t *request = (const bootstrap_name_request_t *)in;
    if ((in->msgh_bits & MACH_MSGH_BITS_COMPLEX) || in->msgh_size != sizeof *request)
        return NULL;
    return request->name;
}

static kern_return_t serve_register(struct bootstrap_registry *registry,
                                    const mach_msg_header_t *in) {
    const bootstrap_register_request_t *request = (const bootstrap_register_request_t *)in;
    if (!(in->msgh_bits & MACH_MSGH_BITS_COMPLEX) || in->msgh_size != sizeof *request ||
        request->msgh_body.msgh_descriptor_count != 1 ||
        request->port.type != MACH_MSG_PORT_DESCRIPTOR)
        return MIG_BAD_ARGUMENTS;
    mach_port_t send = request->port.name;
    if (send != MACH_PORT_NULL && request->port.disposition != MACH_MSG_TYPE_PORT_SEND)
        return MIG_BAD_ARGUMENTS;
    if (!bootstrap_name_is_valid(request->name, sizeof request->name))
        return BOOTSTRAP_BAD_COUNT;
    /* On success the registry keeps the right the request brought; on error the server loop
     * destroys the request, and with it that right. */
    return bootstrap_registry_register(registry, request->name, send);
}

/* Serves one name request; on success fills out and returns KERN_SUCCESS. */
static kern_return_t serve_name_request(struct bootstrap_registry *registry,
                                        const mach_msg_header_t *in, mach_msg_header_t *out) {
    const char *name = checked_name_request(in);
    if (name == NULL)
        return MIG_BAD_ARGUMENTS;
    if (!bootstrap_name_is_valid(name, BOOTSTRAP_MAX_NAME_LEN))
        return BOOTSTRAP_BAD_COUNT;
    mach_port_t port = MACH_PORT_NULL;
    kern_return_t kr;
    switch (in->msgh_id) {
    case BOOTSTRAP_MSG_CHECK_IN:
        kr = bootstrap_registry_check_in(registry, name, &port);
        if (kr == KERN_SUCCESS)
            set_port_reply(out, port, MACH_MSG_TYPE_MOVE_RECEIVE);
        return kr;
    case BOOTSTRAP_MSG_LOOK_UP:
        kr = bootstrap_registry_look_up(registry, name, &port);
        if (kr == KERN_SUCCESS)
            set_port_reply(out, port, MACH_MSG_TYPE_COPY_SEND);
        return kr;
    case BOOTSTRAP_MSG_CREATE_SERVICE:
        kr = bootstrap_registry_create_service(registry, name, &port);
        if (kr == KERN_SUCCESS)
            set_port_reply(out, port, MACH_MSG_TYPE_COPY_SEND);
        return kr;
    default: { /* BOOTSTRAP_MSG_STATUS */
        bootstrap_status_reply_t *reply = (bootstrap_status_reply_t *)out;
        kr = bootstrap_registry_status(registry, name, &reply->status);
        if (kr == KERN_SUCCESS) {
            reply->Head.msgh_size = sizeof *reply;
            reply->NDR = NDR_record;
            reply->RetCode = KERN_SUCCESS;
        }
        return kr;
    }
    }
}

boolean_t bootstrap_server_demux_with(struct bootstrap_registry *registry,
                                      mach_msg_header_t *in, mach_msg_header_t *out) {
    mig_reply_setup(in, out);
    mig_reply_error_t *reply = (mig_reply_error_t *)out;
    mach_msg_id_t id = in->msgh_id;
    if (id < BOOTSTRAP_MSG_BASE || id >= BOOTSTRAP_MSG_BASE + BOOTSTRAP_MSG_COUNT)
        return FALSE; /* mig_reply_setup left MIG_BAD_ID */
    kern_return_t kr = id == BOOTSTRAP_MSG_REGISTER ? serve_register(registry, in)
                                                    : serve_name_request(registry, in, out);
    if (kr != KERN_SUCCESS || id == BOOTSTRAP_MSG_REGISTER)
        set_error(reply, kr);
    return TRUE;
}

boolean_t bootstrap_server_demux(mach_msg_header_t *in, mach_msg_header_t *out) {
    return bootstrap_server_demux_with(served_registry, in, out);
}

static void *local_service_main(void *arg) {
    mach_port_t service_port = (mach_port_t)(uintptr_t)arg;
    /* Returns when the port is destroyed, at process exit. */
    (void)mach_msg_server(bootstrap_server_demux, sizeof(union bootstrap_request), service_port,
                          MACH_RCV_LARGE);
    return NULL;
}

static pthread_t local_service_thread;
static mach_port_t local_service_port;
static bool local_service_running;

/* At exit: stop the service thread and release the table, so that leak checkers see nothing
 * left behind. Clients of the service are finishing too; a late call gets a mach_msg error. */
static void local_service_stop(void) {
    if (!local_service_running)
        return;
    local_service_running = false;
    (void)mach_port_mod_refs(mach_task_self(), local_service_port, MACH_PORT_RIGHT_RECEIVE, -1);
    (void)pthread_join(local_service_thread, NULL);
    bootstrap_registry_destroy(served_registry);
    served_registry = NULL;
}

kern_return_t bootstrap_local_service_start(mach_port_t service_port) {
    static bool stop_at_exit;
    served_registry = bootstrap_registry_create();
    if (served_registry == NULL)
        return KERN_RESOURCE_SHORTAGE;
    local_service_port = service_port;
    if (pthread_create(&local_service_thread, NULL, local_service_main,
                       (void *)(uintptr_t)service_port) != 0) {
        bootstrap_registry_destroy(served_registry);
        served_registry = NULL;
        return KERN_RESOURCE_SHORTAGE;
    }
    local_service_running = true;
    if (!stop_at_exit)
        stop_at_exit = atexit(local_service_stop) == 0;
    return KERN_SUCCESS;
}

void bootstrap_local_service_forget_after_fork(void) {
    /* The thread did not come along, and the table's lock may have been held by it. The
     * child's in-process service starts afresh: a new table (the copy is abandoned). */
    local_service_running = false;
    served_registry = NULL;
}

struct bootstrap_registry *bootstrap_local_registry(void) {
    return served_registry;
}
