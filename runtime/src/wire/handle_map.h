/* machd handles to pointers (open addressing): machd's broker spaces and the runtime's proxies.
 * The table grows past 3/4 full (live keys + tombstones) and shrinks when live keys fall below
 * 1/4 of it (never below HANDLE_MAP_MIN_CAP), so a table that held many keys gives its memory
 * back; either rehash leaves the load near 1/2, so a put/remove pair at a boundary does not
 * rehash every time. */
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
    uint32_t walkers; /* handle_map_walk_begin calls not ended: removals do not shrink */
    uint64_t rehashes; /* times the table was rebuilt (grown or shrunk): for tests */
};

/* Smallest table once a key was stored (a shrink stops there). */
#define HANDLE_MAP_MIN_CAP 16u

/* An empty map with a fresh random hash key; handle_map_fini frees it. */
void handle_map_init(struct handle_map *m);
void handle_map_fini(struct handle_map *m);

/* The value stored under key (never 0 or 0xffffffff), or NULL. */
void *handle_map_get(const struct handle_map *m, uint32_t key);

/* Stores value under a key not present yet. Returns false when out of memory. */
bool handle_map_put(struct handle_map *m, uint32_t key, void *value);

/* Removes key if present; shrinks the table when live keys fall below a quarter of it, unless
 * a walk is under way (handle_map_walk_begin). */
void handle_map_remove(struct handle_map *m, uint32_t key);

/* Starts a walk over m->keys/m->values[0..m->cap): until the matching handle_map_walk_end,
 * handle_map_remove only leaves tombstones (slots never move), so the walk may remove keys,
 * its own or others. Walks nest. No put during a walk. */
void handle_map_walk_begin(struct handle_map *m);

/* Ends a walk; the last one shrinks the table if removals during the walks call for it. */
void handle_map_walk_end(struct handle_map *m);

#endif
