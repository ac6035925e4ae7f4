// Atomic output: every generated file is written to a temporary file next to its destination as
// it is produced; output_commit() renames them into place only when all of
// them were written. A failed run leaves no output file and no half-written one (Apple MIG
// defect 7). An output whose destination already holds exactly the same bytes is not rewritten:
// it is compared as it is produced, and output_commit() only updates its time stamps.
#ifndef MIGC_OUTPUT_H
#define MIGC_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>

struct output_file {
    char *path; // destination (copy)
    char *data; // contents of a direct output (copy); NULL for a regular file
    size_t len;
    char *temp; // temporary name: regular files are written there as they are produced
    int fd;     // the temporary while it is being written, else -1
    int error;  // first errno met while opening or writing (reported by output_commit)
    bool direct; // not a regular file (a device, a FIFO, "-" for stdout): written in place
    // Comparing with the existing destination (no temporary yet): `old_fd` reads it, `old_size`
    // is its size and `same` counts the bytes produced so far, all equal to its first bytes.
    int old_fd; // -1 when not comparing
    size_t old_size, same;
    size_t index; // this file's place in the set (names its temporary)
    bool existed; // the destination existed when output_begin looked
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

// Streaming: output_begin queues `path` and returns its index (OUTPUT_DISCARDED for a
// discarded path, which output_write and output_end then ignore). A regular file's bytes go to
// its temporary at once (or, while they equal an existing destination's, are only compared
// with it), so that a big output is never held in memory; a direct destination's are kept until
// output_commit. Errors are remembered and reported by output_commit. Allocation
// failure aborts.
#define OUTPUT_DISCARDED ((size_t)-1)
size_t output_begin(struct output_set *set, const char *path);
void output_write(struct output_set *set, size_t index, const char *data, size_t len);
void output_end(struct output_set *set, size_t index);

// One queued output as a sink for a writer that hands its text over in pieces (emit_file_to):
// output_stream_write(ctx = struct output_stream *, ...) is output_write on it.
struct output_stream {
    struct output_set *set;
    size_t index;
};
void output_stream_write(void *ctx, const char *data, size_t len);

// Queues `len` bytes for `path` (begin, write, end). A discarded path is accepted and ignored.
// Returns true (errors are reported by output_commit).
bool output_add(struct output_set *set, const char *path, const char *data, size_t len);

// Completes every queued file atomically (its temporary renamed into place; direct ones written;
// an unchanged destination kept, with its access and modification times set to now, so that make
// sees it newer than its inputs as if it had been rewritten). Returns true on success. On failure
// no destination was touched, every temporary is removed, and *failed_path / *error say which
// file and errno (failed_path points into the set; valid until output_free).
bool output_commit(struct output_set *set, const char **failed_path, int *error);

// Frees the set (removing any temporaries left behind).
void output_free(struct output_set *set);

#endif
