// Per-compilation arena (see arena.h). Blocks double in size up to a limit; large requests get a
// block of their own. Small blocks come from malloc (a process that compiles many small inputs,
// like the fuzzer, reuses them without touching the kernel); big ones straight from mmap, already
// zero and pre-faulted: on the machines we measured a page fault costs more than parsing the
// bytes on that page, and an mmap/munmap pair costs as much as parsing a small file, so each kind
// of block is used where it is cheap. A block of many allocations is pre-faulted 64 KiB ahead of
// its use (MADV_POPULATE_WRITE), not whole: a small input would pay for pages it never touches.
#define _DEFAULT_SOURCE // MAP_ANONYMOUS with -std=c11
#include "support/arena.h"

#include <stdalign.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "support/strbuf.h"
#include "support/xalloc.h"

#ifndef MAP_POPULATE
#define MAP_POPULATE 0
#endif

enum {
    ARENA_FIRST_BLOCK = 16 * 1024,
    ARENA_MIN_MAPPED = 128 * 1024, // blocks at least this big are mmap'ed
    ARENA_MAX_BLOCK = 2 * 1024 * 1024,
    ARENA_PREFAULT_STEP = 64 * 1024, // how far ahead of its use a mapped block is pre-faulted
};

struct arena_block {
    struct arena_block *next;
    size_t used, size; // bytes of data[] in use / available
    size_t map_size;   // bytes mapped for the whole block; 0 for a malloc'ed block
    size_t populated;  // bytes of data[] pre-faulted (mapped blocks)
    alignas(max_align_t) unsigned char data[];
};

struct arena {
    struct arena_block *head; // the block being filled; older blocks follow
    size_t next_block_size;
    size_t bytes_used;
};

struct arena *arena_create(void) {
    struct arena *a = xcalloc(1, sizeof(struct arena));
    a->next_block_size = ARENA_FIRST_BLOCK;
    return a;
}

void arena_destroy(struct arena *a) {
    if (!a)
        return;
    struct arena_block *b = a->head;
    while (b) {
        struct arena_block *next = b->next;
        if (b->map_size)
            munmap(b, b->map_size);
        else
            free(b);
        b = next;
    }
    free(a);
}

// Pre-faults the mapped block's pages up to at least `upto` bytes of data[], a step ahead.
static void arena_populate(struct arena_block *b, size_t upto) {
#ifdef MADV_POPULATE_WRITE
    const uintptr_t page = 4096;
    size_t end = upto + ARENA_PREFAULT_STEP;
    if (end > b->size)
        end = b->size;
    uintptr_t from = ((uintptr_t)(b->data + b->populated) + page - 1) & ~(page - 1);
    uintptr_t to = ((uintptr_t)(b->data + end) + page - 1) & ~(page - 1);
    if (to > from)
        (void)madvise((void *)from, to - from, MADV_POPULATE_WRITE);
    b->populated = end;
#else
    b->populated = b->size;
    (void)upto;
#endif
}

// A block with at least `size` bytes of data: malloc'ed (not zeroed) or mapped (zero). A mapped
// block for one allocation (`whole`) is pre-faulted entirely, another one as it fills.
static struct arena_block *arena_new_block(size_t size, bool whole) {
    const size_t page = 4096;
    if (size > SIZE_MAX - sizeof(struct arena_block) - page)
        xalloc_fail(size);
    if (size < ARENA_MIN_MAPPED) {
        struct arena_block *b = xmalloc(sizeof(struct arena_block) + size);
        b->next = NULL;
        b->used = 0;
        b->size = size;
        b->map_size = 0;
        return b;
    }
    size_t map_size = (sizeof(struct arena_block) + size + page - 1) & ~(page - 1);
    void *p = mmap(NULL, map_size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | (whole ? MAP_POPULATE : 0), -1, 0);
    if (p == MAP_FAILED)
        xalloc_fail(size);
    struct arena_block *b = p;
    b->next = NULL;
    b->used = 0;
    b->size = map_size - sizeof(struct arena_block);
    b->map_size = map_size;
    b->populated = whole ? b->size : 0;
    return b;
}

void *arena_alloc(struct arena *a, size_t size) {
    const size_t align = alignof(max_align_t);
    if (size > SIZE_MAX - align)
        xalloc_fail(size);
    size_t rounded = (size + align - 1) & ~(align - 1);
    if (rounded == 0)
        rounded = align;
    struct arena_block *b = a->head;
    if (!b || b->size - b->used < rounded) {
        if (rounded > a->next_block_size / 4) {
            // A block of its own, kept behind the current one so the current one keeps filling.
            struct arena_block *big = arena_new_block(rounded, true);
            big->used = rounded;
            if (b) {
                big->next = b->next;
                b->next = big;
            } else {
                a->head = big;
            }
            a->bytes_used += rounded;
            if (!big->map_size)
                memset(big->data, 0, rounded);
            return big->data;
        }
        b = arena_new_block(a->next_block_size, false);
        if (a->next_block_size < ARENA_MAX_BLOCK)
            a->next_block_size *= 2;
        b->next = a->head;
        a->head = b;
    }
    // Arena memory is never reused and fresh mappings are zero: only malloc'ed blocks need it.
    void *p = b->data + b->used;
    b->used += rounded;
    a->bytes_used += rounded;
    if (!b->map_size)
        memset(p, 0, rounded);
    else if (b->used > b->populated)
        arena_populate(b, b->used);
    return p;
}

void *arena_array(struct arena *a, size_t count, size_t size) {
    if (size && count > SIZE_MAX / size)
        xalloc_fail(SIZE_MAX);
    return arena_alloc(a, count * size);
}

char *arena_strndup(struct arena *a, const char *s, size_t n) {
    if (n == SIZE_MAX)
        xalloc_fail(n);
    char *p = arena_alloc(a, n + 1);
    if (n)
        memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *arena_strdup(struct arena *a, const char *s) { return arena_strndup(a, s, strlen(s)); }

char *arena_vprintf(struct arena *a, const char *fmt, va_list ap) {
    struct strbuf sb = STRBUF_INIT;
    strbuf_vprintf(&sb, fmt, ap);
    char *p = arena_strndup(a, strbuf_cstr(&sb), sb.len);
    strbuf_fini(&sb);
    return p;
}

char *arena_printf(struct arena *a, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *p = arena_vprintf(a, fmt, ap);
    va_end(ap);
    return p;
}

size_t arena_bytes_used(const struct arena *a) { return a->bytes_used; }
