/* Open-addressing hash map from machd handles to pointers, with tombstones, doubling and
 * halving (handle_map.h). */
#include "wire/handle_map.h"

#include <stdlib.h>
#include <sys/random.h>
#include <time.h>

#define HANDLE_MAP_TOMBSTONE 0xffffffffu

void handle_map_init(struct handle_map *m) {
    *m = (struct handle_map){0};
    if (getrandom(&m->seed, sizeof m->seed, GRND_NONBLOCK) != (ssize_t)sizeof m->seed) {
        struct timespec ts; /* no entropy yet (early boot): still different per map and run */
        clock_gettime(CLOCK_MONOTONIC, &ts);
        m->seed = (uint64_t)(uintptr_t)m ^ ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec;
    }
}

void handle_map_fini(struct handle_map *m) {
    free(m->keys);
    free(m->values);
    *m = (struct handle_map){0};
}

/* A keyed mix of all 32 bits of the key (the low bits of a plain multiplication depend only on the
 * low bits of the key, so handles chosen to differ only above them all collided). */
static size_t slot_of(uint64_t seed, uint32_t key, size_t cap) {
    uint64_t h = ((uint64_t)key ^ seed) * 0x9e3779b97f4a7c15ull;
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 32;
    return (size_t)(h & (cap - 1));
}

void *handle_map_get(const struct handle_map *m, uint32_t key) {
    if (m->cap == 0)
        return NULL;
    for (size_t i = slot_of(m->seed, key, m->cap), n = 0; n < m->cap; i = (i + 1) & (m->cap - 1), n++) {
        if (m->keys[i] == 0)
            return NULL;
        if (m->keys[i] == key)
            return m->values[i];
    }
    return NULL;
}

static bool rehash(struct handle_map *m, size_t cap) {
    uint32_t *keys = calloc(cap, sizeof *keys);
    void **values = calloc(cap, sizeof *values);
    if (!keys || !values) {
        free(keys);
        free(values);
        return false;
    }
    for (size_t i = 0; i < m->cap; i++) {
        if (m->keys[i] == 0 || m->keys[i] == HANDLE_MAP_TOMBSTONE)
            continue;
        size_t j = slot_of(m->seed, m->keys[i], cap);
        while (keys[j] != 0)
            j = (j + 1) & (cap - 1);
        keys[j] = m->keys[i];
        values[j] = m->values[i];
    }
    free(m->keys);
    free(m->values);
    m->keys = keys;
    m->values = values;
    m->cap = cap;
    m->used = m->count;
    m->rehashes++;
    return true;
}

/* Below a quarter full: rebuild at the smallest power of two at least HANDLE_MAP_MIN_CAP that
 * keeps live keys at most half of it (a failed allocation keeps the larger table). */
static void maybe_shrink(struct handle_map *m) {
    if (m->walkers || m->cap <= HANDLE_MAP_MIN_CAP || m->count * 4 >= m->cap)
        return;
    size_t cap = m->cap;
    while (cap > HANDLE_MAP_MIN_CAP && m->count * 2 <= cap / 2)
        cap /= 2;
    rehash(m, cap);
}

void handle_map_walk_begin(struct handle_map *m) { m->walkers++; }

void handle_map_walk_end(struct handle_map *m) {
    if (m->walkers > 0 && --m->walkers == 0)
        maybe_shrink(m);
}

bool handle_map_put(struct handle_map *m, uint32_t key, void *value) {
    if ((m->used + 1) * 4 > m->cap * 3) {
        size_t cap = m->cap ? m->cap : 16;
        while ((m->count + 1) * 2 > cap)
            cap *= 2;
        if (!rehash(m, cap))
            return false;
    }
    size_t i = slot_of(m->seed, key, m->cap);
    m->probes++;
    while (m->keys[i] != 0 && m->keys[i] != HANDLE_MAP_TOMBSTONE) {
        i = (i + 1) & (m->cap - 1);
        m->probes++;
    }
    if (m->keys[i] == 0)
        m->used++;
    m->keys[i] = key;
    m->values[i] = value;
    m->count++;
    return true;
}

void handle_map_remove(struct handle_map *m, uint32_t key) {
    if (m->cap == 0)
        return;
    for (size_t i = slot_of(m->seed, key, m->cap), n = 0; n < m->cap; i = (i + 1) & (m->cap - 1), n++) {
        m->probes++;
        if (m->keys[i] == 0)
            return;
        if (m->keys[i] == key) {
            m->keys[i] = HANDLE_MAP_TOMBSTONE;
            m->values[i] = NULL;
            m->count--;
            maybe_shrink(m);
            return;
        }
    }
}
