// The writer every C emitter goes through (see emitter.h): indentation, printf-checked lines,
// output collected in a strbuf and, for a streamed output, handed to its sink in large pieces.
#include "emit/emitter.h"

#include <stdio.h>
#include <string.h>

#include "support/strbuf.h"

void em_init(struct emitter *e, struct strbuf *out) {
    e->out = out;
    e->indent = 0;
    e->sink = NULL;
    e->sink_ctx = NULL;
}

void em_set_sink(struct emitter *e, em_sink_fn sink, void *ctx) {
    e->sink = sink;
    e->sink_ctx = ctx;
    // The buffer never holds much more than a piece: size it once (64 KiB, room for a piece and
    // whatever the line that crosses EM_FLUSH_AT adds) instead of doubling it up from 64 bytes,
    // which copied everything ten times over for each output.
    if (sink)
        strbuf_reserve(e->out, 2 * EM_FLUSH_AT - 1);
}

void em_flush(struct emitter *e) {
    if (e->sink && e->out->len > 0) {
        e->sink(e->sink_ctx, e->out->data, e->out->len);
        strbuf_clear(e->out);
    }
}

static void maybe_flush(struct emitter *e) {
    if (e->out->len >= EM_FLUSH_AT)
        em_flush(e);
}

static void put_tabs(struct emitter *e) {
    if (e->indent > 0)
        strbuf_fill(e->out, '\t', (size_t)e->indent);
}

static void put_vformat(struct emitter *e, const char *fmt, va_list ap) {
    strbuf_vprintf(e->out, fmt, ap);
}

void em_line(struct emitter *e, const char *fmt, ...) {
    if (fmt[0] != '\0')
        put_tabs(e);
    va_list ap;
    va_start(ap, fmt);
    put_vformat(e, fmt, ap);
    va_end(ap);
    strbuf_putc(e->out, '\n');
    maybe_flush(e);
}

void em_pp(struct emitter *e, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    put_vformat(e, fmt, ap);
    va_end(ap);
    strbuf_putc(e->out, '\n');
    maybe_flush(e);
}

void em_open(struct emitter *e, const char *fmt, ...) {
    put_tabs(e);
    va_list ap;
    va_start(ap, fmt);
    put_vformat(e, fmt, ap);
    va_end(ap);
    strbuf_append(e->out, " {\n", 3);
    e->indent++;
    maybe_flush(e);
}

void em_block(struct emitter *e) {
    put_tabs(e);
    strbuf_append(e->out, "{\n", 2);
    e->indent++;
    maybe_flush(e);
}

void em_close(struct emitter *e, const char *suffix) {
    if (e->indent > 0)
        e->indent--;
    put_tabs(e);
    strbuf_putc(e->out, '}');
    strbuf_puts(e->out, suffix);
    strbuf_putc(e->out, '\n');
    maybe_flush(e);
}

void em_closef(struct emitter *e, const char *fmt, ...) {
    if (e->indent > 0)
        e->indent--;
    put_tabs(e);
    strbuf_putc(e->out, '}');
    va_list ap;
    va_start(ap, fmt);
    put_vformat(e, fmt, ap);
    va_end(ap);
    strbuf_putc(e->out, '\n');
    maybe_flush(e);
}

void em_blank(struct emitter *e) {
    strbuf_putc(e->out, '\n');
    maybe_flush(e);
}

void em_start(struct emitter *e, const char *fmt, ...) {
    put_tabs(e);
    va_list ap;
    va_start(ap, fmt);
    put_vformat(e, fmt, ap);
    va_end(ap);
    maybe_flush(e);
}

void em_raw(struct emitter *e, const char *text) {
    strbuf_puts(e->out, text);
    maybe_flush(e);
}

void em_rawf(struct emitter *e, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    put_vformat(e, fmt, ap);
    va_end(ap);
    maybe_flush(e);
}

void em_indent(struct emitter *e, int delta) {
    e->indent += delta;
    if (e->indent < 0)
        e->indent = 0;
}
