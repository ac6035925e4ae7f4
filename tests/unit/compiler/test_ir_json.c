// Unit tests of the IR JSON dump: it is deterministic and carries ids, arguments and layouts.
#define _POSIX_C_SOURCE 200809L // open_memstream
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ir_json.h"
#include "strbuf.h"
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

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ir_json_dump_is_deterministic_and_complete),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
