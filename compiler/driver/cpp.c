// Builds the preprocessor command line and runs it with its output captured in memory.
#define _POSIX_C_SOURCE 200809L
#include "driver/cpp.h"

#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "driver/cpp_arch.h"

extern char **environ;

static bool nonempty(const char *s) {
    return s && *s;
}

const char *cpp_choose_compiler(const char *cc_option, const char *migcc_env, const char *cc_env) {
    if (nonempty(cc_option))
        return cc_option;
    if (nonempty(migcc_env))
        return migcc_env;
    if (nonempty(cc_env))
        return cc_env;
    return "cc";
}

// Any word of the command naming clang ("/usr/bin/clang-14", "ccache clang" both count).
bool cpp_is_clang(const char *compiler) {
    return strstr(compiler, "clang") != NULL;
}

// A growable NULL-terminated vector of malloc'd strings.
struct argv_builder {
    char **items;
    size_t count, cap;
    bool failed;
};

static void push_n(struct argv_builder *b, const char *s, size_t n) {
    if (b->failed)
        return;
    if (b->count + 2 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 16;
        char **grown = realloc(b->items, cap * sizeof *grown);
        if (!grown) {
            b->failed = true;
            return;
        }
        b->items = grown;
        b->cap = cap;
    }
    char *copy = malloc(n + 1);
    if (!copy) {
        b->failed = true;
        return;
    }
    memcpy(copy, s, n);
    copy[n] = '\0';
    b->items[b->count++] = copy;
    b->items[b->count] = NULL;
}

static void push(struct argv_builder *b, const char *s) {
    push_n(b, s, strlen(s));
}

static void push_joined(struct argv_builder *b, const char *prefix, const char *value,
                        size_t value_len) {
    size_t p = strlen(prefix);
    char *joined = malloc(p + value_len + 1);
    if (!joined) {
        b->failed = true;
        return;
    }
    memcpy(joined, prefix, p);
    memcpy(joined + p, value, value_len);
    push_n(b, joined, p + value_len);
    free(joined);
}

// Splits the compiler command at blanks ("ccache gcc" runs ccache with gcc as its argument).
static void push_words(struct argv_builder *b, const char *command) {
    const char *p = command;
    while (*p) {
        while (*p == ' ' || *p == '\t')
            p++;
        const char *start = p;
        while (*p && *p != ' ' && *p != '\t')
            p++;
        if (p > start)
            push_n(b, start, (size_t)(p - start));
    }
}

// The architecture whose macros a non-clang preprocessor gets: -target's (an Apple triple
// only) or -arch's. NULL when there is none to emulate; *len is its length.
static const char *emulated_arch(const struct cpp_request *req, size_t *len) {
    if (req->target && !strstr(req->target, "-apple"))
        return NULL;
    return cpp_arch_name(req->target ? req->target : req->arch, len);
}

enum cpp_arch_mode cpp_arch_mode(const struct cpp_request *req) {
    if (!req->target && !req->arch)
        return CPP_ARCH_NONE;
    if (req->apple_host)
        return CPP_ARCH_PASSED;
    if (cpp_is_clang(req->compiler))
        return CPP_ARCH_TARGET;
    size_t len;
    const char *arch = emulated_arch(req, &len);
    return arch && cpp_arch_macro_options(arch, len) ? CPP_ARCH_MACROS : CPP_ARCH_IGNORED;
}

// The options that select the target (see enum cpp_arch_mode).
static void push_target(struct argv_builder *b, const struct cpp_request *req) {
    switch (cpp_arch_mode(req)) {
    case CPP_ARCH_PASSED:
        if (req->arch) {
            push(b, "-arch");
            push(b, req->arch);
        }
        if (req->target) {
            push(b, "-target");
            push(b, req->target);
        }
        break;
    case CPP_ARCH_TARGET:
        // A cross build on Linux: clang preprocesses for the Apple target, as markmentovai's mig.
        push(b, "-target");
        if (req->target)
            push(b, req->target);
        else
            push_joined(b, req->arch, "-apple-darwin", strlen("-apple-darwin"));
        break;
    case CPP_ARCH_MACROS: {
        size_t len;
        const char *arch = emulated_arch(req, &len);
        for (const char *const *opt = cpp_arch_macro_options(arch, len); *opt; opt++)
            push(b, *opt);
        break;
    }
    case CPP_ARCH_NONE:
    case CPP_ARCH_IGNORED:
        break;
    }
}

char **cpp_build_argv(const struct cpp_request *req) {
    struct argv_builder b = {0};
    push_words(&b, req->compiler);
    if (b.count == 0)
        push(&b, "cc");
    push(&b, "-E");
    push_target(&b, req);
    if (req->isysroot) {
        push(&b, "-isysroot");
        push(&b, req->isysroot);
    }
    push(&b, "-D__MACH30__");
    for (size_t i = 0; i < req->user_arg_count; i++)
        push(&b, req->user_args[i]);
    // mig.sh adds the directory of the .defs file for <...> includes, after the user's -I.
    const char *slash = strrchr(req->defs_file, '/');
    if (slash)
        push_joined(&b, "-I", req->defs_file, slash == req->defs_file ? 1 : (size_t)(slash - req->defs_file));
    else
        push(&b, "-I.");
    // After every -I and after the system directories, so that an SDK given with -isysroot
    // (its usr/include/mach/*.defs) wins over ours, as it would with Apple's mig.
    if (nonempty(req->defs_dir)) {
        push(&b, "-idirafter");
        push(&b, req->defs_dir);
    }
    push(&b, "-x");
    push(&b, "c");
    push(&b, req->defs_file);
    if (b.failed) {
        cpp_free_argv(b.items);
        return NULL;
    }
    return b.items;
}

void cpp_free_argv(char **argv) {
    if (!argv)
        return;
    for (char **p = argv; *p; p++)
        free(*p);
    free(argv);
}

// Reads everything from fd into out->text, or, once more than max_len bytes came, only counts
// the rest (out->text NULL, out->len the total). Returns false on out of memory or a read error.
static bool read_all(int fd, size_t max_len, struct cpp_output *out) {
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    if (!buf)
        return false;
    bool keep = true;
    for (;;) {
        if (keep && len > max_len)
            keep = false; // too large: the rest goes through the start of the buffer, counted
        size_t at = keep ? len : 0;
        if (keep && cap - len < 4096) {
            char *grown = realloc(buf, cap * 2);
            if (!grown) {
                free(buf);
                return false;
            }
            buf = grown;
            cap *= 2;
        }
        ssize_t n = read(fd, buf + at, cap - at - 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            free(buf);
            return false;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    if (keep) {
        buf[len] = '\0';
        out->text = buf;
    } else {
        free(buf);
    }
    out->len = len;
    return true;
}

static bool has_prefix(const char *s, const char *prefix) {
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

char **cpp_build_env(char *const *environment, const char *trace_file) {
    struct argv_builder b = {0};
    for (char *const *p = environment; p && *p; p++) {
        if (has_prefix(*p, "CC_PRINT_HEADERS_FORMAT="))
            continue;
        if (trace_file && (has_prefix(*p, "CC_PRINT_HEADERS_FILTERING=") ||
                           has_prefix(*p, "CC_PRINT_HEADERS_FILE=")))
            continue;
        push(&b, *p);
    }
    if (trace_file) {
        push(&b, "CC_PRINT_HEADERS_FORMAT=json");
        push(&b, "CC_PRINT_HEADERS_FILTERING=only-direct-system");
        push_joined(&b, "CC_PRINT_HEADERS_FILE=", trace_file, strlen(trace_file));
    }
    if (!b.failed && !b.items) { // an empty environment
        b.items = calloc(1, sizeof *b.items);
        b.failed = !b.items;
    }
    if (b.failed) {
        cpp_free_argv(b.items);
        return NULL;
    }
    return b.items;
}

enum cpp_status cpp_run(char *const *argv, size_t max_len, struct cpp_output *out) {
    return cpp_run_env(argv, NULL, max_len, out);
}

enum cpp_status cpp_run_env(char *const *argv, char *const *envp, size_t max_len,
                            struct cpp_output *out) {
    memset(out, 0, sizeof *out);
    int pipe_fds[2];
    if (pipe(pipe_fds) != 0) {
        snprintf(out->detail, sizeof out->detail, "%s", strerror(errno));
        return CPP_NOT_RUN;
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, pipe_fds[0]);
    posix_spawn_file_actions_addclose(&actions, pipe_fds[1]);
    pid_t pid;
    int err = posix_spawnp(&pid, argv[0], &actions, NULL, argv, envp ? envp : environ);
    posix_spawn_file_actions_destroy(&actions);
    close(pipe_fds[1]);
    if (err != 0) {
        close(pipe_fds[0]);
        snprintf(out->detail, sizeof out->detail, "%s", strerror(err));
        return CPP_NOT_RUN;
    }
    bool read_ok = read_all(pipe_fds[0], max_len, out);
    int read_errno = errno;
    close(pipe_fds[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            status = -1;
            break;
        }
    }
    enum cpp_status result = CPP_OK;
    if (status == -1) {
        snprintf(out->detail, sizeof out->detail, "lost track of the process");
        result = CPP_FAILED;
    } else if (WIFSIGNALED(status)) {
        snprintf(out->detail, sizeof out->detail, "killed by signal %d", WTERMSIG(status));
        result = CPP_FAILED;
    } else if (WEXITSTATUS(status) == 127 && (!read_ok || out->len == 0)) {
        snprintf(out->detail, sizeof out->detail, "command not found");
        result = CPP_NOT_RUN;
    } else if (WEXITSTATUS(status) != 0) {
        snprintf(out->detail, sizeof out->detail, "exit status %d", WEXITSTATUS(status));
        result = CPP_FAILED;
    } else if (!read_ok) {
        snprintf(out->detail, sizeof out->detail, "reading its output: %s", strerror(read_errno));
        result = CPP_FAILED;
    } else if (!out->text) {
        result = CPP_TOO_LARGE;
    }
    if (result != CPP_OK) {
        free(out->text);
        out->text = NULL;
        if (result != CPP_TOO_LARGE)
            out->len = 0;
    }
    return result;
}
