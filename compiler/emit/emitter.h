// The writer every C emitter goes through: text is appended to a strbuf with the current
// indentation (one tab per level, as MIG's output has), formats are printf-checked, and nothing
// touches a file, so a failed run never leaves half an output behind.
#ifndef MIGC_EMITTER_H
#define MIGC_EMITTER_H

#include <stddef.h>

#include "support/strbuf.h" // MIGC_PRINTF

// Where a streamed output's text goes once the buffer holds EM_FLUSH_AT bytes (a file being
// written: the emitter never holds a whole big output).
typedef void (*em_sink_fn)(void *ctx, const char *data, size_t len);
enum { EM_FLUSH_AT = 32 * 1024 };

struct emitter {
    struct strbuf *out; // not owned
    int indent;         // current depth in tabs
    em_sink_fn sink;    // NULL: everything stays in out
    void *sink_ctx;
};

// Starts writing at the end of `out`, at depth 0.
void em_init(struct emitter *e, struct strbuf *out);
// Hands what `out` holds to `sink` whenever it reaches EM_FLUSH_AT bytes (and at em_flush).
void em_set_sink(struct emitter *e, em_sink_fn sink, void *ctx);
// Hands everything buffered to the sink, if there is one.
void em_flush(struct emitter *e);

// One line: indentation, the formatted text, a newline. An empty format writes an empty line
// without indentation (no trailing whitespace in generated code).
void em_line(struct emitter *e, const char *fmt, ...) MIGC_PRINTF(2, 3);

// A line at depth 0 whatever the current depth (preprocessor directives).
void em_pp(struct emitter *e, const char *fmt, ...) MIGC_PRINTF(2, 3);

// The formatted text followed by " {", then depth + 1.
void em_open(struct emitter *e, const char *fmt, ...) MIGC_PRINTF(2, 3);

// A line with a lone "{" (a function body, an initializer), then depth + 1.
void em_block(struct emitter *e);

// Depth - 1, then "}" followed by `suffix` (for example ";" or " while (0)"; may be "").
void em_close(struct emitter *e, const char *suffix);

// Depth - 1, then "}" followed by the formatted suffix (for example " Request;").
void em_closef(struct emitter *e, const char *fmt, ...) MIGC_PRINTF(2, 3);

// An empty line.
void em_blank(struct emitter *e);

// Indentation and the formatted text, no newline: the start of a line that em_rawf continues
// (for long calls whose arguments depend on the IR).
void em_start(struct emitter *e, const char *fmt, ...) MIGC_PRINTF(2, 3);

// Raw text, no indentation and no newline (for multi-line fixed blocks written verbatim).
void em_raw(struct emitter *e, const char *text);

// Formatted raw text, no indentation and no newline.
void em_rawf(struct emitter *e, const char *fmt, ...) MIGC_PRINTF(2, 3);

// Changes the depth by `delta` (used around argument lists written one per line).
void em_indent(struct emitter *e, int delta);

#endif
