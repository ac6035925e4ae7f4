/* End-to-end test of KernelUser client stubs compiled as kernel code: RPCs go through
 * mach_msg_rpc_from_kernel, simpleroutines through mach_msg_send_from_kernel and a refused reply
 * through mach_msg_destroy_from_kernel (kuser_shim.c implements them with the runtime), the
 * data checked both ways and leak counts after every case. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <mach/mach.h>
#include <mach/mach_port.h>
#include <mach/mig.h>
#include <mach/openmig_stats.h>
#include <mach/vm_map.h>

#include "e2e_fixture.h"
#include "kuser.h"
#include "kuser_kernel.h"
#include "kuser_state.h"

static mach_port_t server_port;
static pthread_t server_thread;
static struct openmig_ipc_stats baseline;

static void *serve(void *arg) {
    (void)arg;
    while (!kuser_quit)
        (void)mach_msg_server_once(kuser_server, 4096, server_port, 0);
    return NULL;
}

static void expect_no_leaks(void) {
    e2e_expect_ipc_stats_at(&baseline);
}

static int start_server(void **state) {
    (void)state;
    if (e2e_server_start(&server_port, &server_thread, serve) != 0)
        return -1;
    int sum = 0;
    if (ku_add(server_port, 1, 1, &sum) != KERN_SUCCESS) // the stub's mig_get_reply_port()
        return -1;
    openmig_ipc_stats_get(&baseline);
    return 0;
}

static int stop_server(void **state) {
    (void)state;
    if (ku_quit(server_port) != KERN_SUCCESS)
        return -1;
    e2e_server_join(server_port, server_thread);
    return 0;
}

static void routine_goes_through_rpc_from_kernel(void **state) {
    (void)state;
    int calls = kuser_rpc_calls;
    int sum = 0;
    assert_int_equal(ku_add(server_port, 20, 22, &sum), KERN_SUCCESS);
    assert_int_equal(sum, 42);
    assert_int_equal(kuser_rpc_calls, calls + 1);
    expect_no_leaks();
}

static void out_of_line_reply_through_rpc_from_kernel(void **state) {
    (void)state;
    int calls = kuser_rpc_calls;
    blob_t data = NULL;
    mach_msg_type_number_t dataCnt = 0;
    assert_int_equal(ku_fetch(server_port, 200, &data, &dataCnt), KERN_SUCCESS);
    assert_int_equal(dataCnt, 200);
    for (int i = 0; i < 200; i++)
        assert_int_equal(data[i], (char)i);
    assert_int_equal(kuser_rpc_calls, calls + 1);
    assert_int_equal(vm_deallocate(mach_task_self(), (vm_address_t)data, dataCnt), KERN_SUCCESS);
    expect_no_leaks();
}

static void simpleroutine_goes_through_send_from_kernel(void **state) {
    (void)state;
    int sends = kuser_send_calls;
    assert_int_equal(ku_note(server_port, 77), KERN_SUCCESS);
    assert_int_equal(kuser_send_calls, sends + 1);
    int sum = 0;
    assert_int_equal(ku_add(server_port, 0, 0, &sum), KERN_SUCCESS); /* after note() was served */
    assert_int_equal(kuser_noted, 77);
    expect_no_leaks();
}

static void refused_reply_goes_to_destroy_from_kernel(void **state) {
    (void)state;
    int destroys = kuser_destroy_calls;
    blob_t data = NULL;
    mach_msg_type_number_t dataCnt = 0;
    kuser_corrupt_next_reply = 1; /* the reply arrives with a wrong id */
    assert_int_equal(ku_fetch(server_port, 100, &data, &dataCnt), MIG_REPLY_MISMATCH);
    assert_int_equal(kuser_destroy_calls, destroys + 1);
    assert_null(data);
    expect_no_leaks(); /* its out-of-line memory was released */
}

static void send_error_is_returned(void **state) {
    (void)state;
    mach_port_t dead = MACH_PORT_NULL;
    assert_int_equal(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &dead),
                     KERN_SUCCESS);
    assert_int_equal(mach_port_insert_right(mach_task_self(), dead, dead, MACH_MSG_TYPE_MAKE_SEND),
                     KERN_SUCCESS);
    assert_int_equal(mach_port_mod_refs(mach_task_self(), dead, MACH_PORT_RIGHT_RECEIVE, -1),
                     KERN_SUCCESS);
    int sum = -1;
    assert_int_equal(ku_add(dead, 1, 2, &sum), MACH_SEND_INVALID_DEST);
    assert_int_equal(sum, -1);
    assert_int_equal(mach_port_deallocate(mach_task_self(), dead), KERN_SUCCESS);
    expect_no_leaks();
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(routine_goes_through_rpc_from_kernel),
        cmocka_unit_test(out_of_line_reply_through_rpc_from_kernel),
        cmocka_unit_test(simpleroutine_goes_through_send_from_kernel),
        cmocka_unit_test(refused_reply_goes_to_destroy_from_kernel),
        cmocka_unit_test(send_error_is_returned),
    };
    return cmocka_run_group_tests(tests, start_server, stop_server);
}
