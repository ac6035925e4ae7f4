/* Test harness for machd: start a private machd on a temporary socket, spawn peer programs,
 * and speak the protocol as a task (one connection = one task) with cmocka assertions. */
#ifndef MACHD_HARNESS_H
#define MACHD_HARNESS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "wire/machd_proto.h"
#include "wire/machd_conn.h"

struct CMUnitTest;

/* Runs the cmocka test named argv[1], or every test when there is no argument. A name that is
 * not one of `tests` is an error (returns 2): a misspelt CTest must not pass by running nothing. */
int mh_run_tests(const char *group, const struct CMUnitTest *tests, size_t count, int argc, char **argv);

/* Generous: the box is shared and noisy; tests never assert on time, only on not hanging. */
#define MH_TIMEOUT_MS 10000

struct machd_proc {
    pid_t pid;
    char dir[64];
    char path[128];
    const char *extra[8]; /* more machd arguments (e.g. "--limit", "overshoot=4"), NULL-ended */
};

/* Starts machd (MACHD_BIN) in the foreground on a socket in a fresh temporary directory, and
 * waits until it accepts connections. */
void mh_start(struct machd_proc *m);
/* Starts machd again on the same path (after mh_kill). */
void mh_restart(struct machd_proc *m);
/* SIGTERM, wait; returns machd's exit status (or 128 + signal). */
int mh_stop(struct machd_proc *m);
/* SIGKILL, wait. */
void mh_kill(struct machd_proc *m);
/* Stops machd if running and removes the temporary directory. */
void mh_cleanup(struct machd_proc *m);

/* cmocka setup / teardown for tests that use one machd each: start mh_daemon; stop it (asserting
 * a clean exit, status 0) and clean up. */
extern struct machd_proc mh_daemon;
int mh_setup(void **state);
int mh_teardown(void **state);

/* Runs MACHD_PEER with args (NULL-terminated) and MACHD_SOCKET set; waits until the peer prints
 * "ready" on its stdout. Returns the pid. */
pid_t mh_spawn_peer(const struct machd_proc *m, const char *const args[]);
/* Same with another program. */
pid_t mh_spawn_program(const struct machd_proc *m, const char *exe, const char *const args[]);
/* In a forked child: execs exe with args (NULL-terminated, at most 14); exits 127 on failure. */
void mh_exec(const char *exe, const char *const args[]) __attribute__((noreturn));
/* Waits for a peer; returns its exit status, or 128 + signal. */
int mh_wait(pid_t pid);

/* A task: one connection to machd. */
struct tc {
    struct machd_conn conn;
    uint8_t buf[MACHD_MAX_PACKET];
    struct machd_msg msg;
    struct machd_msg out;
};

/* A raw task. It does not map direct channels, so it says no HELLO_DIRECT (machd routes nothing
 * to or from it); tc_open_direct says it, for the tests of channels themselves. */
struct tc *tc_open(const struct machd_proc *m);
struct tc *tc_open_direct(const struct machd_proc *m);
void tc_close(struct tc *t);

/* Sends t->out (after the caller filled it). */
void tc_send(struct tc *t);
/* Receives the next message and asserts its type. */
const struct machd_msg *tc_expect(struct tc *t, uint16_t type);
/* Returns 0 when the connection reports EOF (machd closed it) within the timeout. */
int tc_expect_eof(struct tc *t);

/* Bootstrap: returns the status; *handle gets the right's handle on success. */
uint32_t tc_check_in(struct tc *t, const char *name, uint32_t *handle);
uint32_t tc_look_up(struct tc *t, const char *name, uint32_t *handle);
uint32_t tc_register(struct tc *t, const char *name, struct machd_right right);
/* bootstrap_create_service: *handle gets the send right machd gives the creator. */
uint32_t tc_create(struct tc *t, const char *name, uint32_t *handle);

/* MSG_SEND with up to 8 body rights; waits for SEND_REPLY unless ACK_ERRORS_ONLY is in flags
 * (then returns MACH_MSG_SUCCESS without waiting). Returns the status. */
uint32_t tc_msg(struct tc *t, struct machd_right dest, struct machd_right reply, int32_t id,
                const char *body, const struct machd_right *rights, uint32_t nrights, uint16_t flags);
uint32_t tc_mod_refs(struct tc *t, uint32_t name, uint32_t right, int32_t delta);
/* STATS. */
void tc_stats(struct tc *t, uint32_t *tasks, uint32_t *ports, uint32_t *entries, uint64_t *rss);
/* STATS: the descriptors machd holds for fileports. */
uint32_t tc_fileports(struct tc *t);
/* machd sees deaths asynchronously: polls STATS (bounded, ~10 s) until `tasks` tasks are left,
 * then returns the other counters of that reply (each may be NULL). */
void tc_settle(struct tc *obs, uint32_t tasks, uint32_t *ports, uint32_t *entries, uint64_t *rss);
/* Asserts machd's task, port and broker-entry counts. */
void tc_expect_counts(struct tc *t, uint32_t tasks, uint32_t ports, uint32_t entries);
/* Asserts after <= before + slack for machd's resident size, except under ASan, where freed
 * memory sits in a quarantine (LeakSanitizer checks machd at its clean exit instead): there it
 * prints both figures. */
void mh_expect_rss_within(uint64_t before, uint64_t after, uint64_t slack);
/* False under ASan (see mh_expect_rss_within): also a hint that the build is several times slower. */
bool mh_rss_is_meaningful(void);

static inline struct machd_right mh_right(uint32_t name, uint8_t disposition, uint8_t flags) {
    return (struct machd_right){name, disposition, flags};
}

#define MH_NO_RIGHT mh_right(MACHD_HANDLE_NULL, MACHD_DISP_NONE, 0)

#endif
