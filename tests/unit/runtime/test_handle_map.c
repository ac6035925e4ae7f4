// The handle map (wire/handle_map.c) that holds machd's broker spaces and the runtime's proxies:
// every key found again after inserts and removals, and keys a hostile task picks to collide
// (handles that differ only in their high bits, which all fell into one slot chain under the old
// unkeyed hash) cost about as many probes as sequential ones. The table shrinks back when keys
// go (below a quarter full), keeps every remaining key across each shrink, does not rehash at
// every put/remove pair at a boundary, and holds its slots still during a walk.
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

static void *value_of(uint32_t i) { return (void *)(uintptr_t)(i + 1); }

static void table_shrinks_back_when_keys_go(void **state) {
    (void)state;
    struct handle_map m;
    handle_map_init(&m);
    const uint32_t n = 100000;
    for (uint32_t i = 0; i < n; i++)
        assert_true(handle_map_put(&m, high_bits_only(i) ^ i, value_of(i)));
    size_t peak = m.cap;
    assert_true(peak >= 2u * n);
    // Remove all but 100, checking after each shrink that every remaining key is found.
    uint64_t rehashes = m.rehashes;
    for (uint32_t i = 0; i < n - 100; i++) {
        handle_map_remove(&m, high_bits_only(i) ^ i);
        assert_true(m.count * 4 >= m.cap || m.cap <= HANDLE_MAP_MIN_CAP);
        if (m.rehashes != rehashes) {
            rehashes = m.rehashes;
            assert_int_equal(m.used, m.count); // a rehash leaves no tombstone
            for (uint32_t j = i + 1; j < n; j++)
                assert_ptr_equal(handle_map_get(&m, high_bits_only(j) ^ j), value_of(j));
            assert_null(handle_map_get(&m, high_bits_only(i) ^ i));
        }
    }
    assert_int_equal(m.count, 100);
    assert_true(m.cap <= 512);
    for (uint32_t i = n - 100; i < n; i++)
        handle_map_remove(&m, high_bits_only(i) ^ i);
    assert_int_equal(m.count, 0);
    assert_int_equal(m.cap, HANDLE_MAP_MIN_CAP);
    // Still usable after shrinking to the floor.
    for (uint32_t i = 0; i < 1000; i++)
        assert_true(handle_map_put(&m, sequential(i), value_of(i)));
    for (uint32_t i = 0; i < 1000; i++)
        assert_ptr_equal(handle_map_get(&m, sequential(i)), value_of(i));
    handle_map_fini(&m);
}

// Fill to each boundary (just under a shrink, just under a growth), then alternate a put and a
// remove 10,000 times: the table changes size at most a couple of times, not at every pair.
// (Tombstones alone rebuild it at the same size every ~cap/4 puts, as before shrinking existed.)
static void put_remove_at_a_boundary_does_not_thrash(void **state) {
    (void)state;
    for (uint32_t live = 1; live <= 4096; live = live * 2 + 1) {
        struct handle_map m;
        handle_map_init(&m);
        for (uint32_t i = 0; i < 4 * live; i++) // grow, then come down to `live`
            assert_true(handle_map_put(&m, sequential(i), value_of(i)));
        for (uint32_t i = live; i < 4 * live; i++)
            handle_map_remove(&m, sequential(i));
        uint32_t resizes = 0;
        size_t cap = m.cap;
        for (uint32_t k = 0; k < 10000; k++) {
            uint32_t key = sequential(4 * live + (k % 7));
            assert_true(handle_map_put(&m, key, value_of(k)));
            resizes += m.cap != cap;
            cap = m.cap;
            handle_map_remove(&m, key);
            resizes += m.cap != cap;
            cap = m.cap;
            key = sequential(k % live); // and the other way round: a live key out and back
            handle_map_remove(&m, key);
            resizes += m.cap != cap;
            cap = m.cap;
            assert_true(handle_map_put(&m, key, value_of(k % live)));
            resizes += m.cap != cap;
            cap = m.cap;
        }
        assert_true(resizes <= 2);
        for (uint32_t i = 0; i < live; i++)
            assert_ptr_equal(handle_map_get(&m, sequential(i)), value_of(i));
        handle_map_fini(&m);
    }
}

static void a_walk_keeps_slots_still_and_shrinks_at_its_end(void **state) {
    (void)state;
    struct handle_map m;
    handle_map_init(&m);
    for (uint32_t i = 0; i < 5000; i++)
        assert_true(handle_map_put(&m, sequential(i), value_of(i)));
    size_t cap = m.cap;
    uint32_t seen = 0;
    handle_map_walk_begin(&m);
    for (size_t s = 0; s < m.cap; s++) {
        if (!m.values[s])
            continue;
        seen++;
        handle_map_remove(&m, m.keys[s]);
        assert_int_equal(m.cap, cap);
    }
    handle_map_walk_end(&m);
    assert_int_equal(seen, 5000);
    assert_int_equal(m.count, 0);
    assert_int_equal(m.cap, HANDLE_MAP_MIN_CAP);
    handle_map_fini(&m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(chosen_keys_cost_what_sequential_keys_cost),
        cmocka_unit_test(two_maps_hash_differently),
        cmocka_unit_test(table_shrinks_back_when_keys_go),
        cmocka_unit_test(put_remove_at_a_boundary_does_not_thrash),
        cmocka_unit_test(a_walk_keeps_slots_still_and_shrinks_at_its_end),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
