// Make/ninja dependency files for mig's outputs. The dependencies are the files named by the
// preprocessor's line markers (the .defs file and everything it included), so no cpp-specific
// -MD/-MF flags are needed and any preprocessor works.
#ifndef MIGC_DEPFILE_H
#define MIGC_DEPFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct dep_list {
    char **files; // malloc'd names in order of first appearance, no duplicates
    size_t count;
};

// Collects the real files named by line markers (`# 12 "file" ...` and `#line 12 "file"`) in
// preprocessed text. Pseudo-files such as "<built-in>" are skipped; escapes (\\ \") are undone.
// Returns false on out of memory (the list is then freed).
bool depfile_collect(const char *text, size_t len, struct dep_list *out);

void depfile_free(struct dep_list *list);

// True when `name` is in the list.
bool depfile_contains(const struct dep_list *list, const char *name);

// Appends a copy of `name` unless it is listed already. Returns false on out of memory.
bool depfile_add(struct dep_list *list, const char *name);

// Appends a copy of every name of `from` not listed in `into` yet, in order. Returns false on
// out of memory.
bool depfile_merge(struct dep_list *into, const struct dep_list *from);

// Writes a make rule "targets: deps", escaped for make and ninja (space, '#', '$'), followed by
// an empty rule per dependency after the first (as gcc -MP) so deleting a header does not
// break the build.
void depfile_write(FILE *out, const char *const *targets, size_t target_count,
                   const struct dep_list *deps);

#endif
