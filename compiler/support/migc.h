// The compilation context: one object (options, arena, diagnostics) that every stage receives.
// No stage keeps global state. main.c parses the command line into struct migc_options; the
// pipeline (driver/pipeline.h) and the parser (parse/parse.h) take the context this makes.
#ifndef MIGC_MIGC_H
#define MIGC_MIGC_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct diag_engine;
struct arena;

// Options that change what the compiler checks or generates (not where files go: that is the
// driver's business). The check steps copy the generation options into the IR so emitters read
// only the IR.
struct migc_options {
    bool quiet;               // -q: no warnings
    bool werror;              // -Werror: warnings count as errors
    bool split;               // -split
    bool novouchers;          // -novouchers
    bool mach_msg2;           // -mach_msg2
    bool rpc_separate;        // -R: separate send and receive
    bool symtab;              // -s
    bool bounds_annotations;  // -b
    bool ndr_convert;         // -n
    unsigned long maxonstack; // -maxonstack N (0: everything on the stack)
    unsigned long max_descrs;       // -max_descrs N (0: no limit)
    unsigned long max_reply_descrs; // -max_reply_descrs N (0: no limit)
    bool color;               // colour diagnostics (TTY and NO_COLOR unset)
    bool json_diagnostics;    // --diagnostics-format=json
    unsigned error_limit;     // stop after this many errors (0: the default, 20)
};

// The compilation context. Create one per compilation; destroying it frees everything the
// compilation allocated (AST, IR, diagnostics).
struct migc {
    struct migc_options options;
    struct arena *arena;
    struct diag_engine *diags;
};

// Creates a context with a copy of *options. Diagnostics are printed to `diag_out` (stderr in the
// driver; a memstream in tests). Aborts on out of memory.
struct migc *migc_create(const struct migc_options *options, FILE *diag_out);

// Frees the context and everything allocated through it.
void migc_destroy(struct migc *ctx);

// Number of errors reported so far (warnings count when options.werror is set).
unsigned migc_error_count(const struct migc *ctx);

// Ends the run's diagnostics: prints the "N errors generated." summary (text mode) or the JSON
// array of every diagnostic (--diagnostics-format=json). The driver calls it once, last.
void migc_finish(struct migc *ctx);

// The largest preprocessed text migc_compile accepts, in bytes (2 GiB - 3): the flex scanner
// counts its buffer in int and needs two bytes after the text. Larger inputs are refused with
// E0408, never cut short.
#define MIGC_MAX_INPUT_BYTES ((size_t)INT_MAX - 2)

// Reports E0408 for `file`, which is `size` bytes (more than MIGC_MAX_INPUT_BYTES): `what` says
// what was measured ("it is", "its preprocessed text is"); the message gives the size and limit.
void migc_report_too_large(struct migc *ctx, const char *file, const char *what, uint64_t size);

#endif
