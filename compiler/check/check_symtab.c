// The checks' name table: a string-keyed open-addressing hash map (FNV-1a, linear probing,
// grown at 50% load), so every name lookup is O(1) and the checks stay linear in input size.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check/check.h"
#include "support/arena.h"
#include "support/xalloc.h"

static uint64_t symtab_hash(const char *key) {
    uint64_t h = 1469598103934665603ull;
    for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
        h ^= *p;
        h *= 1099511628211ull;
    }
    return h;
}

void symtab_init(struct symtab *t) {
    t->slots = NULL;
    t->cap = 0;
    t->count = 0;
}

void symtab_fini(struct symtab *t) {
    free(t->slots);
    symtab_init(t);
}

static struct symtab_entry *symtab_find_slot(struct symtab_entry *slots, size_t cap,
                                             const char *key) {
    size_t mask = cap - 1;
    for (size_t i = (size_t)symtab_hash(key) & mask;; i = (i + 1) & mask)
        if (slots[i].key == NULL || strcmp(slots[i].key, key) == 0)
            return &slots[i];
}

void *symtab_get(const struct symtab *t, const char *key) {
    if (t->cap == 0)
        return NULL;
    struct symtab_entry *e = symtab_find_slot(t->slots, t->cap, key);
    return e->key ? e->value : NULL;
}

static void symtab_grow(struct symtab *t) {
    size_t cap = t->cap ? t->cap * 2 : 64;
    struct symtab_entry *slots = xcalloc(cap, sizeof *slots);
    for (size_t i = 0; i < t->cap; i++)
        if (t->slots[i].key)
            *symtab_find_slot(slots, cap, t->slots[i].key) = t->slots[i];
    free(t->slots);
    t->slots = slots;
    t->cap = cap;
}

void *symtab_put(struct symtab *t, const char *key, void *value) {
    if ((t->count + 1) * 2 > t->cap)
        symtab_grow(t);
    struct symtab_entry *e = symtab_find_slot(t->slots, t->cap, key);
    void *old = e->key ? e->value : NULL;
    if (!e->key) {
        e->key = key;
        t->count++;
    }
    e->value = value;
    return old;
}
