/* port_source.c: the dispatch-source-like helper of <mach/openmig_fd.h>: a port's readiness
 * descriptor with a handler, and dispatch_mig_server's non-blocking serving of what is queued,
 * with the ownership rule of mach_msg_server (server_internal.h). */
#include "services/server_internal.h"

#include <mach/mach.h>
#include <mach/openmig_fd.h>

#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

struct openmig_port_source {
    mach_port_t port;
    int fd;
    openmig_port_source_handler_t handler;
    void *context;
    struct server_buffers buffers; /* for openmig_port_source_mig_server, made on first use */
    bool have_buffers;
    mach_msg_size_t buffers_max_size;
    mach_msg_options_t buffers_options;
};

kern_return_t openmig_port_source_create(mach_port_t port, openmig_port_source_handler_t handler,
                                         void *context, openmig_port_source_t *out) {
    if (handler == NULL || out == NULL)
        return KERN_INVALID_ARGUMENT;
    *out = NULL;
    struct openmig_port_source *source = calloc(1, sizeof *source);
    if (source == NULL)
        return KERN_RESOURCE_SHORTAGE;
    kern_return_t kr = mach_port_get_fd(mach_task_self(), port, &source->fd);
    if (kr != KERN_SUCCESS) {
        free(source);
        return kr;
    }
    source->port = port;
    source->handler = handler;
    source->context = context;
    *out = source;
    return KERN_SUCCESS;
}

int openmig_port_source_get_fd(openmig_port_source_t source) { return source->fd; }
mach_port_t openmig_port_source_get_port(openmig_port_source_t source) { return source->port; }
void *openmig_port_source_get_context(openmig_port_source_t source) { return source->context; }

static bool still_receivable(mach_port_t port) {
    mach_port_type_t type = 0;
    return mach_port_type(mach_task_self(), port, &type) == KERN_SUCCESS &&
           (type & (MACH_PORT_TYPE_RECEIVE | MACH_PORT_TYPE_PORT_SET)) != 0;
}

kern_return_t openmig_port_source_fire(openmig_port_source_t source) {
    struct pollfd pfd = {.fd = source->fd, .events = POLLIN};
    if (poll(&pfd, 1, 0) != 1 || !(pfd.revents & POLLIN))
        return KERN_SUCCESS; /* received meanwhile: nothing to do */
    if (!still_receivable(source->port))
        return KERN_TERMINATED; /* the descriptor's hang-up */
    source->handler(source, source->context);
    return KERN_SUCCESS;
}

mach_msg_return_t openmig_port_source_mig_server(openmig_port_source_t source,
                                                 boolean_t (*demux)(mach_msg_header_t *,
                                                                    mach_msg_header_t *),
                                                 mach_msg_size_t max_size,
                                                 mach_msg_options_t options, unsigned limit) {
    if (demux == NULL)
        return KERN_INVALID_ARGUMENT;
    if (source->have_buffers &&
        (source->buffers_max_size != max_size || source->buffers_options != options)) {
        server_buffers_fini(&source->buffers);
        source->have_buffers = false;
    }
    if (!source->have_buffers) {
        kern_return_t kr = server_buffers_init(&source->buffers, max_size, options);
        if (kr != KERN_SUCCESS)
            return kr;
        source->have_buffers = true;
        source->buffers_max_size = max_size;
        source->buffers_options = options;
    }
    for (unsigned served = 0; limit == 0 || served < limit; served++) {
        mach_msg_return_t mr =
            server_receive(&source->buffers, source->port, options | MACH_RCV_TIMEOUT, 0);
        if (mr == MACH_RCV_TIMED_OUT)
            return MACH_MSG_SUCCESS; /* the queue is empty */
        if (mr == MACH_MSG_SUCCESS)
            mr = server_handle_request(demux, &source->buffers, options);
        if (mr != MACH_MSG_SUCCESS)
            return mr;
    }
    return MACH_MSG_SUCCESS;
}

void openmig_port_source_destroy(openmig_port_source_t source) {
    if (source == NULL)
        return;
    close(source->fd);
    if (source->have_buffers)
        server_buffers_fini(&source->buffers);
    free(source);
}
