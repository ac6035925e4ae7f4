/* bootstrap_machd.c: the task's bootstrap port served by machd's name service when machd is in
 * use (docs/machd.md 6): a local stand-in port whose bootstrap_* calls the transport
 * (transport/transport_machd.h) turns into machd BOOTSTRAP requests. */
#include "services/bootstrap_client.h"
#include "services/bootstrap_proto.h"
#include "transport/transport_machd.h"
#include "wire/machd_proto.h"

#include <mach/mach.h>
#include <mach/mig_errors.h>

/* bootstrap_* calls on the machd bootstrap port (bootstrap_client.h), in Darwin's terms. */
static kern_return_t serve_bootstrap(uint32_t op, const char *name, mach_port_t right_in, mach_port_t *right_out) {
    switch (op) {
    case BOOTSTRAP_MSG_CHECK_IN:
        return transport_machd_bootstrap(MACHD_BOOTSTRAP_CHECK_IN, name, MACH_PORT_NULL, right_out);
    case BOOTSTRAP_MSG_LOOK_UP:
        return transport_machd_bootstrap(MACHD_BOOTSTRAP_LOOK_UP, name, MACH_PORT_NULL, right_out);
    case BOOTSTRAP_MSG_REGISTER:
        if (right_in == MACH_PORT_NULL)
            return transport_machd_bootstrap(MACHD_BOOTSTRAP_UNREGISTER, name, MACH_PORT_NULL, NULL);
        return transport_machd_bootstrap(MACHD_BOOTSTRAP_REGISTER, name, right_in, NULL);
    case BOOTSTRAP_MSG_CREATE_SERVICE:
        return transport_machd_bootstrap(MACHD_BOOTSTRAP_CREATE, name, MACH_PORT_NULL, right_out);
    case BOOTSTRAP_MSG_STATUS:
        return transport_machd_bootstrap(MACHD_BOOTSTRAP_STATUS, name, MACH_PORT_NULL, right_out);
    default:
        return MIG_BAD_ID;
    }
}

void bootstrap_client_use_machd(void) {
    if (!transport_machd_take_bootstrap())
        return;
    /* A local stand-in for machd's name service: calls on it never become messages. */
    mach_port_t task = mach_task_self(), port;
    if (mach_port_allocate(task, MACH_PORT_RIGHT_RECEIVE, &port) != KERN_SUCCESS)
        return;
    if (mach_port_insert_right(task, port, port, MACH_MSG_TYPE_MAKE_SEND) != KERN_SUCCESS) {
        mach_port_mod_refs(task, port, MACH_PORT_RIGHT_RECEIVE, -1);
        return;
    }
    bootstrap_client_use_port(port, serve_bootstrap);
}
