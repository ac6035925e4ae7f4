// The diagnostics engine (see diag.h): formats table messages, renders them like a C compiler or
// as JSON, counts errors and warnings, and keeps a record of everything reported.
#include "support/diag.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "support/arena.h"
#include "support/strbuf.h"
#include "support/xalloc.h"

static const struct diag_info diag_table[] = {
#define DIAG(name, id, sev, arity, msg) {DIAG_##name, #name, DIAG_##sev, arity, msg},
#define RETIRED(id)
#include "support/diag.def"
#undef DIAG
#undef RETIRED
};

// Never called: the switch makes the C compiler reject two entries (live or retired) with the
// same id ("duplicate case value").
static inline int diag_ids_are_unique(unsigned id) {
    switch (id) {
#define DIAG(name, id, sev, arity, msg) case id:
#define RETIRED(id) case id:
#include "support/diag.def"
#undef DIAG
#undef RETIRED
        return 1;
    default:
        return 0;
    }
}

const struct diag_info *diag_info_get(unsigned id) {
    (void)diag_ids_are_unique;
    for (size_t i = 0; i < sizeof diag_table / sizeof diag_table[0]; i++)
        if ((unsigned)diag_table[i].id == id)
            return &diag_table[i];
    return NULL;
}

const struct diag_info *diag_info_table(size_t *count) {
    *count = sizeof diag_table / sizeof diag_table[0];
    return diag_table;
}

struct diag_engine {
    struct diag_options options;
    FILE *out;
    const struct src_file *src;
    struct diag_record *records;
    size_t n_records, cap_records;
    unsigned errors, warnings;
    bool last_dropped;   // the previous non-note diagnostic was not shown: drop its notes
    bool limit_reported; // TOO_MANY_ERRORS was emitted
    bool finished;
};

struct diag_engine *diag_engine_create(const struct diag_options *options, FILE *out) {
    struct diag_engine *d = xcalloc(1, sizeof *d);
    if (options)
        d->options = *options;
    d->out = out;
    return d;
}

void diag_engine_destroy(struct diag_engine *d) {
    if (!d)
        return;
    for (size_t i = 0; i < d->n_records; i++) {
        free((char *)d->records[i].message);
        free((char *)d->records[i].maybe_fixit);
    }
    free(d->records);
    free(d);
}

void diag_engine_set_source(struct diag_engine *d, const struct src_file *src) { d->src = src; }

unsigned diag_error_count(const struct diag_engine *d) { return d->errors; }
unsigned diag_warning_count(const struct diag_engine *d) { return d->warnings; }
bool diag_limit_reached(const struct diag_engine *d) { return d->limit_reported; }
size_t diag_record_count(const struct diag_engine *d) { return d->n_records; }

const struct diag_record *diag_record_get(const struct diag_engine *d, size_t index) {
    return index < d->n_records ? &d->records[index] : NULL;
}

// ANSI colours, as clang uses them.
#define COLOR_BOLD "\033[1m"
#define COLOR_RED "\033[1;31m"
#define COLOR_MAGENTA "\033[1;35m"
#define COLOR_CYAN "\033[1;36m"
#define COLOR_GREEN "\033[1;32m"
#define COLOR_RESET "\033[0m"

static const char *severity_name(enum diag_severity s) {
    return s == DIAG_ERROR ? "error" : s == DIAG_WARNING ? "warning" : "note";
}

static const char *severity_color(enum diag_severity s) {
    return s == DIAG_ERROR ? COLOR_RED : s == DIAG_WARNING ? COLOR_MAGENTA : COLOR_CYAN;
}

// The source line under `span` and a caret line marking it; tabs are kept so the caret lines up.
static void render_excerpt(const struct diag_engine *d, struct src_span span, const char *fixit,
                           struct strbuf *out) {
    const struct src_file *src = d->src;
    if (!src || span.begin.offset > src->len)
        return;
    size_t len;
    const char *line = src_file_line_text(src, span.begin.offset, &len);
    size_t line_begin = (size_t)(line - src->text);
    size_t caret = span.begin.offset - line_begin;
    if (caret > len)
        caret = len;
    // Non-printable bytes (NUL, controls) would garble a terminal: show them as '?'.
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)line[i];
        strbuf_putc(out, (c < 0x20 && c != '\t') || c == 0x7f ? '?' : (char)c);
    }
    strbuf_putc(out, '\n');
    for (size_t i = 0; i < caret; i++)
        strbuf_putc(out, line[i] == '\t' ? '\t' : ' ');
    if (d->options.color)
        strbuf_puts(out, COLOR_GREEN);
    strbuf_putc(out, '^');
    size_t end = span.end.offset > span.begin.offset ? span.end.offset - line_begin : caret + 1;
    if (end > len)
        end = len;
    if (end > caret + 1)
        strbuf_fill(out, '~', end - caret - 1);
    if (d->options.color)
        strbuf_puts(out, COLOR_RESET);
    strbuf_putc(out, '\n');
    if (fixit) {
        for (size_t i = 0; i < caret; i++)
            strbuf_putc(out, line[i] == '\t' ? '\t' : ' ');
        if (d->options.color)
            strbuf_puts(out, COLOR_GREEN);
        strbuf_puts(out, fixit);
        if (d->options.color)
            strbuf_puts(out, COLOR_RESET);
        strbuf_putc(out, '\n');
    }
}

static void render_text(const struct diag_engine *d, const struct diag_record *r,
                        struct strbuf *out) {
    bool color = d->options.color;
    if (color)
        strbuf_puts(out, COLOR_BOLD);
    if (src_span_is_valid(r->span))
        strbuf_printf(out, "%s:%" PRIu32 ":%" PRIu32 ": ", r->span.begin.file, r->span.begin.line,
                      r->span.begin.col);
    else
        strbuf_puts(out, "mig: ");
    if (color)
        strbuf_printf(out, "%s%s: %s%s", severity_color(r->severity), severity_name(r->severity),
                      COLOR_RESET, COLOR_BOLD);
    else
        strbuf_printf(out, "%s: ", severity_name(r->severity));
    strbuf_puts(out, r->message);
    if (r->severity != DIAG_NOTE)
        strbuf_printf(out, " [E%04u]", (unsigned)r->id);
    if (color)
        strbuf_puts(out, COLOR_RESET);
    strbuf_putc(out, '\n');
    // A note at the very place of the diagnostic it explains does not repeat the excerpt.
    bool same_place = r->severity == DIAG_NOTE && d->n_records >= 2 &&
                      d->records[d->n_records - 2].span.begin.offset == r->span.begin.offset &&
                      d->records[d->n_records - 2].span.end.offset == r->span.end.offset &&
                      d->records[d->n_records - 2].span.begin.file == r->span.begin.file;
    if (src_span_is_valid(r->span) && !same_place)
        render_excerpt(d, r->span, r->maybe_fixit, out);
}

static void json_string(struct strbuf *out, const char *s) {
    strbuf_putc(out, '"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            strbuf_printf(out, "\\%c", c);
        else if (c == '\n')
            strbuf_puts(out, "\\n");
        else if (c == '\t')
            strbuf_puts(out, "\\t");
        else if (c < 0x20 || c == 0x7f)
            strbuf_printf(out, "\\u%04x", c);
        else
            strbuf_putc(out, (char)c);
    }
    strbuf_putc(out, '"');
}

static void render_json_fields(const struct diag_record *r, struct strbuf *out) {
    strbuf_printf(out, "\"id\": \"E%04u\", \"severity\": \"%s\", \"message\": ", (unsigned)r->id,
                  severity_name(r->severity));
    json_string(out, r->message);
    if (src_span_is_valid(r->span)) {
        strbuf_puts(out, ", \"file\": ");
        json_string(out, r->span.begin.file);
        strbuf_printf(out,
                      ", \"line\": %" PRIu32 ", \"column\": %" PRIu32 ", \"end_line\": %" PRIu32
                      ", \"end_column\": %" PRIu32,
                      r->span.begin.line, r->span.begin.col, r->span.end.line, r->span.end.col);
    }
    if (r->maybe_fixit) {
        strbuf_puts(out, ", \"fixit\": {\"insert\": ");
        json_string(out, r->maybe_fixit);
        if (src_span_is_valid(r->span))
            strbuf_printf(out, ", \"line\": %" PRIu32 ", \"column\": %" PRIu32,
                          r->span.begin.line, r->span.begin.col);
        strbuf_puts(out, "}");
    }
}

static void render_json(const struct diag_engine *d, struct strbuf *out) {
    strbuf_puts(out, "[");
    bool first = true;
    for (size_t i = 0; i < d->n_records; i++) {
        const struct diag_record *r = &d->records[i];
        if (r->severity == DIAG_NOTE)
            continue;
        strbuf_puts(out, first ? "\n  {" : ",\n  {");
        first = false;
        render_json_fields(r, out);
        strbuf_puts(out, ", \"notes\": [");
        for (size_t n = 0; n < r->note_count; n++) {
            strbuf_puts(out, n ? ", {" : "{");
            render_json_fields(&d->records[i + 1 + n], out);
            strbuf_puts(out, "}");
        }
        strbuf_puts(out, "]}");
    }
    strbuf_puts(out, first ? "]\n" : "\n]\n");
}

static char *format_message(const struct diag_info *info, const char *const *argv) {
    struct strbuf sb = STRBUF_INIT;
    size_t arg = 0;
    for (const char *p = info->message; *p; p++) {
        if (p[0] == '%' && p[1] == 's') {
            strbuf_puts(&sb, argv[arg++]);
            p++;
        } else {
            strbuf_putc(&sb, *p);
        }
    }
    return strbuf_detach(&sb);
}

static void emit(struct diag_engine *d, const struct diag_record *r) {
    if (d->n_records == d->cap_records)
        d->records = xgrow(d->records, &d->cap_records, d->n_records + 1, sizeof *d->records);
    d->records[d->n_records++] = *r;
    if (r->severity == DIAG_NOTE) {
        for (size_t i = d->n_records - 1; i-- > 0;)
            if (d->records[i].severity != DIAG_NOTE) {
                d->records[i].note_count++;
                break;
            }
    }
    if (!d->options.json && d->out) {
        struct strbuf sb = STRBUF_INIT;
        render_text(d, r, &sb);
        fwrite(strbuf_cstr(&sb), 1, sb.len, d->out);
        fflush(d->out);
        strbuf_fini(&sb);
    }
}

void diag_report_args(struct diag_engine *d, enum diag_id id, struct src_span span, size_t argc,
                      const char *const *argv) {
    diag_report_fixit_args(d, id, span, NULL, argc, argv);
}

void diag_report_fixit_args(struct diag_engine *d, enum diag_id id, struct src_span span,
                            const char *insert, size_t argc, const char *const *argv) {
    const struct diag_info *info = diag_info_get((unsigned)id);
    if (!info || info->arity != argc) {
        fprintf(stderr, "mig: internal error: diagnostic %u reported with %zu arguments\n",
                (unsigned)id, argc);
        abort();
    }
    for (size_t i = 0; i < argc; i++)
        if (!argv[i]) {
            fprintf(stderr, "mig: internal error: NULL argument to diagnostic %u\n", (unsigned)id);
            abort();
        }
    enum diag_severity sev = info->severity;
    if (sev == DIAG_NOTE) {
        if (d->last_dropped || d->n_records == 0)
            return;
    } else {
        d->last_dropped = true;
        if (sev == DIAG_WARNING && d->options.werror)
            sev = DIAG_ERROR;
        if (sev == DIAG_WARNING && d->options.quiet)
            return;
        if (d->limit_reported)
            return;
        if (sev == DIAG_ERROR && d->options.error_limit && d->errors >= d->options.error_limit) {
            d->limit_reported = true;
            d->errors++;
            const struct diag_info *limit = diag_info_get(DIAG_TOO_MANY_ERRORS);
            struct diag_record r = {DIAG_TOO_MANY_ERRORS, DIAG_ERROR, span,
                                    xstrdup(limit->message), 0, NULL};
            emit(d, &r);
            return;
        }
        d->last_dropped = false;
        if (sev == DIAG_ERROR)
            d->errors++;
        else
            d->warnings++;
    }
    struct diag_record r = {id, sev, span, format_message(info, argv), 0,
                            insert ? xstrdup(insert) : NULL};
    emit(d, &r);
}

void diag_engine_finish(struct diag_engine *d) {
    if (d->finished || !d->out)
        return;
    d->finished = true;
    struct strbuf sb = STRBUF_INIT;
    if (d->options.json) {
        render_json(d, &sb);
    } else if (d->errors || d->warnings) {
        if (d->warnings)
            strbuf_printf(&sb, "%u warning%s", d->warnings, d->warnings == 1 ? "" : "s");
        if (d->warnings && d->errors)
            strbuf_puts(&sb, " and ");
        if (d->errors)
            strbuf_printf(&sb, "%u error%s", d->errors, d->errors == 1 ? "" : "s");
        strbuf_puts(&sb, " generated.\n");
    }
    fwrite(strbuf_cstr(&sb), 1, sb.len, d->out);
    fflush(d->out);
    strbuf_fini(&sb);
}
