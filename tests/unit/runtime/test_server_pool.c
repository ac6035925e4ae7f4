/* test_server_pool.c: the multi-threaded server pool (<servers/mach_server_pool.h>): requests
 * served by several threads at once, shutdown with requests still queued (every one answered,
 * none lost), threads joined and every port released; port sets; bad arguments. */
#include "svc_support.h"

#include <servers/mach_server_pool.h>

#include <mach/mig.h>

#include <pthread.h>
#include <stdbool.h>

void mig_reply_setup(mach_msg_header_t *request, mach_msg_header_t *reply);

#define THREADS 4
#define QUEUED 40

/* Handlers block on a gate so that requests pile up in the queue. */
static struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool open;
    int in_handler;
    int handled;
    int max_concurrent;
} gate = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, true, 0, 0, 0};

static void gate_set(bool open) {
    pthread_mutex_lock(&gate.lock);
    gate.open = open;
    pthread_cond_broadcast(&gate.cond);
    pthread_mutex_unlock(&gate.lock);
}

static void gate_wait_for_handlers(int count) {
    pthread_mutex_lock(&gate.lock);
    while (gate.in_handler < count)
        pthread_cond_wait(&gate.cond, &gate.lock);
    pthread_mutex_unlock(&gate.lock);
}

static boolean_t pool_demux(mach_msg_header_t *in, mach_msg_header_t *out) {
    pthread_mutex_lock(&gate.lock);
    gate.in_handler++;
    if (gate.in_handler > gate.max_concurrent)
        gate.max_concurrent = gate.in_handler;
    pthread_cond_broadcast(&gate.cond);
    while (!gate.open)
        pthread_cond_wait(&gate.cond, &gate.lock);
    gate.in_handler--;
    gate.handled++;
    pthread_mutex_unlock(&gate.lock);
    mig_reply_setup(in, out);
    svc_simple_reply_t *reply = (svc_simple_reply_t *)out;
    reply->Head.msgh_size = sizeof *reply;
    reply->RetCode = KERN_SUCCESS;
    reply->value = ((const svc_simple_msg_t *)in)->value + 1;
    return TRUE;
}

static void reset_gate(void) {
    gate.open = true;
    gate.in_handler = 0;
    gate.handled = 0;
    gate.max_concurrent = 0;
}

/* Receives `count` replies on reply_port and checks each answers a distinct request. */
static void expect_replies(mach_port_t reply_port, int count) {
    bool seen[QUEUED + 8] = {false};
    for (int i = 0; i < count; i++) {
        svc_buffer_t reply;
        assert_int_equal(svc_receive(reply_port, &reply, 10000), MACH_MSG_SUCCESS);
        assert_int_equal(reply.Head.msgh_id, 700 + 100);
        assert_int_equal(reply.reply.RetCode, KERN_SUCCESS);
        int request = reply.reply.value - 1;
        assert_true(request >= 0 && request < count);
        assert_false(seen[request]);
        seen[request] = true;
    }
    svc_buffer_t extra;
    assert_int_equal(svc_receive(reply_port, &extra, 0), MACH_RCV_TIMED_OUT);
}

struct destroy_args {
    mach_server_pool_t pool;
    kern_return_t result;
};

static void *destroy_main(void *arg) {
    struct destroy_args *args = arg;
    args->result = mach_server_pool_destroy(args->pool);
    return NULL;
}

static void run_shutdown_with_queue(mach_port_t serve_name, mach_port_t service) {
    reset_gate();
    mach_port_t replies = svc_make_port();
    svc_set_qlimit(service, QUEUED + 8);
    svc_set_qlimit(replies, QUEUED + 8);
    struct openmig_ipc_stats before = svc_stats();

    mach_server_pool_t pool = NULL;
    assert_int_equal(mach_server_pool_create(&pool, pool_demux, sizeof(svc_buffer_t),
                                             serve_name, 0, THREADS),
                     KERN_SUCCESS);
    gate_set(false);
    for (int i = 0; i < QUEUED; i++)
        assert_int_equal(svc_send_simple(service, replies, 700, i), MACH_MSG_SUCCESS);
    gate_wait_for_handlers(THREADS); /* every thread busy, the rest queued */

    struct destroy_args args = {.pool = pool, .result = -1};
    pthread_t destroyer;
    assert_int_equal(pthread_create(&destroyer, NULL, destroy_main, &args), 0);
    gate_set(true);
    assert_int_equal(pthread_join(destroyer, NULL), 0);
    assert_int_equal(args.result, KERN_SUCCESS);

    assert_int_equal(gate.handled, QUEUED);
    assert_int_equal(gate.max_concurrent, THREADS);
    expect_replies(replies, QUEUED);
    svc_assert_no_leaks(&before); /* threads' buffers, control port and set are gone */

    /* The caller still owns the port: a request sent now waits in its queue. */
    assert_int_equal(svc_send_simple(service, MACH_PORT_NULL, 701, 0), MACH_MSG_SUCCESS);
    svc_buffer_t late;
    assert_int_equal(svc_receive(service, &late, 0), MACH_MSG_SUCCESS);
    assert_int_equal(late.Head.msgh_id, 701);
    svc_destroy_port(replies);
}

static void test_shutdown_answers_queued_requests(void **state) {
    (void)state;
    mach_port_t service = svc_make_port();
    run_shutdown_with_queue(service, service);
    svc_destroy_port(service);
}

static void test_port_set_served(void **state) {
    (void)state;
    mach_port_t set = MACH_PORT_NULL;
    assert_int_equal(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_PORT_SET, &set),
                     KERN_SUCCESS);
    mach_port_t service = svc_make_port();
    assert_int_equal(mach_port_move_member(mach_task_self(), service, set), KERN_SUCCESS);
    run_shutdown_with_queue(set, service);
    /* Still a member of the caller's set: the pool only removed its control port. */
    mach_port_name_array_t members = NULL;
    mach_msg_type_number_t count = 0;
    assert_int_equal(mach_port_get_set_status(mach_task_self(), set, &members, &count),
                     KERN_SUCCESS);
    assert_int_equal(count, 1);
    assert_int_equal(members[0], service);
    assert_int_equal(vm_deallocate(mach_task_self(), (vm_address_t)members,
                                   count * sizeof members[0]),
                     KERN_SUCCESS);
    svc_destroy_port(service);
    assert_int_equal(mach_port_mod_refs(mach_task_self(), set, MACH_PORT_RIGHT_PORT_SET, -1),
                     KERN_SUCCESS);
}

static void test_idle_pool_stops(void **state) {
    (void)state;
    reset_gate();
    mach_port_t service = svc_make_port();
    struct openmig_ipc_stats before = svc_stats();
    for (unsigned int threads = 1; threads <= 8; threads *= 2) {
        mach_server_pool_t pool = NULL;
        assert_int_equal(mach_server_pool_create(&pool, pool_demux, 128, service, 0, threads),
                         KERN_SUCCESS);
        assert_int_equal(mach_server_pool_destroy(pool), KERN_SUCCESS);
    }
    svc_assert_no_leaks(&before);
    svc_destroy_port(service);
}

static void test_bad_arguments(void **state) {
    (void)state;
    mach_port_t service = svc_make_port_with_send();
    struct openmig_ipc_stats before = svc_stats();
    mach_server_pool_t pool = NULL;
    assert_int_equal(mach_server_pool_create(NULL, pool_demux, 128, service, 0, 1),
                     KERN_INVALID_ARGUMENT);
    assert_int_equal(mach_server_pool_create(&pool, NULL, 128, service, 0, 1),
                     KERN_INVALID_ARGUMENT);
    assert_int_equal(mach_server_pool_create(&pool, pool_demux, 128, service, 0, 0),
                     KERN_INVALID_ARGUMENT);
    assert_int_equal(mach_server_pool_create(&pool, pool_demux, 128, service, 0,
                                             MACH_SERVER_POOL_MAX_THREADS + 1),
                     KERN_INVALID_ARGUMENT);
    assert_int_equal(mach_server_pool_create(&pool, pool_demux, 128, MACH_PORT_NULL, 0, 1),
                     KERN_INVALID_NAME);
    assert_int_equal(mach_server_pool_create(&pool, pool_demux, 128, 0x12345, 0, 1),
                     KERN_INVALID_NAME);
    /* A send right is not something one can serve. */
    mach_port_t send_only = MACH_PORT_NULL;
    mach_port_t other = svc_make_port();
    assert_int_equal(mach_port_insert_right(mach_task_self(), other, other,
                                            MACH_MSG_TYPE_MAKE_SEND),
                     KERN_SUCCESS);
    assert_int_equal(mach_port_mod_refs(mach_task_self(), other, MACH_PORT_RIGHT_RECEIVE, -1),
                     KERN_SUCCESS);
    send_only = other; /* now a dead name */
    assert_int_equal(mach_server_pool_create(&pool, pool_demux, 128, send_only, 0, 1),
                     KERN_INVALID_RIGHT);
    assert_int_equal(mach_port_deallocate(mach_task_self(), send_only), KERN_SUCCESS);
    assert_int_equal(mach_server_pool_destroy(NULL), KERN_INVALID_ARGUMENT);
    svc_assert_no_leaks(&before);
    svc_destroy_port(service);
    assert_int_equal(mach_port_deallocate(mach_task_self(), service), KERN_SUCCESS);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shutdown_answers_queued_requests),
        cmocka_unit_test(test_port_set_served),
        cmocka_unit_test(test_idle_pool_stops),
        cmocka_unit_test(test_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
