// The handle map (wire/handle_map.c) that holds machd's broker spaces and the runtime's proxies:
// every key found again after inserts and removals, and keys a hostile task picks to collide
// (handles that differ only in their high bits, which all fell into one slot chain under the old
// unkeyed hash) cost about as many probes as sequential ones.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "wire/handle_map.h"

#define N 16000u

static uint64_t insert_probes(uint32_t (*key_of)(uint32_t)) {
    struct handle_map m;
    handle_map_init(&m);
    for (uint32_t i = 0; i < N; i++)
        assert_true(handle_map_put(&m, key_of(i), (void *)(uintptr_t)(i + 1)));
    for (uint32_t i = 0; i < N; i++)
        assert_ptr_equal(handle_map_get(&m, key_of(i)), (void *)(uintptr_t)(i + 1));
    for (uint32_t i = 0; i < N; i += 2)
        handle_map_remove(&m, key_of(i));
    for (uint32_t i = 0; i < N; i++)
        assert_ptr_equal(handle_map_get(&m, key_of(i)), i % 2 ? (void *)(uintptr_t)(i + 1) : NULL);
    assert_int_equal(m.count, N / 2);
    uint64_t probes = m.probes;
    handle_map_fini(&m);
    return probes;
}

static uint32_t sequential(uint32_t i) { return 0x100u + i; }
static uint32_t high_bits_only(uint32_t i) { return 0x80000000u | ((i + 1) << 16); } // task-chosen
static uint32_t stride_1024(uint32_t i) { return 0x80000000u | ((i + 1) << 10); }

static void chosen_keys_cost_what_sequential_keys_cost(void **state) {
    (void)state;
    uint64_t base = insert_probes(sequential);
    uint64_t high = insert_probes(high_bits_only), stride = insert_probes(stride_1024);
    // Linear probing at load <= 3/4 averages a few probes per operation; a collision chain of N
    // keys would cost about N * N / 2 = 128,000,000.
    assert_true(base < 8u * (N + N / 2));
    assert_true(high < 8u * (N + N / 2));
    assert_true(stride < 8u * (N + N / 2));
}

static void two_maps_hash_differently(void **state) {
    (void)state;
    struct handle_map a, b;
    handle_map_init(&a);
    handle_map_init(&b);
    assert_true(a.seed != b.seed);
    handle_map_fini(&a);
    handle_map_fini(&b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(chosen_keys_cost_what_sequential_keys_cost),
        cmocka_unit_test(two_maps_hash_differently),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
