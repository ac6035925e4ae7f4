// Unit tests of the per-compilation arena and the aborting allocators
// (compiler/support/arena.h, xalloc.h).
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "support/arena.h"
#include "support/xalloc.h"

static void arena_returns_zeroed_aligned_memory(void **state) {
    (void)state;
    struct arena *a = arena_create();
    for (size_t size = 0; size < 300; size++) {
        unsigned char *p = arena_alloc(a, size);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % alignof(max_align_t), 0);
        for (size_t i = 0; i < size; i++)
            assert_int_equal(p[i], 0);
        memset(p, 0xab, size); // must not overlap the next allocation
    }
    arena_destroy(a);
}

static void arena_allocations_do_not_overlap(void **state) {
    (void)state;
    struct arena *a = arena_create();
    enum { N = 5000 };
    static uint32_t *ptrs[N];
    for (uint32_t i = 0; i < N; i++) {
        ptrs[i] = arena_alloc(a, sizeof(uint32_t) * (1 + i % 7));
        for (uint32_t j = 0; j < 1 + i % 7; j++)
            ptrs[i][j] = i;
    }
    for (uint32_t i = 0; i < N; i++)
        for (uint32_t j = 0; j < 1 + i % 7; j++)
            assert_int_equal(ptrs[i][j], i);
    arena_destroy(a);
}

static void arena_handles_blocks_larger_than_its_block_size(void **state) {
    (void)state;
    struct arena *a = arena_create();
    char *small1 = arena_alloc(a, 16);
    char *big = arena_alloc(a, 1 << 20);
    char *small2 = arena_alloc(a, 16);
    assert_int_equal(big[0], 0);
    assert_int_equal(big[(1 << 20) - 1], 0);
    memset(big, 1, 1 << 20);
    assert_true(small2 < big || small2 >= big + (1 << 20));
    assert_true(small1 < big || small1 >= big + (1 << 20));
    assert_true(arena_bytes_used(a) >= (1 << 20) + 32);
    arena_destroy(a);
}

static void arena_copies_strings(void **state) {
    (void)state;
    struct arena *a = arena_create();
    assert_string_equal(arena_strdup(a, "routine"), "routine");
    char *n = arena_strndup(a, "ab\0cd", 5);
    assert_memory_equal(n, "ab\0cd", 5);
    assert_int_equal(n[5], '\0');
    assert_string_equal(arena_strndup(a, "abcdef", 3), "abc");
    assert_string_equal(arena_strndup(a, NULL, 0), "");
    assert_string_equal(arena_printf(a, "%s_%d", "msg", 42), "msg_42");
    char long_text[1000];
    memset(long_text, 'x', sizeof long_text - 1);
    long_text[sizeof long_text - 1] = '\0';
    assert_string_equal(arena_printf(a, "%s", long_text), long_text);
    arena_destroy(a);
}

static void arena_array_and_grow_work(void **state) {
    (void)state;
    struct arena *a = arena_create();
    int *v = arena_array(a, 100, sizeof(int));
    for (int i = 0; i < 100; i++)
        assert_int_equal(v[i], 0);
    arena_destroy(a);
    arena_destroy(NULL);

    int *g = NULL;
    size_t cap = 0;
    for (size_t i = 0; i < 1000; i++) {
        g = xgrow(g, &cap, i + 1, sizeof *g);
        g[i] = (int)i;
    }
    assert_true(cap >= 1000);
    assert_int_equal(g[999], 999);
    free(g);
    char *s = xstrdup("abc");
    assert_string_equal(s, "abc");
    free(s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(arena_returns_zeroed_aligned_memory),
        cmocka_unit_test(arena_allocations_do_not_overlap),
        cmocka_unit_test(arena_handles_blocks_larger_than_its_block_size),
        cmocka_unit_test(arena_copies_strings),
        cmocka_unit_test(arena_array_and_grow_work),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
