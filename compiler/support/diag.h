// The diagnostics engine: one table of messages (diag.def) with stable ids, rendered like a C
// compiler (`file:line:col: error: message [E0040]`, source line, caret, notes, summary) or as
// JSON. Every stage reports through it; nothing else prints.
#ifndef MIGC_DIAG_H
#define MIGC_DIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "support/source.h"

enum diag_severity { DIAG_ERROR, DIAG_WARNING, DIAG_NOTE };

// DIAG_<NAME> = its numeric id (E0040 is 40).
enum diag_id {
#define DIAG(name, id, sev, arity, msg) DIAG_##name = id,
#define RETIRED(id)
#include "support/diag.def"
#undef DIAG
#undef RETIRED
};

// One row of the table (for tests and documentation tools).
struct diag_info {
    enum diag_id id;
    const char *name;     // "UNKNOWN_TYPE"
    enum diag_severity severity;
    unsigned arity;       // number of %s in message
    const char *message;
};

// The table row for `id`, or NULL when no such id exists (or it is retired).
const struct diag_info *diag_info_get(unsigned id);

// All rows in table order; sets *count.
const struct diag_info *diag_info_table(size_t *count);

struct diag_options {
    bool color;  // ANSI colours in text output
    bool json;   // one JSON array, written by diag_engine_finish, instead of text
    bool quiet;  // drop warnings (and their notes)
    bool werror; // warnings are reported and counted as errors
    unsigned error_limit; // stop reporting after this many errors (0: no limit)
};

// A reported diagnostic, as stored for tests and for JSON.
struct diag_record {
    enum diag_id id;
    enum diag_severity severity; // effective severity (a warning under -Werror is an error)
    struct src_span span;
    const char *message;         // formatted text, without the id
    size_t note_count;           // notes that follow this record in the list
    const char *maybe_fixit;     // text to insert at span.begin (shown under the caret), or NULL
};

struct diag_engine;

// Creates an engine writing to `out` (not closed by the engine). Aborts on out of memory.
struct diag_engine *diag_engine_create(const struct diag_options *options, FILE *out);

// Frees the engine and its records. NULL is allowed.
void diag_engine_destroy(struct diag_engine *d);

// Source used to print the line under a position (may be NULL; not owned).
void diag_engine_set_source(struct diag_engine *d, const struct src_file *src);

// Reports diagnostic `id` at `span` with exactly the table's arity of `const char *`
// arguments: diag_report(d, DIAG_UNKNOWN_TYPE, span, name). A NOTE attaches to the previous
// diagnostic (and is dropped with it). Text output is written immediately. Calling it with the
// wrong number of arguments, an unknown id or a NULL argument aborts (a programming error).
#define diag_report(d, id, span, ...)                                                         \
    diag_report_args((d), (id), (span),                                                       \
                     sizeof((const char *[]){NULL, ##__VA_ARGS__}) / sizeof(const char *) - 1, \
                     (const char *[]){NULL, ##__VA_ARGS__} + 1)
void diag_report_args(struct diag_engine *d, enum diag_id id, struct src_span span, size_t argc,
                      const char *const *argv);

// diag_report with a fix-it: `insert` is the text to insert at span.begin. It is printed on its
// own line under the caret (as clang does) and given in JSON as "fixit".
#define diag_report_fixit(d, id, span, insert, ...)                                           \
    diag_report_fixit_args((d), (id), (span), (insert),                                       \
                           sizeof((const char *[]){NULL, ##__VA_ARGS__}) / sizeof(const char *) - 1, \
                           (const char *[]){NULL, ##__VA_ARGS__} + 1)
void diag_report_fixit_args(struct diag_engine *d, enum diag_id id, struct src_span span,
                            const char *insert, size_t argc, const char *const *argv);

// Ends the run: in text mode prints "N errors generated." (or warnings, as clang does) when
// there was anything to report; in JSON mode writes the array of all diagnostics. Call once.
void diag_engine_finish(struct diag_engine *d);

// Errors reported so far (warnings promoted by werror included) and warnings shown.
unsigned diag_error_count(const struct diag_engine *d);
unsigned diag_warning_count(const struct diag_engine *d);

// True once error_limit errors were reported (later errors are dropped silently after one
// TOO_MANY_ERRORS error).
bool diag_limit_reached(const struct diag_engine *d);

// Recorded diagnostics (notes included, in report order), for tests and tools.
size_t diag_record_count(const struct diag_engine *d);
const struct diag_record *diag_record_get(const struct diag_engine *d, size_t index);

#endif
