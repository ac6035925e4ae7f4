// Unit tests of the growable string (compiler/support/strbuf.h).
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "support/strbuf.h"

static void strbuf_starts_empty_and_terminated(void **state) {
    (void)state;
    struct strbuf sb = STRBUF_INIT;
    assert_string_equal(strbuf_cstr(&sb), "");
    assert_int_equal(sb.len, 0);
    strbuf_clear(&sb);
    strbuf_fini(&sb);
    strbuf_fini(&sb);
}

static void strbuf_appends_bytes_strings_and_chars(void **state) {
    (void)state;
    struct strbuf sb;
    strbuf_init(&sb);
    strbuf_puts(&sb, "sub");
    strbuf_putc(&sb, 's');
    strbuf_append(&sb, "ystem\0x", 5);
    assert_string_equal(strbuf_cstr(&sb), "subsystem");
    strbuf_append(&sb, "\0z", 2);
    assert_int_equal(sb.len, 11);
    assert_memory_equal(sb.data, "subsystem\0z", 12);
    strbuf_fill(&sb, '~', 3);
    assert_memory_equal(sb.data + 11, "~~~", 4);
    strbuf_truncate(&sb, 3);
    assert_string_equal(strbuf_cstr(&sb), "sub");
    strbuf_truncate(&sb, 10); // no-op
    assert_int_equal(sb.len, 3);
    strbuf_clear(&sb);
    assert_string_equal(strbuf_cstr(&sb), "");
    strbuf_fini(&sb);
}

static void strbuf_printf_formats_short_and_long_text(void **state) {
    (void)state;
    struct strbuf sb = STRBUF_INIT;
    strbuf_printf(&sb, "%s:%d:%u", "a.defs", 7, 40u);
    assert_string_equal(strbuf_cstr(&sb), "a.defs:7:40");
    char big[5000];
    memset(big, 'q', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    strbuf_printf(&sb, "[%s]", big);
    assert_int_equal(sb.len, strlen("a.defs:7:40") + 2 + sizeof big - 1);
    assert_int_equal(sb.data[sb.len - 1], ']');
    assert_int_equal(sb.data[sb.len], '\0');
    strbuf_fini(&sb);
}

// The conversions done without libc (%s %d %u, l/ll/z) and those handed to it give the same
// text as snprintf.
static void strbuf_printf_matches_snprintf(void **state) {
    (void)state;
    struct strbuf sb = STRBUF_INIT;
    char want[256];
    strbuf_printf(&sb, "%s=%d %u %ld %lu %lld %llu %zu %i %% %s", "x", -2147483647 - 1, 4294967295u,
                  -5L, 6UL, -9223372036854775807LL - 1, 18446744073709551615ULL, (size_t)0, 42,
                  "end");
    snprintf(want, sizeof want, "%s=%d %u %ld %lu %lld %llu %zu %i %% %s", "x", -2147483647 - 1,
             4294967295u, -5L, 6UL, -9223372036854775807LL - 1, 18446744073709551615ULL, (size_t)0,
             42, "end");
    assert_string_equal(strbuf_cstr(&sb), want);
    strbuf_clear(&sb);
    strbuf_printf(&sb, "%u then %5d|%-3s|%x|%.*s|%c %d", 7u, 12, "ab", 255u, 2, "xyz", 'q', 3);
    snprintf(want, sizeof want, "%u then %5d|%-3s|%x|%.*s|%c %d", 7u, 12, "ab", 255u, 2, "xyz",
             'q', 3);
    assert_string_equal(strbuf_cstr(&sb), want);
    strbuf_clear(&sb);
    strbuf_printf(&sb, "no conversion");
    assert_string_equal(strbuf_cstr(&sb), "no conversion");
    strbuf_fini(&sb);
}

static void strbuf_grows_through_many_appends(void **state) {
    (void)state;
    struct strbuf sb = STRBUF_INIT;
    for (int i = 0; i < 100000; i++)
        strbuf_putc(&sb, (char)('a' + i % 26));
    assert_int_equal(sb.len, 100000);
    assert_true(sb.cap > sb.len);
    assert_int_equal(sb.data[25], 'z');
    strbuf_fini(&sb);
}

static void strbuf_keeps_content_when_growing_past_a_megabyte(void **state) {
    (void)state;
    struct strbuf sb = STRBUF_INIT;
    char chunk[1000];
    for (int i = 0; i < 3000; i++) {
        memset(chunk, 'A' + i % 26, sizeof chunk);
        strbuf_append(&sb, chunk, sizeof chunk);
    }
    assert_int_equal(sb.len, 3000000);
    for (size_t i = 0; i < sb.len; i += 999)
        assert_int_equal(sb.data[i], 'A' + (int)(i / 1000) % 26);
    assert_int_equal(sb.data[sb.len], '\0');
    strbuf_fini(&sb);
}

static void strbuf_detach_hands_over_the_string(void **state) {
    (void)state;
    struct strbuf sb = STRBUF_INIT;
    char *empty = strbuf_detach(&sb);
    assert_string_equal(empty, "");
    free(empty);
    strbuf_puts(&sb, "out");
    char *s = strbuf_detach(&sb);
    assert_string_equal(s, "out");
    assert_null(sb.data);
    assert_int_equal(sb.len, 0);
    free(s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(strbuf_starts_empty_and_terminated),
        cmocka_unit_test(strbuf_appends_bytes_strings_and_chars),
        cmocka_unit_test(strbuf_printf_formats_short_and_long_text),
        cmocka_unit_test(strbuf_printf_matches_snprintf),
        cmocka_unit_test(strbuf_grows_through_many_appends),
        cmocka_unit_test(strbuf_keeps_content_when_growing_past_a_megabyte),
        cmocka_unit_test(strbuf_detach_hands_over_the_string),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
