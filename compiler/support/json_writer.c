// The JSON writer (json_writer.h): escaping per RFC 8259 and stable 2-space indentation.
#include "support/json_writer.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "support/strbuf.h"

void json_init(struct json_writer *w, struct strbuf *out) {
    w->out = out;
    w->depth = 0;
    w->has_items[0] = false;
}

static void write_escaped(struct strbuf *out, const char *s) {
    strbuf_putc(out, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': strbuf_puts(out, "\\\""); break;
        case '\\': strbuf_puts(out, "\\\\"); break;
        case '\n': strbuf_puts(out, "\\n"); break;
        case '\r': strbuf_puts(out, "\\r"); break;
        case '\t': strbuf_puts(out, "\\t"); break;
        default:
            if (*p < 0x20)
                strbuf_printf(out, "\\u%04x", *p);
            else
                strbuf_putc(out, (char)*p);
        }
    }
    strbuf_putc(out, '"');
}

// Separator, newline and indentation before a member, then its key.
static void begin_item(struct json_writer *w, const char *key) {
    if (w->depth > 0) {
        if (w->has_items[w->depth])
            strbuf_putc(w->out, ',');
        strbuf_putc(w->out, '\n');
        strbuf_fill(w->out, ' ', (size_t)w->depth * 2);
    }
    w->has_items[w->depth] = true;
    if (key) {
        write_escaped(w->out, key);
        strbuf_puts(w->out, ": ");
    }
}

static void open_container(struct json_writer *w, const char *key, char c) {
    begin_item(w, key);
    strbuf_putc(w->out, c);
    if (w->depth + 1 >= JSON_MAX_DEPTH)
        abort();
    w->depth++;
    w->has_items[w->depth] = false;
}

static void close_container(struct json_writer *w, char c) {
    bool had = w->has_items[w->depth];
    w->depth--;
    if (had) {
        strbuf_putc(w->out, '\n');
        strbuf_fill(w->out, ' ', (size_t)w->depth * 2);
    }
    strbuf_putc(w->out, c);
}

void json_begin_object(struct json_writer *w, const char *key) { open_container(w, key, '{'); }
void json_end_object(struct json_writer *w) { close_container(w, '}'); }
void json_begin_array(struct json_writer *w, const char *key) { open_container(w, key, '['); }
void json_end_array(struct json_writer *w) { close_container(w, ']'); }

void json_string(struct json_writer *w, const char *key, const char *value) {
    begin_item(w, key);
    if (value)
        write_escaped(w->out, value);
    else
        strbuf_puts(w->out, "null");
}

void json_int(struct json_writer *w, const char *key, int64_t value) {
    begin_item(w, key);
    strbuf_printf(w->out, "%" PRId64, value);
}

void json_bool(struct json_writer *w, const char *key, bool value) {
    begin_item(w, key);
    strbuf_puts(w->out, value ? "true" : "false");
}

void json_null(struct json_writer *w, const char *key) {
    begin_item(w, key);
    strbuf_puts(w->out, "null");
}

void json_finish(struct json_writer *w) { strbuf_putc(w->out, '\n'); }
