// Parses mig's command line. Apple's mig.sh rules: options until the first file name, then any
// number of file names; options after the first file are ignored with a warning (a separated
// preprocessor option there, -D NAME, is refused), and any unknown single-dash option goes to
// the preprocessor. Unlike mig.sh, separated forms (-I dir, -D NAME) work and -b reaches the compiler.
#include "driver/options.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/diag.h"

// Options that take a value in the next argument.
enum value_option {
    VAL_NONE,
    VAL_OUTPUT,      // -user -server -header -sheader -iheader -dheader
    VAL_NUMBER,      // -maxonstack -max_descrs -max_reply_descrs
    VAL_STRING,      // -arch -target -isysroot -cc -i --emit-json -MF
    VAL_IGNORED,     // -cpp X, -migcom PATH
    VAL_CPP,         // -I dir -D NAME ... forwarded to the preprocessor with their value
};

struct option_spec {
    const char *name;
    enum value_option kind;
    int slot; // VAL_OUTPUT: enum emit_kind; VAL_NUMBER / VAL_STRING: which field (below)
};

enum { NUM_MAXONSTACK, NUM_MAX_DESCRS, NUM_MAX_REPLY_DESCRS };
enum { STR_ARCH, STR_TARGET, STR_ISYSROOT, STR_CC, STR_SPLIT_PREFIX, STR_JSON, STR_DEPFILE };

static const struct option_spec value_options[] = {
    {"-user", VAL_OUTPUT, EMIT_USER_SOURCE},
    {"-server", VAL_OUTPUT, EMIT_SERVER_SOURCE},
    {"-header", VAL_OUTPUT, EMIT_USER_HEADER},
    {"-sheader", VAL_OUTPUT, EMIT_SERVER_HEADER},
    {"-iheader", VAL_OUTPUT, EMIT_INTERNAL_HEADER},
    {"-dheader", VAL_OUTPUT, EMIT_DEFINES_HEADER},
    {"-maxonstack", VAL_NUMBER, NUM_MAXONSTACK},
    {"-max_descrs", VAL_NUMBER, NUM_MAX_DESCRS},
    {"-max_reply_descrs", VAL_NUMBER, NUM_MAX_REPLY_DESCRS},
    {"-arch", VAL_STRING, STR_ARCH},
    {"-target", VAL_STRING, STR_TARGET},
    {"-isysroot", VAL_STRING, STR_ISYSROOT},
    {"-cc", VAL_STRING, STR_CC},
    {"-i", VAL_STRING, STR_SPLIT_PREFIX},
    {"--emit-json", VAL_STRING, STR_JSON},
    {"-MF", VAL_STRING, STR_DEPFILE},
    {"-cpp", VAL_IGNORED, 0},
    {"-migcom", VAL_IGNORED, 0},
    // Preprocessor options whose value may be separate; the joined form (-Idir) needs no entry.
    {"-I", VAL_CPP, 0},
    {"-D", VAL_CPP, 0},
    {"-U", VAL_CPP, 0},
    {"-F", VAL_CPP, 0},
    {"-isystem", VAL_CPP, 0},
    {"-idirafter", VAL_CPP, 0},
    {"-iquote", VAL_CPP, 0},
    {"-include", VAL_CPP, 0},
    {"-imacros", VAL_CPP, 0},
    {"-iframework", VAL_CPP, 0},
    {"-Xpreprocessor", VAL_CPP, 0},
};

static const struct option_spec *find_value_option(const char *arg) {
    for (size_t i = 0; i < sizeof value_options / sizeof value_options[0]; i++)
        if (strcmp(arg, value_options[i].name) == 0)
            return &value_options[i];
    return NULL;
}

static bool add_problem2(struct driver_options *o, int id, const char *arg, const char *arg2) {
    struct option_problem *grown =
        realloc(o->problems, (o->problem_count + 1) * sizeof *o->problems);
    if (!grown)
        return false;
    o->problems = grown;
    o->problems[o->problem_count++] = (struct option_problem){id, {arg, arg2}};
    return true;
}

static bool add_problem(struct driver_options *o, int id, const char *arg) {
    return add_problem2(o, id, arg, NULL);
}

static bool add_cpp_arg(struct driver_options *o, const char *arg) {
    const char **grown = realloc(o->cpp_args, (o->cpp_arg_count + 1) * sizeof *o->cpp_args);
    if (!grown)
        return false;
    o->cpp_args = grown;
    o->cpp_args[o->cpp_arg_count++] = arg;
    return true;
}

static bool parse_number(const char *text, unsigned long *out) {
    if (text[0] < '0' || text[0] > '9')
        return false;
    char *end;
    errno = 0;
    unsigned long value = strtoul(text, &end, 0);
    if (errno || *end)
        return false;
    *out = value;
    return true;
}

// Single-letter switches of migcom. Returns false if `letter` is not one.
static bool apply_switch(struct driver_options *o, char letter) {
    struct migc_options *c = &o->compile;
    switch (letter) {
    case 'q': c->quiet = true; return true;
    case 'Q': c->quiet = false; return true;
    case 'v': o->verbose = true; return true;
    case 'V': o->verbose = false; return true;
    case 'r': c->rpc_separate = false; return true;
    case 'R': c->rpc_separate = true; return true;
    case 's': c->symtab = true; return true;
    case 'S': c->symtab = false; return true;
    case 'b': c->bounds_annotations = true; return true;
    case 'B': c->bounds_annotations = false; return true;
    case 'n': c->ndr_convert = true; return true;
    case 'N': c->ndr_convert = false; return true;
    // Accepted for compatibility, no effect: logging hooks (-l/-L), K&R C (-k/-K; we always
    // write ANSI C), no short-circuiting (-X, the default), no RPC traps (-T). -x is refused in
    // parse_option, as Apple's migcom refuses it.
    case 'l': case 'L': case 'k': case 'K': case 'X': case 'T': return true;
    default: return false;
    }
}

// Long options and the Apple words without a value. Returns false if `arg` is not one.
static bool apply_flag(struct driver_options *o, const char *arg) {
    struct migc_options *c = &o->compile;
    if (!strcmp(arg, "-split")) c->split = true;
    else if (!strcmp(arg, "-novouchers")) c->novouchers = true;
    else if (!strcmp(arg, "-mach_msg2")) c->mach_msg2 = true;
    else if (!strcmp(arg, "-MD")) o->make_deps = true;
    else if (!strcmp(arg, "-version") || !strcmp(arg, "--version")) o->show_version = true;
    else if (!strcmp(arg, "--help") || !strcmp(arg, "-help")) o->show_help = true;
    else if (!strcmp(arg, "-Werror")) c->werror = true;
    else if (!strcmp(arg, "--no-color")) o->no_color = true;
    else if (!strcmp(arg, "--color")) o->force_color = true;
    else if (!strcmp(arg, "--diagnostics-format=json")) c->json_diagnostics = true;
    else if (!strcmp(arg, "--diagnostics-format=text")) c->json_diagnostics = false;
    else return false;
    return true;
}

static void set_string(struct driver_options *o, int slot, const char *value) {
    switch (slot) {
    case STR_ARCH: o->arch = value; break;
    case STR_TARGET: o->target = value; break;
    case STR_ISYSROOT: o->isysroot = value; break;
    case STR_CC: o->cc = value; break;
    case STR_SPLIT_PREFIX: o->split_prefix = value; break;
    case STR_JSON: o->json_file = value; break;
    case STR_DEPFILE: o->depfile = value; break;
    }
}

static bool apply_value(struct driver_options *o, const struct option_spec *spec,
                        const char *value) {
    switch (spec->kind) {
    case VAL_OUTPUT:
        o->outputs[spec->slot] = value;
        return true;
    case VAL_NUMBER: {
        unsigned long n;
        if (!parse_number(value, &n)) {
            o->usage_error = true;
            return add_problem2(o, DIAG_BAD_OPTION_NUMBER, spec->name, value);
        }
        unsigned long *field = spec->slot == NUM_MAXONSTACK ? &o->compile.maxonstack
                               : spec->slot == NUM_MAX_DESCRS ? &o->compile.max_descrs
                                                              : &o->compile.max_reply_descrs;
        *field = n;
        return true;
    }
    case VAL_STRING:
        set_string(o, spec->slot, value);
        return true;
    case VAL_IGNORED:
        return true;
    case VAL_CPP:
        return add_cpp_arg(o, spec->name) && add_cpp_arg(o, value);
    case VAL_NONE:
        break;
    }
    return true;
}

// True for the options whose value is an output file name.
static bool names_a_file(const struct option_spec *spec) {
    return spec->kind == VAL_OUTPUT ||
           (spec->kind == VAL_STRING && (spec->slot == STR_JSON || spec->slot == STR_DEPFILE));
}

// One argument before the first .defs file. *index may advance past a separated value.
static bool parse_option(struct driver_options *o, int argc, char **argv, int *index) {
    const char *arg = argv[*index];
    if (apply_flag(o, arg))
        return true;
    if (!strcmp(arg, "-t"))
        return add_problem2(o, DIAG_IGNORED_OPTION, arg, "RPC traps are not generated");
    if (!strcmp(arg, "-x")) {
        // mig.sh hands -x to migcom, which stops with "unknown/unsupported flag".
        o->usage_error = true;
        return add_problem2(o, DIAG_UNSUPPORTED_OPTION, arg,
                            "short-circuited RPCs are not generated (Apple's migcom refuses -x too)");
    }
    if (arg[1] && !arg[2] && apply_switch(o, arg[1]))
        return true;
    if (!strncmp(arg, "--diagnostics-format=", 21)) {
        o->usage_error = true;
        return add_problem(o, DIAG_BAD_DIAGNOSTICS_FORMAT, arg + 21);
    }
    if (!strncmp(arg, "--error-limit=", 14)) {
        unsigned long n;
        if (!parse_number(arg + 14, &n) || n > 1000000) {
            o->usage_error = true;
            return add_problem2(o, DIAG_BAD_OPTION_NUMBER, "--error-limit", arg + 14);
        }
        o->compile.error_limit = (unsigned)n;
        return true;
    }
    if (!strncmp(arg, "--emit-json=", 12)) {
        o->json_file = arg + 12;
        return true;
    }
    const struct option_spec *spec = find_value_option(arg);
    if (spec) {
        if (*index + 1 >= argc) {
            o->usage_error = true;
            return add_problem(o, DIAG_MISSING_OPTION_ARGUMENT, arg);
        }
        const char *value = argv[*index + 1];
        // "-user -header h.h" lost its file name: refuse rather than write a file named
        // "-header" (Apple's mig would). "-" alone is standard output.
        if (names_a_file(spec) && value[0] == '-' && value[1] != '\0') {
            o->usage_error = true;
            return add_problem(o, DIAG_MISSING_OPTION_ARGUMENT, arg);
        }
        // ravynOS passes a stray bare "-I" before "-Idir": drop the bare one, keep the next.
        if (!strcmp(arg, "-I") && value[0] == '-')
            return add_problem(o, DIAG_BARE_INCLUDE_OPTION, arg);
        ++*index;
        return apply_value(o, spec, value);
    }
    if (arg[1] == '-') {
        o->usage_error = true;
        return add_problem(o, DIAG_UNKNOWN_OPTION, arg);
    }
    // Apple's rule: every other option belongs to the preprocessor (-DX, -Idir, -Fdir, -W...).
    return add_cpp_arg(o, arg);
}

static bool add_defs_file(struct driver_options *o, const char *file) {
    const char **grown = realloc(o->defs_files, (o->defs_file_count + 1) * sizeof *grown);
    if (!grown)
        return false;
    o->defs_files = grown;
    o->defs_files[o->defs_file_count++] = file;
    return true;
}

// An option after the first file: ignored with E0404, together with its value when it takes
// one (mig.sh skips "-user x.c" as a pair, so "x.c" is not taken for a file). *index may advance.
static bool ignore_late_option(struct driver_options *o, int argc, char **argv, int *index) {
    const char *arg = argv[*index];
    const struct option_spec *spec = find_value_option(arg);
    if (!spec || *index + 1 >= argc)
        return add_problem(o, DIAG_OPTION_AFTER_FILE, arg);
    const char *value = argv[++*index];
    if (spec->kind == VAL_CPP) {
        // mig.sh ignores "-D" alone and then reads NAME as a .defs file. Neither swallowing NAME
        // nor compiling without the macro is what was meant: refuse the command line.
        o->usage_error = true;
        return add_problem2(o, DIAG_CPP_OPTION_AFTER_FILE, arg, value);
    }
    char **grown = realloc(o->owned, (o->owned_count + 1) * sizeof *grown);
    if (!grown)
        return false;
    o->owned = grown;
    size_t n = strlen(arg) + 1 + strlen(value) + 1;
    char *pair = malloc(n);
    if (!pair)
        return false;
    snprintf(pair, n, "%s %s", arg, value);
    o->owned[o->owned_count++] = pair;
    return add_problem(o, DIAG_OPTION_AFTER_FILE, pair);
}

bool options_parse(int argc, char **argv, struct driver_options *out) {
    memset(out, 0, sizeof *out);
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        bool is_option = arg[0] == '-' && arg[1] != '\0';
        bool ok;
        if (!is_option)
            ok = add_defs_file(out, arg);
        else if (out->defs_file_count == 0)
            ok = parse_option(out, argc, argv, &i);
        else
            ok = ignore_late_option(out, argc, argv, &i);
        if (!ok)
            return false;
    }
    if (out->defs_file_count == 0 && !out->show_help && !out->show_version) {
        out->usage_error = true;
        return add_problem(out, DIAG_NO_INPUT_FILE, NULL);
    }
    return true;
}

void options_free(struct driver_options *opts) {
    for (size_t i = 0; i < opts->owned_count; i++)
        free(opts->owned[i]);
    free(opts->owned);
    free(opts->problems);
    free(opts->cpp_args);
    free(opts->defs_files);
    opts->owned = NULL;
    opts->problems = NULL;
    opts->cpp_args = NULL;
    opts->defs_files = NULL;
    opts->owned_count = opts->problem_count = opts->cpp_arg_count = opts->defs_file_count = 0;
}

static const char *const help_lines[] = {
    "Outputs (any FILE may be /dev/null to skip it):",
    "  -user FILE          client stubs (default <subsystem>User.c)",
    "  -server FILE        server stubs and demux (default <subsystem>Server.c)",
    "  -header FILE        user header (default <subsystem>.h)",
    "  -sheader FILE       server header (default: none)",
    "  -iheader FILE       internal header, KernelServer interfaces only (default: none)",
    "  -dheader FILE       MACH_ID_* defines header (default: none)",
    "  --emit-json FILE    the checked interface as JSON; alone, no C file is written",
    "  -MD                 write FILE.d (make/ninja dependencies) next to every output",
    "  -MF FILE            write one dependency file naming every output",
    "Preprocessor ($MIGCC, else $CC, else cc, run with -E -D__MACH30__):",
    "  -DNAME[=V] -D NAME  define a macro (joined or separated)",
    "  -UNAME -U NAME      undefine a macro",
    "  -Idir -I dir        add an include directory (searched before mig's defs)",
    "  -Fdir -F dir        add a framework directory",
    "  -isystem -idirafter -iquote -include -imacros -iframework X   passed on",
    "  -cc PATH            the preprocessor to run (overrides MIGCC and CC)",
    "  -arch A             target architecture (Apple hosts: -arch; clang: -target A-apple-darwin)",
    "  -target T           target triple (passed to clang)",
    "  -isysroot DIR       SDK root (default: $SDKROOT)",
    "  -any-other-option   any other -option is passed to the preprocessor unchanged",
    "Generation:",
    "  -novouchers         no voucher hook in user stubs",
    "  -mach_msg2          KernelServer mach_msg2 stubs",
    "  -maxonstack N       messages larger than N bytes go on the heap",
    "  -max_descrs N       error if a request has more than N descriptors",
    "  -max_reply_descrs N error if a reply has more than N descriptors",
    "  -split              repeat the standard includes in the .c files",
    "  -b / -B             bounds annotations on / off (default off)",
    "  -n / -N             NDR conversion hooks on / off (default off)",
    "  -r / -R             RPC (default) / separate send and receive",
    "  -s / -S             symbol table on / off (default off)",
    "  -i PREFIX           one user file per routine, PREFIX<routine>.c, instead of -user",
    "  -l -L -k -K -X -t -T   accepted for compatibility; no effect (-t warns)",
    "  -x                  refused: short-circuited RPCs (Apple's migcom refuses it too)",
    "  -cpp X, -migcom P   accepted and ignored (there is no separate migcom)",
    "Diagnostics:",
    "  -q / -Q             no warnings / warnings (default)",
    "  -Werror             warnings are errors",
    "  --error-limit=N     stop after N errors (default 20; 0: the default)",
    "  -v / -V             print a summary of the interface (routines, ids) / don't",
    "  --diagnostics-format=text|json   diagnostics as text (default) or one JSON array",
    "  --color / --no-color colour diagnostics always / never (default: on a TTY, unless NO_COLOR)",
    "Information:",
    "  -version, --version print the version (\"mig (OpenMIG) X.Y.Z\")",
    "  --help              print this help",
    "Exit status: 0 success, 1 errors in the input or while writing, 2 command-line errors.",
    "Environment: MIGCC, CC, SDKROOT, MIG_DEFS_DIR, MIG_TRACE_HEADERS, NO_COLOR",
    "  (see docs/command-line.md).",
};

void options_print_help(const char *program, void *out) {
    FILE *f = out;
    fprintf(f, "usage: %s [options] file.defs [file.defs ...]\n", program);
    for (size_t i = 0; i < sizeof help_lines / sizeof help_lines[0]; i++)
        fprintf(f, "%s\n", help_lines[i]);
}
