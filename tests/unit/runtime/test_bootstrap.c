/* test_bootstrap.c: the in-process bootstrap name service through <servers/bootstrap.h>:
 * check-in, look-up, register, create, status, exact BOOTSTRAP_* codes, names released when
 * their port dies, no rights leaked, concurrent clients. */
#include "svc_support.h"

#include "services/bootstrap_client.h"
#include "services/bootstrap_proto.h"

#include <servers/bootstrap.h>

#include <pthread.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static mach_port_type_t type_of(mach_port_t name) {
    mach_port_type_t type = 0;
    if (mach_port_type(mach_task_self(), name, &type) != KERN_SUCCESS)
        return 0;
    return type;
}

/* Starts the service (first call) so that baselines include its thread's state. */
static int start_service(void **state) {
    (void)state;
    bootstrap_status_t status;
    return bootstrap_status(bootstrap_port, "org.openmig.test.warmup", &status) ==
                   BOOTSTRAP_UNKNOWN_SERVICE
               ? 0
               : -1;
}

static void test_port_set_before_main(void **state) {
    (void)state;
    assert_true(MACH_PORT_VALID(bootstrap_port));
    assert_true(type_of(bootstrap_port) & MACH_PORT_TYPE_SEND);
    mach_port_urefs_t refs = svc_refs(bootstrap_port, MACH_PORT_RIGHT_SEND);
    mach_port_t special = MACH_PORT_NULL;
    assert_int_equal(task_get_bootstrap_port(mach_task_self(), &special), KERN_SUCCESS);
    assert_int_equal(special, bootstrap_port);
    assert_int_equal(svc_refs(bootstrap_port, MACH_PORT_RIGHT_SEND), refs + 1);
    assert_int_equal(mach_port_deallocate(mach_task_self(), special), KERN_SUCCESS);
}

static void round_trip(mach_port_t send, mach_port_t receive, int value) {
    assert_int_equal(svc_send_simple(send, MACH_PORT_NULL, 42, value), MACH_MSG_SUCCESS);
    svc_buffer_t buffer;
    assert_int_equal(svc_receive(receive, &buffer, 0), MACH_MSG_SUCCESS);
    assert_int_equal(buffer.Head.msgh_id, 42);
    assert_int_equal(buffer.simple.value, value);
}

static void test_check_in_and_look_up(void **state) {
    (void)state;
    struct openmig_ipc_stats before = svc_stats();
    mach_port_t receive = MACH_PORT_NULL;
    assert_int_equal(bootstrap_check_in(bootstrap_port, "org.openmig.test.a", &receive),
                     BOOTSTRAP_SUCCESS);
    assert_true(type_of(receive) & MACH_PORT_TYPE_RECEIVE);
    mach_port_t again = MACH_PORT_NULL;
    assert_int_equal(bootstrap_check_in(bootstrap_port, "org.openmig.test.a", &again),
                     BOOTSTRAP_SERVICE_ACTIVE);
    assert_int_equal(again, MACH_PORT_NULL);

    mach_port_urefs_t service_refs = svc_refs(receive, MACH_PORT_RIGHT_SEND);
    mach_port_t send = MACH_PORT_NULL;
    assert_int_equal(bootstrap_look_up(bootstrap_port, "org.openmig.test.a", &send),
                     BOOTSTRAP_SUCCESS);
    assert_int_equal(send, receive); /* one task: one name for all rights to a port */
    assert_int_equal(svc_refs(send, MACH_PORT_RIGHT_SEND), service_refs + 1);
    round_trip(send, receive, 7);
    assert_int_equal(mach_port_deallocate(mach_task_self(), send), KERN_SUCCESS);

    bootstrap_status_t status = -1;
    assert_int_equal(bootstrap_status(bootstrap_port, "org.openmig.test.a", &status),
                     BOOTSTRAP_SUCCESS);
    assert_int_equal(status, BOOTSTRAP_STATUS_ACTIVE);

    /* The server goes away: the name goes with it, and can be claimed afresh. */
    svc_destroy_port(receive);
    assert_int_equal(bootstrap_look_up(bootstrap_port, "org.openmig.test.a", &send),
                     BOOTSTRAP_UNKNOWN_SERVICE);
    svc_assert_no_leaks(&before);
    assert_int_equal(bootstrap_check_in(bootstrap_port, "org.openmig.test.a", &receive),
                     BOOTSTRAP_SUCCESS);
    svc_destroy_port(receive);
    assert_int_equal(bootstrap_status(bootstrap_port, "org.openmig.test.a", &status),
                     BOOTSTRAP_UNKNOWN_SERVICE);
    svc_assert_no_leaks(&before);
    /* mach_port_destroy takes every right under the name, the service's too: forgotten. */
    assert_int_equal(bootstrap_check_in(bootstrap_port, "org.openmig.test.a", &receive),
                     BOOTSTRAP_SUCCESS);
    assert_int_equal(mach_port_destroy(mach_task_self(), receive), KERN_SUCCESS);
    assert_int_equal(bootstrap_look_up(bootstrap_port, "org.openmig.test.a", &send),
                     BOOTSTRAP_UNKNOWN_SERVICE);
    svc_assert_no_leaks(&before);
}

static void test_bad_requests(void **state) {
    (void)state;
    struct openmig_ipc_stats before = svc_stats();
    mach_port_t port = MACH_PORT_NULL;
    bootstrap_status_t status;
    char too_long[BOOTSTRAP_MAX_NAME_LEN + 8];
    memset(too_long, 'x', sizeof too_long);
    too_long[BOOTSTRAP_MAX_NAME_LEN] = '\0'; /* 128 characters: no room for the NUL */
    assert_int_equal(bootstrap_look_up(bootstrap_port, "org.openmig.test.none", &port),
                     BOOTSTRAP_UNKNOWN_SERVICE);
    assert_int_equal(bootstrap_look_up(bootstrap_port, "", &port), BOOTSTRAP_BAD_COUNT);
    assert_int_equal(bootstrap_look_up(bootstrap_port, NULL, &port), BOOTSTRAP_BAD_COUNT);
    assert_int_equal(bootstrap_check_in(bootstrap_port, too_long, &port), BOOTSTRAP_BAD_COUNT);
    too_long[BOOTSTRAP_MAX_NAME_LEN - 1] = '\0'; /* 127 characters: fine */
    assert_int_equal(bootstrap_look_up(bootstrap_port, too_long, &port),
                     BOOTSTRAP_UNKNOWN_SERVICE);
    assert_int_equal(bootstrap_look_up(bootstrap_port, "org.openmig.test.none", NULL),
                     KERN_INVALID_ARGUMENT);
    assert_int_equal(bootstrap_check_in(bootstrap_port, "org.openmig.test.none", NULL),
                     KERN_INVALID_ARGUMENT);
    assert_int_equal(bootstrap_status(bootstrap_port, "org.openmig.test.none", NULL),
                     KERN_INVALID_ARGUMENT);
    assert_int_equal(bootstrap_look_up(MACH_PORT_NULL, "org.openmig.test.none", &port),
                     MACH_SEND_INVALID_DEST);
    assert_int_equal(bootstrap_status(MACH_PORT_NULL, "x", &status), MACH_SEND_INVALID_DEST);
    assert_int_equal(port, MACH_PORT_NULL);
    svc_assert_no_leaks(&before);
}

static void test_register(void **state) {
    (void)state;
    mach_port_t port = svc_make_port_with_send();
    struct openmig_ipc_stats before = svc_stats();
    assert_int_equal(bootstrap_register(bootstrap_port, "org.openmig.test.reg", port),
                     BOOTSTRAP_SUCCESS);
    assert_int_equal(svc_refs(port, MACH_PORT_RIGHT_SEND), 2); /* ours + the service's */
    assert_int_equal(bootstrap_register(bootstrap_port, "org.openmig.test.reg", port),
                     BOOTSTRAP_SERVICE_ACTIVE);
    assert_int_equal(svc_refs(port, MACH_PORT_RIGHT_SEND), 2); /* refused right released */
    mach_port_t found = MACH_PORT_NULL;
    assert_int_equal(bootstrap_look_up(bootstrap_port, "org.openmig.test.reg", &found),
                     BOOTSTRAP_SUCCESS);
    assert_int_equal(found, port);
    round_trip(found, port, 9);
    assert_int_equal(mach_port_deallocate(mach_task_self(), found), KERN_SUCCESS);
    bootstrap_status_t status = -1;
    assert_int_equal(bootstrap_status(bootstrap_port, "org.openmig.test.reg", &status),
                     BOOTSTRAP_SUCCESS);
    assert_int_equal(status, BOOTSTRAP_STATUS_ACTIVE);
    mach_port_t receive = MACH_PORT_NULL;
    assert_int_equal(bootstrap_check_in(bootstrap_port, "org.openmig.test.reg", &receive),
                     BOOTSTRAP_SERVICE_ACTIVE); /* registered: active, as launchd answers */

    assert_int_equal(bootstrap_register(bootstrap_port, "org.openmig.test.reg", MACH_PORT_NULL),
                     BOOTSTRAP_SUCCESS);
    assert_int_equal(svc_refs(port, MACH_PORT_RIGHT_SEND), 1);
    assert_int_equal(bootstrap_look_up(bootstrap_port, "org.openmig.test.reg", &found),
                     BOOTSTRAP_UNKNOWN_SERVICE);
    assert_int_equal(bootstrap_register(bootstrap_port, "org.openmig.test.reg", MACH_PORT_NULL),
                     BOOTSTRAP_UNKNOWN_SERVICE);
    /* A right the caller does not hold is refused by mach_msg itself. */
    assert_int_equal(bootstrap_register(bootstrap_port, "org.openmig.test.reg", 0x4242),
                     MACH_SEND_INVALID_RIGHT);
    /* Only register's own names can be removed that way. */
    assert_int_equal(bootstrap_check_in(bootstrap_port, "org.openmig.test.ci", &receive),
                     BOOTSTRAP_SUCCESS);
    assert_int_equal(bootstrap_register(bootstrap_port, "org.openmig.test.ci", MACH_PORT_NULL),
                     BOOTSTRAP_NOT_PRIVILEGED);
    svc_destroy_port(receive);
    assert_int_equal(bootstrap_look_up(bootstrap_port, "org.openmig.test.ci", &found),
                     BOOTSTRAP_UNKNOWN_SERVICE);
    svc_assert_no_leaks(&before);
    svc_destroy_port(port);
    assert_int_equal(mach_port_deallocate(mach_task_self(), port), KERN_SUCCESS);
}

/* A declared service: clients queue requests before the server checks in. */
static void test_create_then_check_in(void **state) {
    (void)state;
    struct openmig_ipc_stats before = svc_stats();
    mach_port_t send = MACH_PORT_NULL;
    assert_int_equal(bootstrap_create_service(bootstrap_port, "org.openmig.test.od", &send),
                     BOOTSTRAP_SUCCESS);
    assert_int_equal(bootstrap_create_service(bootstrap_port, "org.openmig.test.od", &send),
                     BOOTSTRAP_NAME_IN_USE);
    bootstrap_status_t status = -1;
    assert_int_equal(bootstrap_status(bootstrap_port, "org.openmig.test.od", &status),
                     BOOTSTRAP_SUCCESS);
    assert_int_equal(status, BOOTSTRAP_STATUS_INACTIVE);
    assert_int_equal(svc_send_simple(send, MACH_PORT_NULL, 42, 11), MACH_MSG_SUCCESS);

    mach_port_t receive = MACH_PORT_NULL;
    assert_int_equal(bootstrap_check_in(bootstrap_port, "org.openmig.test.od", &receive),
                     BOOTSTRAP_SUCCESS);
    assert_int_equal(receive, send);
    svc_buffer_t buffer;
    assert_int_equal(svc_receive(receive, &buffer, 0), MACH_MSG_SUCCESS);
    assert_int_equal(buffer.simple.value, 11); /* queued before check-in, kept */
    assert_int_equal(bootstrap_status(bootstrap_port, "org.openmig.test.od", &status),
                     BOOTSTRAP_SUCCESS);
    assert_int_equal(status, BOOTSTRAP_STATUS_ACTIVE);
    assert_int_equal(bootstrap_check_in(bootstrap_port, "org.openmig.test.od", &receive),
                     BOOTSTRAP_SERVICE_ACTIVE);
    assert_int_equal(mach_port_deallocate(mach_task_self(), send), KERN_SUCCESS);
    svc_destroy_port(receive);
    assert_int_equal(bootstrap_look_up(bootstrap_port, "org.openmig.test.od", &send),
                     BOOTSTRAP_UNKNOWN_SERVICE);
    svc_assert_no_leaks(&before);
}

#define CLIENTS 8
#define ROUNDS 25

static void *client_main(void *arg) {
    int index = (int)(intptr_t)arg;
    char name[64];
    snprintf(name, sizeof name, "org.openmig.test.thread%d", index);
    for (int round = 0; round < ROUNDS; round++) {
        mach_port_t receive = MACH_PORT_NULL, send = MACH_PORT_NULL;
        if (bootstrap_check_in(bootstrap_port, name, &receive) != BOOTSTRAP_SUCCESS)
            return (void *)1;
        if (bootstrap_look_up(bootstrap_port, name, &send) != BOOTSTRAP_SUCCESS || send != receive)
            return (void *)2;
        if (svc_send_simple(send, MACH_PORT_NULL, 42, round) != MACH_MSG_SUCCESS)
            return (void *)3;
        svc_buffer_t buffer;
        if (svc_receive(receive, &buffer, 10000) != MACH_MSG_SUCCESS ||
            buffer.simple.value != round)
            return (void *)4;
        (void)mach_port_deallocate(mach_task_self(), send);
        (void)mach_port_mod_refs(mach_task_self(), receive, MACH_PORT_RIGHT_RECEIVE, -1);
        if (bootstrap_look_up(bootstrap_port, name, &send) != BOOTSTRAP_UNKNOWN_SERVICE)
            return (void *)5;
    }
    return NULL;
}

static void test_concurrent_clients(void **state) {
    (void)state;
    struct openmig_ipc_stats before = svc_stats();
    pthread_t threads[CLIENTS];
    for (int i = 0; i < CLIENTS; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, client_main, (void *)(intptr_t)i), 0);
    for (int i = 0; i < CLIENTS; i++) {
        void *result = (void *)-1;
        assert_int_equal(pthread_join(threads[i], &result), 0);
        assert_null(result);
    }
    svc_assert_no_leaks(&before); /* including each thread's reply port */
}

/* A forked child has its own in-process service: the parent's names are not there (their
 * ports are copies the child cannot reach the parent through), check-in works, exit is clean. */
static int child_checks(void) {
    mach_port_t port = MACH_PORT_NULL;
    if (bootstrap_look_up(bootstrap_port, "org.openmig.test.parent", &port) !=
        BOOTSTRAP_UNKNOWN_SERVICE)
        return 1;
    if (bootstrap_check_in(bootstrap_port, "org.openmig.test.parent", &port) != BOOTSTRAP_SUCCESS)
        return 2;
    mach_port_t send = MACH_PORT_NULL;
    if (bootstrap_look_up(bootstrap_port, "org.openmig.test.parent", &send) != BOOTSTRAP_SUCCESS ||
        send != port)
        return 3;
    return 0;
}

static void test_fork_child_has_own_service(void **state) {
    (void)state;
    mach_port_t receive = MACH_PORT_NULL;
    assert_int_equal(bootstrap_check_in(bootstrap_port, "org.openmig.test.parent", &receive),
                     BOOTSTRAP_SUCCESS);
    fflush(NULL);
    pid_t child = fork();
    assert_true(child >= 0);
    /* _exit: the parent's threads' buffers, copied into the child, would look leaked to LSan. */
    if (child == 0)
        _exit(child_checks());
    int status = 0;
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    /* The parent's service is unaffected. */
    mach_port_t send = MACH_PORT_NULL;
    assert_int_equal(bootstrap_look_up(bootstrap_port, "org.openmig.test.parent", &send),
                     BOOTSTRAP_SUCCESS);
    assert_int_equal(send, receive);
    assert_int_equal(mach_port_deallocate(mach_task_self(), send), KERN_SUCCESS);
    svc_destroy_port(receive);
}

/* A stand-in for machd's transport: records the calls made on its port. */
static struct {
    uint32_t op;
    char name[BOOTSTRAP_MAX_NAME_LEN];
    mach_port_t right_in;
    int calls;
    mach_port_t receive; /* handed out by check-in */
} fake;

static kern_return_t fake_transport(uint32_t op, const char *name, mach_port_t right_in,
                                    mach_port_t *right_out) {
    fake.calls++;
    fake.op = op;
    strncpy(fake.name, name, sizeof fake.name - 1);
    fake.right_in = right_in;
    switch (op) {
    case BOOTSTRAP_MSG_CHECK_IN:
        *right_out = fake.receive;
        return KERN_SUCCESS;
    case BOOTSTRAP_MSG_STATUS:
        *right_out = BOOTSTRAP_STATUS_ON_DEMAND;
        return KERN_SUCCESS;
    case BOOTSTRAP_MSG_REGISTER:
        return BOOTSTRAP_NOT_PRIVILEGED;
    default:
        return BOOTSTRAP_UNKNOWN_SERVICE;
    }
}

/* The switch machd makes: calls on its bootstrap port go to its transport. */
static void test_transport_switch(void **state) {
    (void)state;
    mach_port_t local = bootstrap_port;
    mach_port_t remote = svc_make_port_with_send();
    fake.receive = svc_make_port();
    bootstrap_client_use_port(remote, fake_transport);
    assert_int_equal(bootstrap_port, remote);
    mach_port_t special = MACH_PORT_NULL;
    assert_int_equal(task_get_bootstrap_port(mach_task_self(), &special), KERN_SUCCESS);
    assert_int_equal(special, remote);
    assert_int_equal(mach_port_deallocate(mach_task_self(), special), KERN_SUCCESS);

    mach_port_t port = MACH_PORT_NULL;
    assert_int_equal(bootstrap_look_up(bootstrap_port, "org.openmig.test.far", &port),
                     BOOTSTRAP_UNKNOWN_SERVICE);
    assert_int_equal(fake.op, BOOTSTRAP_MSG_LOOK_UP);
    assert_string_equal(fake.name, "org.openmig.test.far");
    assert_int_equal(bootstrap_check_in(bootstrap_port, "org.openmig.test.far", &port),
                     KERN_SUCCESS);
    assert_int_equal(port, fake.receive);
    assert_int_equal(bootstrap_register(bootstrap_port, "org.openmig.test.far", remote),
                     BOOTSTRAP_NOT_PRIVILEGED);
    assert_int_equal(fake.right_in, remote);
    bootstrap_status_t status = -1;
    assert_int_equal(bootstrap_status(bootstrap_port, "org.openmig.test.far", &status),
                     KERN_SUCCESS);
    assert_int_equal(status, BOOTSTRAP_STATUS_ON_DEMAND);
    assert_int_equal(bootstrap_look_up(bootstrap_port, "", &port), BOOTSTRAP_BAD_COUNT);
    assert_int_equal(fake.calls, 4); /* the bad name never reached the transport */
    /* Another port is still served by RPC: the in-process service answers. */
    assert_int_equal(bootstrap_look_up(local, "org.openmig.test.far", &port),
                     BOOTSTRAP_UNKNOWN_SERVICE);
    assert_int_equal(fake.calls, 4);

    bootstrap_client_use_port(local, NULL);
    assert_int_equal(bootstrap_look_up(bootstrap_port, "org.openmig.test.far", &port),
                     BOOTSTRAP_UNKNOWN_SERVICE);
    assert_int_equal(fake.calls, 4);
    svc_destroy_port(fake.receive);
    svc_destroy_port(remote);
    assert_int_equal(mach_port_deallocate(mach_task_self(), remote), KERN_SUCCESS);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_port_set_before_main),
        cmocka_unit_test(test_check_in_and_look_up),
        cmocka_unit_test(test_bad_requests),
        cmocka_unit_test(test_register),
        cmocka_unit_test(test_create_then_check_in),
        cmocka_unit_test(test_concurrent_clients),
        cmocka_unit_test(test_fork_child_has_own_service),
        cmocka_unit_test(test_transport_switch),
    };
    return cmocka_run_group_tests(tests, start_service, NULL);
}
