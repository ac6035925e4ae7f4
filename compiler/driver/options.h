// The mig command line: Apple's options (mig.sh + migcom) plus OpenMIG's long options, parsed
// into struct driver_options. Parsing only records; nothing is run or opened here.
#ifndef MIGC_OPTIONS_H
#define MIGC_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

#include "emit/emit.h"
#include "support/migc.h"

#define DRIVER_OUTPUT_KINDS 6 // one per enum emit_kind

// A problem found on the command line: a diagnostic id from diag_driver.def and its argument.
struct option_problem {
    int id;              // DIAG_* value
    const char *args[2]; // its arguments (point into argv or are literals); unused ones NULL
};

struct driver_options {
    struct migc_options compile;
    const char **defs_files;                 // the non-option arguments, in order: each one is
    size_t defs_file_count;                  // compiled in turn with the same options (mig.sh)
    const char *outputs[DRIVER_OUTPUT_KINDS]; // by enum emit_kind; NULL: not given on the line
    const char *json_file;                   // --emit-json FILE
    const char *depfile;                     // -MF FILE: one combined dependency file
    bool make_deps;                          // -MD: FILE.d next to every output
    bool verbose;                            // -v: print a summary of the interface
    bool show_version;                       // -version / --version
    bool show_help;                          // --help / -help
    bool force_color;                        // --color
    bool no_color;                           // --no-color
    const char *arch;                        // -arch A
    const char *target;                      // -target T
    const char *isysroot;                    // -isysroot DIR
    const char *cc;                          // -cc PATH (overrides MIGCC / CC)
    const char *split_prefix;                // -i PREFIX: one user file per routine
    const char **cpp_args;                   // arguments for the preprocessor, in order
    size_t cpp_arg_count;
    struct option_problem *problems;         // warnings and errors, in order
    char **owned;                            // strings made here (E0404's "-user x.c"), freed
    size_t owned_count;                      // by options_free
    size_t problem_count;
    bool usage_error;                        // a problem makes the command line unusable
};

// Parses argv[1..argc-1] into *out (zeroed first). Options count up to the first file name;
// every later non-option argument is another .defs file and every later option (with its value,
// if it takes one) is ignored with warning E0404, as Apple's mig.sh does. Never exits or
// prints: problems are recorded in out->problems and out->usage_error is set when the command
// line cannot be used. Strings point into argv (or into out->owned). Returns false only on out
// of memory. Free with options_free().
bool options_parse(int argc, char **argv, struct driver_options *out);

// Frees what options_parse allocated (not the strings, which belong to argv).
void options_free(struct driver_options *opts);

// Writes the --help text (every option, one line each) to `out`.
void options_print_help(const char *program, void *out /* FILE * */);

#endif
