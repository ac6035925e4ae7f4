/* peer_check.h: step-numbered checks for the libmach test peers (machd_*_peer.c): a failed check
 * prints the peer's mode, the step and why on stderr and returns the step number, which becomes
 * the peer's exit status; ready() tells the harness the peer is set up; peer_suffixed() spells
 * NAME.suffix; look_up_status() asks the bootstrap service about a name; peer_service() checks a
 * name in or looks it up. */
#ifndef OPENMIG_PEER_CHECK_H
#define OPENMIG_PEER_CHECK_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include <mach/mach.h>
#include <servers/bootstrap.h>

/* The mode the peer runs (argv[1]), for messages; set by main. */
static const char *mode = "?";

static inline int peer_failed(int step, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s %s: step %d: ", PEER_NAME, mode, step);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return step;
}

#define CHECK(step, cond, ...)                       \
    do {                                             \
        if (!(cond))                                 \
            return peer_failed((step), __VA_ARGS__); \
    } while (0)

/* Prints "ready" on stdout (the harness waits for it; stdout is closed afterwards). */
static inline void ready(void) {
    fputs("ready\n", stdout);
    fflush(stdout);
}

/* "NAME.suffix" in one of four rotating static buffers (a peer's names for its services). */
static inline const char *peer_suffixed(const char *name, const char *suffix) {
    static char buf[4][128];
    static int next;
    char *out = buf[next++ % 4];
    snprintf(out, sizeof buf[0], "%s.%s", name, suffix);
    return out;
}

/* bootstrap_look_up's answer for NAME; the right a success gives is released again. */
static inline kern_return_t look_up_status(const char *name) {
    mach_port_t port = MACH_PORT_NULL;
    kern_return_t kr = bootstrap_look_up(bootstrap_port, name, &port);
    if (kr == KERN_SUCCESS)
        mach_port_deallocate(mach_task_self(), port);
    return kr;
}

/* NAME's port: checked in (own) or looked up; exits 90 when bootstrap refuses. */
static inline mach_port_t peer_service(const char *name, bool own) {
    mach_port_t port = MACH_PORT_NULL;
    kern_return_t kr = own ? bootstrap_check_in(bootstrap_port, name, &port)
                           : bootstrap_look_up(bootstrap_port, name, &port);
    if (kr != KERN_SUCCESS) {
        fprintf(stderr, "%s %s: bootstrap %s: %#x\n", PEER_NAME, mode, name, kr);
        exit(90);
    }
    return port;
}

#endif
