// One run of mig: preprocess the .defs file, compile it, generate every requested output in
// memory, then write them all atomically (with dependency files for -MD / -MF).
#ifndef MIGC_DRIVER_H
#define MIGC_DRIVER_H

#include "driver/options.h"

// Exit statuses of mig (documented in docs/command-line.md).
enum driver_status {
    DRIVER_OK = 0,          // every requested output written
    DRIVER_INPUT_ERROR = 1, // errors in the input, the preprocessor run or writing the outputs
    DRIVER_USAGE_ERROR = 2, // the command line cannot be used
};

// Runs mig with parsed options. `program` is argv[0] (for --help). Diagnostics go to stderr,
// --help / --version / -v output to stdout. Returns the exit status.
enum driver_status driver_run(const struct driver_options *opts, const char *program);

// The directory of standard .defs files put after every -I: $MIG_DEFS_DIR when set (empty:
// none), else ../share/mig/defs next to the running mig (an installed mig), else the source
// tree's defs/ when it exists (a mig run from its build tree), else the configured install
// directory. `buf` (cap bytes) may hold the result.
const char *driver_defs_dir(char *buf, size_t cap);

#endif
