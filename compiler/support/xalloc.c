// The aborting malloc family (see xalloc.h).
#include "support/xalloc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Noreturn void xalloc_fail(size_t size) {
    fprintf(stderr, "mig: out of memory (allocating %zu bytes)\n", size);
    abort();
}

void *xmalloc(size_t size) {
    void *p = malloc(size ? size : 1);
    if (!p)
        xalloc_fail(size);
    return p;
}

void *xcalloc(size_t count, size_t size) {
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p)
        xalloc_fail(size);
    return p;
}

void *xrealloc(void *p, size_t size) {
    void *q = realloc(p, size ? size : 1);
    if (!q)
        xalloc_fail(size);
    return q;
}

char *xstrdup(const char *s) {
    size_t n = strlen(s) + 1;
    return memcpy(xmalloc(n), s, n);
}

void *xgrow(void *p, size_t *cap, size_t need, size_t elem_size) {
    if (need <= *cap)
        return p;
    size_t n = *cap ? *cap : 8;
    while (n < need) {
        if (n > SIZE_MAX / 2)
            xalloc_fail(SIZE_MAX);
        n *= 2;
    }
    if (elem_size && n > SIZE_MAX / elem_size)
        xalloc_fail(SIZE_MAX);
    p = xrealloc(p, n * elem_size);
    *cap = n;
    return p;
}
