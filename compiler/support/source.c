// Source buffers, line tables and the cpp line-marker map (see source.h).
#include "support/source.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/arena.h"
#include "support/xalloc.h"

// From buffer line `buffer_line` on, buffer line L is line `line + (L - buffer_line)` of `file`.
struct src_marker {
    size_t buffer_line;
    uint32_t line;
    const char *file;
};

// Interned original file names, so repeated markers for the same file share one string.
struct src_name {
    struct src_name *next;
    const char *name;
    size_t len;
};

size_t src_line_break_length(const char *p, size_t avail) {
    if (avail == 0)
        return 0;
    if (p[0] == '\n')
        return 1;
    if (p[0] == '\r')
        return avail >= 2 && p[1] == '\n' ? 2 : 1;
    return 0;
}

// Counts the line breaks of text[0..len) and, when `starts` is not NULL, stores the offset just
// after each one (the start of the next line). Text without a carriage return (nearly all of it:
// cpp writes "\n") is searched with memchr, byte by byte only where a '\r' may be.
static size_t src_line_starts(const char *text, size_t len, uint32_t *starts) {
    size_t n = 0;
    if (memchr(text, '\r', len) == NULL) {
        for (const char *p = text, *end = text + len; (p = memchr(p, '\n', (size_t)(end - p)));) {
            p++;
            if (starts)
                starts[n] = (uint32_t)(p - text);
            n++;
        }
        return n;
    }
    for (size_t i = 0; i < len;) {
        size_t brk = src_line_break_length(text + i, len - i);
        if (brk == 0) {
            i++;
            continue;
        }
        i += brk;
        if (starts)
            starts[n] = (uint32_t)i;
        n++;
    }
    return n;
}

struct src_file *src_file_create(struct arena *arena, const char *name, const char *text,
                                 size_t len) {
    if (len > UINT32_MAX - 1)
        len = UINT32_MAX - 1;
    struct src_file *src = ARENA_NEW(arena, struct src_file);
    src->arena = arena;
    src->name = arena_strdup(arena, name ? name : "<input>");
    src->text = arena_strndup(arena, text ? text : "", text ? len : 0);
    src->len = text ? len : 0;

    size_t n_lines = 1 + src_line_starts(src->text, src->len, NULL);
    uint32_t *starts = arena_array(arena, n_lines, sizeof *starts);
    starts[0] = 0;
    src_line_starts(src->text, src->len, starts + 1);
    src->line_starts = starts;
    src->n_lines = n_lines;
    return src;
}

static const char *src_intern(struct src_file *src, const char *file, size_t len) {
    for (struct src_name *n = src->names; n; n = n->next)
        if (n->len == len && memcmp(n->name, file, len) == 0)
            return n->name;
    struct src_name *n = ARENA_NEW(src->arena, struct src_name);
    n->name = arena_strndup(src->arena, file, len);
    n->len = len;
    n->next = src->names;
    src->names = n;
    return n->name;
}

static const struct src_marker *src_marker_for_line(const struct src_file *src, size_t line) {
    // Last marker whose buffer_line <= line.
    size_t lo = 0, hi = src->n_markers;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (src->markers[mid].buffer_line <= line)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo ? &src->markers[lo - 1] : NULL;
}

void src_file_add_marker(struct src_file *src, size_t buffer_line, uint32_t line,
                         const char *file, size_t file_len) {
    const char *name;
    if (file) {
        name = src_intern(src, file, file_len);
    } else {
        const struct src_marker *prev = src_marker_for_line(src, buffer_line);
        name = prev ? prev->file : src->name;
    }
    // A marker at or before an earlier one replaces the ones it shadows (markers come in order
    // from the lexer; this keeps the table sorted whatever the caller does).
    while (src->n_markers && src->markers[src->n_markers - 1].buffer_line >= buffer_line)
        src->n_markers--;
    if (src->n_markers == src->cap_markers) {
        size_t cap = src->cap_markers ? src->cap_markers * 2 : 16;
        struct src_marker *m = arena_array(src->arena, cap, sizeof *m);
        if (src->n_markers)
            memcpy(m, src->markers, src->n_markers * sizeof *m);
        src->markers = m;
        src->cap_markers = cap;
    }
    src->markers[src->n_markers++] = (struct src_marker){buffer_line, line, name};
    src->hit_len = 0; // the last line looked up may map elsewhere now
}

size_t src_file_buffer_line(const struct src_file *src, size_t offset) {
    // Lookups mostly move forward through the buffer: try the cached line and the next one.
    size_t c = src->cached_line;
    for (size_t line = c; line && line <= src->n_lines && line <= c + 1; line++) {
        size_t next = line < src->n_lines ? src->line_starts[line] : SIZE_MAX;
        if (src->line_starts[line - 1] <= offset && offset < next) {
            ((struct src_file *)src)->cached_line = line; // a cache, not a visible change
            return line;
        }
    }
    size_t lo = 0, hi = src->n_lines;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (src->line_starts[mid] <= offset)
            lo = mid + 1;
        else
            hi = mid;
    }
    ((struct src_file *)src)->cached_line = lo ? lo : 1;
    return lo ? lo : 1;
}

struct src_loc src_file_loc(const struct src_file *src, size_t offset) {
    if (offset > src->len)
        offset = src->len;
    if (offset - src->hit_begin < src->hit_len) // on the line of the last lookup
        return (struct src_loc){src->hit_file, src->hit_line,
                                (uint32_t)(offset - src->hit_begin + 1), (uint32_t)offset};
    size_t line = src_file_buffer_line(src, offset);
    struct src_loc loc = {src->name, (uint32_t)line,
                          (uint32_t)(offset - src->line_starts[line - 1] + 1), (uint32_t)offset};
    // The marker of the last lookup usually still applies (the lexer moves forward).
    const struct src_marker *m = NULL;
    size_t k = src->cached_marker;
    if (k && k <= src->n_markers && src->markers[k - 1].buffer_line <= line &&
        (k == src->n_markers || src->markers[k].buffer_line > line)) {
        m = &src->markers[k - 1];
    } else {
        m = src_marker_for_line(src, line);
        ((struct src_file *)src)->cached_marker = m ? (size_t)(m - src->markers) + 1 : 0;
    }
    if (m) {
        loc.file = m->file;
        uint64_t l = (uint64_t)m->line + (line - m->buffer_line);
        loc.line = l > UINT32_MAX ? UINT32_MAX : (uint32_t)l;
    }
    struct src_file *cache = (struct src_file *)src; // a cache, not a visible change
    cache->hit_begin = src->line_starts[line - 1];
    cache->hit_len = (line < src->n_lines ? src->line_starts[line] : src->len + 1) - cache->hit_begin;
    cache->hit_file = loc.file;
    cache->hit_line = loc.line;
    return loc;
}

struct src_span src_file_span(const struct src_file *src, size_t begin, size_t end) {
    struct src_span s = {src_file_loc(src, begin), {0}};
    if (end < begin)
        end = begin;
    if (end > src->len)
        end = src->len;
    // A token ends on the line it starts on: its end differs from its beginning by the column.
    if (end - src->hit_begin < src->hit_len) { // the line of `begin`, just looked up
        s.end = s.begin;
        s.end.col += (uint32_t)(end - s.begin.offset);
        s.end.offset = (uint32_t)end;
    } else {
        s.end = src_file_loc(src, end);
    }
    return s;
}

const char *src_file_line_text(const struct src_file *src, size_t offset, size_t *len) {
    if (offset > src->len)
        offset = src->len;
    size_t line = src_file_buffer_line(src, offset);
    size_t begin = src->line_starts[line - 1];
    size_t end = line < src->n_lines ? src->line_starts[line] : src->len;
    // Drop the line's own break ("\n", "\r\n" or a lone "\r"; the last line has none).
    if (line < src->n_lines) {
        if (end > begin && src->text[end - 1] == '\n')
            end--;
        if (end > begin && src->text[end - 1] == '\r')
            end--;
    }
    *len = end - begin;
    return src->text + begin;
}

static bool is_blank(char c) { return c == ' ' || c == '\t'; }

enum src_directive src_file_parse_directive(struct src_file *src, size_t offset, const char *text,
                                            size_t len) {
    size_t i = 0;
    while (i < len && is_blank(text[i]))
        i++;
    if (i == len || text[i] != '#')
        return SRC_DIRECTIVE_OTHER;
    i++;
    while (i < len && is_blank(text[i]))
        i++;
    if (len - i >= 4 && memcmp(text + i, "line", 4) == 0 && (len - i == 4 || is_blank(text[i + 4]))) {
        i += 4;
        while (i < len && is_blank(text[i]))
            i++;
        if (i == len || text[i] < '0' || text[i] > '9')
            return SRC_DIRECTIVE_BAD_MARKER;
    } else if (i == len || text[i] < '0' || text[i] > '9') {
        return SRC_DIRECTIVE_OTHER;
    }
    uint64_t line = 0;
    for (; i < len && text[i] >= '0' && text[i] <= '9'; i++) {
        line = line * 10 + (uint64_t)(text[i] - '0');
        if (line > UINT32_MAX)
            return SRC_DIRECTIVE_BAD_MARKER;
    }
    if (i < len && !is_blank(text[i]) && text[i] != '\r')
        return SRC_DIRECTIVE_BAD_MARKER;
    while (i < len && is_blank(text[i]))
        i++;
    const char *name = NULL;
    size_t name_len = 0;
    char *unescaped = NULL;
    if (i < len && text[i] == '"') {
        // cpp escapes '\\' and '"' in file names; anything else is kept as written.
        unescaped = xmalloc(len - i);
        i++;
        while (i < len && text[i] != '"') {
            if (text[i] == '\\' && i + 1 < len)
                i++;
            unescaped[name_len++] = text[i++];
        }
        if (i == len) {
            free(unescaped);
            return SRC_DIRECTIVE_BAD_MARKER;
        }
        name = unescaped;
    }
    size_t buffer_line = src_file_buffer_line(src, offset) + 1;
    src_file_add_marker(src, buffer_line, (uint32_t)line, name, name_len);
    free(unescaped);
    return SRC_DIRECTIVE_MARKER;
}
