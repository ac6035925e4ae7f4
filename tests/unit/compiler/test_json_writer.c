// Unit tests of the JSON writer: nesting, separators, indentation and string escaping.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "support/json_writer.h"
#include "support/strbuf.h"

static void json_writer_nests_with_two_space_indent(void **state) {
    (void)state;
    struct strbuf sb = STRBUF_INIT;
    struct json_writer w;
    json_init(&w, &sb);
    json_begin_object(&w, NULL);
    json_string(&w, "name", "x");
    json_int(&w, "n", -5);
    json_begin_array(&w, "list");
    json_bool(&w, NULL, true);
    json_null(&w, NULL);
    json_end_array(&w);
    json_begin_object(&w, "empty");
    json_end_object(&w);
    json_end_object(&w);
    json_finish(&w);
    assert_string_equal(strbuf_cstr(&sb), "{\n"
                                          "  \"name\": \"x\",\n"
                                          "  \"n\": -5,\n"
                                          "  \"list\": [\n"
                                          "    true,\n"
                                          "    null\n"
                                          "  ],\n"
                                          "  \"empty\": {}\n"
                                          "}\n");
    strbuf_fini(&sb);
}

static void json_writer_escapes_strings(void **state) {
    (void)state;
    struct strbuf sb = STRBUF_INIT;
    struct json_writer w;
    json_init(&w, &sb);
    json_string(&w, NULL, "a\"b\\c\n\t\x01<f.h>");
    json_string(&w, NULL, NULL);
    assert_string_equal(strbuf_cstr(&sb), "\"a\\\"b\\\\c\\n\\t\\u0001<f.h>\"null");
    strbuf_fini(&sb);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(json_writer_nests_with_two_space_indent),
        cmocka_unit_test(json_writer_escapes_strings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
