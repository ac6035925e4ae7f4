/* Open-addressing hash map from machd handles to pointers, with tombstones and doubling. */
#include "wire/handle_map.h"

#include <stdlib.h>

#define HANDLE_MAP_TOMBSTONE 0xffffffffu

void handle_map_init(struct handle_map *m) { *m = (struct handle_map){0}; }

void handle_map_fini(struct handle_map *m) {
    free(m->keys);
    free(m->values);
    *m = (struct handle_map){0};
}

static size_t slot_of(uint32_t key, size_t cap) {
    /* Fibonacci hashing spreads the sequential handles machd hands out. */
    return (size_t)((key * 2654435769u) & (uint32_t)(cap - 1));
}

void *handle_map_get(const struct handle_map *m, uint32_t key) {
    if (m->cap == 0)
        return NULL;
    for (size_t i = slot_of(key, m->cap), n = 0; n < m->cap; i = (i + 1) & (m->cap - 1), n++) {
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
        size_t j = slot_of(m->keys[i], cap);
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
    return true;
}

bool handle_map_put(struct handle_map *m, uint32_t key, void *value) {
    if ((m->used + 1) * 4 > m->cap * 3) {
        size_t cap = m->cap ? m->cap : 16;
        while ((m->count + 1) * 2 > cap)
            cap *= 2;
        if (!rehash(m, cap))
            return false;
    }
    size_t i = slot_of(key, m->cap);
    while (m->keys[i] != 0 && m->keys[i] != HANDLE_MAP_TOMBSTONE)
        i = (i + 1) & (m->cap - 1);
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
    for (size_t i = slot_of(key, m->cap), n = 0; n < m->cap; i = (i + 1) & (m->cap - 1), n++) {
        if (m->keys[i] == 0)
            return;
        if (m->keys[i] == key) {
            m->keys[i] = HANDLE_MAP_TOMBSTONE;
            m->values[i] = NULL;
            m->count--;
            return;
        }
    }
}
