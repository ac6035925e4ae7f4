// Atomic output: every generated file is built in memory first; output_commit() writes each to a
// temporary file next to its destination and only when all of them were written renames them
// into place. A failed run leaves no output file and no half-written one (Apple MIG defect 7).
#ifndef MIGC_OUTPUT_H
#define MIGC_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>

struct output_file {
    char *path; // destination (copy)
    char *data; // contents (copy)
    size_t len;
    char *temp; // temporary name while committing
    bool direct; // not a regular file (a device, a FIFO, "-" for stdout): written in place
};

struct output_set {
    struct output_file *files;
    size_t count;
};

// Destinations that exist and are not regular files (/dev/stdout, a FIFO) and "-" (standard
// output) cannot be replaced by a rename: they are written in place, after every regular file's
// temporary was written.

// True for the path that means "do not write this output" (/dev/null, as in Apple's mig).
bool output_is_discarded(const char *path);

// Queues `len` bytes for `path` (both copied). A discarded path is accepted and ignored.
// Returns false on out of memory.
bool output_add(struct output_set *set, const char *path, const char *data, size_t len);

// Writes every queued file atomically (temp file + rename). Returns true on success. On failure
// no destination was touched, every temporary is removed, and *failed_path / *error say which
// file and errno (failed_path points into the set; valid until output_free).
bool output_commit(struct output_set *set, const char **failed_path, int *error);

// Frees the set (removing any temporaries left behind).
void output_free(struct output_set *set);

#endif
