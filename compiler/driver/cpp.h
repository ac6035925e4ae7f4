// Running the C preprocessor over a .defs file, as Apple's mig.sh does: `$MIGCC -E -D__MACH30__
// ...`. The output keeps cpp's line markers so diagnostics refer to the original files.
#ifndef MIGC_CPP_H
#define MIGC_CPP_H

#include <stdbool.h>
#include <stddef.h>

struct cpp_request {
    const char *compiler;             // the command, possibly with words ("ccache clang")
    const char *defs_file;            // the input
    const char *const *user_args;     // -D/-I/... from the command line, in order
    size_t user_arg_count;
    const char *arch;                 // -arch, or NULL
    const char *target;               // -target, or NULL
    const char *isysroot;             // -isysroot (or $SDKROOT), or NULL
    const char *defs_dir;             // our standard defs (-idirafter: after -I and system dirs)
    bool apple_host;                  // pass -arch through (Apple compilers accept it)
};

// Picks the preprocessor: the -cc option, else $MIGCC, else $CC, else "cc" (empty values are
// skipped). Arguments are the option and the environment values (any may be NULL).
const char *cpp_choose_compiler(const char *cc_option, const char *migcc_env, const char *cc_env);

// True if the compiler command names clang (it then gets -target for -arch on non-Apple hosts).
// Any other preprocessor gets the target's macros instead (cpp_arch_mode).
bool cpp_is_clang(const char *compiler);

// How -arch / -target reach the preprocessor.
enum cpp_arch_mode {
    CPP_ARCH_NONE,    // neither was given: the host's own macros
    CPP_ARCH_PASSED,  // macOS host: `-arch A` / `-target T` as given (Apple's compilers know them)
    CPP_ARCH_TARGET,  // clang elsewhere: `-target T`, or `-target A-apple-darwin` for -arch A
    CPP_ARCH_MACROS,  // any other preprocessor (gcc): host arch/OS macros undefined, the Apple
                      // target's defined (cpp_arch_macro_options)
    CPP_ARCH_IGNORED, // any other preprocessor and an architecture without a macro list (or a
                      // non-Apple -target): the host's macros; the driver warns (E0412)
};
enum cpp_arch_mode cpp_arch_mode(const struct cpp_request *req);

// Builds the argument vector for the preprocessor (NULL-terminated, malloc'd array; the strings
// are malloc'd copies). Returns NULL on out of memory. Free with cpp_free_argv().
char **cpp_build_argv(const struct cpp_request *req);
void cpp_free_argv(char **argv);

enum cpp_status {
    CPP_OK,
    CPP_NOT_RUN, // the program could not be started: *detail is strerror text
    CPP_FAILED,  // it ran and failed: *detail says how ("exit status 1", "signal 11")
    CPP_TOO_LARGE, // it succeeded but wrote more than max_len bytes: out->len is how many
};

struct cpp_output {
    char *text;          // malloc'd, NUL-terminated; NULL unless CPP_OK
    size_t len;          // bytes of text (CPP_TOO_LARGE: bytes written, none of them kept)
    char detail[128];    // for CPP_NOT_RUN / CPP_FAILED
};

// Runs argv (argv[0] looked up in PATH), its stdout captured into out->text, its stderr passed
// through to ours. Returns the status; out->detail explains a failure. Output beyond `max_len`
// bytes is read to the end (so the program finishes normally) but not kept: CPP_TOO_LARGE.
enum cpp_status cpp_run(char *const *argv, size_t max_len, struct cpp_output *out);
// The same with the environment `envp` (NULL: ours).
enum cpp_status cpp_run_env(char *const *argv, char *const *envp, size_t max_len,
                            struct cpp_output *out);

// The preprocessor's environment, as Apple's mig.sh makes it: ours without
// CC_PRINT_HEADERS_FORMAT, or, when `trace_file` is given (MIG_TRACE_HEADERS), with clang's
// header trace asked for: CC_PRINT_HEADERS_FORMAT=json, CC_PRINT_HEADERS_FILTERING=
// only-direct-system, CC_PRINT_HEADERS_FILE=<trace_file> (clang appends one JSON line per
// file). NULL-terminated; NULL on out of memory. Free with cpp_free_argv().
char **cpp_build_env(char *const *environment, const char *trace_file);

#endif
