// Growable string (see strbuf.h).
#define _DEFAULT_SOURCE // madvise with -std=c11
#include "support/strbuf.h"

#include <stdint.h>
#include <sys/mman.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/xalloc.h"

// A big buffer (generated files, JSON dumps of large interfaces: megabytes) grows by fresh
// pages, and a page fault costs more than filling the page on the machines we measured: ask the
// kernel to map the new part in one go. Best effort; small buffers are left to malloc.
static void prefault(char *p, size_t n) {
#ifdef MADV_POPULATE_WRITE
    enum { PREFAULT_MIN = 256 * 1024, PAGE = 4096 };
    if (n < PREFAULT_MIN)
        return;
    uintptr_t begin = ((uintptr_t)p + PAGE - 1) & ~(uintptr_t)(PAGE - 1);
    uintptr_t end = ((uintptr_t)p + n) & ~(uintptr_t)(PAGE - 1);
    if (end > begin)
        (void)madvise((void *)begin, end - begin, MADV_POPULATE_WRITE);
#else
    (void)p;
    (void)n;
#endif
}

void strbuf_init(struct strbuf *sb) {
    sb->data = NULL;
    sb->len = 0;
    sb->cap = 0;
}

void strbuf_fini(struct strbuf *sb) {
    free(sb->data);
    strbuf_init(sb);
}

void strbuf_clear(struct strbuf *sb) {
    sb->len = 0;
    if (sb->data)
        sb->data[0] = '\0';
}

void strbuf_reserve(struct strbuf *sb, size_t extra) {
    if (extra > SIZE_MAX - sb->len - 1) {
        fprintf(stderr, "mig: string too large\n");
        abort();
    }
    size_t need = sb->len + extra + 1;
    if (need <= sb->cap)
        return;
    size_t cap = sb->cap ? sb->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    size_t old_cap = sb->cap;
    sb->data = xrealloc(sb->data, cap);
    sb->cap = cap;
    prefault(sb->data + old_cap, cap - old_cap);
}

void strbuf_append(struct strbuf *sb, const void *bytes, size_t n) {
    strbuf_reserve(sb, n);
    if (n)
        memcpy(sb->data + sb->len, bytes, n);
    sb->len += n;
    sb->data[sb->len] = '\0';
}

void strbuf_puts(struct strbuf *sb, const char *s) { strbuf_append(sb, s, strlen(s)); }

void strbuf_putc_slow(struct strbuf *sb, char c) { strbuf_append(sb, &c, 1); }

void strbuf_fill(struct strbuf *sb, char c, size_t n) {
    strbuf_reserve(sb, n);
    memset(sb->data + sb->len, c, n);
    sb->len += n;
    sb->data[sb->len] = '\0';
}

void strbuf_vprintf(struct strbuf *sb, const char *fmt, va_list ap) {
    va_list again;
    va_copy(again, ap);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, ap);
    if (n < 0) {
        va_end(again);
        fprintf(stderr, "mig: bad format string\n");
        abort();
    }
    if ((size_t)n < sizeof small) {
        strbuf_append(sb, small, (size_t)n);
    } else {
        strbuf_reserve(sb, (size_t)n);
        vsnprintf(sb->data + sb->len, (size_t)n + 1, fmt, again);
        sb->len += (size_t)n;
    }
    va_end(again);
}

void strbuf_printf(struct strbuf *sb, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    strbuf_vprintf(sb, fmt, ap);
    va_end(ap);
}

void strbuf_truncate(struct strbuf *sb, size_t len) {
    if (len < sb->len) {
        sb->len = len;
        sb->data[len] = '\0';
    }
}

const char *strbuf_cstr(const struct strbuf *sb) { return sb->data ? sb->data : ""; }

char *strbuf_detach(struct strbuf *sb) {
    char *s = sb->data ? sb->data : xstrdup("");
    strbuf_init(sb);
    return s;
}
