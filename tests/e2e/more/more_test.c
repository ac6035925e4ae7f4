/* End-to-end test of the generated stubs for more.defs (translations, reply port kinds, retcode,
 * samecount, msgoption/sendtime, client trailer tokens, dealloc[], auto, physicalcopy, ctype, a
 * polymorphic request port, prefixes and serverdemux), with leak counts after every case. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <mach/mach.h>
#include <mach/mach_port.h>
#include <mach/mig.h>
#include <mach/openmig_stats.h>
#include <mach/vm_map.h>

#include "e2e_fixture.h"
#include "more.h"
#include "more_server.h"

extern boolean_t more_demux(mach_msg_header_t *InHeadP, mach_msg_header_t *OutHeadP);

static mach_port_t server_port;
static int heap_buffers; /* mig_user_allocate'd and not yet released */

vm_offset_t mig_user_allocate(vm_size_t size) {
    heap_buffers++;
    return (vm_offset_t)malloc(size);
}

void mig_user_deallocate(char *data, vm_size_t size) {
    (void)size;
    heap_buffers--;
    free(data);
}
static pthread_t server_thread;
static struct openmig_ipc_stats baseline;

static void *serve(void *arg) {
    (void)arg;
    size_t req = sizeof(union __RequestUnion__cl_more_subsystem);
    size_t rep = sizeof(union __ReplyUnion__cl_more_subsystem);
    while (!more_quit)
        (void)mach_msg_server_once(more_demux, (mach_msg_size_t)(req > rep ? req : rep),
                                   server_port, 0);
    return NULL;
}

static void expect_no_leaks(void) {
    e2e_expect_ipc_stats_at(&baseline);
    assert_int_equal(heap_buffers, 0);
}

static mach_port_t new_port(void) {
    mach_port_t p = MACH_PORT_NULL;
    assert_int_equal(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &p),
                     KERN_SUCCESS);
    return p;
}

static void destroy_port(mach_port_t p) {
    assert_int_equal(mach_port_mod_refs(mach_task_self(), p, MACH_PORT_RIGHT_RECEIVE, -1),
                     KERN_SUCCESS);
}

static int start_server(void **state) {
    (void)state;
    if (e2e_server_start(&server_port, &server_thread, serve) != 0)
        return -1;
    int v = 0;
    if (cl_opt(server_port, MACH_MSG_OPTION_NONE, &v) != KERN_SUCCESS) // creates the reply port
        return -1;
    openmig_ipc_stats_get(&baseline);
    return 0;
}

static int stop_server(void **state) {
    (void)state;
    if (cl_quit(server_port) != KERN_SUCCESS)
        return -1;
    e2e_server_join(server_port, server_thread);
    return 0;
}

static void translations_run_in_order(void **state) {
    (void)state;
    mach_port_t p = new_port();
    assert_int_equal(mach_port_insert_right(mach_task_self(), p, p, MACH_MSG_TYPE_MAKE_SEND),
                     KERN_SUCCESS);
    more_log[0] = '\0';
    mach_port_t back = MACH_PORT_NULL;
    assert_int_equal(cl_translate(server_port, p, &back), KERN_SUCCESS);
    assert_int_equal(back, p);
    // intran before the call, the destructor after it, outtran while packing the reply.
    assert_string_equal(more_log, "ifdo");
    mach_port_urefs_t refs = 0;
    assert_int_equal(mach_port_get_refs(mach_task_self(), p, MACH_PORT_RIGHT_SEND, &refs),
                     KERN_SUCCESS);
    assert_int_equal(refs, 2); // ours and the copy the reply brought
    (void)mach_port_mod_refs(mach_task_self(), p, MACH_PORT_RIGHT_SEND, -2);
    destroy_port(p);
    expect_no_leaks();
}

static void caller_supplied_reply_ports(void **state) {
    (void)state;
    mach_port_t r = new_port();
    int v = 0;
    assert_int_equal(cl_with_reply(server_port, r, &v), KERN_SUCCESS);
    assert_int_equal(v, 1);
    assert_int_equal(cl_with_ureply(server_port, r, &v), KERN_SUCCESS);
    assert_int_equal(v, 2);
    destroy_port(r);
    expect_no_leaks();
}

static void retcode_argument_and_sendtime(void **state) {
    (void)state;
    assert_int_equal(cl_report(server_port, KERN_NO_SPACE, 77), KERN_SUCCESS);
    int v = 0;
    assert_int_equal(cl_opt(server_port, MACH_MSG_OPTION_NONE, &v), KERN_SUCCESS);
    assert_int_equal(more_reported_result, KERN_NO_SPACE);
    assert_int_equal(more_reported_value, 77);
    assert_int_equal(cl_timed_send(server_port, 55), KERN_SUCCESS);
    assert_int_equal(cl_opt(server_port, MACH_MSG_OPTION_NONE, &v), KERN_SUCCESS);
    assert_int_equal(v, 3);
    assert_int_equal(more_reported_value, 55);
    expect_no_leaks();
}

static void samecount_arrays_share_one_count(void **state) { // on the heap (OnStackLimit)
    (void)state;
    int a[3] = {1, 2, 3}, b[3] = {10, 20, 30}, c[8], d[8];
    mach_msg_type_number_t cCnt = 0;
    assert_int_equal(cl_same(server_port, a, 3, b, c, &cCnt, d), KERN_SUCCESS);
    assert_int_equal(cCnt, 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(c[i], a[i] + b[i]);
        assert_int_equal(d[i], a[i] - b[i]);
    }
    expect_no_leaks();
}

static void client_receives_the_audit_token(void **state) {
    (void)state;
    audit_token_t tok;
    memset(&tok, 0xff, sizeof tok);
    int v = 0;
    assert_int_equal(cl_client_token(server_port, &tok, &v), KERN_SUCCESS);
    assert_int_equal(v, 4);
    assert_int_equal((int)tok.val[5], (int)getpid());
    expect_no_leaks();
}

static char *filled_buffer(mach_msg_type_number_t n) {
    vm_address_t buf = 0;
    assert_int_equal(vm_allocate(mach_task_self(), &buf, n, VM_FLAGS_ANYWHERE), KERN_SUCCESS);
    memset((void *)buf, 3, n);
    return (char *)buf;
}

static void out_of_line_flags(void **state) {
    (void)state;
    int sum = 0;
    char *kept = filled_buffer(100);
    assert_int_equal(cl_give(server_port, kept, 100, FALSE, &sum), KERN_SUCCESS);
    assert_int_equal(sum, 300);
    assert_int_equal(vm_deallocate(mach_task_self(), (vm_address_t)kept, 100), KERN_SUCCESS);

    char *given = filled_buffer(200);
    assert_int_equal(cl_give(server_port, given, 200, TRUE, &sum), KERN_SUCCESS); // moved
    assert_int_equal(sum, 600);

    char *automatic = filled_buffer(10);
    assert_int_equal(cl_automatic(server_port, automatic, 10, &sum), KERN_SUCCESS);
    assert_int_equal(sum, 30);
    assert_int_equal(vm_deallocate(mach_task_self(), (vm_address_t)automatic, 10), KERN_SUCCESS);

    char *physical = filled_buffer(5000);
    assert_int_equal(cl_physical(server_port, physical, 5000, &sum), KERN_SUCCESS);
    assert_int_equal(sum, 15000);
    assert_int_equal(vm_deallocate(mach_task_self(), (vm_address_t)physical, 5000), KERN_SUCCESS);
    expect_no_leaks();
}

static void ctype_and_polymorphic_request_port(void **state) {
    (void)state;
    word_ct x = 0;
    assert_int_equal(cl_words(server_port, 21, &x), KERN_SUCCESS);
    assert_int_equal(x, -21);
    int v = 0;
    assert_int_equal(cl_poly_request(server_port, MACH_MSG_TYPE_COPY_SEND, &v), KERN_SUCCESS);
    assert_int_equal(v, MACH_MSG_TYPE_PORT_SEND);
    expect_no_leaks();
}

static void special_reply_port(void **state) {
    (void)state;
    int v = 0;
    assert_int_equal(cl_special(server_port, &v), KERN_SUCCESS); // creates the special port
    assert_int_equal(v, 5);
    openmig_ipc_stats_get(&baseline); // the thread's special reply port stays, like the other
    assert_int_equal(cl_special(server_port, &v), KERN_SUCCESS);
    expect_no_leaks();
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(translations_run_in_order),
        cmocka_unit_test(caller_supplied_reply_ports),
        cmocka_unit_test(retcode_argument_and_sendtime),
        cmocka_unit_test(samecount_arrays_share_one_count),
        cmocka_unit_test(client_receives_the_audit_token),
        cmocka_unit_test(out_of_line_flags),
        cmocka_unit_test(ctype_and_polymorphic_request_port),
        cmocka_unit_test(special_reply_port),
    };
    return cmocka_run_group_tests(tests, start_server, stop_server);
}
