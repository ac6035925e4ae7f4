// Unit tests of the check steps: each rule reports the right diagnostic id at the right line,
// Apple MIG's defects are not reproduced, and the IR carries ids, roles and implicit arguments.
#define _POSIX_C_SOURCE 200809L // open_memstream
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "test_check.h"

// PRELUDE is 8 lines long: the first line after it is line 9.
enum { FIRST_LINE = 9 };

struct bad_case {
    const char *what;
    const char *text; // appended to PRELUDE
    unsigned id;
    unsigned line;    // line of the first diagnostic with `id`
    bool fails;       // compilation fails (an error, not a warning)
};

static const struct bad_case bad_cases[] = {
    {"unknown type", "routine r(s : mach_port_t; x : int65);\n", 130, FIRST_LINE, true},
    {"inline type used after its argument (it types that argument only)",
     "routine r(s : mach_port_t; x : x_t = int ctype: int);\nroutine q(s : mach_port_t; y : x_t);\n",
     130, FIRST_LINE + 1, true},
    {"division by zero", "type a = array[4 / (2 - 2)] of int;\n", 121, FIRST_LINE, true},
    {"overflow", "type a = array[4294967296 * 4294967296] of int;\n", 120, FIRST_LINE, true},
    {"negative size", "type a = array[2 - 3] of int;\n", 122, FIRST_LINE, true},
    {"long form", "type a = (MACH_MSG_TYPE_INTEGER_32, 32);\n", 134, FIRST_LINE, true},
    {"no default size", "type a = MACH_MSG_TYPE_UNSTRUCTURED;\n", 133, FIRST_LINE, true},
    {"split sizes differ", "type a = MACH_MSG_TYPE_INTEGER_32 | MACH_MSG_TYPE_INTEGER_64;\n", 135,
     FIRST_LINE, true},
    {"pointer to ool", "type a = array[] of int;\ntype b = ^a;\n", 137, FIRST_LINE + 1, true},
    {"struct of variable", "type a = array[*:4] of int;\ntype b = struct[2] of a;\n", 138,
     FIRST_LINE + 1, true},
    {"type redefined", "type a = int;\ntype a = char;\n", 132, FIRST_LINE + 1, false},
    {"no request port", "routine r(in x : int);\n", 200, FIRST_LINE, true},
    {"request port not a port", "routine r(s : int);\n", 201, FIRST_LINE, true},
    {"request port typed inline as a receive right",
     "routine r(s : mach_port_t = MACH_MSG_TYPE_MOVE_RECEIVE);\n", 201, FIRST_LINE, true},
    {"receive right as request port",
     "type rcv_t = MACH_MSG_TYPE_MOVE_RECEIVE;\nroutine r(s : rcv_t);\n", 201, FIRST_LINE + 1, true},
    {"boolean as msgoption", "type b_t = MACH_MSG_TYPE_BOOLEAN;\nroutine r(s : mach_port_t; msgoption o : b_t);\n",
     220, FIRST_LINE + 1, true},
    {"two request ports", "routine r(s : mach_port_t; requestport t : mach_port_t);\n", 202,
     FIRST_LINE, true},
    {"out in simpleroutine", "simpleroutine r(s : mach_port_t; out x : int);\n", 204, FIRST_LINE,
     true},
    {"retcode on routine", "routine r(s : mach_port_t; x : int, retcode);\n", 205, FIRST_LINE, true},
    {"countinout on scalar", "routine r(s : mach_port_t; out x : int, countinout);\n", 208,
     FIRST_LINE, true},
    {"samecount alone", "type v = array[*:4] of int;\nroutine r(s : mach_port_t; x : v, samecount);\n",
     209, FIRST_LINE + 1, true},
    {"dealloc[] inline", "routine r(s : mach_port_t; x : int, dealloc[]);\n", 210, FIRST_LINE, true},
    {"dealloc and notdealloc",
     "type o = array[] of int;\nroutine r(s : mach_port_t; x : o, dealloc, notdealloc);\n", 212,
     FIRST_LINE + 1, true},
    {"inout variable", "type v = array[*:4] of int;\nroutine r(s : mach_port_t; inout x : v);\n", 216,
     FIRST_LINE + 1, true},
    {"natural_t context token (Apple defect 6)",
     "routine r(s : mach_port_t; ServerContextToken c : int);\n", 217, FIRST_LINE, true},
    {"ServerImpl (Apple defect 4)", "routine r(s : mach_port_t; ServerImpl x : int);\n", 219,
     FIRST_LINE, true},
    {"waittime argument type", "routine r(s : mach_port_t; waittime w : char);\n", 220, FIRST_LINE,
     true},
    {"duplicate argument", "routine r(s : mach_port_t; x : int; x : int);\n", 221, FIRST_LINE, true},
    {"duplicate routine (Apple defect 10)",
     "routine r(s : mach_port_t);\nroutine r(s : mach_port_t);\n", 222, FIRST_LINE + 1, true},
    {"C keyword argument", "routine r(s : mach_port_t; double : int);\n", 223, FIRST_LINE, true},
    {"C keyword serverdemux (the demux function's name)",
     "serverdemux register;\nroutine r(s : mach_port_t);\n", 223, FIRST_LINE, true},
    {"C keyword routine, no prefixes", "routine register(s : mach_port_t);\n", 236, FIRST_LINE,
     true},
    {"C keyword routine, server prefix only",
     "serverprefix S_;\nroutine register(s : mach_port_t);\n", 236, FIRST_LINE + 1, true},
    {"implicit name collision",
     "type v = array[*:4] of int;\nroutine r(s : mach_port_t; x : v; xCnt : int);\n", 293,
     FIRST_LINE + 1, true},
    {"GNU struct", "type s = struct { int a; int b; };\n", 139, FIRST_LINE, true},
};

static void check_reports_each_bad_input_at_its_line(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        const struct bad_case *bc = &bad_cases[i];
        char text[2048];
        snprintf(text, sizeof text, "%s%s", PRELUDE, bc->text);
        struct compiled c;
        compile_text(&c, text);
        const struct diag_record *r = find_diag(&c, bc->id);
        if (!r)
            fail_msg("%s: no E%04u; got:\n%.*s", bc->what, bc->id, (int)c.diag_len,
                     c.diag_text ? c.diag_text : "");
        if (r->span.begin.line != bc->line)
            fail_msg("%s: E%04u at line %u, expected %u", bc->what, bc->id,
                     (unsigned)r->span.begin.line, bc->line);
        if (bc->fails != (c.ir == NULL))
            fail_msg("%s: compilation %s", bc->what, c.ir ? "succeeded" : "failed");
        compiled_fini(&c);
    }
}

static void check_assigns_ids_with_skips(void **state) {
    (void)state;
    struct compiled c;
    compile_text(&c, PRELUDE "routine a(s : mach_port_t);\nskip;\nsimpleroutine b(s : mach_port_t);\n");
    assert_non_null(c.ir);
    assert_int_equal(c.ir->routine_count, 3);
    assert_int_equal(c.ir->real_routine_count, 2);
    assert_int_equal(c.ir->msg_count, 3); // <subsys>_MSG_COUNT counts skips, as Apple's does
    assert_int_equal(c.ir->routines[0].request_id, 1000);
    assert_int_equal(c.ir->routines[0].reply_id, 1100);
    assert_int_equal(c.ir->routines[1].kind, IR_KIND_SKIP);
    assert_int_equal(c.ir->routines[2].request_id, 1002);
    compiled_fini(&c);
}

static void check_warns_when_replies_collide_with_requests(void **state) {
    (void)state;
    static char text[16384];
    int n = snprintf(text, sizeof text, "%s", PRELUDE);
    for (int i = 0; i < 101; i++)
        n += snprintf(text + n, sizeof text - (size_t)n, "routine r%d(s : mach_port_t);\n", i);
    struct compiled c;
    compile_text(&c, text);
    assert_non_null(c.ir); // a warning
    assert_non_null(find_diag(&c, 270));
    assert_non_null(find_diag(&c, 271));
    compiled_fini(&c);
}

static void check_rejects_ids_past_int32_max(void **state) {
    (void)state;
    struct compiled c;
    compile_text(&c, "subsystem big 2147483600;\ntype mach_port_t = MACH_MSG_TYPE_COPY_SEND;\n"
                     "routine a(s : mach_port_t);\n");
    assert_null(c.ir);
    const struct diag_record *r = find_diag(&c, 272);
    assert_non_null(r);
    assert_int_equal(r->span.begin.line, 3);
    compiled_fini(&c);
}

static void check_requires_a_subsystem(void **state) {
    (void)state;
    struct compiled c;
    compile_text(&c, "type int = MACH_MSG_TYPE_INTEGER_32;\n");
    assert_null(c.ir);
    assert_non_null(find_diag(&c, 100));
    compiled_fini(&c);
}

// Apple defect 1: PointerToIfNot crashes migcom. Here it is an inline value with a presence flag.
// C keywords where every generated name built from them is still valid C (firehose.defs).
static void check_accepts_keywords_inside_generated_names(void **state) {
    (void)state;
    struct compiled c;
    compile_text(&c, "subsystem default 100;\ntype mach_port_t = MACH_MSG_TYPE_COPY_SEND;\n"
                     "userprefix u_;\nserverprefix s_;\nroutine register(s : mach_port_t);\n");
    assert_non_null(c.ir);
    assert_string_equal(c.ir->names.server_demux, "default_server");
    const struct ir_routine *rt = ir_module_find_routine(c.ir, "register");
    assert_string_equal(rt->user_name, "u_register");
    assert_string_equal(rt->server_name, "s_register");
    assert_string_equal(rt->server_stub_name, "_Xregister");
    compiled_fini(&c);
}

// `const` (Apple's rule): c_string and inline variable-sized data sent in the request.
static void check_const_parameters_follow_apples_rule(void **state) {
    (void)state;
    struct compiled c;
    compile_text(&c, PRELUDE "type v = array[*:4] of int;\ntype o = array[] of int;\n"
                             "type s = c_string[8];\n"
                             "routine r(p : mach_port_t; a : v, const; b : o, const; c : s, const;\n"
                             "          d : int, const; e : v);\n");
    assert_non_null(c.ir);
    const struct ir_routine *rt = ir_module_find_routine(c.ir, "r");
    assert_true(ir_routine_find_arg(rt, "a")->c_const);
    assert_false(ir_routine_find_arg(rt, "aCnt")->c_const);
    assert_false(ir_routine_find_arg(rt, "b")->c_const); // out of line
    assert_true(ir_routine_find_arg(rt, "c")->c_const);
    assert_false(ir_routine_find_arg(rt, "d")->c_const); // a scalar
    assert_false(ir_routine_find_arg(rt, "e")->c_const); // no flag
    assert_true(ir_routine_find_arg(rt, "d")->flags.is_const);
    compiled_fini(&c);
}

static void check_accepts_pointer_to_if_not(void **state) {
    (void)state;
    struct compiled c;
    compile_text(&c, PRELUDE "routine r(s : mach_port_t; p : PointerToIfNot(struct foo, NULL));\n");
    assert_non_null(c.ir);
    const struct ir_routine *rt = ir_module_find_routine(c.ir, "r");
    const struct ir_arg *p = ir_routine_find_arg(rt, "p");
    assert_int_equal(p->type->native, IR_NATIVE_POINTER_TO_IF_NOT);
    assert_true(p->user_by_reference);
    assert_non_null(ir_layout_find_field(&rt->request, "__Present__p"));
    assert_true(ir_layout_find_field(&rt->request, "p")->is_optional_native);
    compiled_fini(&c);
}

static void check_adds_implicit_args_in_apple_order(void **state) {
    (void)state;
    struct compiled c;
    compile_text(&c, PRELUDE "type pa = array[] of mach_port_poly_t;\n"
                             "routine r(s : mach_port_t; x : pa, dealloc[]; out y : mach_port_poly_t);\n");
    assert_non_null(c.ir);
    const struct ir_routine *rt = ir_module_find_routine(c.ir, "r");
    const char *const expect[] = {"RetCode", "s", "x", "xPoly", "xCnt", "xDealloc", "y", "yPoly"};
    assert_int_equal(rt->arg_count, 8);
    for (size_t i = 0; i < 8; i++)
        assert_string_equal(rt->args[i].name, expect[i]);
    const struct ir_arg *x = ir_routine_find_arg(rt, "x");
    assert_int_equal(x->request_carrier, IR_CARRY_OOL_PORTS_DESC);
    assert_ptr_equal(x->maybe_count, ir_routine_find_arg(rt, "xCnt"));
    assert_int_equal(x->flags.dealloc, IR_DEALLOC_MAYBE);
    const struct ir_arg *ypoly = ir_routine_find_arg(rt, "yPoly");
    assert_true(ypoly->on_user_side && ypoly->on_server_side);
    assert_true(ypoly->user_by_reference && ypoly->server_by_reference);
    const struct ir_arg *xdealloc = ir_routine_find_arg(rt, "xDealloc");
    assert_true(xdealloc->on_user_side);
    assert_false(xdealloc->on_server_side);
    assert_int_equal(rt->server_arg_count, 7 - 1); // no xDealloc on the server
    compiled_fini(&c);
}

static void check_port_send_once_in_arg_is_polymorphic_on_the_user_side(void **state) {
    (void)state;
    struct compiled c;
    compile_text(&c, PRELUDE "routine r(s : mach_port_t; n : mach_port_send_once_t);\n");
    assert_non_null(c.ir);
    const struct ir_arg *poly = ir_routine_find_arg(ir_module_find_routine(c.ir, "r"), "nPoly");
    assert_non_null(poly);
    assert_true(poly->on_user_side);
    assert_false(poly->on_server_side);
    compiled_fini(&c);
}

static void check_countinout_count_travels_both_ways(void **state) {
    (void)state;
    struct compiled c;
    compile_text(&c, PRELUDE "type v = array[*:16] of int;\n"
                             "routine r(s : mach_port_t; out x : v, countinout);\n");
    assert_non_null(c.ir);
    const struct ir_routine *rt = ir_module_find_routine(c.ir, "r");
    const struct ir_arg *cnt = ir_routine_find_arg(rt, "xCnt");
    assert_int_equal(cnt->dir, IR_DIR_INOUT);
    assert_non_null(ir_layout_find_field(&rt->request, "xCnt"));
    assert_non_null(ir_layout_find_field(&rt->reply, "xCnt"));
    compiled_fini(&c);
}

static void check_snapshots_statements_in_force(void **state) {
    (void)state;
    struct compiled c;
    compile_text(&c, PRELUDE "ConsumeOnSendError Timeout;\nwaittime 100;\nmsgoption MACH_SEND_INTERRUPT;\n"
                             "routine a(s : mach_port_t);\nnowaittime;\n"
                             "routine b(s : mach_port_t; waittime w : int);\n"
                             "serverprefix S_;\nuserprefix U_;\n");
    assert_non_null(c.ir);
    const struct ir_routine *a = ir_module_find_routine(c.ir, "a");
    const struct ir_routine *b = ir_module_find_routine(c.ir, "b");
    assert_int_equal(a->waittime.source, IR_SETTING_STATEMENT);
    assert_string_equal(a->waittime.expr, "100");
    assert_string_equal(a->msgoption.expr, "MACH_SEND_INTERRUPT");
    assert_int_equal(b->waittime.source, IR_SETTING_ARGUMENT);
    assert_string_equal(b->waittime.maybe_arg->name, "w");
    assert_string_equal(a->user_name, "U_a");
    assert_string_equal(a->server_name, "S_a");
    assert_string_equal(c.ir->names.subsystem_struct, "S_test_subsystem");
    assert_string_equal(c.ir->names.user_request_union, "__RequestUnion__U_test_subsystem");
    assert_string_equal(a->server_request_union_member, "Request_a");
    assert_string_equal(a->define_id_name, "MACH_ID_A");
    compiled_fini(&c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(check_reports_each_bad_input_at_its_line),
        cmocka_unit_test(check_assigns_ids_with_skips),
        cmocka_unit_test(check_warns_when_replies_collide_with_requests),
        cmocka_unit_test(check_rejects_ids_past_int32_max),
        cmocka_unit_test(check_requires_a_subsystem),
        cmocka_unit_test(check_accepts_pointer_to_if_not),
        cmocka_unit_test(check_accepts_keywords_inside_generated_names),
        cmocka_unit_test(check_const_parameters_follow_apples_rule),
        cmocka_unit_test(check_adds_implicit_args_in_apple_order),
        cmocka_unit_test(check_port_send_once_in_arg_is_polymorphic_on_the_user_side),
        cmocka_unit_test(check_countinout_count_travels_both_ways),
        cmocka_unit_test(check_snapshots_statements_in_force),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
