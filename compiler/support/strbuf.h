// Growable, always NUL-terminated byte string with printf-style appending. Used by every stage
// that builds text: diagnostics, names, emitted files. Allocation failure aborts.
#ifndef MIGC_STRBUF_H
#define MIGC_STRBUF_H

#include <stdarg.h>
#include <stddef.h>
#include <string.h>

// printf format checking for our own variadic functions (format string index, first argument).
#ifndef MIGC_PRINTF
#define MIGC_PRINTF(fmt, first) __attribute__((format(printf, fmt, first)))
#endif

struct strbuf {
    char *data; // NUL-terminated once anything was appended; NULL while empty and unallocated
    size_t len; // bytes in use, not counting the terminating NUL
    size_t cap; // bytes allocated
};

// A struct strbuf initialised to empty; equivalent to strbuf_init.
#define STRBUF_INIT {NULL, 0, 0}

// Sets *sb to the empty string without allocating.
void strbuf_init(struct strbuf *sb);

// Frees the storage of *sb and leaves it empty (safe to reuse or to call twice).
void strbuf_fini(struct strbuf *sb);

// Empties *sb, keeping its storage for reuse.
void strbuf_clear(struct strbuf *sb);

// Makes room for at least `extra` more bytes (plus the NUL) without changing the contents.
// Inline: every append checks the room first; strbuf_grow is the rare slow path.
void strbuf_grow(struct strbuf *sb, size_t extra);
static inline void strbuf_reserve(struct strbuf *sb, size_t extra) {
    if (extra >= sb->cap - sb->len) // cap > len once allocated; 0 - 0 when empty
        strbuf_grow(sb, extra);
}

// Appends `n` bytes from `bytes` (which may contain NUL bytes). Inline, as emitters append
// short pieces by the thousand.
static inline void strbuf_append(struct strbuf *sb, const void *bytes, size_t n) {
    strbuf_reserve(sb, n);
    if (n)
        memcpy(sb->data + sb->len, bytes, n);
    sb->len += n;
    sb->data[sb->len] = '\0';
}

// Appends the C string `s`.
void strbuf_puts(struct strbuf *sb, const char *s);

// Appends one byte. Inline: emitters and JSON writers call it per character.
void strbuf_putc_slow(struct strbuf *sb, char c);
static inline void strbuf_putc(struct strbuf *sb, char c) {
    if (sb->len + 1 < sb->cap) {
        sb->data[sb->len++] = c;
        sb->data[sb->len] = '\0';
    } else {
        strbuf_putc_slow(sb, c);
    }
}

// Appends `n` copies of byte `c`.
void strbuf_fill(struct strbuf *sb, char c, size_t n);

// Appends formatted text (C99 printf).
void strbuf_printf(struct strbuf *sb, const char *fmt, ...) MIGC_PRINTF(2, 3);
void strbuf_vprintf(struct strbuf *sb, const char *fmt, va_list ap) MIGC_PRINTF(2, 0);

// Shortens *sb to `len` bytes (no-op when it is already shorter).
void strbuf_truncate(struct strbuf *sb, size_t len);

// The contents as a C string; "" when empty. Valid until the next change to *sb.
const char *strbuf_cstr(const struct strbuf *sb);

// Gives the caller the malloc'd contents (free() it) and leaves *sb empty. Never NULL.
char *strbuf_detach(struct strbuf *sb);

#endif
