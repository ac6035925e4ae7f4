// The writer every C emitter goes through (see emitter.h): indentation, printf-checked lines,
// output collected in a strbuf.
#include "emit/emitter.h"

#include <stdio.h>
#include <string.h>

#include "support/strbuf.h"

void em_init(struct emitter *e, struct strbuf *out) {
    e->out = out;
    e->indent = 0;
}

static void put_tabs(struct emitter *e) {
    for (int i = 0; i < e->indent; i++)
        strbuf_append(e->out, "\t", 1);
}

void em_line(struct emitter *e, const char *fmt, ...) {
    if (fmt[0] != '\0')
        put_tabs(e);
    va_list ap;
    va_start(ap, fmt);
    strbuf_vprintf(e->out, fmt, ap);
    va_end(ap);
    strbuf_append(e->out, "\n", 1);
}

void em_pp(struct emitter *e, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    strbuf_vprintf(e->out, fmt, ap);
    va_end(ap);
    strbuf_append(e->out, "\n", 1);
}

void em_open(struct emitter *e, const char *fmt, ...) {
    put_tabs(e);
    va_list ap;
    va_start(ap, fmt);
    strbuf_vprintf(e->out, fmt, ap);
    va_end(ap);
    strbuf_append(e->out, " {\n", 3);
    e->indent++;
}

void em_block(struct emitter *e) {
    put_tabs(e);
    strbuf_append(e->out, "{\n", 2);
    e->indent++;
}

void em_close(struct emitter *e, const char *suffix) {
    if (e->indent > 0)
        e->indent--;
    put_tabs(e);
    strbuf_append(e->out, "}", 1);
    strbuf_append(e->out, suffix, strlen(suffix));
    strbuf_append(e->out, "\n", 1);
}

void em_closef(struct emitter *e, const char *fmt, ...) {
    if (e->indent > 0)
        e->indent--;
    put_tabs(e);
    strbuf_append(e->out, "}", 1);
    va_list ap;
    va_start(ap, fmt);
    strbuf_vprintf(e->out, fmt, ap);
    va_end(ap);
    strbuf_append(e->out, "\n", 1);
}

void em_blank(struct emitter *e) {
    strbuf_append(e->out, "\n", 1);
}

void em_start(struct emitter *e, const char *fmt, ...) {
    put_tabs(e);
    va_list ap;
    va_start(ap, fmt);
    strbuf_vprintf(e->out, fmt, ap);
    va_end(ap);
}

void em_raw(struct emitter *e, const char *text) {
    strbuf_append(e->out, text, strlen(text));
}

void em_rawf(struct emitter *e, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    strbuf_vprintf(e->out, fmt, ap);
    va_end(ap);
}

void em_indent(struct emitter *e, int delta) {
    e->indent += delta;
    if (e->indent < 0)
        e->indent = 0;
}
