/* End-to-end test of the generated stubs: a server thread runs the generated demux under
 * mach_msg_server_once, the test thread calls the generated client stubs, and every construct of
 * constructs.defs is checked both ways. Hand-made malformed requests check the server's
 * validation. After every test the runtime's object counters must be back at their baseline. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <mach/mach.h>
#include <mach/mach_port.h>
#include <mach/mig.h>
#include <mach/openmig_stats.h>
#include <mach/vm_map.h>

#include "e2e_fixture.h"
#include "constructs.h"
#include "constructs_server.h"

extern boolean_t constructs_server(mach_msg_header_t *InHeadP, mach_msg_header_t *OutHeadP);

#define MAX_MSG                                                                                  \
    (sizeof(union __RequestUnion__constructs_subsystem) >                                        \
             sizeof(union __ReplyUnion__constructs_subsystem)                                    \
         ? sizeof(union __RequestUnion__constructs_subsystem)                                    \
         : sizeof(union __ReplyUnion__constructs_subsystem))

static mach_port_t server_port;
static pthread_t server_thread;
static struct openmig_ipc_stats baseline;

static void *serve(void *arg) {
    (void)arg;
    mach_msg_options_t options = MACH_RCV_TRAILER_TYPE(MACH_MSG_TRAILER_FORMAT_0) |
                                 MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_AUDIT);
    while (!constructs_stop)
        (void)mach_msg_server_once(constructs_server, (mach_msg_size_t)MAX_MSG, server_port,
                                   options);
    return NULL;
}

static void expect_no_leaks(void) {
    e2e_expect_ipc_stats_at(&baseline);
    struct openmig_ipc_stats now;
    openmig_ipc_stats_get(&now);
    assert_int_equal(now.vm_bytes, baseline.vm_bytes);
}

static int start_server(void **state) {
    (void)state;
    if (e2e_server_start(&server_port, &server_thread, serve) != 0)
        return -1;
    int sum = 0;
    if (add(server_port, 1, 2, &sum) != KERN_SUCCESS || sum != 3) // creates the reply port
        return -1;
    openmig_ipc_stats_get(&baseline);
    return 0;
}

static int stop_server(void **state) {
    (void)state;
    if (shutdown(server_port) != KERN_SUCCESS)
        return -1;
    e2e_server_join(server_port, server_thread);
    return 0;
}

// --- inline data ---------------------------------------------------------------------------------

static void scalars_travel_both_ways(void **state) {
    (void)state;
    int sum = 0;
    assert_int_equal(add(server_port, 40, 2, &sum), KERN_SUCCESS);
    assert_int_equal(sum, 42);
    assert_int_equal(add(server_port, -7, -8, &sum), KERN_SUCCESS);
    assert_int_equal(sum, -15);
    small_t d = 0;
    assert_int_equal(small(server_port, 10, &d), KERN_SUCCESS);
    assert_int_equal(d, 9);
    expect_no_leaks();
}

static void simpleroutine_is_delivered_in_order(void **state) {
    (void)state;
    assert_int_equal(note(server_port, 1234), KERN_SUCCESS);
    int sum = 0;
    assert_int_equal(add(server_port, 0, 0, &sum), KERN_SUCCESS); // queued after note()
    assert_int_equal(constructs_last_note, 1234);
    expect_no_leaks();
}

static void inout_and_64_bit_values(void **state) {
    (void)state;
    int64_t v = 0x100000000LL;
    assert_int_equal(bump(server_port, &v), KERN_SUCCESS);
    assert_true(v == 0x200000001LL);
    expect_no_leaks();
}

static void structs_and_fixed_arrays(void **state) {
    (void)state;
    point_t p = {3, -4}, q = {0, 0};
    assert_int_equal(structs(server_port, p, &q), KERN_SUCCESS);
    assert_int_equal(q.x, -4);
    assert_int_equal(q.y, 3);
    quad_t a = {1, 2, 3, 4}, b = {0};
    assert_int_equal(fixed(server_port, a, b), KERN_SUCCESS);
    for (int i = 0; i < 4; i++)
        assert_int_equal(b[i], a[i] * 2);
    expect_no_leaks();
}

static void variable_arrays_at_every_count(void **state) {
    (void)state;
    int a[16], b[16];
    for (mach_msg_type_number_t n = 0; n <= 16; n++) {
        for (int i = 0; i < 16; i++)
            a[i] = i * 11, b[i] = -1;
        mach_msg_type_number_t bCnt = 0;
        assert_int_equal(varr(server_port, a, n, b, &bCnt), KERN_SUCCESS);
        assert_int_equal(bCnt, n);
        for (mach_msg_type_number_t i = 0; i < n; i++)
            assert_int_equal(b[i], a[n - 1 - i]);
    }
    assert_int_equal(varr(server_port, a, 17, b, &(mach_msg_type_number_t){0}),
                     MIG_ARRAY_TOO_LARGE);
    expect_no_leaks();
}

static void fields_after_variable_data_are_shifted(void **state) {
    (void)state;
    char a[10], c[10];
    int b[16], d[16];
    for (mach_msg_type_number_t na = 0; na <= 10; na += 3) {
        for (mach_msg_type_number_t nb = 0; nb <= 16; nb += 5) {
            for (mach_msg_type_number_t i = 0; i < na; i++)
                a[i] = (char)('a' + i);
            for (mach_msg_type_number_t i = 0; i < nb; i++)
                b[i] = (int)(i + 1);
            mach_msg_type_number_t cCnt = 99, dCnt = 99;
            int t = 0;
            assert_int_equal(two_var(server_port, a, na, b, nb, 1000, c, &cCnt, d, &dCnt, &t),
                             KERN_SUCCESS);
            assert_int_equal(cCnt, na);
            assert_int_equal(dCnt, nb);
            assert_int_equal(t, 1001);
            for (mach_msg_type_number_t i = 0; i < na; i++)
                assert_int_equal(c[i], a[na - 1 - i] + 1);
            for (mach_msg_type_number_t i = 0; i < nb; i++)
                assert_int_equal(d[i], b[i] * 3);
        }
    }
    expect_no_leaks();
}

static void strings_fixed_and_variable(void **state) {
    (void)state;
    name_t left = "left", empty = "", o;
    char vo[32];
    memset(o, 'x', sizeof o);
    memset(vo, 'x', sizeof vo);
    assert_int_equal(strings(server_port, left, "right", o, vo), KERN_SUCCESS);
    assert_string_equal(o, "left|right");
    assert_string_equal(vo, "thgir");
    // A source longer than the buffer is cut and still terminated.
    char longer[64];
    memset(longer, 'z', sizeof longer);
    longer[63] = '\0';
    assert_int_equal(strings(server_port, empty, longer, o, vo), KERN_SUCCESS);
    assert_int_equal(strlen(vo), 31);
    expect_no_leaks();
}

static void countinout_limits_the_reply(void **state) {
    (void)state;
    int data[16];
    mach_msg_type_number_t n = 3;
    assert_int_equal(counted(server_port, data, &n), KERN_SUCCESS);
    assert_int_equal(n, 3);
    assert_int_equal(data[2], 102);
    n = 16;
    assert_int_equal(counted(server_port, data, &n), KERN_SUCCESS);
    assert_int_equal(n, 16);
    assert_int_equal(data[15], 115);
    expect_no_leaks();
}

// --- out-of-line memory ------------------------------------------------------------------------

static void unbounded_array_goes_out_of_line(void **state) {
    (void)state;
    int values[1000];
    int expected = 0;
    for (int i = 0; i < 1000; i++)
        values[i] = i, expected += i;
    int sum = 0;
    assert_int_equal(ool_in(server_port, values, 1000, &sum), KERN_SUCCESS);
    assert_int_equal(sum, expected);
    assert_int_equal(ool_in(server_port, values, 0, &sum), KERN_SUCCESS);
    assert_int_equal(sum, 0);
    expect_no_leaks();
}

static void ool_memory_moves_with_dealloc(void **state) {
    (void)state;
    buf_t data = NULL;
    mach_msg_type_number_t n = 0;
    assert_int_equal(ool_out(server_port, 5000, &data, &n), KERN_SUCCESS);
    assert_int_equal(n, 5000);
    for (int i = 0; i < 5000; i++)
        assert_int_equal(data[i], (char)(i * 7));
    assert_int_equal(vm_deallocate(mach_task_self(), (vm_address_t)data, n), KERN_SUCCESS);

    vm_address_t buf = 0;
    assert_int_equal(vm_allocate(mach_task_self(), &buf, 300, VM_FLAGS_ANYWHERE), KERN_SUCCESS);
    for (int i = 0; i < 300; i++)
        ((unsigned char *)buf)[i] = 2;
    int sum = 0;
    assert_int_equal(buf_in(server_port, (buf_t)buf, 300, &sum), KERN_SUCCESS); // gives it away
    assert_int_equal(sum, 600);
    expect_no_leaks();
}

// --- ports ---------------------------------------------------------------------------------------

static mach_port_t new_receive_right(void) {
    mach_port_t p = MACH_PORT_NULL;
    assert_int_equal(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &p),
                     KERN_SUCCESS);
    return p;
}

static void destroy_receive_right(mach_port_t p) {
    assert_int_equal(mach_port_mod_refs(mach_task_self(), p, MACH_PORT_RIGHT_RECEIVE, -1),
                     KERN_SUCCESS);
}

static void port_rights_of_each_disposition(void **state) {
    (void)state;
    mach_port_t p = new_receive_right(), q = new_receive_right();
    assert_int_equal(mach_port_insert_right(mach_task_self(), q, q, MACH_MSG_TYPE_MAKE_SEND),
                     KERN_SUCCESS);
    mach_port_type_t t = 0;
    assert_int_equal(port_in(server_port, p, q, &t), KERN_SUCCESS);
    assert_true(t & MACH_PORT_TYPE_SEND);
    (void)mach_port_deallocate(mach_task_self(), q); // our copied send right
    destroy_receive_right(p);
    destroy_receive_right(q);

    mach_port_t made = MACH_PORT_NULL;
    assert_int_equal(port_out(server_port, &made), KERN_SUCCESS);
    assert_int_equal(mach_port_type(mach_task_self(), made, &t), KERN_SUCCESS);
    assert_true(t & MACH_PORT_TYPE_SEND);
    (void)mach_port_deallocate(mach_task_self(), made);
    destroy_receive_right(constructs_server_made_port); // one process: the server's right is ours

    mach_port_t r = MACH_PORT_NULL;
    assert_int_equal(rcv(server_port, &r), KERN_SUCCESS);
    assert_int_equal(mach_port_type(mach_task_self(), r, &t), KERN_SUCCESS);
    assert_true(t & MACH_PORT_TYPE_RECEIVE);
    destroy_receive_right(r);
    expect_no_leaks();
}

static void polymorphic_ports_carry_their_disposition(void **state) {
    (void)state;
    mach_port_t p = new_receive_right();
    mach_port_t q = MACH_PORT_NULL;
    mach_msg_type_name_t qPoly = 0;
    assert_int_equal(poly(server_port, p, MACH_MSG_TYPE_MAKE_SEND, &q, &qPoly), KERN_SUCCESS);
    assert_int_equal(qPoly, MACH_MSG_TYPE_PORT_SEND);
    assert_int_equal(q, p); // the send right came back under the receive right's name
    (void)mach_port_deallocate(mach_task_self(), q);
    destroy_receive_right(p);
    expect_no_leaks();
}

static void port_arrays_inline_and_out_of_line(void **state) {
    (void)state;
    mach_port_t ports[5];
    for (int i = 0; i < 5; i++) {
        ports[i] = new_receive_right();
        assert_int_equal(
            mach_port_insert_right(mach_task_self(), ports[i], ports[i], MACH_MSG_TYPE_MAKE_SEND),
            KERN_SUCCESS);
    }
    mach_port_t *c = NULL;
    mach_msg_type_number_t cCnt = 0;
    assert_int_equal(port_arrays(server_port, ports, ports + 3, 2, &c, &cCnt), KERN_SUCCESS);
    assert_int_equal(cCnt, 5);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(c[i], ports[i]);
        mach_port_urefs_t refs = 0;
        assert_int_equal(
            mach_port_get_refs(mach_task_self(), ports[i], MACH_PORT_RIGHT_SEND, &refs),
            KERN_SUCCESS);
        assert_int_equal(refs, 2); // ours, and the one that went there and back
    }
    assert_int_equal(vm_deallocate(mach_task_self(), (vm_address_t)c, cCnt * sizeof *c),
                     KERN_SUCCESS);
    for (int i = 0; i < 5; i++) {
        (void)mach_port_mod_refs(mach_task_self(), ports[i], MACH_PORT_RIGHT_SEND, -2);
        destroy_receive_right(ports[i]);
    }
    expect_no_leaks();
}

// --- trailer -------------------------------------------------------------------------------------

static void server_receives_seqno_and_audit_token(void **state) {
    (void)state;
    natural_t s1 = 0, s2 = 0;
    int pid = 0;
    assert_int_equal(seq(server_port, &s1, &pid), KERN_SUCCESS);
    assert_int_equal(pid, (int)getpid());
    assert_int_equal(seq(server_port, &s2, &pid), KERN_SUCCESS);
    assert_int_equal(s2, s1 + 1);
    expect_no_leaks();
}

// --- error paths ---------------------------------------------------------------------------------

static void timeout_drops_the_reply_port_and_recovers(void **state) {
    (void)state;
    int r = 0;
    assert_int_equal(timed(server_port, 20, 300, &r), MACH_RCV_TIMED_OUT);
    // The late reply must not be taken for the next call's reply.
    int sum = 0;
    assert_int_equal(add(server_port, 2, 2, &sum), KERN_SUCCESS);
    assert_int_equal(sum, 4);
    assert_int_equal(timed(server_port, 5000, 1, &r), KERN_SUCCESS);
    assert_int_equal(r, 1);
    expect_no_leaks();
}

static void server_error_destroys_request_memory_and_rights(void **state) {
    (void)state;
    vm_address_t buf = 0;
    assert_int_equal(vm_allocate(mach_task_self(), &buf, 4096, VM_FLAGS_ANYWHERE), KERN_SUCCESS);
    mach_port_t p = new_receive_right(), q = new_receive_right();
    assert_int_equal(mach_port_insert_right(mach_task_self(), p, p, MACH_MSG_TYPE_MAKE_SEND),
                     KERN_SUCCESS);
    assert_int_equal(fail_with(server_port, (buf_t)buf, 4096, p, q), KERN_FAILURE);
    // The moved send right and the made one were destroyed by the server loop: only receive
    // rights are left, with no senders.
    mach_port_type_t t = 0;
    assert_int_equal(mach_port_type(mach_task_self(), p, &t), KERN_SUCCESS);
    assert_int_equal(t, MACH_PORT_TYPE_RECEIVE);
    assert_int_equal(mach_port_type(mach_task_self(), q, &t), KERN_SUCCESS);
    assert_int_equal(t, MACH_PORT_TYPE_RECEIVE);
    destroy_receive_right(p);
    destroy_receive_right(q);
    expect_no_leaks();
}

static void dropped_reply_right_means_server_died(void **state) {
    (void)state;
    assert_int_equal(vanish(server_port), MIG_SERVER_DIED);
    int sum = 0;
    assert_int_equal(add(server_port, 5, 5, &sum), KERN_SUCCESS);
    assert_int_equal(sum, 10);
    expect_no_leaks();
}

// Sends a hand-made request and returns the RetCode of the (error) reply.
static kern_return_t raw_request(mach_msg_header_t *req, mach_msg_size_t size) {
    mach_port_t reply = new_receive_right();
    req->msgh_bits |= MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE);
    req->msgh_remote_port = server_port;
    req->msgh_local_port = reply;
    req->msgh_size = size;
    union {
        mig_reply_error_t error;
        char bytes[512];
    } rcv;
    memset(&rcv, 0, sizeof rcv);
    mach_msg_return_t mr = mach_msg(req, MACH_SEND_MSG, size, 0, MACH_PORT_NULL,
                                    MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL);
    assert_int_equal(mr, MACH_MSG_SUCCESS);
    mr = mach_msg(&rcv.error.Head, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof rcv, reply, 10000,
                  MACH_PORT_NULL);
    assert_int_equal(mr, MACH_MSG_SUCCESS);
    assert_int_equal(rcv.error.Head.msgh_id, req->msgh_id + 100);
    assert_int_equal(rcv.error.Head.msgh_size, sizeof(mig_reply_error_t));
    destroy_receive_right(reply);
    return rcv.error.RetCode;
}

static void unknown_id_gets_mig_bad_id(void **state) {
    (void)state;
    mach_msg_header_t h;
    memset(&h, 0, sizeof h);
    h.msgh_id = 4200 + 77;
    assert_int_equal(raw_request(&h, sizeof h), MIG_BAD_ID);
    h.msgh_id = 4200 + 16; // the skip slot
    assert_int_equal(raw_request(&h, sizeof h), MIG_BAD_ID);
    expect_no_leaks();
}

static void malformed_requests_are_rejected(void **state) {
    (void)state;
    __Request__add_t a;
    memset(&a, 0, sizeof a);
    a.Head.msgh_id = 4200;
    a.NDR = NDR_record;
    assert_int_equal(raw_request(&a.Head, sizeof a - 4), MIG_BAD_ARGUMENTS);

    __Request__varr_t v;
    memset(&v, 0, sizeof v);
    v.Head.msgh_id = 4205;
    v.NDR = NDR_record;
    v.aCnt = 17; // above the bound
    assert_int_equal(raw_request(&v.Head, sizeof v), MIG_BAD_ARGUMENTS);
    v.aCnt = 2; // size does not match the count
    assert_int_equal(raw_request(&v.Head, sizeof v), MIG_BAD_ARGUMENTS);

    __Request__strings_t s;
    memset(&s, 'x', sizeof s); // no terminator anywhere
    s.Head.msgh_bits = 0;
    s.Head.msgh_reserved = 0;
    s.Head.msgh_id = 4206;
    s.NDR = NDR_record;
    s.vsOffset = 0;
    s.vsCnt = 32;
    assert_int_equal(raw_request(&s.Head, sizeof s), MIG_BAD_ARGUMENTS);

    __Request__port_in_t pi; // complex bit missing
    memset(&pi, 0, sizeof pi);
    pi.Head.msgh_id = 4211;
    assert_int_equal(raw_request(&pi.Head, sizeof pi), MIG_BAD_ARGUMENTS);
    expect_no_leaks();
}

static void wrong_descriptor_gets_type_error_and_is_destroyed(void **state) {
    (void)state;
    __Request__ool_in_t r; // the OOL size does not match the count
    memset(&r, 0, sizeof r);
    static int values[64];
    r.Head.msgh_bits = MACH_MSGH_BITS_COMPLEX;
    r.Head.msgh_id = 4208;
    r.msgh_body.msgh_descriptor_count = 1;
    r.data.address = values;
    r.data.size = sizeof values;
    r.data.deallocate = FALSE;
    r.data.copy = MACH_MSG_VIRTUAL_COPY;
    r.data.type = MACH_MSG_OOL_DESCRIPTOR;
    r.NDR = NDR_record;
    r.dataCnt = 65;
    assert_int_equal(raw_request(&r.Head, sizeof r), MIG_TYPE_ERROR);

    __Request__port_in_t pi; // a port where the server expects a send right: wrong disposition
    memset(&pi, 0, sizeof pi);
    mach_port_t p = new_receive_right();
    pi.Head.msgh_bits = MACH_MSGH_BITS_COMPLEX;
    pi.Head.msgh_id = 4211;
    pi.msgh_body.msgh_descriptor_count = 2;
    pi.p.name = p;
    pi.p.disposition = MACH_MSG_TYPE_MAKE_SEND_ONCE;
    pi.p.type = MACH_MSG_PORT_DESCRIPTOR;
    pi.q.name = p;
    pi.q.disposition = MACH_MSG_TYPE_MAKE_SEND;
    pi.q.type = MACH_MSG_PORT_DESCRIPTOR;
    assert_int_equal(raw_request(&pi.Head, sizeof pi), MIG_TYPE_ERROR);
    destroy_receive_right(p); // the rights the request carried were destroyed by the server
    expect_no_leaks();
}

// A hand-written server that answers one request with a reply of the given id and size.
struct fake_reply {
    mach_port_t port;
    mach_msg_id_t id_offset;
    mach_msg_size_t size;
};

static void *fake_server(void *arg) {
    const struct fake_reply *fr = arg;
    union {
        mach_msg_header_t head;
        char bytes[1024];
    } req;
    if (mach_msg(&req.head, MACH_RCV_MSG, 0, sizeof req, fr->port, MACH_MSG_TIMEOUT_NONE,
                 MACH_PORT_NULL) != MACH_MSG_SUCCESS)
        return NULL;
    struct {
        mig_reply_error_t error;
        int extra[4]; // room for the oversized replies the tests send (up to +8 bytes)
    } rep;
    memset(&rep, 0, sizeof rep);
    rep.error.Head.msgh_bits = MACH_MSGH_BITS(MACH_MSGH_BITS_REMOTE(req.head.msgh_bits), 0);
    rep.error.Head.msgh_remote_port = req.head.msgh_remote_port;
    rep.error.Head.msgh_size = fr->size;
    rep.error.Head.msgh_id = req.head.msgh_id + fr->id_offset;
    rep.error.NDR = NDR_record;
    rep.error.RetCode = KERN_SUCCESS;
    (void)mach_msg(&rep.error.Head, MACH_SEND_MSG, fr->size, 0, MACH_PORT_NULL,
                   MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL);
    return NULL;
}

static kern_return_t add_against_fake(mach_msg_id_t id_offset, mach_msg_size_t size) {
    struct fake_reply fr = {new_receive_right(), id_offset, size};
    assert_int_equal(mach_port_insert_right(mach_task_self(), fr.port, fr.port,
                                            MACH_MSG_TYPE_MAKE_SEND),
                     KERN_SUCCESS);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, fake_server, &fr), 0);
    int sum = 0;
    kern_return_t kr = add(fr.port, 1, 2, &sum);
    pthread_join(t, NULL);
    (void)mach_port_deallocate(mach_task_self(), fr.port);
    destroy_receive_right(fr.port);
    return kr;
}

static void client_rejects_wrong_replies(void **state) {
    (void)state;
    // Another id than request + 100.
    assert_int_equal(add_against_fake(101, sizeof(mig_reply_error_t) + 4), MIG_REPLY_MISMATCH);
    // The right id, a size that is neither the reply's nor an error reply's.
    assert_int_equal(add_against_fake(100, sizeof(mach_msg_header_t) + sizeof(NDR_record_t)),
                     MIG_TYPE_ERROR);
    // Larger than the stub's buffer: the receive fails and the reply port is replaced.
    assert_int_equal(add_against_fake(100, sizeof(mig_reply_error_t) + 8), MACH_RCV_TOO_LARGE);
    // A "success" that is only an error reply's size.
    assert_int_equal(add_against_fake(100, sizeof(mig_reply_error_t)), MIG_TYPE_ERROR);
    // And a well-formed reply from the same fake works.
    assert_int_equal(add_against_fake(100, sizeof(mig_reply_error_t) + 4), KERN_SUCCESS);
    expect_no_leaks();
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(scalars_travel_both_ways),
        cmocka_unit_test(simpleroutine_is_delivered_in_order),
        cmocka_unit_test(inout_and_64_bit_values),
        cmocka_unit_test(structs_and_fixed_arrays),
        cmocka_unit_test(variable_arrays_at_every_count),
        cmocka_unit_test(fields_after_variable_data_are_shifted),
        cmocka_unit_test(strings_fixed_and_variable),
        cmocka_unit_test(countinout_limits_the_reply),
        cmocka_unit_test(unbounded_array_goes_out_of_line),
        cmocka_unit_test(ool_memory_moves_with_dealloc),
        cmocka_unit_test(port_rights_of_each_disposition),
        cmocka_unit_test(polymorphic_ports_carry_their_disposition),
        cmocka_unit_test(port_arrays_inline_and_out_of_line),
        cmocka_unit_test(server_receives_seqno_and_audit_token),
        cmocka_unit_test(timeout_drops_the_reply_port_and_recovers),
        cmocka_unit_test(server_error_destroys_request_memory_and_rights),
        cmocka_unit_test(dropped_reply_right_means_server_died),
        cmocka_unit_test(unknown_id_gets_mig_bad_id),
        cmocka_unit_test(malformed_requests_are_rejected),
        cmocka_unit_test(wrong_descriptor_gets_type_error_and_is_destroyed),
        cmocka_unit_test(client_rejects_wrong_replies),
    };
    return cmocka_run_group_tests(tests, start_server, stop_server);
}
