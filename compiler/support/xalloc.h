// The malloc family that aborts with a message instead of returning NULL. Everything that owns
// heap memory (the arena, strbuf, the driver) allocates through it.
#ifndef MIGC_XALLOC_H
#define MIGC_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t size);
char *xstrdup(const char *s);

// Grows a heap array geometrically so that index `need - 1` is valid: `*cap` is updated.
// Aborts on overflow or out of memory. Usage: p = xgrow(p, &cap, n + 1, sizeof *p);
void *xgrow(void *p, size_t *cap, size_t need, size_t elem_size);

// Prints "mig: out of memory (allocating `size` bytes)" and aborts. For allocators built on
// something else than malloc (the arena's mmap'ed blocks) and for size overflows.
_Noreturn void xalloc_fail(size_t size);

#endif
