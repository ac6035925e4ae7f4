// Per-compilation memory: an arena that frees everything at once when the compilation ends. The
// AST, the IR and diagnostics live in the arena. (The aborting malloc family is xalloc.h.)
#ifndef MIGC_ARENA_H
#define MIGC_ARENA_H

#include <stdarg.h>
#include <stddef.h>

#include "support/strbuf.h" // MIGC_PRINTF

struct arena;

// Creates an empty arena. Aborts on out of memory.
struct arena *arena_create(void);

// Frees the arena and every block allocated from it. NULL is allowed.
void arena_destroy(struct arena *a);

// Returns `size` zeroed bytes aligned for any object, valid until arena_destroy. size 0 returns
// a unique non-NULL pointer. Aborts on out of memory.
void *arena_alloc(struct arena *a, size_t size);

// arena_alloc for `count` objects of `size` bytes; aborts if the product overflows.
void *arena_array(struct arena *a, size_t count, size_t size);

// Allocates a zeroed object of the given type: `struct ast_arg *arg = ARENA_NEW(a, struct ast_arg);`
#define ARENA_NEW(a, type) ((type *)arena_alloc((a), sizeof(type)))

// Copies of strings into the arena (always NUL-terminated). strndup copies exactly `n` bytes
// (which may contain NUL bytes; the copy is still terminated after them).
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);

// printf into the arena.
char *arena_printf(struct arena *a, const char *fmt, ...) MIGC_PRINTF(2, 3);
char *arena_vprintf(struct arena *a, const char *fmt, va_list ap) MIGC_PRINTF(2, 0);

// Total bytes handed out by the arena (for benchmarks and tests).
size_t arena_bytes_used(const struct arena *a);

#endif
