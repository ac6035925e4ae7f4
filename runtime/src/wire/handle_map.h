/* machd handles to pointers (open addressing): machd's broker spaces and the runtime's proxies. */
#ifndef OPENMIG_TRANSPORT_HANDLE_MAP_H
#define OPENMIG_TRANSPORT_HANDLE_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct handle_map {
    uint32_t *keys; /* 0 = empty, HANDLE_MAP_TOMBSTONE = removed */
    void **values;
    size_t cap;     /* a power of two, or 0 before the first insert */
    size_t count;   /* live keys */
    size_t used;    /* live keys + tombstones */
    uint64_t seed;  /* secret key of the hash: a peer that chooses keys (task-chosen handles)
                       cannot make them collide */
    uint64_t probes; /* slots looked at by put and remove (collisions make it grow): for tests */
};

/* An empty map with a fresh random hash key; handle_map_fini frees it. */
void handle_map_init(struct handle_map *m);
void handle_map_fini(struct handle_map *m);

/* The value stored under key (never 0 or 0xffffffff), or NULL. */
void *handle_map_get(const struct handle_map *m, uint32_t key);

/* Stores value under a key not present yet. Returns false when out of memory. */
bool handle_map_put(struct handle_map *m, uint32_t key, void *value);

/* Removes key if present. */
void handle_map_remove(struct handle_map *m, uint32_t key);

#endif
