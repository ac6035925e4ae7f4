// Source text and positions: the preprocessed buffer, its line-start table, and the map from
// cpp line markers (`# 12 "f.defs" 1 3`, `#line 12 "f.defs"`) back to original files and lines.
// The lexer feeds markers in as it meets them; every later stage only sees struct src_span.
#ifndef MIGC_SOURCE_H
#define MIGC_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct arena;

// A position in the original file. `file` is owned by the struct src_file (or a string
// literal) and lives as long as the compilation; `offset` indexes the preprocessed buffer and
// lets diagnostics print the source line.
struct src_loc {
    const char *file; // original file name; NULL for "no position" (command-line problems)
    uint32_t line;    // 1-based line in `file`
    uint32_t col;     // 1-based byte column (tabs count as one byte)
    uint32_t offset;  // byte offset in the preprocessed buffer
};

// A range of source text: `begin` is the first byte, `end` is one past the last byte.
struct src_span {
    struct src_loc begin;
    struct src_loc end;
};

// The "no position" span, for diagnostics that do not come from the source text.
#define SRC_SPAN_NONE ((struct src_span){{NULL, 0, 0, 0}, {NULL, 0, 0, 0}})

// True when the span refers to a real position.
static inline bool src_span_is_valid(struct src_span s) { return s.begin.file != NULL; }

// The span covering `a` up to the end of `b` (b must not start before a).
static inline struct src_span src_span_join(struct src_span a, struct src_span b) {
    struct src_span s = {a.begin, b.end};
    return s;
}

// One preprocessed input buffer.
struct src_file {
    const char *name;         // the name given at creation (the file before any marker)
    const char *text;         // len bytes; may contain NUL bytes; not necessarily terminated
    size_t len;
    const uint32_t *line_starts; // offset of the first byte of each buffer line
    size_t n_lines;
    struct src_marker *markers; // sorted by buffer line (internal)
    size_t n_markers, cap_markers;
    struct src_name *names;     // interned original file names (internal)
    struct arena *arena;
    size_t cached_line;         // last line found by src_file_loc (internal: sequential lookups
                                // by the lexer are O(1))
    size_t cached_marker;       // 1 + index of the marker that covered it; 0: none (internal)
    // The line of the last src_file_loc, mapped (internal): offsets [hit_begin, hit_begin +
    // hit_len) are on line hit_line of hit_file. The lexer asks for each token's two ends, nearly
    // always on the line of the token before: those cost a subtraction. hit_len 0: none.
    size_t hit_begin, hit_len;
    const char *hit_file;
    uint32_t hit_line;
};

// The length of the line break at `p` (`avail` bytes readable): 2 for "\r\n", 1 for "\n" or a
// lone "\r" (old Mac files), 0 when `p` does not start a line break. Every position in OpenMIG
// (line table, cpp markers, diagnostics excerpts, dependency scanning) counts lines this way.
size_t src_line_break_length(const char *p, size_t avail);

// Creates a source over a copy of `text` (len bytes) in `arena` and builds the line table.
// Buffers larger than 4 GiB - 1 are truncated to fit 32-bit offsets (never happens through
// migc_compile, which refuses anything above MIGC_MAX_INPUT_BYTES). Aborts on out of memory.
struct src_file *src_file_create(struct arena *arena, const char *name, const char *text,
                                 size_t len);

// Parses the directive line that starts at `offset` (the text from '#' to the end of the line,
// `len` bytes) and, when it is a line marker (`# N`, `# N "file" flags...`, `#line N`,
// `#line N "file"`), records that the next buffer line is line N of "file" (the current file if
// no name is given). Returns SRC_DIRECTIVE_MARKER, SRC_DIRECTIVE_OTHER for any other directive
// (`#pragma`, `#ident`, `#include`...: the caller decides) or SRC_DIRECTIVE_BAD_MARKER when it
// looks like a marker but is malformed (line number out of range, unterminated name).
enum src_directive { SRC_DIRECTIVE_MARKER, SRC_DIRECTIVE_OTHER, SRC_DIRECTIVE_BAD_MARKER };
enum src_directive src_file_parse_directive(struct src_file *src, size_t offset, const char *text,
                                            size_t len);

// Records a marker directly: buffer line `buffer_line` (1-based) and the lines after it are
// line `line` onwards of `file` (`file_len` bytes, already unescaped; NULL keeps the current
// file). Markers must be added in increasing buffer-line order.
void src_file_add_marker(struct src_file *src, size_t buffer_line, uint32_t line,
                         const char *file, size_t file_len);

// Maps a buffer offset (0..len) to the original file, line and column.
struct src_loc src_file_loc(const struct src_file *src, size_t offset);

// The span from offset `begin` to offset `end` (exclusive).
struct src_span src_file_span(const struct src_file *src, size_t begin, size_t end);

// 1-based buffer line containing `offset`.
size_t src_file_buffer_line(const struct src_file *src, size_t offset);

// The bytes of the buffer line containing `offset`, without its newline: sets *len.
const char *src_file_line_text(const struct src_file *src, size_t offset, size_t *len);

#endif
