// Growable string (see strbuf.h).
#define _GNU_SOURCE // madvise, strchrnul with -std=c11
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

void strbuf_grow(struct strbuf *sb, size_t extra) {
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

void strbuf_puts(struct strbuf *sb, const char *s) { strbuf_append(sb, s, strlen(s)); }

void strbuf_putc_slow(struct strbuf *sb, char c) { strbuf_append(sb, &c, 1); }

void strbuf_fill(struct strbuf *sb, char c, size_t n) {
    strbuf_reserve(sb, n);
    if (n <= 8) { // indentation: a few tabs, fewer instructions than a call to memset
        for (size_t i = 0; i < n; i++)
            sb->data[sb->len + i] = c;
    } else {
        memset(sb->data + sb->len, c, n);
    }
    sb->len += n;
    sb->data[sb->len] = '\0';
}

// vsnprintf for the rest of a format, from its current argument on.
static void vprintf_rest(struct strbuf *sb, const char *fmt, va_list ap) {
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

static void put_unsigned(struct strbuf *sb, unsigned long long v) {
    char digits[24];
    size_t n = sizeof digits;
    do {
        digits[--n] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    strbuf_append(sb, digits + n, sizeof digits - n);
}

static void put_signed(struct strbuf *sb, long long v) {
    if (v < 0) {
        strbuf_putc(sb, '-');
        put_unsigned(sb, 0ull - (unsigned long long)v);
    } else {
        put_unsigned(sb, (unsigned long long)v);
    }
}

// The first '%' of `s`, or its terminating NUL.
static const char *find_conversion(const char *s) {
#if defined(__GLIBC__) || defined(__FreeBSD__) || defined(__NetBSD__) || defined(__OpenBSD__)
    return strchrnul(s, '%');
#else
    return s + strcspn(s, "%");
#endif
}

// The conversions generated text uses (%s, %d, %u with no flag, width or precision, optionally
// l, ll or z) are done here: libc's vfprintf was a third of the time of a whole compilation.
// Anything else hands the rest of the format to vsnprintf.
void strbuf_vprintf(struct strbuf *sb, const char *fmt, va_list ap) {
    va_list args;
    va_copy(args, ap);
    const char *p = fmt;
    for (;;) {
        const char *pct = find_conversion(p);
        strbuf_append(sb, p, (size_t)(pct - p));
        if (*pct == '\0')
            break;
        const char *c = pct + 1;
        enum { PLAIN, LONG, LONG_LONG, SIZE } len = PLAIN;
        if (c[0] == 'l' && c[1] == 'l') {
            len = LONG_LONG;
            c += 2;
        } else if (c[0] == 'l') {
            len = LONG;
            c++;
        } else if (c[0] == 'z') {
            len = SIZE;
            c++;
        }
        if (*c == '%' && len == PLAIN) {
            strbuf_putc(sb, '%');
        } else if (*c == 's' && len == PLAIN) {
            const char *str = va_arg(args, const char *);
            strbuf_puts(sb, str ? str : "(null)");
        } else if (*c == 'u') {
            put_unsigned(sb, len == PLAIN       ? va_arg(args, unsigned)
                             : len == LONG      ? va_arg(args, unsigned long)
                             : len == LONG_LONG ? va_arg(args, unsigned long long)
                                                : va_arg(args, size_t));
        } else if ((*c == 'd' || *c == 'i') && len != SIZE) {
            put_signed(sb, len == PLAIN  ? va_arg(args, int)
                           : len == LONG ? va_arg(args, long)
                                         : va_arg(args, long long));
        } else {
            vprintf_rest(sb, pct, args);
            break;
        }
        p = c + 1;
    }
    va_end(args);
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
