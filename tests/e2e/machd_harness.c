/* Test harness for machd: private daemons on temporary sockets, peer processes, protocol helpers
 * that assert with cmocka. */
#include "machd_harness.h"

#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* In a child just forked: it dies with the test process. A test that fails part-way (cmocka
 * jumps out of it) must not leave a daemon or peer running: it would keep ctest's output pipe
 * open and turn the failure into a ctest timeout. */
static void die_with_test_process(pid_t test_pid) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != test_pid) /* the test process exited before prctl */
        _exit(127);
}

static void spawn_machd(struct machd_proc *m) {
    pid_t test_pid = getpid();
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        die_with_test_process(test_pid);
        const char *argv[16] = {MACHD_BIN, "--foreground", "--socket", m->path};
        for (int i = 0; i < 8 && m->extra[i]; i++)
            argv[4 + i] = m->extra[i];
        execv(MACHD_BIN, (char *const *)argv);
        _exit(127);
    }
    m->pid = pid;
    /* Ready when it accepts a connection (and answers HELLO). */
    for (int waited = 0; waited < MH_TIMEOUT_MS; waited += 10) {
        struct machd_conn c;
        if (machd_conn_open(&c, m->path, false) == 0) {
            machd_conn_close(&c);
            return;
        }
        int status;
        assert_int_equal(waitpid(pid, &status, WNOHANG), 0); /* machd must not have died */
        sleep_ms(10);
    }
    fail_msg("machd did not start at %s", m->path);
}

void mh_start(struct machd_proc *m) {
    snprintf(m->dir, sizeof m->dir, "/tmp/machd-test-XXXXXX");
    assert_non_null(mkdtemp(m->dir));
    snprintf(m->path, sizeof m->path, "%s/machd.sock", m->dir);
    spawn_machd(m);
}

void mh_restart(struct machd_proc *m) { spawn_machd(m); }

int mh_wait(pid_t pid) {
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int mh_stop(struct machd_proc *m) {
    kill(m->pid, SIGTERM);
    int rc = mh_wait(m->pid);
    m->pid = 0;
    return rc;
}

void mh_kill(struct machd_proc *m) {
    kill(m->pid, SIGKILL);
    mh_wait(m->pid);
    m->pid = 0;
}

void mh_cleanup(struct machd_proc *m) {
    if (m->pid > 0)
        mh_kill(m);
    unlink(m->path);
    memset(m->extra, 0, sizeof m->extra);
    char lock[sizeof m->path + 8];
    snprintf(lock, sizeof lock, "%s.lock", m->path); /* left by a machd that was killed */
    unlink(lock);
    rmdir(m->dir);
}

pid_t mh_spawn_peer(const struct machd_proc *m, const char *const args[]) {
    return mh_spawn_program(m, MACHD_PEER, args);
}

void mh_exec(const char *exe, const char *const args[]) {
    const char *argv[16] = {exe};
    for (int i = 0; args[i] && i < 14; i++)
        argv[i + 1] = args[i];
    execv(exe, (char *const *)argv);
    _exit(127);
}

pid_t mh_spawn_program(const struct machd_proc *m, const char *exe, const char *const args[]) {
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t test_pid = getpid();
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        die_with_test_process(test_pid);
        dup2(p[1], STDOUT_FILENO);
        close(p[0]);
        close(p[1]);
        setenv("MACHD_SOCKET", m->path, 1);
        setenv("MACHD_NO_AUTOSTART", "1", 1);
        mh_exec(exe, args);
    }
    close(p[1]);
    struct pollfd pfd = {p[0], POLLIN, 0};
    char line[16] = {0};
    assert_int_equal(poll(&pfd, 1, MH_TIMEOUT_MS), 1);
    assert_true(read(p[0], line, sizeof line - 1) > 0);
    assert_memory_equal(line, "ready", 5);
    close(p[0]);
    return pid;
}

/* Connects a raw task saying HELLO_DIRECT or not (the flag follows MACHD_DIRECT, so the
 * variable is set for the call; the harness is single-threaded). */
static struct tc *open_task(const struct machd_proc *m, bool direct) {
    struct tc *t = calloc(1, sizeof *t);
    assert_non_null(t);
    const char *old = getenv("MACHD_DIRECT");
    char *saved = old ? strdup(old) : NULL;
    setenv("MACHD_DIRECT", direct ? "1" : "0", 1);
    int err = machd_conn_open(&t->conn, m->path, false);
    if (saved)
        setenv("MACHD_DIRECT", saved, 1);
    else
        unsetenv("MACHD_DIRECT");
    free(saved);
    assert_int_equal(err, 0);
    return t;
}

struct tc *tc_open(const struct machd_proc *m) { return open_task(m, false); }

struct tc *tc_open_direct(const struct machd_proc *m) { return open_task(m, true); }

void tc_close(struct tc *t) {
    if (!t)
        return;
    machd_conn_close(&t->conn);
    free(t);
}

void tc_send(struct tc *t) { assert_int_equal(machd_conn_send(&t->conn, &t->out), 0); }

const struct machd_msg *tc_expect(struct tc *t, uint16_t type) {
    assert_int_equal(machd_conn_recv(&t->conn, t->buf, &t->msg, MH_TIMEOUT_MS), 0);
    if (t->msg.type != type)
        fail_msg("expected message type %u, got %u", type, t->msg.type);
    return &t->msg;
}

int tc_expect_eof(struct tc *t) {
    for (;;) {
        int err = machd_conn_recv(&t->conn, t->buf, &t->msg, MH_TIMEOUT_MS);
        if (err != 0)
            return err == EPIPE ? 0 : err;
    }
}

static uint32_t bootstrap(struct tc *t, uint32_t op, const char *name, struct machd_right right,
                          uint32_t *handle) {
    memset(&t->out, 0, sizeof t->out);
    t->out.type = MACHD_BOOTSTRAP;
    t->out.u.bootstrap.op = op;
    t->out.u.bootstrap.name = name;
    t->out.u.bootstrap.name_len = (uint32_t)strlen(name);
    t->out.u.bootstrap.right = right;
    tc_send(t);
    const struct machd_msg *r = tc_expect(t, MACHD_BOOTSTRAP_REPLY);
    assert_int_equal(r->seq, t->out.seq);
    if (handle)
        *handle = r->u.bootstrap_reply.name;
    return r->u.bootstrap_reply.status;
}

uint32_t tc_check_in(struct tc *t, const char *name, uint32_t *handle) {
    return bootstrap(t, MACHD_BOOTSTRAP_CHECK_IN, name, MH_NO_RIGHT, handle);
}

uint32_t tc_look_up(struct tc *t, const char *name, uint32_t *handle) {
    return bootstrap(t, MACHD_BOOTSTRAP_LOOK_UP, name, MH_NO_RIGHT, handle);
}

uint32_t tc_create(struct tc *t, const char *name, uint32_t *handle) {
    return bootstrap(t, MACHD_BOOTSTRAP_CREATE, name, MH_NO_RIGHT, handle);
}

uint32_t tc_register(struct tc *t, const char *name, struct machd_right right) {
    return bootstrap(t, MACHD_BOOTSTRAP_REGISTER, name, right, NULL);
}

uint32_t tc_msg(struct tc *t, struct machd_right dest, struct machd_right reply, int32_t id,
                const char *body, const struct machd_right *rights, uint32_t nrights, uint16_t flags) {
    memset(&t->out, 0, sizeof t->out);
    t->out.type = MACHD_MSG_SEND;
    t->out.u.send.dest = dest;
    t->out.u.send.reply = reply;
    t->out.u.send.flags = flags;
    struct machd_payload *p = &t->out.u.send.p;
    p->msgh_id = id;
    p->body = (const uint8_t *)body;
    p->body_len = body ? (uint32_t)strlen(body) : 0;
    p->right_count = nrights;
    if (nrights)
        p->msgh_bits = MACHD_MSGH_BITS_COMPLEX;
    p->rights = rights;
    tc_send(t);
    if (flags & MACHD_SEND_ACK_ERRORS_ONLY)
        return 0;
    const struct machd_msg *r = tc_expect(t, MACHD_SEND_REPLY);
    assert_int_equal(r->seq, t->out.seq);
    return r->u.send_reply.status;
}

uint32_t tc_mod_refs(struct tc *t, uint32_t name, uint32_t right, int32_t delta) {
    memset(&t->out, 0, sizeof t->out);
    t->out.type = MACHD_MOD_REFS;
    t->out.u.mod_refs.name = name;
    t->out.u.mod_refs.right = right;
    t->out.u.mod_refs.delta = delta;
    tc_send(t);
    return tc_expect(t, MACHD_STATUS_REPLY)->u.status_reply.status;
}

void tc_stats(struct tc *t, uint32_t *tasks, uint32_t *ports, uint32_t *entries, uint64_t *rss) {
    memset(&t->out, 0, sizeof t->out);
    t->out.type = MACHD_STATS;
    tc_send(t);
    const struct machd_msg *r = tc_expect(t, MACHD_STATS_REPLY);
    if (tasks)
        *tasks = r->u.stats_reply.tasks;
    if (ports)
        *ports = r->u.stats_reply.ports;
    if (entries)
        *entries = r->u.stats_reply.entries;
    if (rss)
        *rss = r->u.stats_reply.rss_bytes;
}

uint32_t tc_fileports(struct tc *t) {
    memset(&t->out, 0, sizeof t->out);
    t->out.type = MACHD_STATS;
    tc_send(t);
    return tc_expect(t, MACHD_STATS_REPLY)->u.stats_reply.fileports;
}

struct machd_proc mh_daemon;

int mh_setup(void **state) {
    (void)state;
    mh_start(&mh_daemon);
    return 0;
}

int mh_teardown(void **state) {
    (void)state;
    if (mh_daemon.pid > 0)
        assert_int_equal(mh_stop(&mh_daemon), 0);
    mh_cleanup(&mh_daemon);
    return 0;
}

void tc_settle(struct tc *obs, uint32_t tasks, uint32_t *ports, uint32_t *entries, uint64_t *rss) {
    uint32_t n = 0;
    for (int i = 0; i < 1000; i++) {
        tc_stats(obs, &n, ports, entries, rss);
        if (n == tasks)
            return;
        sleep_ms(10);
    }
    assert_int_equal(n, tasks);
}

void tc_expect_counts(struct tc *t, uint32_t tasks, uint32_t ports, uint32_t entries) {
    uint32_t nt, np, ne;
    tc_stats(t, &nt, &np, &ne, NULL);
    assert_int_equal(nt, tasks);
    assert_int_equal(np, ports);
    assert_int_equal(ne, entries);
}

#if defined(__SANITIZE_ADDRESS__)
#define RSS_IS_MEANINGFUL 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RSS_IS_MEANINGFUL 0
#endif
#endif
#ifndef RSS_IS_MEANINGFUL
#define RSS_IS_MEANINGFUL 1
#endif

bool mh_rss_is_meaningful(void) { return RSS_IS_MEANINGFUL; }

void mh_expect_rss_within(uint64_t before, uint64_t after, uint64_t slack) {
    if (RSS_IS_MEANINGFUL)
        assert_true(after <= before + slack);
    else
        print_message("resident size not checked under ASan (%llu -> %llu bytes)\n",
                      (unsigned long long)before, (unsigned long long)after);
}

int mh_run_tests(const char *group, const struct CMUnitTest *tests, size_t count, int argc, char **argv) {
    if (argc > 1) {
        size_t i = 0;
        while (i < count && strcmp(tests[i].name, argv[1]) != 0)
            i++;
        if (i == count) {
            fprintf(stderr, "%s: no test named '%s'\n", group, argv[1]);
            return 2;
        }
        return _cmocka_run_group_tests(group, &tests[i], 1, NULL, NULL);
    }
    return _cmocka_run_group_tests(group, tests, count, NULL, NULL);
}
