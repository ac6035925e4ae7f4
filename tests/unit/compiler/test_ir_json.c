// Unit tests of the IR JSON dump: it is deterministic and carries ids, arguments and layouts.
#define _POSIX_C_SOURCE 200809L // open_memstream
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ir/ir_json.h"
#include "support/strbuf.h"
#include "test_check.h"

static void ir_json_dump_is_deterministic_and_complete(void **state) {
    (void)state;
    const char *text = PRELUDE "import <stdio.h>;\nroutine add(s : mach_port_t; a : int; out b : int);\n";
    struct strbuf first = STRBUF_INIT, second = STRBUF_INIT;
    for (int i = 0; i < 2; i++) {
        struct compiled c;
        compile_text(&c, text);
        assert_non_null(c.ir);
        ir_json_write(c.ir, i == 0 ? &first : &second);
        compiled_fini(&c);
    }
    assert_string_equal(strbuf_cstr(&first), strbuf_cstr(&second));
    const char *json = strbuf_cstr(&first);
    assert_non_null(strstr(json, "\"request_id\": 1000"));
    assert_non_null(strstr(json, "\"reply_id\": 1100"));
    assert_non_null(strstr(json, "\"typedef\": \"__Request__add_t\""));
    assert_non_null(strstr(json, "\"name\": \"RetCode\",\n            \"c_type\": \"kern_return_t\",\n"
                                 "            \"offset\": 32"));
    assert_non_null(strstr(json, "\"file\": \"<stdio.h>\""));
    assert_int_equal(json[strlen(json) - 1], '\n');
    strbuf_fini(&first);
    strbuf_fini(&second);
}

// Every distinct argument type is written once under "types"; arguments refer to it by name, and
// a second, different type of the same name (a redefinition) is "name#2".
static void ir_json_writes_each_type_once(void **state) {
    (void)state;
    const char *text = PRELUDE "type int_t = int;\n"
                               "routine r(s : mach_port_t; a : a_t = array[4] of int; c : int;\n"
                               "          d : int_t; b : a_t = array[8] of int);\n"
                               "routine q(s : mach_port_t; a : a_t = array[8] of int; e : int);\n";
    struct compiled c;
    compile_text(&c, text);
    assert_non_null(c.ir);
    struct strbuf out = STRBUF_INIT;
    ir_json_write(c.ir, &out);
    compiled_fini(&c);
    const char *json = strbuf_cstr(&out);
    assert_non_null(strstr(json, "\"version\": 2,"));
    const char *types = strstr(json, "\n  \"types\": {\n    \"mach_port_t\": {\n      \"name\": \"mach_port_t\",");
    assert_non_null(types);
    const char *routines = strstr(json, "\n  \"routines\": [");
    assert_true(types < routines);
    // In first-use order, each once; int_t is a type of its own (its name differs).
    const char *order[] = {"\"mach_port_t\": {", "\"a_t\": {", "\"int\": {", "\"int_t\": {",
                           "\"a_t#2\": {"};
    const char *at = types;
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        const char *found = strstr(at, order[i]);
        assert_non_null(found);
        assert_true(found < routines);
        at = found + 1;
    }
    const char *a4 = strstr(types, "\"a_t\": {"), *a8 = strstr(types, "\"a_t#2\": {");
    assert_true(strstr(a4, "\"count\": 4,") < strstr(a4, "\"int\": {"));
    assert_true(strstr(a8, "\"count\": 8,") < routines);
    const char *refs[] = {"\"type\": \"a_t\"", "\"type\": \"int\"", "\"type\": \"int_t\"",
                          "\"type\": \"a_t#2\""};
    at = routines;
    for (size_t i = 0; i < sizeof refs / sizeof refs[0]; i++) {
        at = strstr(at, refs[i]);
        assert_non_null(at);
    }
    // Routine q: its a_t is array[8] again, the same as a_t#2.
    const char *q = strstr(routines, "\"name\": \"q\"");
    assert_non_null(q);
    assert_non_null(strstr(q, "\"type\": \"a_t#2\""));
    assert_null(strstr(q, "\"type\": \"a_t\""));
    assert_null(strstr(routines, "\"type\": {")); // no type object inside an argument
    strbuf_fini(&out);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ir_json_dump_is_deterministic_and_complete),
        cmocka_unit_test(ir_json_writes_each_type_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
