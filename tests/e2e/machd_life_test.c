/* Lifecycle and fault tests of machd and libmach's transport (docs/machd.md, sections 4 and 7):
 * a task that lives through machd's death (SIGKILL or SIGTERM) and uses the restarted one,
 * fork() in a connected task, tasks killed while blocked or with messages queued, 1,000 killed
 * tasks with machd's counters and memory back where they were, racing on-demand starts. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <mach/kern_return.h>
#include <mach/message.h>
#include <mach/notify.h>

#include "machd_harness.h"

#define BS_UNKNOWN_SERVICE 1102
#define H1 (MACHD_HANDLE_TASK_BIT | 1u)
/* Generous, for a loaded 2-core machine: tests assert only that nothing hangs. */
#define LINE_TIMEOUT_MS 60000

static struct machd_proc daemon_proc;

/* Processes a test started and has not reaped yet: a failing test leaves none behind. */
static pid_t children[16];

static pid_t track(pid_t pid) {
    for (size_t i = 0; i < sizeof children / sizeof children[0]; i++)
        if (children[i] == 0) {
            children[i] = pid;
            break;
        }
    return pid;
}

static int reap(pid_t pid) {
    for (size_t i = 0; i < sizeof children / sizeof children[0]; i++)
        if (children[i] == pid)
            children[i] = 0;
    return mh_wait(pid);
}

static void reap_all(void) {
    for (size_t i = 0; i < sizeof children / sizeof children[0]; i++)
        if (children[i] > 0) {
            kill(children[i], SIGKILL);
            reap(children[i]);
        }
}

static pid_t spawn_rpc_peer(const char *const args[]) {
    return track(mh_spawn_program(&daemon_proc, MACHD_RPC_PEER, args));
}

static int setup(void **state) {
    (void)state;
    mh_start(&daemon_proc);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    reap_all();
    if (daemon_proc.pid > 0)
        assert_int_equal(mh_stop(&daemon_proc), 0);
    mh_cleanup(&daemon_proc);
    return 0;
}

/* ---- peers that talk back: stdin for go-aheads, stdout for steps ---- */

struct peer {
    pid_t pid;
    int to, from; /* its stdin, its stdout */
};

/* Runs exe with args; MACHD_SOCKET is `socket_path`. With autostart, MACHD_PATH is machd and
 * MACHD_NO_AUTOSTART is unset (the runtime starts machd on demand); else autostart is off. */
static struct peer peer_spawn(const char *socket_path, bool autostart, const char *exe, const char *const args[]) {
    int in[2], out[2];
    assert_int_equal(pipe(in), 0);
    assert_int_equal(pipe(out), 0);
    struct peer p = {track(fork()), in[1], out[0]};
    assert_true(p.pid >= 0);
    if (p.pid == 0) {
        dup2(in[0], STDIN_FILENO);
        dup2(out[1], STDOUT_FILENO);
        close(in[0]);
        close(in[1]);
        close(out[0]);
        close(out[1]);
        setenv("MACHD_SOCKET", socket_path, 1);
        if (autostart) {
            setenv("MACHD_PATH", MACHD_BIN, 1);
            unsetenv("MACHD_NO_AUTOSTART");
        } else {
            setenv("MACHD_NO_AUTOSTART", "1", 1);
        }
        mh_exec(exe, args);
    }
    close(in[0]);
    close(out[1]);
    return p;
}

static struct peer life_peer(const char *const args[]) {
    return peer_spawn(daemon_proc.path, false, MACHD_LIFE_PEER, args);
}

/* Reads the peer's next line and asserts it is `want`. */
static void expect_line(struct peer *p, const char *want) {
    char line[64];
    size_t n = 0;
    while (n < sizeof line - 1) {
        struct pollfd pfd = {p->from, POLLIN, 0};
        int rc = poll(&pfd, 1, LINE_TIMEOUT_MS);
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc != 1)
            fail_msg("peer %d: no '%s' within %d ms", (int)p->pid, want, LINE_TIMEOUT_MS);
        ssize_t got = read(p->from, line + n, 1);
        if (got != 1)
            fail_msg("peer %d ended before '%s'", (int)p->pid, want);
        if (line[n] == '\n')
            break;
        n++;
    }
    line[n] = '\0';
    assert_string_equal(line, want);
}

static void send_go(struct peer *p) { assert_int_equal(write(p->to, "go\n", 3), 3); }

/* Waits for the peer's exit; returns its status (128 + signal when killed). */
static int peer_wait(struct peer *p) {
    close(p->to);
    close(p->from);
    return reap(p->pid);
}

static void peer_kill(struct peer *p) {
    kill(p->pid, SIGKILL);
    assert_int_equal(peer_wait(p), 128 + SIGKILL);
}

static void kill_and_reap(pid_t pid) {
    kill(pid, SIGKILL);
    reap(pid);
}

/* ---- machd dies, a running task goes on with the new one ---- */

/* A libmach task with a dead-name request, an exported port with a no-senders request and a
 * thread blocked on it, and a thread waiting for a reply sees machd go (SIGKILL, with a
 * bootstrap call waiting for the stopped machd's reply; or SIGTERM when `graceful`), gets every
 * notification and error instead of a hang, and then works with a new machd through the same
 * bootstrap port. */
static void survive_machd(bool graceful) {
    const char *old_srv[] = {"server", "svc.old", NULL};
    pid_t old_server = spawn_rpc_peer(old_srv);
    const char *args[] = {"survivor", "svc.old", "svc.new", NULL};
    struct peer survivor = life_peer(args);
    expect_line(&survivor, "ready");
    if (graceful) {
        send_go(&survivor);
        assert_int_equal(mh_stop(&daemon_proc), 0);
    } else {
        /* A bootstrap call waiting for the reply of a stopped machd, which is then killed. */
        kill(daemon_proc.pid, SIGSTOP);
        assert_int_equal(write(survivor.to, "stall\n", 6), 6);
        expect_line(&survivor, "asking");
        mh_kill(&daemon_proc);
    }
    expect_line(&survivor, "lost");
    mh_restart(&daemon_proc);
    const char *new_srv[] = {"server", "svc.new", NULL};
    pid_t new_server = spawn_rpc_peer(new_srv);
    send_go(&survivor);
    assert_int_equal(peer_wait(&survivor), 0);
    /* The new machd knows the survivor as a new task: it left nothing behind when it exited.
     * The old server, which had checked in svc.old, reconnected on its own to bind it again
     * (docs/machd.md 4, "Restart"): one port and one receive entry each for it and the new one. */
    struct tc *obs = tc_open(&daemon_proc);
    uint32_t h = 0, found = 1;
    for (int i = 0; i < 500 && found != 0; i++) { /* the old server binds it asynchronously */
        found = tc_look_up(obs, "svc.old", &h);
        if (found != 0) {
            struct timespec ts = {0, 20 * 1000000L};
            nanosleep(&ts, NULL);
        }
    }
    assert_int_equal(found, 0);
    assert_int_equal(tc_mod_refs(obs, h, MACHD_RIGHT_SEND, -1), KERN_SUCCESS);
    tc_settle(obs, 3, NULL, NULL, NULL); /* the new server, the old one and obs */
    tc_expect_counts(obs, 3, 2, 2);
    tc_close(obs);
    kill_and_reap(new_server);
    kill_and_reap(old_server);
}

static void task_survives_machd_sigkill_and_uses_the_restarted_one(void **state) {
    (void)state;
    survive_machd(false);
}

static void task_blocked_when_machd_gets_sigterm_gets_errors_not_hangs(void **state) {
    (void)state;
    survive_machd(true);
}

/* ---- fork ---- */

static void fork_child_is_its_own_task_and_parent_is_unaffected(void **state) {
    (void)state;
    const char *srv[] = {"server", "svc.fork", NULL};
    pid_t server = spawn_rpc_peer(srv);
    const char *args[] = {"forker", "svc.fork", "6", NULL};
    struct peer forker = life_peer(args);
    expect_line(&forker, "ready");
    assert_int_equal(peer_wait(&forker), 0);
    struct tc *obs = tc_open(&daemon_proc);
    tc_settle(obs, 2, NULL, NULL, NULL); /* the server and obs: no child's task outlived it */
    tc_expect_counts(obs, 2, 1, 1);
    tc_close(obs);
    kill_and_reap(server);
}

/* ---- deaths ---- */

static void task_killed_blocked_in_receive_gives_its_senders_dead_names(void **state) {
    (void)state;
    const char *blk[] = {"block", "svc.blocked", NULL};
    struct peer blocked = life_peer(blk);
    expect_line(&blocked, "ready");
    const char *w[] = {"watch", "svc.blocked", NULL};
    struct peer watcher = life_peer(w);
    expect_line(&watcher, "ready");
    peer_kill(&blocked);
    assert_int_equal(peer_wait(&watcher), 0);
    struct tc *obs = tc_open(&daemon_proc);
    tc_settle(obs, 1, NULL, NULL, NULL);
    tc_expect_counts(obs, 1, 0, 0);
    tc_close(obs);
}

static void task_killed_waiting_for_a_reply_leaves_a_dead_reply_right(void **state) {
    (void)state;
    const char *h[] = {"holdreply", "svc.hold", NULL};
    struct peer holder = life_peer(h);
    expect_line(&holder, "ready");
    const char *cli[] = {"hang", "svc.hold", NULL};
    pid_t client = spawn_rpc_peer(cli);
    expect_line(&holder, "got"); /* the client is now waiting for the reply */
    kill_and_reap(client);
    assert_int_equal(peer_wait(&holder), 0);
    struct tc *obs = tc_open(&daemon_proc);
    tc_settle(obs, 1, NULL, NULL, NULL);
    tc_expect_counts(obs, 1, 0, 0);
    tc_close(obs);
}

static void task_killed_with_messages_queued_at_the_receiver(void **state) {
    (void)state;
    const char *s[] = {"sleepy", "svc.sleepy", "40", NULL};
    struct peer receiver = life_peer(s);
    expect_line(&receiver, "ready");
    const char *f[] = {"flood", "svc.sleepy", "40", NULL};
    struct peer sender = life_peer(f);
    expect_line(&sender, "sent");
    peer_kill(&sender);
    struct tc *obs = tc_open(&daemon_proc);
    tc_settle(obs, 2, NULL, NULL, NULL); /* the receiver and obs */
    /* machd holds nothing of the sender: its ports died, the receiver's names for them went. */
    tc_expect_counts(obs, 2, 1, 1);
    send_go(&receiver);
    expect_line(&receiver, "done"); /* 40 intact messages with dead rights, replies refused */
    tc_expect_counts(obs, 2, 1, 1);
    send_go(&receiver);
    assert_int_equal(peer_wait(&receiver), 0);
    tc_close(obs);
}

/* A churning task, in a forked child (no exec, no cmocka): connect, look up svc.churn, check
 * in svc.churn.<i>, send svc.churn a request with a send-once reply right and a send right to
 * its checked-in port, say so on ready_fd, wait to be killed. */
static void churn_child(const char *path, int i, int ready_fd) {
    static uint8_t buf[MACHD_MAX_PACKET];
    static struct machd_msg m;
    struct machd_conn c;
    if (machd_conn_open(&c, path, false) != 0)
        _exit(2);
    uint32_t handles[2];
    char names[2][32];
    snprintf(names[0], sizeof names[0], "svc.churn");
    snprintf(names[1], sizeof names[1], "svc.churn.%d", i);
    for (int k = 0; k < 2; k++) {
        memset(&m, 0, sizeof m);
        m.type = MACHD_BOOTSTRAP;
        m.u.bootstrap.op = k == 0 ? MACHD_BOOTSTRAP_LOOK_UP : MACHD_BOOTSTRAP_CHECK_IN;
        m.u.bootstrap.name = names[k];
        m.u.bootstrap.name_len = (uint32_t)strlen(names[k]);
        if (machd_conn_send(&c, &m) != 0 || machd_conn_recv(&c, buf, &m, MH_TIMEOUT_MS) != 0 ||
            m.type != MACHD_BOOTSTRAP_REPLY || m.u.bootstrap_reply.status != 0)
            _exit(3);
        handles[k] = m.u.bootstrap_reply.name;
    }
    memset(&m, 0, sizeof m);
    m.type = MACHD_MSG_SEND;
    m.u.send.dest = mh_right(handles[0], MACHD_DISP_COPY_SEND, 0);
    m.u.send.reply = mh_right(H1, MACHD_DISP_MAKE_SEND_ONCE, MACHD_RIGHT_NEW);
    m.u.send.flags = MACHD_SEND_ACK_ERRORS_ONLY;
    m.u.send.p.msgh_id = 70;
    m.u.send.p.msgh_bits = MACHD_MSGH_BITS_COMPLEX;
    m.u.send.p.right_count = 1;
    struct machd_right item = mh_right(handles[1], MACHD_DISP_MAKE_SEND, 0);
    m.u.send.p.rights = &item;
    if (machd_conn_send(&c, &m) != 0 || write(ready_fd, "r", 1) != 1)
        _exit(4);
    for (;;)
        pause();
}

/* One churning task's life, seen from the server srv (receive right `recv` to svc.churn): it
 * sends the task a send-once right to recv (plus, with `flood`, enough data to fill the socket
 * so machd queues output for it), SIGKILLs it, and checks the three consequences: the task's
 * reply right and checked-in port die, and its send-once right comes back as a notification. */
static void churn_once(struct tc *srv, uint32_t recv, int i, bool flood) {
    int ready[2];
    assert_int_equal(pipe(ready), 0);
    pid_t pid = track(fork());
    assert_true(pid >= 0);
    if (pid == 0) {
        close(ready[0]);
        churn_child(daemon_proc.path, i, ready[1]);
    }
    close(ready[1]);
    struct pollfd pfd = {ready[0], POLLIN, 0};
    char byte;
    assert_int_equal(poll(&pfd, 1, LINE_TIMEOUT_MS), 1);
    assert_int_equal(read(ready[0], &byte, 1), 1);
    close(ready[0]);
    const struct machd_msg *m = tc_expect(srv, MACHD_MSG_DELIVER);
    assert_int_equal(m->u.deliver.p.msgh_id, 70);
    uint32_t task_port = machd_payload_right(&m->u.deliver.p, 0).name;
    assert_int_equal(tc_msg(srv, mh_right(task_port, MACHD_DISP_COPY_SEND, 0),
                            mh_right(recv, MACHD_DISP_MAKE_SEND_ONCE, 0), 71, "hold this", NULL, 0, 0),
                     KERN_SUCCESS);
    static char big[16 * 1024];
    if (flood) {
        memset(big, 'x', sizeof big - 1);
        for (int k = 0; k < 40; k++)
            assert_int_equal(tc_msg(srv, mh_right(task_port, MACHD_DISP_COPY_SEND, 0), MH_NO_RIGHT, 72, big,
                                    NULL, 0, 0),
                             KERN_SUCCESS);
    }
    kill(pid, SIGKILL);
    assert_int_equal(reap(pid), 128 + SIGKILL);
    int dead = 0, notified = 0;
    for (int k = 0; k < 3; k++) {
        assert_int_equal(machd_conn_recv(&srv->conn, srv->buf, &srv->msg, MH_TIMEOUT_MS), 0);
        if (srv->msg.type == MACHD_PORT_DEAD) {
            dead++;
        } else {
            assert_int_equal(srv->msg.type, MACHD_MSG_DELIVER);
            assert_int_equal(srv->msg.u.deliver.dest.name, recv);
            assert_int_equal(srv->msg.u.deliver.p.msgh_id, MACH_NOTIFY_SEND_ONCE);
            notified++;
        }
    }
    assert_int_equal(dead, 2);
    assert_int_equal(notified, 1);
}

static void thousand_killed_tasks_leave_counts_and_memory_where_they_were(void **state) {
    (void)state;
    struct tc *srv = tc_open(&daemon_proc);
    uint32_t recv;
    assert_int_equal(tc_check_in(srv, "svc.churn", &recv), 0);
    for (int i = 0; i < 100; i++) /* warm-up: allocator pools exist before the baseline */
        churn_once(srv, recv, i, i % 50 == 0);
    uint32_t tasks0, ports0, entries0, names0;
    uint64_t rss0;
    tc_stats(srv, &tasks0, &ports0, &entries0, &rss0);
    names0 = srv->msg.u.stats_reply.names;
    /* 1,000 deaths; 300 under ASan, whose build is several times slower and where the resident
     * size is not checked anyway (the counts are, and LeakSanitizer checks machd at its exit). */
    int deaths = mh_rss_is_meaningful() ? 1000 : 300;
    for (int i = 100; i < 100 + deaths; i++)
        churn_once(srv, recv, i, i % 100 == 0);
    uint32_t tasks1, ports1, entries1, names1;
    uint64_t rss1;
    tc_stats(srv, &tasks1, &ports1, &entries1, &rss1);
    names1 = srv->msg.u.stats_reply.names;
    assert_int_equal(tasks1, tasks0);
    assert_int_equal(ports1, ports0);
    assert_int_equal(entries1, entries0);
    assert_int_equal(names1, names0); /* every svc.churn.<i> was released */
    assert_int_equal(tc_look_up(srv, "svc.churn.300", NULL), BS_UNKNOWN_SERVICE);
    mh_expect_rss_within(rss0, rss1, 512 * 1024); /* a leak of one object per death is ~100 KiB+ */
    tc_close(srv);
}

/* ---- on-demand start ---- */

/* The pids of running machd processes whose command line names `socket_path`. */
static int machd_pids_for(const char *socket_path, pid_t *pids, int cap) {
    DIR *d = opendir("/proc");
    assert_non_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        char file[300], cmd[4096];
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        snprintf(file, sizeof file, "/proc/%s/cmdline", e->d_name);
        int fd = open(file, O_RDONLY);
        if (fd < 0)
            continue;
        ssize_t len = read(fd, cmd, sizeof cmd - 1);
        close(fd);
        if (len <= 0)
            continue; /* a zombie has an empty command line */
        cmd[len] = '\0';
        bool is_machd = strcmp(cmd, MACHD_BIN) == 0, names_path = false;
        for (ssize_t off = 0; off < len; off += (ssize_t)strlen(cmd + off) + 1)
            names_path |= strcmp(cmd + off, socket_path) == 0;
        if (is_machd && names_path && n < cap)
            pids[n++] = (pid_t)atoi(e->d_name);
    }
    closedir(d);
    return n;
}

static void stop_daemon(pid_t pid) {
    kill(pid, SIGTERM);
    for (int i = 0; i < 1000 && kill(pid, 0) == 0; i++)
        usleep(10000);
    assert_int_equal(kill(pid, 0), -1);
}

/* Waits up to `ms` for pid to exit; returns its status, or -1 after killing it. */
static int wait_within(pid_t pid, int ms) {
    for (int waited = 0; waited < ms; waited += 10) {
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        usleep(10000);
    }
    kill_and_reap(pid);
    return -1;
}

/* A machd that is starting (holds the instance lock, has bound its socket, not listening yet)
 * must not be taken for a stale socket by a second one: the second exits 3 and leaves the
 * socket file alone. Without the lock it would replace the file: two daemons, one unreachable. */
static void starting_machd_is_not_taken_for_stale(const char *path) {
    char lock[160];
    snprintf(lock, sizeof lock, "%s.lock", path);
    int lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    assert_true(lock_fd >= 0);
    assert_int_equal(flock(lock_fd, LOCK_EX), 0);
    int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    assert_true(strlen(path) < sizeof addr.sun_path);
    memcpy(addr.sun_path, path, strlen(path) + 1);
    assert_int_equal(bind(s, (struct sockaddr *)&addr, sizeof addr), 0);
    struct stat before, after;
    assert_int_equal(stat(path, &before), 0);
    pid_t second = fork();
    assert_true(second >= 0);
    if (second == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, STDERR_FILENO);
        execl(MACHD_BIN, MACHD_BIN, "--foreground", "--socket", path, (char *)NULL);
        _exit(127);
    }
    assert_int_equal(wait_within(second, 20000), 3);
    assert_int_equal(stat(path, &after), 0);
    assert_true(after.st_ino == before.st_ino);
    close(s);
    unlink(path);
    unlink(lock);
    close(lock_fd);
}

static void racing_on_demand_starts_end_with_one_machd(void **state) {
    (void)state;
    char dir[64], path[128];
    snprintf(dir, sizeof dir, "/tmp/machd-race-XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/machd.sock", dir);
    starting_machd_is_not_taken_for_stale(path);
    /* Two tasks whose first bootstrap call finds nobody at the path, released together. */
    const char *a_args[] = {"racer", "race.a", "race.b", NULL}, *b_args[] = {"racer", "race.b", "race.a", NULL};
    struct peer a = peer_spawn(path, true, MACHD_LIFE_PEER, a_args);
    struct peer b = peer_spawn(path, true, MACHD_LIFE_PEER, b_args);
    send_go(&a);
    send_go(&b);
    expect_line(&a, "ready");
    expect_line(&b, "ready");
    /* Each found the other's name: both talk to the same daemon. */
    expect_line(&a, "found");
    expect_line(&b, "found");
    send_go(&a);
    send_go(&b);
    assert_int_equal(peer_wait(&a), 0);
    assert_int_equal(peer_wait(&b), 0);
    pid_t pids[8];
    assert_int_equal(machd_pids_for(path, pids, 8), 1);
    stop_daemon(pids[0]);
    /* The same race between machd processes themselves: one serves, the others exit 3. */
    pid_t starters[6];
    for (int i = 0; i < 6; i++) {
        starters[i] = track(fork());
        assert_true(starters[i] >= 0);
        if (starters[i] == 0) {
            execl(MACHD_BIN, MACHD_BIN, "--daemon", "--socket", path, (char *)NULL);
            _exit(127);
        }
    }
    int served = 0;
    for (int i = 0; i < 6; i++) {
        int rc = reap(starters[i]);
        assert_true(rc == 0 || rc == 3);
        served += rc == 0;
    }
    assert_true(served >= 1);
    assert_int_equal(machd_pids_for(path, pids, 8), 1);
    struct machd_proc p = {0};
    snprintf(p.path, sizeof p.path, "%s", path);
    struct tc *t = tc_open(&p);
    tc_close(t);
    stop_daemon(pids[0]);
    unlink(path);
    char lock[160];
    snprintf(lock, sizeof lock, "%s.lock", path);
    unlink(lock);
    assert_int_equal(rmdir(dir), 0);
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(task_survives_machd_sigkill_and_uses_the_restarted_one, setup, teardown),
        cmocka_unit_test_setup_teardown(task_blocked_when_machd_gets_sigterm_gets_errors_not_hangs, setup, teardown),
        cmocka_unit_test_setup_teardown(fork_child_is_its_own_task_and_parent_is_unaffected, setup, teardown),
        cmocka_unit_test_setup_teardown(task_killed_blocked_in_receive_gives_its_senders_dead_names, setup, teardown),
        cmocka_unit_test_setup_teardown(task_killed_waiting_for_a_reply_leaves_a_dead_reply_right, setup, teardown),
        cmocka_unit_test_setup_teardown(task_killed_with_messages_queued_at_the_receiver, setup, teardown),
        cmocka_unit_test_setup_teardown(thousand_killed_tasks_leave_counts_and_memory_where_they_were, setup,
                                        teardown),
        cmocka_unit_test(racing_on_demand_starts_end_with_one_machd),
    };
    return mh_run_tests("machd_life_test", tests, sizeof tests / sizeof tests[0], argc, argv);
}
