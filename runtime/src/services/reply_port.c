/* reply_port.c: per-thread reply ports for MIG client stubs. Each thread creates its reply port
 * on first use, reuses it for every RPC, and destroys it when the thread exits; a stub that
 * gives up on a reply calls mig_dealloc_reply_port() so that a late reply cannot be mistaken
 * for the answer to the next request. */
#include <mach/mach.h>
#include <mach/mig.h>

#include <pthread.h>

/* The cached ports of one thread. The pthread key exists only for its destructor: it points at
 * this thread's copy while the thread holds a port, so the ports are freed at thread exit. */
struct thread_reply_ports {
    mach_port_t reply;
    mach_port_t special_reply;
};

static _Thread_local struct thread_reply_ports cached_ports;
static pthread_key_t reply_ports_key;
static pthread_once_t reply_ports_key_once = PTHREAD_ONCE_INIT;

static void destroy_receive_right(mach_port_t port) {
    if (port != MACH_PORT_NULL)
        (void)mach_port_mod_refs(mach_task_self(), port, MACH_PORT_RIGHT_RECEIVE, -1);
}

static void release_thread_ports(void *value) {
    struct thread_reply_ports *ports = value;
    destroy_receive_right(ports->reply);
    destroy_receive_right(ports->special_reply);
    ports->reply = MACH_PORT_NULL;
    ports->special_reply = MACH_PORT_NULL;
}

static void create_reply_ports_key(void) {
    (void)pthread_key_create(&reply_ports_key, release_thread_ports);
}

/* Creates a receive right for *slot if it has none; returns *slot (MACH_PORT_NULL when the
 * runtime is out of names or memory). */
static mach_port_t cached_receive_right(mach_port_t *slot) {
    if (*slot != MACH_PORT_NULL)
        return *slot;
    mach_port_t port = MACH_PORT_NULL;
    if (mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &port) != KERN_SUCCESS)
        return MACH_PORT_NULL;
    (void)pthread_once(&reply_ports_key_once, create_reply_ports_key);
    (void)pthread_setspecific(reply_ports_key, &cached_ports);
    *slot = port;
    return port;
}

/* Forgets *slot and destroys its receive right, if the thread has one. */
static void drop_cached_receive_right(mach_port_t *slot) {
    mach_port_t port = *slot;
    *slot = MACH_PORT_NULL;
    destroy_receive_right(port);
}

mach_port_t mig_get_reply_port(void) {
    return cached_receive_right(&cached_ports.reply);
}

void mig_put_reply_port(mach_port_t reply_port) {
    /* The port stays cached: the send failed before any reply right left this task. */
    (void)reply_port;
}

void mig_dealloc_reply_port(mach_port_t reply_port) {
    mach_port_t cached = cached_ports.reply;
    drop_cached_receive_right(&cached_ports.reply);
    /* After a send timeout the request came back (pseudo-receive) and its header names the
     * send-once reply right it held, not the port: release that right too, as Darwin's does. */
    if (cached != MACH_PORT_NULL && reply_port != cached && MACH_PORT_VALID(reply_port))
        (void)mach_port_deallocate(mach_task_self(), reply_port);
}

mach_port_t mig_get_special_reply_port(void) {
    return cached_receive_right(&cached_ports.special_reply);
}

void mig_dealloc_special_reply_port(mach_port_t migport) {
    (void)migport;
    drop_cached_receive_right(&cached_ports.special_reply);
}
