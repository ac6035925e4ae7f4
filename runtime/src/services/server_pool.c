/* server_pool.c: N threads serving one port or port set (OpenMIG extension, see
 * <servers/mach_server_pool.h>). Shutdown is a chain of stop messages on a private control
 * port in the same set: the thread that takes one drains what is queued, passes the stop on to
 * the next thread, and exits. */
#include "services/server_internal.h"

#include <servers/mach_server_pool.h>

#include <mach/mach.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>

/* msgh_id of a stop message; only the pool holds a right to send to its control port. */
#define POOL_STOP_MSG_ID 0x4f4d5350 /* "OMSP" */

struct mach_server_pool {
    server_demux_fn demux;
    mach_msg_size_t max_size;
    mach_msg_options_t options;
    mach_port_t served_name;  /* what the caller gave us */
    mach_port_t set;          /* the set the threads receive on */
    bool made_set;            /* set is ours: served_name was a port we moved into it */
    mach_port_t control_port; /* receive right, member of set */
    unsigned int thread_count;
    pthread_t *threads;
    atomic_uint running_threads;
    atomic_ulong requests_handled;
    pthread_mutex_t error_lock;
    kern_return_t first_error;
};

static void record_error(struct mach_server_pool *pool, kern_return_t kr) {
    pthread_mutex_lock(&pool->error_lock);
    if (pool->first_error == KERN_SUCCESS)
        pool->first_error = kr;
    pthread_mutex_unlock(&pool->error_lock);
}

static kern_return_t send_stop_message(struct mach_server_pool *pool) {
    mach_msg_header_t stop = {
        .msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND, 0),
        .msgh_size = sizeof stop,
        .msgh_remote_port = pool->control_port,
        .msgh_id = POOL_STOP_MSG_ID,
    };
    return mach_msg(&stop, MACH_SEND_MSG, sizeof stop, 0, MACH_PORT_NULL, MACH_MSG_TIMEOUT_NONE,
                    MACH_PORT_NULL);
}

static bool is_stop_message(const struct mach_server_pool *pool, const mach_msg_header_t *msg) {
    return msg->msgh_local_port == pool->control_port && msg->msgh_id == POOL_STOP_MSG_ID;
}

/* Errors after which a thread just receives again. */
static bool is_transient_receive_error(mach_msg_return_t mr) {
    return mr == MACH_RCV_TOO_LARGE || mr == MACH_RCV_INTERRUPTED ||
           mr == MACH_RCV_INVALID_DATA || mr == MACH_RCV_HEADER_ERROR ||
           mr == MACH_RCV_BODY_ERROR;
}

/* Handles one received message; returns false when it was the stop message. */
static bool dispatch(struct mach_server_pool *pool, struct server_buffers *buffers) {
    if (is_stop_message(pool, &buffers->request->Head))
        return false;
    mach_msg_return_t mr = server_handle_request(pool->demux, buffers, pool->options);
    atomic_fetch_add(&pool->requests_handled, 1);
    if (mr != MACH_MSG_SUCCESS)
        record_error(pool, mr); /* a bad reply from the demux; keep serving the others */
    return true;
}

/* After the stop: serve whatever is queued right now, without waiting for more. */
static void drain_queue(struct mach_server_pool *pool, struct server_buffers *buffers) {
    for (;;) {
        mach_msg_return_t mr =
            server_receive(buffers, pool->set, pool->options | MACH_RCV_TIMEOUT, 0);
        if (mr == MACH_MSG_SUCCESS) {
            (void)dispatch(pool, buffers); /* there is only one stop message at a time */
        } else if (!is_transient_receive_error(mr)) {
            if (mr != MACH_RCV_TIMED_OUT)
                record_error(pool, mr);
            return;
        }
    }
}

/* Serves requests until the stop message arrives (true) or receiving fails for good (false). */
static bool serve_until_stopped(struct mach_server_pool *pool, struct server_buffers *buffers) {
    for (;;) {
        mach_msg_return_t mr = server_receive(buffers, pool->set, pool->options & ~MACH_RCV_TIMEOUT,
                                              MACH_MSG_TIMEOUT_NONE);
        if (mr == MACH_MSG_SUCCESS) {
            if (!dispatch(pool, buffers))
                return true;
        } else if (!is_transient_receive_error(mr)) {
            record_error(pool, mr);
            return false;
        }
    }
}

static void *pool_thread_main(void *arg) {
    struct mach_server_pool *pool = arg;
    struct server_buffers buffers;
    bool stopped = false;
    kern_return_t kr = server_buffers_init(&buffers, pool->max_size, pool->options);
    if (kr != KERN_SUCCESS) {
        record_error(pool, kr);
    } else {
        stopped = serve_until_stopped(pool, &buffers);
        if (stopped)
            drain_queue(pool, &buffers);
        server_buffers_fini(&buffers);
    }
    /* Pass the stop on: each stop message wakes exactly one thread. A thread that failed
     * leaves without taking a stop message, so it passes nothing on. */
    if (atomic_fetch_sub(&pool->running_threads, 1) > 1 && stopped) {
        kern_return_t sr = send_stop_message(pool);
        if (sr != KERN_SUCCESS)
            record_error(pool, sr);
    }
    return NULL;
}

/* Puts the control port (and, for a plain receive right, rcv_name) into a set. */
static kern_return_t attach_to_set(struct mach_server_pool *pool) {
    mach_port_t task = mach_task_self();
    mach_port_type_t type = 0;
    kern_return_t kr = mach_port_type(task, pool->served_name, &type);
    if (kr != KERN_SUCCESS)
        return kr;
    if (type & MACH_PORT_TYPE_PORT_SET) {
        pool->set = pool->served_name;
    } else if (type & MACH_PORT_TYPE_RECEIVE) {
        kr = mach_port_allocate(task, MACH_PORT_RIGHT_PORT_SET, &pool->set);
        if (kr != KERN_SUCCESS)
            return kr;
        pool->made_set = true;
        kr = mach_port_move_member(task, pool->served_name, pool->set);
        if (kr != KERN_SUCCESS)
            return kr;
    } else {
        return KERN_INVALID_RIGHT;
    }
    kr = mach_port_allocate(task, MACH_PORT_RIGHT_RECEIVE, &pool->control_port);
    if (kr != KERN_SUCCESS)
        return kr;
    return mach_port_move_member(task, pool->control_port, pool->set);
}

/* Undoes attach_to_set(); safe on a partly attached pool. */
static void detach_from_set(struct mach_server_pool *pool) {
    mach_port_t task = mach_task_self();
    if (pool->control_port != MACH_PORT_NULL)
        (void)mach_port_mod_refs(task, pool->control_port, MACH_PORT_RIGHT_RECEIVE, -1);
    if (pool->made_set) {
        (void)mach_port_move_member(task, pool->served_name, MACH_PORT_NULL);
        (void)mach_port_mod_refs(task, pool->set, MACH_PORT_RIGHT_PORT_SET, -1);
    }
    pool->control_port = MACH_PORT_NULL;
    pool->set = MACH_PORT_NULL;
    pool->made_set = false;
}

static void free_pool(struct mach_server_pool *pool) {
    detach_from_set(pool);
    pthread_mutex_destroy(&pool->error_lock);
    free(pool->threads);
    free(pool);
}

kern_return_t mach_server_pool_create(mach_server_pool_t *pool_out,
                                      boolean_t (*demux)(mach_msg_header_t *,
                                                         mach_msg_header_t *),
                                      mach_msg_size_t max_size, mach_port_t rcv_name,
                                      mach_msg_options_t options, unsigned int thread_count) {
    if (pool_out == NULL || demux == NULL || thread_count == 0 ||
        thread_count > MACH_SERVER_POOL_MAX_THREADS)
        return KERN_INVALID_ARGUMENT;
    if (!MACH_PORT_VALID(rcv_name))
        return KERN_INVALID_NAME;
    struct mach_server_pool *pool = calloc(1, sizeof *pool);
    pthread_t *threads = calloc(thread_count, sizeof *threads);
    if (pool == NULL || threads == NULL) {
        free(pool);
        free(threads);
        return KERN_RESOURCE_SHORTAGE;
    }
    pool->demux = demux;
    pool->max_size = max_size;
    pool->options = options;
    pool->served_name = rcv_name;
    pool->threads = threads;
    pthread_mutex_init(&pool->error_lock, NULL);
    kern_return_t kr = attach_to_set(pool);
    if (kr != KERN_SUCCESS) {
        free_pool(pool);
        return kr;
    }
    atomic_store(&pool->running_threads, thread_count);
    for (unsigned int i = 0; i < thread_count; i++) {
        if (pthread_create(&pool->threads[i], NULL, pool_thread_main, pool) != 0) {
            /* Stop the ones already running: they expect thread_count stops in total. */
            atomic_fetch_sub(&pool->running_threads, thread_count - i);
            pool->thread_count = i;
            if (i > 0)
                (void)send_stop_message(pool);
            for (unsigned int j = 0; j < i; j++)
                pthread_join(pool->threads[j], NULL);
            free_pool(pool);
            return KERN_RESOURCE_SHORTAGE;
        }
    }
    pool->thread_count = thread_count;
    *pool_out = pool;
    return KERN_SUCCESS;
}

kern_return_t mach_server_pool_destroy(mach_server_pool_t pool) {
    if (pool == NULL)
        return KERN_INVALID_ARGUMENT;
    kern_return_t kr = send_stop_message(pool);
    if (kr != KERN_SUCCESS)
        record_error(pool, kr);
    for (unsigned int i = 0; i < pool->thread_count; i++)
        pthread_join(pool->threads[i], NULL);
    kr = pool->first_error;
    free_pool(pool);
    return kr;
}

unsigned long mach_server_pool_requests_handled(mach_server_pool_t pool) {
    return atomic_load(&pool->requests_handled);
}
