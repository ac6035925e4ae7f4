/* End-to-end test of client.defs: `overwrite` (the reply's data lands in the caller's buffer;
 * a reply refused by its check leaves no right behind, even ones in the caller's array),
 * ConsumeOnSendError Any after MACH_SEND_INVALID_DEST and MACH_SEND_TIMED_OUT (exactly what the
 * request moved is consumed), types from import/uimport/simport on both sides, and the rcsid
 * string in the object; with leak counts after every case. */
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
#include "client.h"
#include "client_state.h"

extern const char client_user_rcsid[]; /* clientUser.c is built with UseExternRCSId */

/* e2e-client-separate runs these cases over stubs made with -R (a send, then a receive): there
 * is no receive template, so `overwrite` data arrives in new memory as other out-of-line data. */
#ifdef E2E_SEPARATE_SEND_RECEIVE
#define OVERWRITE_LANDS 0
#else
#define OVERWRITE_LANDS 1
#endif

static mach_port_t server_port;
static pthread_t server_thread;
static struct openmig_ipc_stats baseline;

static void *serve(void *arg) {
    (void)arg;
    while (!client_quit)
        (void)mach_msg_server_once(client_server, 8192, server_port, 0);
    return NULL;
}

static void expect_no_leaks(void) {
    e2e_expect_ipc_stats_at(&baseline);
    struct openmig_ipc_stats now;
    openmig_ipc_stats_get(&now);
    assert_int_equal(now.ool_bytes, baseline.ool_bytes);
}

static mach_port_t new_send_right(void) {
    mach_port_t p = MACH_PORT_NULL;
    assert_int_equal(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &p),
                     KERN_SUCCESS);
    assert_int_equal(mach_port_insert_right(mach_task_self(), p, p, MACH_MSG_TYPE_MAKE_SEND),
                     KERN_SUCCESS);
    return p;
}

static mach_port_urefs_t send_refs(mach_port_t p) {
    mach_port_urefs_t refs = 0;
    assert_int_equal(mach_port_get_refs(mach_task_self(), p, MACH_PORT_RIGHT_SEND, &refs),
                     KERN_SUCCESS);
    return refs;
}

static void destroy_port(mach_port_t p) {
    (void)mach_port_mod_refs(mach_task_self(), p, MACH_PORT_RIGHT_SEND, -(int)send_refs(p));
    assert_int_equal(mach_port_mod_refs(mach_task_self(), p, MACH_PORT_RIGHT_RECEIVE, -1),
                     KERN_SUCCESS);
}

/* A page of memory the caller owns (vm_allocate), filled with `fill`. */
static blob_t owned_buffer(vm_size_t size, int fill) {
    vm_address_t addr = 0;
    assert_int_equal(vm_allocate(mach_task_self(), &addr, size, VM_FLAGS_ANYWHERE), KERN_SUCCESS);
    memset((void *)addr, fill, size);
    return (blob_t)addr;
}

static int start_server(void **state) {
    (void)state;
    if (e2e_server_start(&server_port, &server_thread, serve) != 0)
        return -1;
    pair_t q;
    user_word_t x;
    if (cl_scale(server_port, (pair_t){1, 2}, 1, &q, &x) != KERN_SUCCESS) // makes the reply port
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

/* ---- overwrite ---- */

static void overwrite_lands_in_the_callers_buffer(void **state) {
    (void)state;
    char buffer[100];
    memset(buffer, '.', sizeof buffer);
    blob_t data = buffer;
    mach_msg_type_number_t dataCnt = sizeof buffer; /* in: the capacity */
    assert_int_equal(cl_read_into(server_port, 40, 'x', &data, &dataCnt), KERN_SUCCESS);
    assert_int_equal(dataCnt, 40);
    for (int i = 0; i < 40; i++)
        assert_int_equal(data[i], 'x');
    if (OVERWRITE_LANDS) {
        assert_ptr_equal(data, buffer); /* no new memory */
        for (size_t i = 40; i < sizeof buffer; i++)
            assert_int_equal(buffer[i], '.'); /* nothing past what arrived */
    } else {
        assert_ptr_not_equal(data, buffer);
        for (size_t i = 0; i < sizeof buffer; i++)
            assert_int_equal(buffer[i], '.');
        assert_int_equal(vm_deallocate(mach_task_self(), (vm_address_t)data, dataCnt),
                         KERN_SUCCESS);
    }
    expect_no_leaks();
}

static void overwrite_larger_than_the_buffer_arrives_in_new_memory(void **state) {
    (void)state;
    char buffer[10];
    memset(buffer, '.', sizeof buffer);
    blob_t data = buffer;
    mach_msg_type_number_t dataCnt = sizeof buffer;
    assert_int_equal(cl_read_into(server_port, 300, 'y', &data, &dataCnt), KERN_SUCCESS);
    assert_ptr_not_equal(data, buffer); /* as Mach: a scatter list that does not fit is ignored */
    assert_int_equal(dataCnt, 300);
    for (int i = 0; i < 300; i++)
        assert_int_equal(data[i], 'y');
    for (size_t i = 0; i < sizeof buffer; i++)
        assert_int_equal(buffer[i], '.');
    assert_int_equal(vm_deallocate(mach_task_self(), (vm_address_t)data, dataCnt), KERN_SUCCESS);
    expect_no_leaks();
}

static void overwrite_next_to_an_ordinary_out_of_line_argument(void **state) {
    (void)state;
    char page[64];
    memset(page, 0, sizeof page);
    blob_t first = NULL;
    mach_msg_type_number_t firstCnt = 0;
    page_t second = page;
    assert_int_equal(cl_read_two(server_port, &first, &firstCnt, &second), KERN_SUCCESS);
    assert_int_equal(firstCnt, 3);
    assert_memory_equal(first, "one", 3); /* new memory, the caller's to release */
    for (size_t i = 0; i < sizeof page; i++)
        assert_int_equal(second[i], (char)('A' + i % 26));
    if (OVERWRITE_LANDS) {
        assert_ptr_equal(second, page);
    } else {
        assert_ptr_not_equal(second, page);
        assert_int_equal(page[0], 0);
        assert_int_equal(vm_deallocate(mach_task_self(), (vm_address_t)second, sizeof page),
                         KERN_SUCCESS);
    }
    assert_int_equal(vm_deallocate(mach_task_self(), (vm_address_t)first, firstCnt), KERN_SUCCESS);
    expect_no_leaks();
}

static void overwrite_port_names_land_in_the_callers_array(void **state) {
    (void)state;
    mach_port_t array[8] = {0};
    names_t names = array;
    mach_msg_type_number_t namesCnt = 8;
    assert_int_equal(cl_read_names(server_port, 3, &names, &namesCnt), KERN_SUCCESS);
    assert_int_equal(OVERWRITE_LANDS, names == array);
    assert_int_equal(namesCnt, 3);
    assert_int_equal(client_made_count, 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(names[i], client_made[i]); /* one task: the send right joins its name */
        assert_int_equal(send_refs(names[i]), 1);
        destroy_port(names[i]);
    }
    assert_int_equal(array[3], MACH_PORT_NULL);
    if (!OVERWRITE_LANDS) {
        assert_int_equal(array[0], MACH_PORT_NULL); /* the caller's array was not used */
        assert_int_equal(vm_deallocate(mach_task_self(), (vm_address_t)names,
                                       3 * sizeof *names),
                         KERN_SUCCESS);
    }
    expect_no_leaks();
}

/* A server that answers read_names with a reply the stub must refuse, its three rights landing
 * in the caller's array all the same: namesCnt does not match the descriptor's count, or the
 * rights are send-once rights where send rights belong. */
struct bad_names_reply {
    mach_port_t port;                 /* where the request arrives */
    mach_msg_type_name_t disposition; /* how the three rights travel */
    mach_msg_type_number_t body_count;
    mach_port_t made[3];              /* receive rights kept by the test */
};

static void *answer_read_names_badly(void *arg) {
    struct bad_names_reply *b = arg;
    union {
        mach_msg_header_t head;
        char buffer[256];
    } request;
    memset(&request, 0, sizeof request);
    if (mach_msg(&request.head, MACH_RCV_MSG, 0, sizeof request, b->port, MACH_MSG_TIMEOUT_NONE,
                 MACH_PORT_NULL) != MACH_MSG_SUCCESS)
        return NULL;
    __Reply__read_names_t reply;
    memset(&reply, 0, sizeof reply);
    reply.Head.msgh_bits =
        MACH_MSGH_BITS_COMPLEX | MACH_MSGH_BITS(MACH_MSGH_BITS_REMOTE(request.head.msgh_bits), 0);
    reply.Head.msgh_size = sizeof reply;
    reply.Head.msgh_remote_port = request.head.msgh_remote_port; /* the reply port */
    reply.Head.msgh_id = request.head.msgh_id + 100;
    reply.msgh_body.msgh_descriptor_count = 1;
    reply.names.address = b->made;
    reply.names.count = 3;
    reply.names.copy = MACH_MSG_VIRTUAL_COPY;
    reply.names.disposition = b->disposition;
    reply.names.type = MACH_MSG_OOL_PORTS_DESCRIPTOR;
    reply.NDR = NDR_record;
    reply.namesCnt = b->body_count;
    (void)mach_msg(&reply.Head, MACH_SEND_MSG, sizeof reply, 0, MACH_PORT_NULL,
                   MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL);
    return NULL;
}

static void overwrite_bad_reply_releases_the_rights_in_the_callers_array(void **state) {
    (void)state;
    const struct {
        mach_msg_type_name_t disposition;
        mach_msg_type_number_t body_count;
    } cases[] = {
        {MACH_MSG_TYPE_MAKE_SEND, 2},      /* namesCnt 2 for a descriptor of 3 */
        {MACH_MSG_TYPE_MAKE_SEND_ONCE, 3}, /* send-once rights: the wrong disposition */
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        struct bad_names_reply bad = {.disposition = cases[c].disposition,
                                      .body_count = cases[c].body_count};
        bad.port = new_send_right();
        for (int i = 0; i < 3; i++)
            assert_int_equal(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE,
                                                &bad.made[i]),
                             KERN_SUCCESS);
        pthread_t thread;
        assert_int_equal(pthread_create(&thread, NULL, answer_read_names_badly, &bad), 0);
        mach_port_t array[8];
        for (int i = 0; i < 8; i++)
            array[i] = (mach_port_t)0x5eed; /* what the caller had there */
        names_t names = array;
        mach_msg_type_number_t namesCnt = 8;
        assert_int_equal(cl_read_names(bad.port, 3, &names, &namesCnt), MIG_TYPE_ERROR);
        assert_int_equal(pthread_join(thread, NULL), 0);
        assert_ptr_equal(names, array); /* the caller's array is still the caller's */
        for (int i = 0; i < 3; i++) {
            /* no stale names left (-R: the rights arrived in new memory, freed with them) */
            assert_int_equal(array[i], OVERWRITE_LANDS ? MACH_PORT_NULL : (mach_port_t)0x5eed);
            mach_port_urefs_t refs = 1;
            assert_int_equal(mach_port_get_refs(mach_task_self(), bad.made[i],
                                                MACH_PORT_RIGHT_SEND, &refs), KERN_SUCCESS);
            assert_int_equal(refs, 0); /* the landed right was released */
            assert_int_equal(mach_port_mod_refs(mach_task_self(), bad.made[i],
                                                MACH_PORT_RIGHT_RECEIVE, -1),
                             KERN_SUCCESS);
        }
        for (int i = 3; i < 8; i++)
            assert_int_equal(array[i], (mach_port_t)0x5eed); /* nothing past what arrived */
        destroy_port(bad.port);
        expect_no_leaks(); /* ports, names and messages back at the baseline */
    }
}

/* ---- imports ---- */

static void imported_types_on_both_sides(void **state) {
    (void)state;
    pair_t q = {0, 0};
    user_word_t x = 0; /* uimport: the client's type */
    assert_int_equal(cl_scale(server_port, (pair_t){4, 5}, 7, &q, &x), KERN_SUCCESS);
    assert_int_equal(q.a, 15); /* simport: the server's CLIENT_SERVER_SCALE (3) */
    assert_int_equal(q.b, 12);
    assert_int_equal(x, 21);
    expect_no_leaks();
}

/* ---- ConsumeOnSendError Any ---- */

static void invalid_destination_consumes_only_the_moved_destination(void **state) {
    (void)state;
    mach_port_t dead = new_send_right();
    assert_int_equal(mach_port_mod_refs(mach_task_self(), dead, MACH_PORT_RIGHT_RECEIVE, -1),
                     KERN_SUCCESS); /* the send right is now a dead name */
    mach_port_t p = new_send_right();
    blob_t data = owned_buffer(4096, 1);
    struct openmig_ipc_stats before;
    openmig_ipc_stats_get(&before);
    int sum = -1;
    assert_int_equal(cl_give(dead, p, data, 4096, &sum), MACH_SEND_INVALID_DEST);
    assert_int_equal(sum, -1);
    /* The moved destination (a dead name) is released; nothing left the task, so the body's
     * moved right and the dealloc memory are still the caller's. */
    mach_port_type_t type = 0;
    assert_int_equal(mach_port_type(mach_task_self(), dead, &type), KERN_INVALID_NAME);
    assert_int_equal(send_refs(p), 1);
    assert_int_equal(data[4095], 1);
    struct openmig_ipc_stats after;
    openmig_ipc_stats_get(&after);
    assert_int_equal(after.entries, before.entries - 1);
    assert_int_equal(after.vm_regions, before.vm_regions);
    assert_int_equal(after.ool_regions, before.ool_regions);
    assert_int_equal(vm_deallocate(mach_task_self(), (vm_address_t)data, 4096), KERN_SUCCESS);
    destroy_port(p);
    expect_no_leaks();
}

/* Fills the queue of port (nobody receives from it) until a send would block. */
static int fill_queue(mach_port_t port) {
    int sent = 0;
    for (;;) {
        mach_msg_header_t h;
        memset(&h, 0, sizeof h);
        h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
        h.msgh_remote_port = port;
        h.msgh_id = 1;
        mach_msg_return_t mr =
            mach_msg(&h, MACH_SEND_MSG | MACH_SEND_TIMEOUT, sizeof h, 0, MACH_PORT_NULL, 0,
                     MACH_PORT_NULL);
        if (mr == MACH_SEND_TIMED_OUT) {
            mach_msg_destroy(&h); /* it came back with a copy of the right */
            return sent;
        }
        assert_int_equal(mr, MACH_MSG_SUCCESS);
        assert_true(++sent < 1000);
    }
}

static void send_timeout_consumes_what_the_request_moved(void **state) {
    (void)state;
    mach_port_t full = new_send_right();
    assert_true(fill_queue(full) > 0);
    mach_port_t p = new_send_right();
    assert_int_equal(mach_port_insert_right(mach_task_self(), p, p, MACH_MSG_TYPE_COPY_SEND),
                     KERN_SUCCESS); /* two urefs: the request moves one */
    assert_int_equal(send_refs(p), 2);
    blob_t data = owned_buffer(4096, 2);
    struct openmig_ipc_stats before;
    openmig_ipc_stats_get(&before);
    int sum = -1;
    assert_int_equal(cl_give_timed(full, 10, p, data, 4096, &sum), MACH_SEND_TIMED_OUT);
    /* The message came back (pseudo-receive) and the stub destroyed it: the moved right is gone
     * as if sent, the copy of the memory is freed, the caller's buffer (not dealloc) is intact
     * and the destination keeps its right. */
    assert_int_equal(send_refs(p), 1);
    assert_int_equal(send_refs(full), 1);
    assert_int_equal(data[0], 2);
    struct openmig_ipc_stats after;
    openmig_ipc_stats_get(&after);
    assert_int_equal(after.ool_regions, before.ool_regions);
    assert_int_equal(after.ool_bytes, before.ool_bytes);
    assert_int_equal(after.vm_regions, before.vm_regions);
    assert_int_equal(vm_deallocate(mach_task_self(), (vm_address_t)data, 4096), KERN_SUCCESS);
    destroy_port(p);
    destroy_port(full); /* and the queued messages */
    /* The reply port was dropped (a late reply could arrive on it): the next call makes one. */
    pair_t q;
    user_word_t x;
    assert_int_equal(cl_scale(server_port, (pair_t){1, 1}, 1, &q, &x), KERN_SUCCESS);
    expect_no_leaks();
}

static void moved_rights_and_memory_reach_the_server(void **state) {
    (void)state;
    mach_port_t p = new_send_right();
    assert_int_equal(mach_port_insert_right(mach_task_self(), p, p, MACH_MSG_TYPE_COPY_SEND),
                     KERN_SUCCESS);
    assert_int_equal(mach_port_insert_right(mach_task_self(), server_port, server_port,
                                            MACH_MSG_TYPE_COPY_SEND),
                     KERN_SUCCESS); /* give() moves a send right to the server port */
    blob_t data = owned_buffer(4096, 3);
    int sum = 0;
    assert_int_equal(cl_give(server_port, p, data, 4096, &sum), KERN_SUCCESS);
    assert_int_equal(sum, 3 * 4096);
    assert_int_equal(send_refs(p), 1); /* the server released the moved one */
    assert_int_equal(send_refs(server_port), 1); /* the moved destination was consumed */
    destroy_port(p);
    expect_no_leaks(); /* dealloc: the buffer left with the request */
}

/* ---- rcsid ---- */

static void rcsid_is_in_the_object(void **state) {
    (void)state;
    assert_string_equal(client_user_rcsid, "$Id: client.defs e2e $");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(overwrite_lands_in_the_callers_buffer),
        cmocka_unit_test(overwrite_larger_than_the_buffer_arrives_in_new_memory),
        cmocka_unit_test(overwrite_next_to_an_ordinary_out_of_line_argument),
        cmocka_unit_test(overwrite_port_names_land_in_the_callers_array),
        cmocka_unit_test(overwrite_bad_reply_releases_the_rights_in_the_callers_array),
        cmocka_unit_test(imported_types_on_both_sides),
        cmocka_unit_test(invalid_destination_consumes_only_the_moved_destination),
        cmocka_unit_test(send_timeout_consumes_what_the_request_moved),
        cmocka_unit_test(moved_rights_and_memory_reach_the_server),
        cmocka_unit_test(rcsid_is_in_the_object),
    };
    return cmocka_run_group_tests(tests, start_server, stop_server);
}
