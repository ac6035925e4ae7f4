// Dependency files: collects included files from cpp line markers and writes make rules.
#include "driver/depfile.h"

#include <stdlib.h>
#include <string.h>

#include "support/source.h"

static bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

bool depfile_contains(const struct dep_list *list, const char *name) {
    for (size_t i = 0; i < list->count; i++)
        if (strcmp(list->files[i], name) == 0)
            return true;
    return false;
}

// Appends `name` (malloc'd; the list takes it) unless it is listed already.
static bool append_owned(struct dep_list *list, char *name) {
    if (depfile_contains(list, name)) {
        free(name);
        return true;
    }
    char **grown = realloc(list->files, (list->count + 1) * sizeof *grown);
    if (!grown) {
        free(name);
        return false;
    }
    list->files = grown;
    list->files[list->count++] = name;
    return true;
}

// A name from a line marker: pseudo-files ("<built-in>") and empty names are dropped.
static bool add_file(struct dep_list *list, char *name) {
    if (name[0] == '<' || name[0] == '\0') {
        free(name);
        return true;
    }
    return append_owned(list, name);
}

bool depfile_add(struct dep_list *list, const char *name) {
    size_t size = strlen(name) + 1;
    char *copy = malloc(size);
    if (!copy)
        return false;
    memcpy(copy, name, size);
    return append_owned(list, copy);
}

bool depfile_merge(struct dep_list *into, const struct dep_list *from) {
    for (size_t i = 0; i < from->count; i++)
        if (!depfile_add(into, from->files[i]))
            return false;
    return true;
}

// Parses the quoted name at p (after the opening quote), undoing \\ and \" escapes.
// Returns the malloc'd name, or NULL if the quote is unterminated or memory ran out.
static char *unquote(const char *p, const char *end) {
    char *name = malloc((size_t)(end - p) + 1);
    if (!name)
        return NULL;
    size_t n = 0;
    while (p < end && *p != '"' && !src_line_break_length(p, (size_t)(end - p))) {
        if (*p == '\\' && p + 1 < end && !src_line_break_length(p + 1, (size_t)(end - p - 1)))
            p++;
        name[n++] = *p++;
    }
    if (p >= end || *p != '"') {
        free(name);
        return NULL;
    }
    name[n] = '\0';
    return name;
}

// If the line at p is a line marker, returns a pointer to just after its opening quote.
static const char *marker_name(const char *p, const char *end) {
    if (p >= end || *p != '#')
        return NULL;
    p++;
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    if (end - p >= 4 && memcmp(p, "line", 4) == 0)
        p += 4;
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    if (p >= end || !is_digit(*p))
        return NULL;
    while (p < end && is_digit(*p))
        p++;
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    return p < end && *p == '"' ? p + 1 : NULL;
}

bool depfile_collect(const char *text, size_t len, struct dep_list *out) {
    out->files = NULL;
    out->count = 0;
    const char *end = text + len;
    for (const char *line = text; line < end;) {
        const char *name_start = marker_name(line, end);
        if (name_start) {
            char *name = unquote(name_start, end);
            if (name && !add_file(out, name)) {
                depfile_free(out);
                return false;
            }
        }
        while (line < end && !src_line_break_length(line, (size_t)(end - line)))
            line++;
        line += src_line_break_length(line, (size_t)(end - line));
    }
    return true;
}

void depfile_free(struct dep_list *list) {
    for (size_t i = 0; i < list->count; i++)
        free(list->files[i]);
    free(list->files);
    list->files = NULL;
    list->count = 0;
}

static void write_escaped(FILE *out, const char *name) {
    for (const char *p = name; *p; p++) {
        if (*p == ' ' || *p == '#')
            fputc('\\', out);
        else if (*p == '$')
            fputc('$', out);
        fputc(*p, out);
    }
}

void depfile_write(FILE *out, const char *const *targets, size_t target_count,
                   const struct dep_list *deps) {
    for (size_t i = 0; i < target_count; i++) {
        if (i)
            fputc(' ', out);
        write_escaped(out, targets[i]);
    }
    fputc(':', out);
    for (size_t i = 0; i < deps->count; i++) {
        fputs(" \\\n  ", out);
        write_escaped(out, deps->files[i]);
    }
    fputc('\n', out);
    for (size_t i = 1; i < deps->count; i++) {
        fputc('\n', out);
        write_escaped(out, deps->files[i]);
        fputs(":\n", out);
    }
}
