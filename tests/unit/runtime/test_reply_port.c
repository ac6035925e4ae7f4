/* test_reply_port.c: per-thread reply ports: cached, one per thread, freed at thread exit,
 * replaced after mig_dealloc_reply_port so that a late reply never answers the next RPC. */
#include "svc_support.h"

#include <mach/mig.h>

#include <pthread.h>
#include <stdbool.h>

void mig_dealloc_special_reply_port(mach_port_t migport);

static mach_port_type_t type_of(mach_port_t name) {
    mach_port_type_t type = 0;
    if (mach_port_type(mach_task_self(), name, &type) != KERN_SUCCESS)
        return 0;
    return type;
}

static void test_cached_per_thread(void **state) {
    (void)state;
    mach_port_t first = mig_get_reply_port();
    assert_true(MACH_PORT_VALID(first));
    assert_true(type_of(first) & MACH_PORT_TYPE_RECEIVE);
    assert_int_equal(mig_get_reply_port(), first);
    mig_put_reply_port(first); /* stays cached */
    assert_int_equal(mig_get_reply_port(), first);
    assert_true(type_of(first) & MACH_PORT_TYPE_RECEIVE);
}

static void *thread_reply_port(void *arg) {
    mach_port_t *out = arg;
    out[0] = mig_get_reply_port();
    out[1] = mig_get_reply_port();
    out[2] = mig_get_special_reply_port();
    return NULL;
}

/* Another thread has its own port, and thread exit releases it. */
static void test_thread_exit_frees(void **state) {
    (void)state;
    mach_port_t mine = mig_get_reply_port();
    struct openmig_ipc_stats before = svc_stats();
    mach_port_t theirs[3] = {0};
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, thread_reply_port, theirs), 0);
    assert_int_equal(pthread_join(thread, NULL), 0);
    assert_true(MACH_PORT_VALID(theirs[0]));
    assert_int_equal(theirs[0], theirs[1]);
    assert_int_not_equal(theirs[0], mine);
    assert_int_not_equal(theirs[2], theirs[0]);
    svc_assert_no_leaks(&before); /* both of the thread's ports are gone */
    assert_int_equal(mig_get_reply_port(), mine);
}

static void test_dealloc_replaces(void **state) {
    (void)state;
    struct openmig_ipc_stats before = svc_stats();
    mach_port_t old = mig_get_reply_port();
    mig_dealloc_reply_port(old);
    assert_int_equal(type_of(old) & MACH_PORT_TYPE_RECEIVE, 0); /* destroyed */
    mach_port_t fresh = mig_get_reply_port();
    assert_true(MACH_PORT_VALID(fresh));
    assert_true(type_of(fresh) & MACH_PORT_TYPE_RECEIVE);
    assert_int_equal(mig_get_reply_port(), fresh);
    mig_dealloc_reply_port(fresh);
    mig_dealloc_reply_port(MACH_PORT_NULL); /* nothing cached: no effect */
    (void)mig_get_reply_port();
    svc_assert_no_leaks(&before); /* one cached port before, one now */
}

static void test_special_reply_port(void **state) {
    (void)state;
    mach_port_t special = mig_get_special_reply_port();
    assert_true(MACH_PORT_VALID(special));
    assert_int_not_equal(special, mig_get_reply_port());
    assert_int_equal(mig_get_special_reply_port(), special);
    mig_dealloc_special_reply_port(special);
    assert_int_equal(type_of(special) & MACH_PORT_TYPE_RECEIVE, 0);
    mach_port_t again = mig_get_special_reply_port();
    assert_true(type_of(again) & MACH_PORT_TYPE_RECEIVE);
}

/* A server whose first answer comes only after the client has given up. */
struct slow_server {
    mach_port_t port;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool client_gave_up;
    int requests;
    mach_msg_return_t results[2];
};

static struct slow_server *current_server;

static boolean_t slow_demux(mach_msg_header_t *in, mach_msg_header_t *out) {
    struct slow_server *server = current_server;
    const svc_simple_msg_t *request = (const svc_simple_msg_t *)in;
    svc_simple_reply_t *reply = (svc_simple_reply_t *)out;
    pthread_mutex_lock(&server->lock);
    if (server->requests++ == 0)
        while (!server->client_gave_up)
            pthread_cond_wait(&server->cond, &server->lock);
    pthread_mutex_unlock(&server->lock);
    reply->Head.msgh_bits = MACH_MSGH_BITS(MACH_MSGH_BITS_REMOTE(in->msgh_bits), 0);
    reply->Head.msgh_size = sizeof *reply;
    reply->Head.msgh_remote_port = in->msgh_remote_port;
    reply->Head.msgh_local_port = MACH_PORT_NULL;
    reply->Head.msgh_id = in->msgh_id + 100;
    reply->NDR = NDR_record;
    reply->RetCode = KERN_SUCCESS;
    reply->value = request->value * 10;
    return TRUE;
}

static void *slow_server_main(void *arg) {
    struct slow_server *server = arg;
    for (int i = 0; i < 2; i++)
        server->results[i] = mach_msg_server_once(slow_demux, sizeof(svc_buffer_t), server->port, 0);
    return NULL;
}

/* One RPC the way a MIG stub does it, with a receive timeout. */
static mach_msg_return_t rpc(mach_port_t dest, int value, mach_msg_timeout_t timeout,
                             svc_buffer_t *reply) {
    mach_port_t reply_port = mig_get_reply_port();
    svc_simple_msg_t request = {
        .Head = {.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND,
                                             MACH_MSG_TYPE_MAKE_SEND_ONCE),
                 .msgh_size = sizeof request,
                 .msgh_remote_port = dest,
                 .msgh_local_port = reply_port,
                 .msgh_id = 500},
        .NDR = NDR_record,
        .value = value,
    };
    memset(reply, 0, sizeof *reply);
    mach_msg_return_t mr = mach_msg_overwrite(
        &request.Head, MACH_SEND_MSG | MACH_RCV_MSG | MACH_RCV_TIMEOUT, sizeof request,
        sizeof *reply, reply_port, timeout, MACH_PORT_NULL, &reply->Head, sizeof *reply);
    if (mr != MACH_MSG_SUCCESS && mr != MACH_SEND_INVALID_DEST && mr != MACH_SEND_INVALID_DATA &&
        mr != MACH_SEND_INVALID_HEADER)
        mig_dealloc_reply_port(reply_port);
    return mr;
}

static void test_late_reply_after_timeout(void **state) {
    (void)state;
    (void)mig_get_reply_port();
    struct slow_server server = {.port = svc_make_port_with_send()};
    pthread_mutex_init(&server.lock, NULL);
    pthread_cond_init(&server.cond, NULL);
    current_server = &server;
    struct openmig_ipc_stats before = svc_stats();
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, slow_server_main, &server), 0);

    svc_buffer_t reply;
    assert_int_equal(rpc(server.port, 1, 50, &reply), MACH_RCV_TIMED_OUT);
    pthread_mutex_lock(&server.lock);
    server.client_gave_up = true;
    pthread_cond_signal(&server.cond);
    pthread_mutex_unlock(&server.lock);

    /* The late answer to request 1 must not be taken for the answer to request 2. */
    assert_int_equal(rpc(server.port, 2, 10000, &reply), MACH_MSG_SUCCESS);
    assert_int_equal(reply.Head.msgh_id, 600);
    assert_int_equal(reply.reply.RetCode, KERN_SUCCESS);
    assert_int_equal(reply.reply.value, 20);
    assert_int_equal(pthread_join(thread, NULL), 0);
    /* The late reply found a dead port and was destroyed by the server loop. */
    assert_int_equal(server.results[0], MACH_MSG_SUCCESS);
    assert_int_equal(server.results[1], MACH_MSG_SUCCESS);
    svc_assert_no_leaks(&before); /* the old reply port was replaced, not added */
    svc_destroy_port(server.port);
    assert_int_equal(mach_port_deallocate(mach_task_self(), server.port), KERN_SUCCESS);
    pthread_cond_destroy(&server.cond);
    pthread_mutex_destroy(&server.lock);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cached_per_thread), cmocka_unit_test(test_thread_exit_frees),
        cmocka_unit_test(test_dealloc_replaces),  cmocka_unit_test(test_special_reply_port),
        cmocka_unit_test(test_late_reply_after_timeout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
