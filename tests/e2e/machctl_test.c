/* machctl (docs/machd.md 3 "Queries", machctl(1)): against a private machd with real peer
 * processes and protocol-level tasks, the table and the JSON list the bootstrap names with the
 * task holding each receive right (pid, uid, command), the tasks with their rights and queued
 * datagrams, and machd's counters; a list larger than one datagram comes in pages; a task of
 * another uid is refused (as root only). One CTest per test. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <mach/kern_return.h>

#include "machd_harness.h"
#include "wire/machd_conn.h"

/* What one run of machctl printed. */
struct run {
    char *out, *err;
    int status;
};

static char *read_all(int fd) {
    size_t cap = 1 << 16, len = 0;
    char *text = malloc(cap);
    assert_non_null(text);
    for (;;) {
        if (len + 1 == cap) {
            cap *= 2;
            text = realloc(text, cap);
            assert_non_null(text);
        }
        ssize_t n = read(fd, text + len, cap - len - 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    text[len] = '\0';
    return text;
}

/* Runs machctl --socket PATH with args (NULL-terminated), as `uid` (-1: as we are). */
static struct run run_machctl(const char *path, int uid, const char *const args[]) {
    int out[2], err[2];
    assert_int_equal(pipe(out), 0);
    assert_int_equal(pipe(err), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(out[1], STDOUT_FILENO);
        dup2(err[1], STDERR_FILENO);
        close(out[0]);
        close(err[0]);
        if (uid >= 0 && (setgroups(0, NULL) != 0 || setgid((gid_t)uid) != 0 || setuid((uid_t)uid) != 0))
            _exit(126);
        const char *argv[12] = {"--socket", path};
        for (int i = 0; args[i] && i < 9; i++)
            argv[2 + i] = args[i];
        mh_exec(MACHCTL_BIN, argv);
    }
    close(out[1]);
    close(err[1]);
    struct run r;
    r.out = read_all(out[0]); /* machctl writes its output at the end: stderr stays small */
    r.err = read_all(err[0]);
    close(out[0]);
    close(err[0]);
    r.status = mh_wait(pid);
    return r;
}

static void run_free(struct run *r) {
    free(r->out);
    free(r->err);
}

/* The line of text starting with `start` (after blanks), copied to line; false when none. */
static bool line_starting(const char *text, const char *start, char *line, size_t cap) {
    for (const char *at = text; *at;) {
        const char *end = strchr(at, '\n');
        size_t len = end ? (size_t)(end - at) : strlen(at);
        const char *p = at;
        while (*p == ' ')
            p++;
        if (strncmp(p, start, strlen(start)) == 0 && len < cap) {
            memcpy(line, at, len);
            line[len] = '\0';
            return true;
        }
        at += len + (end ? 1 : 0);
    }
    return false;
}

/* The line holding `needle`, copied to line. */
static bool line_holding(const char *text, const char *needle, char *line, size_t cap) {
    const char *hit = strstr(text, needle);
    if (!hit)
        return false;
    const char *start = hit;
    while (start > text && start[-1] != '\n')
        start--;
    const char *end = strchr(hit, '\n');
    size_t len = end ? (size_t)(end - start) : strlen(start);
    if (len >= cap)
        return false;
    memcpy(line, start, len);
    line[len] = '\0';
    return true;
}

static size_t count_of(const char *text, const char *needle) {
    size_t n = 0;
    for (const char *at = strstr(text, needle); at; at = strstr(at + 1, needle))
        n++;
    return n;
}

/* The task row of pid in the table: its numbers after the command. */
static void expect_task_row(const char *table, pid_t pid, const char *comm, unsigned receive,
                            unsigned send, unsigned send_once, unsigned names) {
    char start[32], line[256], row_comm[32];
    unsigned row_uid, r, s, so, n, q;
    snprintf(start, sizeof start, "%d ", (int)pid);
    assert_true(line_starting(table, start, line, sizeof line));
    assert_int_equal(sscanf(line, "%*d %u %31s %u %u %u %u %u", &row_uid, row_comm, &r, &s, &so, &n, &q), 7);
    assert_int_equal(row_uid, getuid());
    assert_string_equal(row_comm, comm);
    assert_int_equal(r, receive);
    assert_int_equal(s, send);
    assert_int_equal(so, send_once);
    assert_int_equal(n, names);
}

static void expect_service_row(const char *table, const char *name, pid_t pid, const char *comm) {
    char start[160], line[512], state[32], row_comm[32];
    unsigned row_pid, row_uid;
    snprintf(start, sizeof start, "%s ", name);
    assert_true(line_starting(table, start, line, sizeof line));
    assert_int_equal(sscanf(line + strlen(name), "%31s %u %u %31s", state, &row_pid, &row_uid, row_comm), 4);
    assert_string_equal(state, "checked-in");
    assert_int_equal(row_pid, (unsigned)pid);
    assert_int_equal(row_uid, getuid());
    assert_string_equal(row_comm, comm);
}

/* A JSON task object (one per line) with this "task" id and these counts. Task ids are the
 * kernel's (a pidfd's inode): the tasks of one process share one, so any of its rows may match. */
static void expect_json_task(const char *json, uint64_t task_id, const char *counts) {
    char needle[64], line[512];
    snprintf(needle, sizeof needle, "{\"task\": %llu,", (unsigned long long)task_id);
    for (const char *at = strstr(json, needle); at; at = strstr(at + 1, needle)) {
        assert_true(line_holding(at, needle, line, sizeof line));
        if (strstr(line, counts))
            return;
    }
    fail_msg("no task %llu with %s in\n%s", (unsigned long long)task_id, counts, json);
}

/* The command the kernel gives this test process (its executable name). */
#define SELF_COMM "machctl_e2e"

static void table_and_json_list_names_owners_and_counts(void **state) {
    (void)state;
    const struct machd_proc *m = &mh_daemon;
    /* Two peer processes: a server holding mc.echo's receive right, a client its send right. */
    pid_t server = mh_spawn_peer(m, (const char *const[]){"server", "mc.echo", NULL});
    pid_t holder = mh_spawn_peer(m, (const char *const[]){"hold", "mc.echo", NULL});
    /* Two tasks of this process: `quiet` checks in mc.quiet and never reads; `sender` sends it
     * eight 100 KB messages, each with a send-once reply right, which machd queues for quiet
     * once its socket is full. */
    struct tc *quiet = tc_open(m), *sender = tc_open(m);
    uint32_t recv_name, send_name;
    assert_int_equal(tc_check_in(quiet, "mc.quiet", &recv_name), 0);
    assert_int_equal(tc_look_up(sender, "mc.quiet", &send_name), 0);
    char *body = malloc(100001);
    assert_non_null(body);
    memset(body, 'x', 100000);
    body[100000] = '\0';
    const uint32_t reply = MACHD_HANDLE_TASK_BIT | 7u;
    for (int i = 0; i < 8; i++)
        assert_int_equal(tc_msg(sender, mh_right(send_name, MACHD_DISP_COPY_SEND, 0),
                                mh_right(reply, MACHD_DISP_MAKE_SEND_ONCE, i == 0 ? MACHD_RIGHT_NEW : 0),
                                1, body, NULL, 0, 0),
                         0);
    free(body);
    /* machd has handled the sends: 5 tasks with machctl, 3 ports (two services, sender's reply
     * port), 2 names. */
    struct run table = run_machctl(m->path, -1, (const char *const[]){NULL});
    if (table.status != 0)
        fail_msg("machctl exited %d: %s", table.status, table.err);
    expect_service_row(table.out, "mc.echo", server, "machd_peer");
    expect_service_row(table.out, "mc.quiet", getpid(), SELF_COMM);
    expect_task_row(table.out, server, "machd_peer", 1, 0, 0, 1);
    expect_task_row(table.out, holder, "machd_peer", 0, 1, 0, 0);
    assert_non_null(strstr(table.out, "machd: 5 tasks, 3 ports, "));
    assert_non_null(strstr(table.out, ", 2 names, "));
    assert_int_equal(count_of(table.out, " " SELF_COMM), 3); /* mc.quiet's row and both tasks */
    run_free(&table);

    struct run json = run_machctl(m->path, -1, (const char *const[]){"--json", NULL});
    assert_int_equal(json.status, 0);
    char line[512], needle[64];
    assert_true(line_holding(json.out, "{\"name\": \"mc.quiet\", \"state\": \"checked-in\"", line, sizeof line));
    snprintf(needle, sizeof needle, "\"task\": %llu, \"pid\": %d,", (unsigned long long)quiet->conn.self.task_id,
             (int)getpid());
    assert_non_null(strstr(line, needle));
    assert_non_null(strstr(line, "\"command\": \"" SELF_COMM "\""));
    expect_json_task(json.out, quiet->conn.self.task_id,
                     "\"receive\": 1, \"send\": 0, \"send_once\": 8, \"names\": 1, \"queued\": ");
    expect_json_task(json.out, sender->conn.self.task_id,
                     "\"receive\": 1, \"send\": 1, \"send_once\": 0, \"names\": 0, \"queued\": 0,");
    /* Two deliveries at most fit quiet's socket; the rest waits in machd. */
    assert_true(line_holding(json.out, "\"send_once\": 8, \"names\": 1, \"queued\": ", line, sizeof line));
    unsigned queued = 0;
    assert_int_equal(sscanf(strstr(line, "\"queued\": "), "\"queued\": %u", &queued), 1);
    assert_true(queued <= 8);
    long wmem = 0; /* the socket buffer machd writes into (its default size) */
    FILE *f = fopen("/proc/sys/net/core/wmem_default", "r");
    if (f) {
        if (fscanf(f, "%ld", &wmem) != 1)
            wmem = 0;
        fclose(f);
    }
    if (wmem > 0 && wmem < 500000) /* 800 KB cannot all be in the socket */
        assert_true(queued >= 1);
    assert_non_null(strstr(json.out, "\"counters\": {\"tasks\": 5, \"ports\": 3, "));
    assert_int_equal(count_of(json.out, "\"command\": \"machctl\""), 1); /* itself, as a task */
    run_free(&json);

    tc_close(quiet);
    tc_close(sender);
    kill(server, SIGKILL);
    kill(holder, SIGKILL);
    mh_wait(server);
    mh_wait(holder);
}

/* A page: QUERY from offset, answer checked. */
static const struct machd_msg *query(struct tc *t, uint32_t kind, uint32_t offset) {
    memset(&t->out, 0, sizeof t->out);
    t->out.type = MACHD_QUERY;
    t->out.u.query.kind = kind;
    t->out.u.query.offset = offset;
    tc_send(t);
    const struct machd_msg *r = tc_expect(t, MACHD_QUERY_REPLY);
    assert_int_equal(r->seq, t->out.seq);
    assert_int_equal(r->u.query_reply.kind, kind);
    assert_int_equal(r->u.query_reply.offset, offset);
    return r;
}

enum { PAGED_NAMES = 1200 };

static void lists_larger_than_a_datagram_come_in_pages(void **state) {
    (void)state;
    struct machd_proc *m = &mh_daemon;
    struct tc *t = tc_open(m);
    /* 1,200 names of 120 bytes: about 200 KB of records, two datagrams. */
    char name[128];
    for (int i = 0; i < PAGED_NAMES; i++) {
        snprintf(name, sizeof name, "mc.page.%04d.%0108d", i, 0);
        uint32_t h;
        assert_int_equal(tc_check_in(t, name, &h), 0);
    }
    const struct machd_msg *r = query(t, MACHD_QUERY_SERVICES, 0);
    assert_int_equal(r->u.query_reply.status, KERN_SUCCESS);
    assert_int_equal(r->u.query_reply.total, PAGED_NAMES);
    uint32_t first = r->u.query_reply.count;
    assert_true(first > 0 && first < PAGED_NAMES);
    r = query(t, MACHD_QUERY_SERVICES, first);
    assert_int_equal(r->u.query_reply.count, PAGED_NAMES - first);
    /* Each record decodes; past the end, an empty page. */
    struct machd_query_service s;
    assert_int_not_equal(machd_query_get_service(r->u.query_reply.records, r->u.query_reply.records_len, &s), 0);
    assert_int_equal(strncmp(s.name, "mc.page.", 8), 0);
    assert_int_equal(s.receiver.task_id, t->conn.self.task_id);
    r = query(t, MACHD_QUERY_SERVICES, PAGED_NAMES + 5);
    assert_int_equal(r->u.query_reply.count, 0);
    r = query(t, MACHD_QUERY_TASKS, 0);
    assert_int_equal(r->u.query_reply.total, 1);
    assert_int_equal(r->u.query_reply.count, 1);

    /* machctl reads every page: each name once, in order. */
    struct run json = run_machctl(m->path, -1, (const char *const[]){"--json", NULL});
    assert_int_equal(json.status, 0);
    assert_int_equal(count_of(json.out, "{\"name\": \"mc.page."), PAGED_NAMES);
    assert_non_null(strstr(json.out, "\"mc.page.0000."));
    assert_non_null(strstr(json.out, "\"mc.page.1199."));
    assert_true(strstr(json.out, "\"mc.page.0000.") < strstr(json.out, "\"mc.page.1199."));
    run_free(&json);
    struct run table = run_machctl(m->path, -1, (const char *const[]){"list", NULL});
    assert_int_equal(table.status, 0);
    assert_int_equal(count_of(table.out, "\nmc.page."), PAGED_NAMES);
    run_free(&table);
    tc_close(t);
}

static int paged_setup(void **state) {
    mh_daemon.extra[0] = "--limit";
    mh_daemon.extra[1] = "names-per-task=2048";
    mh_daemon.extra[2] = NULL;
    return mh_setup(state);
}

/* A child of another uid asks: QUERY is refused with KERN_NO_ACCESS, and so is STATS (a
 * STATUS_REPLY with KERN_NO_ACCESS instead of the counters); machctl says why. */
static void other_users_are_refused(void **state) {
    (void)state;
    if (geteuid() != 0) {
        print_message("skipped: needs root, to run a task as another uid (CI runs as root)\n");
        skip();
    }
    const struct machd_proc *m = &mh_daemon;
    const uid_t nobody = 65534;
    /* Let the other user reach the socket (machd checked its directory when it started). */
    assert_int_equal(chmod(m->dir, 0711), 0);
    assert_int_equal(chmod(m->path, 0666), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (setgroups(0, NULL) != 0 || setgid(nobody) != 0 || setuid(nobody) != 0)
            _exit(10);
        struct machd_conn c;
        if (machd_conn_open(&c, m->path, false) != 0)
            _exit(11);
        static struct machd_msg q, a;
        static uint8_t buf[MACHD_MAX_PACKET];
        q.type = MACHD_QUERY;
        q.u.query.kind = MACHD_QUERY_TASKS;
        if (machd_conn_send(&c, &q) != 0 || machd_conn_recv(&c, buf, &a, MH_TIMEOUT_MS) != 0)
            _exit(12);
        if (a.type != MACHD_QUERY_REPLY || a.u.query_reply.status != KERN_NO_ACCESS ||
            a.u.query_reply.count != 0 || a.u.query_reply.total != 0)
            _exit(13);
        memset(&q, 0, sizeof q);
        q.type = MACHD_STATS;
        if (machd_conn_send(&c, &q) != 0 || machd_conn_recv(&c, buf, &a, MH_TIMEOUT_MS) != 0)
            _exit(14);
        if (a.type != MACHD_STATUS_REPLY || a.seq != q.seq || a.u.status_reply.status != KERN_NO_ACCESS)
            _exit(15);
        _exit(0);
    }
    assert_int_equal(mh_wait(pid), 0);
    struct run r = run_machctl(m->path, (int)nobody, (const char *const[]){NULL});
    assert_int_equal(r.status, 2);
    assert_string_equal(r.out, "");
    if (!strstr(r.err, "answers only its own user and root (you are uid 65534)"))
        fail_msg("machctl said: %s", r.err);
    run_free(&r);
    /* Its own user (root) is answered. */
    r = run_machctl(m->path, -1, (const char *const[]){NULL});
    assert_int_equal(r.status, 0);
    run_free(&r);
}

static void no_machd_is_an_error(void **state) {
    (void)state;
    struct run r = run_machctl("/nonexistent/machd.sock", -1, (const char *const[]){NULL});
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "machctl: no machd is running at /nonexistent/machd.sock"));
    run_free(&r);
    r = run_machctl("/nonexistent/machd.sock", -1, (const char *const[]){"--bogus", NULL});
    assert_int_equal(r.status, 1);
    run_free(&r);
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(table_and_json_list_names_owners_and_counts, mh_setup, mh_teardown),
        cmocka_unit_test_setup_teardown(lists_larger_than_a_datagram_come_in_pages, paged_setup, mh_teardown),
        cmocka_unit_test_setup_teardown(other_users_are_refused, mh_setup, mh_teardown),
        cmocka_unit_test(no_machd_is_an_error),
    };
    return mh_run_tests("machctl", tests, sizeof tests / sizeof tests[0], argc, argv);
}
