// Unit tests of the LP64 message layouts (check/layout.c), checked against Apple's generated
// __Request__/__Reply__ offsets and sizes (facts from Darwin's mach_exc, exc and vm headers).
#define _POSIX_C_SOURCE 200809L // open_memstream
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "test_check.h"

static const struct ir_routine *compile_routine(struct compiled *c, const char *text,
                                                const char *name) {
    compile_text(c, text);
    if (!c->ir)
        fprintf(stderr, "%.*s", (int)c->diag_len, c->diag_text ? c->diag_text : "");
    assert_non_null(c->ir);
    const struct ir_routine *rt = ir_module_find_routine(c->ir, name);
    assert_non_null(rt);
    return rt;
}

static void expect_field(const struct ir_layout *l, const char *name, uint32_t offset,
                         uint32_t size) {
    const struct ir_field *f = ir_layout_find_field(l, name);
    if (!f)
        fail_msg("no field '%s' in %s", name, l->typedef_name);
    assert_int_equal(f->offset, offset);
    assert_int_equal(f->size, size);
}

static void layout_int_in_int_out_matches_apple(void **state) {
    (void)state;
    struct compiled c;
    const struct ir_routine *rt = compile_routine(
        &c, PRELUDE "routine add(server : mach_port_t; a : int; out b : int);\n", "add");
    assert_int_equal(rt->request.size, 36);
    assert_false(rt->request.is_complex);
    expect_field(&rt->request, "Head", 0, 24);
    expect_field(&rt->request, "NDR", 24, 8);
    expect_field(&rt->request, "a", 32, 4);
    assert_int_equal(rt->reply.size, 40);
    expect_field(&rt->reply, "RetCode", 32, 4);
    expect_field(&rt->reply, "b", 36, 4);
    assert_string_equal(rt->request.typedef_name, "__Request__add_t");
    assert_string_equal(rt->reply.typedef_name, "__Reply__add_t");
    // The error reply every server sends for a nonzero return code: mig_reply_error_t.
    assert_int_equal(c.ir->error_reply.size, 36);
    expect_field(&c.ir->error_reply, "RetCode", 32, 4);
    compiled_fini(&c);
}

// __Request__mach_exception_raise_t: thread and task port descriptors, NDR at 52, exception at 60,
// codeCnt at 64, int64_t code[2] at 68 (pack(4)).
static void layout_mach_exception_raise_matches_apple(void **state) {
    (void)state;
    struct compiled c;
    const struct ir_routine *rt = compile_routine(
        &c,
        PRELUDE "type code_t = array[*:2] of int64_t;\n"
                "routine mach_exception_raise(exception_port : mach_port_t; thread : mach_port_t;"
                " task : mach_port_t; exception : int; code : code_t);\n",
        "mach_exception_raise");
    const struct ir_layout *l = &rt->request;
    assert_true(l->is_complex);
    assert_int_equal(l->descriptor_count, 2);
    expect_field(l, "msgh_body", 24, 4);
    expect_field(l, "thread", 28, 12);
    expect_field(l, "task", 40, 12);
    expect_field(l, "NDR", 52, 8);
    expect_field(l, "exception", 60, 4);
    expect_field(l, "codeCnt", 64, 4);
    expect_field(l, "code", 68, 16);
    assert_int_equal(l->size, 84);
    assert_int_equal(l->min_size, 68);
    assert_true(l->is_variable);
    assert_int_equal(rt->reply.size, 36); // header + NDR + RetCode
    compiled_fini(&c);
}

static void layout_complex_reply_has_no_retcode(void **state) {
    (void)state;
    struct compiled c;
    const struct ir_routine *rt = compile_routine(
        &c, PRELUDE "routine get(server : mach_port_t; out p : mach_port_move_send_t);\n", "get");
    const struct ir_layout *l = &rt->reply;
    assert_true(l->is_complex);
    assert_false(l->has_retcode);
    assert_false(l->has_ndr);
    expect_field(l, "p", 28, 12);
    assert_int_equal(l->size, 40);
    assert_null(ir_layout_find_field(l, "RetCode"));
    compiled_fini(&c);
}

static void layout_ool_array_has_descriptor_then_count(void **state) {
    (void)state;
    struct compiled c;
    const struct ir_routine *rt = compile_routine(
        &c, PRELUDE "type data_t = array[] of char;\n"
                    "routine put(server : mach_port_t; data : data_t; x : int);\n", "put");
    const struct ir_layout *l = &rt->request;
    assert_true(l->is_complex);
    expect_field(l, "data", 28, 16);
    expect_field(l, "NDR", 44, 8);
    expect_field(l, "dataCnt", 52, 4);
    expect_field(l, "x", 56, 4);
    assert_int_equal(l->size, 60);
    assert_false(l->is_variable);
    const struct ir_arg *data = ir_routine_find_arg(rt, "data");
    assert_int_equal(data->request_carrier, IR_CARRY_OOL_DESC);
    assert_string_equal(data->maybe_count->name, "dataCnt");
    compiled_fini(&c);
}

static void layout_pads_small_inline_data_to_four_bytes(void **state) {
    (void)state;
    struct compiled c;
    const struct ir_routine *rt = compile_routine(
        &c, PRELUDE "routine small(server : mach_port_t; c : char; n : int);\n", "small");
    const struct ir_layout *l = &rt->request;
    expect_field(l, "c", 32, 1);
    expect_field(l, "cPad", 33, 3);
    expect_field(l, "n", 36, 4);
    assert_int_equal(l->size, 40);
    compiled_fini(&c);
}

static void layout_variable_c_string_has_offset_count_and_data(void **state) {
    (void)state;
    struct compiled c;
    const struct ir_routine *rt = compile_routine(
        &c, PRELUDE "type path_t = c_string[*:1024];\n"
                    "routine open(server : mach_port_t; path : path_t; flags : int);\n", "open");
    const struct ir_layout *l = &rt->request;
    expect_field(l, "pathOffset", 32, 4);
    expect_field(l, "pathCnt", 36, 4);
    expect_field(l, "path", 40, 1024);
    const struct ir_field *flags = ir_layout_find_field(l, "flags");
    assert_int_equal(flags->offset, 1064);
    assert_true(flags->offset_varies);
    assert_int_equal(flags->shift_index, 1);
    assert_int_equal(l->min_size, 44);
    // The string's count is no C parameter.
    const struct ir_arg *cnt = ir_routine_find_arg(rt, "pathCnt");
    assert_false(cnt->on_user_side);
    assert_false(cnt->on_server_side);
    compiled_fini(&c);
}

static void layout_simpleroutine_still_has_reply_typedef(void **state) {
    (void)state;
    struct compiled c;
    const struct ir_routine *rt = compile_routine(
        &c, PRELUDE "simpleroutine note(server : mach_port_t; x : int);\n", "note");
    assert_int_equal(rt->reply.size, 36);
    assert_true(rt->reply.has_retcode);
    assert_int_equal(rt->reply_port_kind, IR_REPLY_PORT_NONE);
    assert_null(rt->maybe_return_code);
    compiled_fini(&c);
}

static void layout_port_array_uses_one_descriptor_per_element(void **state) {
    (void)state;
    struct compiled c;
    const struct ir_routine *rt = compile_routine(
        &c, PRELUDE "type ports_t = array[3] of mach_port_t;\n"
                    "type handlers_t = array[*:32] of mach_port_t;\n"
                    "routine many(server : mach_port_t; p : ports_t; out h : handlers_t);\n",
        "many");
    assert_int_equal(rt->request.descriptor_count, 3);
    expect_field(&rt->request, "p", 28, 36);
    assert_int_equal(ir_layout_find_field(&rt->request, "p")->array_count, 3);
    assert_int_equal(rt->reply.descriptor_count, 32);
    expect_field(&rt->reply, "h", 28, 384);
    expect_field(&rt->reply, "NDR", 412, 8);
    expect_field(&rt->reply, "hCnt", 420, 4);
    compiled_fini(&c);
}

static void layout_audit_token_trailer_selects_max_trailer(void **state) {
    (void)state;
    struct compiled c;
    const struct ir_routine *rt = compile_routine(
        &c, PRELUDE "type audit_token_t = struct[8] of int;\n"
                    "routine who(server : mach_port_t; ServerAuditToken tok : audit_token_t);\n",
        "who");
    assert_string_equal(rt->request.trailer_c_type, "mach_msg_max_trailer_t");
    assert_int_equal(rt->request.trailer_size, 68);
    assert_string_equal(rt->reply.trailer_c_type, "mach_msg_trailer_t");
    const struct ir_arg *tok = ir_routine_find_arg(rt, "tok");
    assert_int_equal(tok->request_carrier, IR_CARRY_TRAILER);
    assert_int_equal(tok->trailer, IR_TRAILER_AUDIT);
    assert_true(rt->server_wants_audit);
    assert_int_equal(rt->request.size, 24); // the header only: no body data, no NDR
    compiled_fini(&c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(layout_int_in_int_out_matches_apple),
        cmocka_unit_test(layout_mach_exception_raise_matches_apple),
        cmocka_unit_test(layout_complex_reply_has_no_retcode),
        cmocka_unit_test(layout_ool_array_has_descriptor_then_count),
        cmocka_unit_test(layout_pads_small_inline_data_to_four_bytes),
        cmocka_unit_test(layout_variable_c_string_has_offset_count_and_data),
        cmocka_unit_test(layout_simpleroutine_still_has_reply_typedef),
        cmocka_unit_test(layout_port_array_uses_one_descriptor_per_element),
        cmocka_unit_test(layout_audit_token_trailer_selects_max_trailer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
