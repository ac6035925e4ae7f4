/* The machd transport's side of machd's name service (docs/machd.md 4 and 6): BOOTSTRAP requests
 * in the current task's space, and binding this task's names again at a new machd after the old
 * one died (the rebinder thread). */
#include "transport/transport_machd.h"

#include <pthread.h>
#include <string.h>
#include <time.h>

#include "ipc/ipc.h"
#include "transport/transport_machd_internal.h"
#include "transport/transport_machd_names.h"

/* ---- starting, bootstrap ---- */

/* One BOOTSTRAP request. `port`/`type`: the right an op with a right item binds (a port
 * reference holding that right, consumed), else NULL. On success *got is the right machd gave
 * (check-in, look-up, create; a reference holding it) or NULL, and *value the reply's name field
 * (STATUS). Not under the IPC lock. */
static kern_return_t bootstrap_request(uint32_t op, const char *name, struct ipc_port *port,
                                       mach_msg_type_name_t type, struct ipc_port **got, uint32_t *value) {
    *got = NULL;
    struct machd_msg m;
    memset(&m, 0, sizeof m);
    m.type = MACHD_BOOTSTRAP;
    m.u.bootstrap.op = op;
    m.u.bootstrap.name = name;
    m.u.bootstrap.name_len = (uint32_t)strnlen(name, MACHD_MAX_SERVICE_NAME + 1);
    struct pending_right pr = {NULL, AFTER_NOTHING, NULL};
    if (port) {
        ipc_lock();
        bool ok = machd_encode_right(port, type, &m.u.bootstrap.right, &pr, NULL);
        if (!ok)
            right_destroy(port, type);
        ipc_unlock();
        if (!ok)
            return KERN_INVALID_RIGHT;
    }
    struct waiter w;
    uint32_t status = machd_request(&m, &w);
    ipc_lock();
    uint32_t h = m.u.bootstrap.right.name;
    struct link *exported = (m.u.bootstrap.right.flags & MACHD_RIGHT_NEW) ? machd_link_get(h) : NULL;
    if (exported && status != KERN_SUCCESS)
        machd_unexport(h, exported); /* machd refused the name: it never learnt the port */
    else if (exported && !exported->port->transport)
        machd_announce_room(h, &exported->rx, exported->port);
    if (pr.port)
        machd_finish_right(&pr);
    if (status == KERN_SUCCESS && w.type != MACHD_DISP_NONE) {
        if (IPC_PORT_VALID(w.port))
            *got = w.port;
        else
            status = KERN_RESOURCE_SHORTAGE;
    }
    *value = w.name;
    ipc_unlock();
    return status;
}

/* Binds again, at a new machd, the names this task had bound at the one that died
 * (transport_machd_names.h): checked-in names to the receive rights still held, registered
 * names to the local ports still alive. A name someone else took meanwhile is given up. */
static void rebind_names(void) {
    pthread_mutex_lock(&T.rebind_mu); /* a task's own calls come after its names are back */
    if (!__atomic_exchange_n(&T.rebind_due, false, __ATOMIC_ACQ_REL)) {
        pthread_mutex_unlock(&T.rebind_mu);
        return;
    }
    ipc_lock();
    struct machd_name_record *all = machd_names_take_all();
    ipc_unlock();
    while (all) {
        struct machd_name_record *r = all;
        all = r->next;
        ipc_lock();
        bool ours = r->port->active && r->port->transport == NULL;
        if (ours)
            port_make_send(r->port); /* the right the request carries (MAKE_SEND at machd) */
        ipc_unlock();
        struct ipc_port *got;
        uint32_t value;
        kern_return_t kr = ours ? bootstrap_request(r->checked_in ? MACHD_BOOTSTRAP_RECLAIM : MACHD_BOOTSTRAP_REGISTER,
                                                    r->name, r->port, MACH_MSG_TYPE_PORT_SEND, &got, &value)
                                : KERN_FAILURE;
        ipc_lock();
        if (kr == KERN_SUCCESS)
            machd_names_note(r->name, r->port, r->checked_in);
        machd_names_free(r);
        ipc_unlock();
    }
    pthread_mutex_unlock(&T.rebind_mu);
}

/* The thread that waits for a new machd after the old one died, while this task has names to
 * bind again: once a machd listens at the path (restarted, or started on demand by another
 * task) it connects, binds them and ends. */
static void *rebinder(void *arg) {
    (void)arg;
    unsigned delay_ms = 20;
    for (;;) {
        ipc_lock();
        bool any = machd_names_any();
        ipc_unlock();
        if (!any)
            break;
        /* Only to a machd someone started: one stopped on purpose stays stopped. */
        if (machd_start_transport(false) == KERN_SUCCESS) {
            rebind_names();
            break;
        }
        struct timespec ts = {0, (long)delay_ms * 1000000L};
        nanosleep(&ts, NULL);
        delay_ms = delay_ms < 500 ? delay_ms * 2 : 1000;
    }
    pthread_mutex_lock(&T.start_mu);
    T.rebinder_running = false;
    pthread_mutex_unlock(&T.start_mu);
    return NULL;
}

/* After the connection was lost (start_mu held): a task with names to bind again does not wait
 * for its next bootstrap call to reconnect. */
void machd_start_rebinder(void) {
    ipc_lock();
    bool any = machd_names_any();
    ipc_unlock();
    if (!any || T.rebinder_running)
        return;
    pthread_attr_t attr;
    pthread_t thread;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    T.rebinder_running = pthread_create(&thread, &attr, rebinder, NULL) == 0;
    pthread_attr_destroy(&attr);
}

/* What a successful request leaves to remember (IPC lock held). */
static void note_binding(uint32_t op, const char *name, struct ipc_port *bound, struct ipc_port *got) {
    if (op == MACHD_BOOTSTRAP_CHECK_IN && got)
        machd_names_note(name, got, true);
    else if (op == MACHD_BOOTSTRAP_REGISTER && bound && bound->active && !bound->transport)
        machd_names_note(name, bound, false);
    else if (op == MACHD_BOOTSTRAP_UNREGISTER)
        machd_names_forget(name);
}

kern_return_t transport_machd_bootstrap(uint32_t op, const char *name, mach_port_name_t right_in,
                                        mach_port_name_t *right_out) {
    if (!name || op < MACHD_BOOTSTRAP_CHECK_IN || op > MACHD_BOOTSTRAP_STATUS || op == MACHD_BOOTSTRAP_RECLAIM)
        return KERN_INVALID_ARGUMENT;
    if (transport_machd_start() != KERN_SUCCESS)
        return MACH_SEND_INVALID_DEST;
    rebind_names();
    struct ipc_space *space = ipc_space_current();
    struct ipc_port *port = NULL, *bound = NULL;
    mach_msg_type_name_t type = 0;
    if (op == MACHD_BOOTSTRAP_REGISTER) {
        ipc_lock();
        kern_return_t kr = right_copyin(space, right_in, MACH_MSG_TYPE_COPY_SEND, &port, &type);
        if (kr == KERN_SUCCESS && !IPC_PORT_VALID(port)) {
            right_destroy(port, type);
            kr = KERN_INVALID_RIGHT;
        }
        if (kr == KERN_SUCCESS) {
            bound = port;
            port_reference(bound); /* to remember the binding after the request */
        }
        ipc_unlock();
        if (kr != KERN_SUCCESS)
            return kr;
    }
    struct ipc_port *got;
    uint32_t value;
    kern_return_t status = bootstrap_request(op, name, port, type, &got, &value);
    ipc_lock();
    if (status == KERN_SUCCESS)
        note_binding(op, name, bound, got);
    if (bound)
        port_release(bound);
    if (status == KERN_SUCCESS && op == MACHD_BOOTSTRAP_STATUS && right_out)
        *right_out = value;
    if (got && right_out && status == KERN_SUCCESS)
        status = right_copyout(space, got, op == MACHD_BOOTSTRAP_CHECK_IN ? MACH_MSG_TYPE_PORT_RECEIVE
                                                                           : MACH_MSG_TYPE_PORT_SEND,
                               right_out);
    else if (got)
        right_destroy(got, op == MACHD_BOOTSTRAP_CHECK_IN ? MACH_MSG_TYPE_PORT_RECEIVE : MACH_MSG_TYPE_PORT_SEND);
    ipc_unlock();
    return status;
}
