/* The task-port interface (runtime/src/api/task_port.defs) against Darwin's mach_port interface:
 * the request and reply layouts that Apple's MIG gives the routines recorded in
 * tests/wire/mach_port.facts (names, allocate, get_set_status, insert_right, extract_right,
 * get_attributes, set_attributes), and the msgh_id of
 * every routine served (3200 + its place in Darwin's subsystem; the slots in between are not). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "task_port.h"
#include "task_portServer.h"

/* Apple MIG's layouts (tests/wire/mach_port.facts): sizes, then offsets. */
_Static_assert(sizeof(__Request__mach_port_names_t) == 24, "names request");
_Static_assert(sizeof(__Request__mach_port_allocate_t) == 36, "allocate request");
_Static_assert(offsetof(__Request__mach_port_allocate_t, right) == 32, "allocate right");
_Static_assert(sizeof(__Request__mach_port_insert_right_t) == 52, "insert_right request");
_Static_assert(offsetof(__Request__mach_port_insert_right_t, poly) == 28, "insert_right poly");
_Static_assert(offsetof(__Request__mach_port_insert_right_t, NDR) == 40, "insert_right NDR");
_Static_assert(offsetof(__Request__mach_port_insert_right_t, name) == 48, "insert_right name");
_Static_assert(sizeof(__Request__mach_port_extract_right_t) == 40, "extract_right request");
_Static_assert(offsetof(__Request__mach_port_extract_right_t, name) == 32, "extract_right name");
_Static_assert(offsetof(__Request__mach_port_extract_right_t, msgt_name) == 36, "extract_right msgt_name");
_Static_assert(sizeof(__Reply__mach_port_names_t) == 76, "names reply");
_Static_assert(offsetof(__Reply__mach_port_names_t, names) == 28, "names names");
_Static_assert(offsetof(__Reply__mach_port_names_t, types) == 44, "names types");
_Static_assert(offsetof(__Reply__mach_port_names_t, NDR) == 60, "names NDR");
_Static_assert(offsetof(__Reply__mach_port_names_t, namesCnt) == 68, "names namesCnt");
_Static_assert(offsetof(__Reply__mach_port_names_t, typesCnt) == 72, "names typesCnt");
_Static_assert(sizeof(__Reply__mach_port_allocate_t) == 40, "allocate reply");
_Static_assert(offsetof(__Reply__mach_port_allocate_t, name) == 36, "allocate name");
_Static_assert(sizeof(__Reply__mach_port_insert_right_t) == 36, "insert_right reply");
_Static_assert(sizeof(__Reply__mach_port_extract_right_t) == 40, "extract_right reply");
_Static_assert(offsetof(__Reply__mach_port_extract_right_t, poly) == 28, "extract_right poly");

_Static_assert(sizeof(__Request__mach_port_get_set_status_t) == 36, "get_set_status request");
_Static_assert(offsetof(__Request__mach_port_get_set_status_t, name) == 32, "get_set_status name");
_Static_assert(sizeof(__Reply__mach_port_get_set_status_t) == 56, "get_set_status reply");
_Static_assert(offsetof(__Reply__mach_port_get_set_status_t, members) == 28, "get_set_status members");
_Static_assert(offsetof(__Reply__mach_port_get_set_status_t, membersCnt) == 52, "get_set_status membersCnt");
_Static_assert(sizeof(__Request__mach_port_get_attributes_t) == 44, "get_attributes request");
_Static_assert(offsetof(__Request__mach_port_get_attributes_t, flavor) == 36, "get_attributes flavor");
_Static_assert(offsetof(__Request__mach_port_get_attributes_t, port_info_outCnt) == 40, "get_attributes count");
_Static_assert(sizeof(__Reply__mach_port_get_attributes_t) == 108, "get_attributes reply");
_Static_assert(offsetof(__Reply__mach_port_get_attributes_t, port_info_outCnt) == 36, "get_attributes reply count");
_Static_assert(offsetof(__Reply__mach_port_get_attributes_t, port_info_out) == 40, "get_attributes info");
_Static_assert(sizeof(__Request__mach_port_set_attributes_t) == 112, "set_attributes request");
_Static_assert(offsetof(__Request__mach_port_set_attributes_t, flavor) == 36, "set_attributes flavor");
_Static_assert(offsetof(__Request__mach_port_set_attributes_t, port_infoCnt) == 40, "set_attributes count");
_Static_assert(offsetof(__Request__mach_port_set_attributes_t, port_info) == 44, "set_attributes info");

static bool served(mach_msg_id_t id) {
    mach_msg_header_t h = {0};
    h.msgh_id = id;
    return openmig_task_port_server_routine(&h) != NULL;
}

/* Darwin's numbering: mach_port_names 3200, type 3201, allocate_name 3203, allocate 3204,
 * destroy 3205, deallocate 3206, get_refs 3207, mod_refs 3208, set_mscount 3210,
 * get_set_status 3211, move_member 3212, insert_right 3214, extract_right 3215, set_seqno 3216,
 * get_attributes 3217, set_attributes 3218, get_srights 3222, insert_member 3226,
 * extract_member 3227, get_context 3228, set_context 3229, destruct 3232, guard 3233,
 * unguard 3234; nothing else. */
static void task_port_ids_are_darwins(void **state) {
    (void)state;
    const mach_msg_id_t ids[] = {3200, 3201, 3203, 3204, 3205, 3206, 3207, 3208, 3210, 3211, 3212, 3214,
                                 3215, 3216, 3217, 3218, 3222, 3226, 3227, 3228, 3229, 3232, 3233, 3234};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
        assert_true(served(ids[i]));
    const mach_msg_id_t gaps[] = {3199, 3202, 3209, 3213, 3219, 3220, 3221, 3223, 3224, 3225, 3230, 3231,
                                  3235, 3300};
    for (size_t i = 0; i < sizeof gaps / sizeof gaps[0]; i++)
        assert_false(served(gaps[i]));
}

/* A request the demux does not know gets MIG_BAD_ID in a mig_reply_error_t to its reply port. */
static void task_port_unknown_id_is_refused(void **state) {
    (void)state;
    mach_msg_header_t in = {0};
    /* As received: the reply right is in msgh_remote_port. */
    in.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_PORT_SEND_ONCE, 0);
    in.msgh_size = sizeof in;
    in.msgh_remote_port = (mach_port_name_t)0x1203;
    in.msgh_id = 3209; /* mach_port_peek: not served */
    mig_reply_error_t out;
    memset(&out, 0, sizeof out);
    assert_false(openmig_task_port_server(&in, &out.Head));
    assert_int_equal(out.Head.msgh_id, 3309);
    assert_int_equal(out.Head.msgh_remote_port, 0x1203);
    assert_int_equal(MACH_MSGH_BITS_REMOTE(out.Head.msgh_bits), MACH_MSG_TYPE_PORT_SEND_ONCE);
    assert_int_equal(out.RetCode, MIG_BAD_ID);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(task_port_ids_are_darwins),
        cmocka_unit_test(task_port_unknown_id_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
