/* machd as a service (docs/machd.md 1, machd(8)): --version, log levels, syslog falling back to
 * stderr, the runtime's probe connection not logged, the socket directory rule for every path,
 * socket activation by the LISTEN_FDS protocol (set up here by hand, as systemd would), and
 * on-demand start refused at a path the service manager serves. One CTest per test. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "machd_harness.h"
#include "wire/machd_conn.h"

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* A temporary directory (mode 0700) with a log file; removed by cleanup. */
struct env {
    char dir[64];
    char path[128]; /* dir/machd.sock */
    char log[128];  /* dir/machd.log: machd's stderr */
};

static void env_make(struct env *e) {
    snprintf(e->dir, sizeof e->dir, "/tmp/machd-svc-XXXXXX");
    assert_non_null(mkdtemp(e->dir));
    snprintf(e->path, sizeof e->path, "%s/machd.sock", e->dir);
    snprintf(e->log, sizeof e->log, "%s/machd.log", e->dir);
}

static void env_cleanup(struct env *e) {
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", e->dir);
    assert_int_equal(system(cmd), 0);
}

/* Runs machd with args (NULL-terminated), stderr to e->log, and extra environment "NAME=VALUE"
 * strings (NULL-terminated, may be NULL); listen_fd >= 0 is passed as fd 3 with LISTEN_FDS=1 and
 * LISTEN_PID set to machd's own pid. */
static pid_t spawn(const struct env *e, const char *const args[], const char *const envs[], int listen_fd) {
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int log = open(e->log, O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (log < 0)
            _exit(126);
        dup2(log, STDERR_FILENO);
        unsetenv("MACHD_SOCKET");
        unsetenv("JOURNAL_STREAM");
        if (listen_fd >= 0) {
            if (listen_fd != 3) {
                dup2(listen_fd, 3);
                close(listen_fd);
            }
            char pid_s[16];
            snprintf(pid_s, sizeof pid_s, "%d", (int)getpid());
            setenv("LISTEN_PID", pid_s, 1);
            setenv("LISTEN_FDS", "1", 1);
        }
        for (size_t i = 0; envs && envs[i]; i++)
            putenv((char *)envs[i]);
        mh_exec(MACHD_BIN, args);
    }
    return pid;
}

/* Runs machd to its end; returns its exit status. */
static int run(const struct env *e, const char *const args[], const char *const envs[]) {
    return mh_wait(spawn(e, args, envs, -1));
}

/* Waits until something accepts at path (a probe: connect and close, no HELLO). */
static void wait_listening(const char *path, pid_t pid) {
    for (int waited = 0; waited < MH_TIMEOUT_MS; waited += 10) {
        if (machd_conn_listening(path))
            return;
        int status;
        assert_int_equal(waitpid(pid, &status, WNOHANG), 0);
        sleep_ms(10);
    }
    fail_msg("machd did not listen at %s", path);
}

static int stop(pid_t pid) {
    kill(pid, SIGTERM);
    return mh_wait(pid);
}

/* The whole log file (static buffer). */
static const char *read_log(const struct env *e) {
    static char buf[65536];
    int fd = open(e->log, O_RDONLY);
    ssize_t n = fd < 0 ? 0 : read(fd, buf, sizeof buf - 1);
    if (fd >= 0)
        close(fd);
    buf[n > 0 ? n : 0] = '\0';
    return buf;
}

static int count(const char *text, const char *needle) {
    int n = 0;
    for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

static void expect_in_log(const struct env *e, const char *needle) {
    const char *log = read_log(e);
    if (!strstr(log, needle))
        fail_msg("'%s' not in machd's log:\n%s", needle, log);
}

static bool exists(const char *path) {
    struct stat st;
    return lstat(path, &st) == 0;
}

/* ---- command line ---- */

static void version_and_log_level_options(void **state) {
    (void)state;
    struct env e;
    env_make(&e);
    FILE *p = popen(MACHD_BIN " --version", "r");
    assert_non_null(p);
    char line[128] = {0};
    assert_non_null(fgets(line, sizeof line, p));
    assert_int_equal(pclose(p), 0);
    assert_memory_equal(line, "machd (OpenMIG) ", 16);
    assert_int_equal(run(&e, (const char *const[]){"--log-level", "loud", NULL}, NULL), 1);
    expect_in_log(&e, "unknown log level 'loud'");
    env_cleanup(&e);
}

/* --syslog with nothing at /dev/log used to exit 2 printing nothing: every message was lost. */
static void syslog_falls_back_to_stderr(void **state) {
    (void)state;
    struct env e;
    env_make(&e);
    char bad[160];
    snprintf(bad, sizeof bad, "%s/missing/deeper/machd.sock", e.dir);
    assert_int_equal(run(&e, (const char *const[]){"--syslog", "--socket", bad, NULL}, NULL), 2);
    if (!machd_conn_listening("/dev/log")) {
        expect_in_log(&e, "syslog is unavailable");
        expect_in_log(&e, "missing/deeper"); /* the reason itself reached stderr */
    }
    env_cleanup(&e);
}

/* Under systemd, stderr is the journal: each line carries its priority. */
static void journal_stream_gets_priority_prefixes(void **state) {
    (void)state;
    struct env e;
    env_make(&e);
    int fd = open(e.log, O_WRONLY | O_CREAT, 0600);
    assert_true(fd >= 0);
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    close(fd);
    char js[64];
    snprintf(js, sizeof js, "JOURNAL_STREAM=%llu:%llu", (unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
    pid_t pid = spawn(&e, (const char *const[]){"--socket", e.path, NULL}, (const char *const[]){js, NULL}, -1);
    wait_listening(e.path, pid);
    assert_int_equal(stop(pid), 0);
    expect_in_log(&e, "<5>machd: version "); /* LOG_NOTICE */
    assert_null(strstr(read_log(&e), "\nmachd:"));
    env_cleanup(&e);
}

/* ---- logging connections ---- */

/* The runtime asks "is machd there?" with a connect and a close: not a task, not worth a line. */
static void probe_connections_are_not_logged(void **state) {
    (void)state;
    struct env e;
    env_make(&e);
    pid_t pid = spawn(&e, (const char *const[]){"--socket", e.path, "--log-level", "info", NULL}, NULL, -1);
    wait_listening(e.path, pid);
    for (int i = 0; i < 5; i++)
        assert_true(machd_conn_listening(e.path));
    struct machd_conn c;
    assert_int_equal(machd_conn_open(&c, e.path, false), 0);
    machd_conn_close(&c);
    /* machd handles the close asynchronously: another task's HELLO orders it after. */
    assert_int_equal(machd_conn_open(&c, e.path, false), 0);
    machd_conn_close(&c);
    assert_int_equal(stop(pid), 0);
    const char *log = read_log(&e);
    if (count(log, " connected (task id") != 2 || count(log, "disconnected") + count(log, "hung up") +
                                                         count(log, "process exited") + count(log, "machd stopping") != 2)
        fail_msg("want two tasks connecting and two leaving, no probes, in:\n%s", log);
    assert_null(strstr(log, "connection from"));

    /* At debug level the probes show. */
    pid = spawn(&e, (const char *const[]){"--socket", e.path, "--log-level", "debug", NULL}, NULL, -1);
    wait_listening(e.path, pid);
    assert_int_equal(stop(pid), 0);
    expect_in_log(&e, "connection from pid");
    env_cleanup(&e);
}

/* ---- the socket's directory ---- */

static void socket_directory_rule_holds_for_every_path(void **state) {
    (void)state;
    struct env e;
    env_make(&e);
    char dir[160], sock[192], env_sock[220];
    /* Open to others: refused, with --socket and with MACHD_SOCKET. */
    snprintf(dir, sizeof dir, "%s/open", e.dir);
    assert_int_equal(mkdir(dir, 0700), 0);
    assert_int_equal(chmod(dir, 0755), 0);
    snprintf(sock, sizeof sock, "%s/machd.sock", dir);
    assert_int_equal(run(&e, (const char *const[]){"--socket", sock, NULL}, NULL), 2);
    expect_in_log(&e, "must be yours, mode 0700");
    snprintf(env_sock, sizeof env_sock, "MACHD_SOCKET=%s", sock);
    assert_int_equal(run(&e, (const char *const[]){NULL}, (const char *const[]){env_sock, NULL}), 2);
    assert_false(exists(sock));
    /* Someone else's directory (root can make one to try). */
    if (geteuid() == 0) {
        assert_int_equal(chmod(dir, 0700), 0);
        assert_int_equal(chown(dir, 65534, 65534), 0);
        assert_int_equal(run(&e, (const char *const[]){"--socket", sock, NULL}, NULL), 2);
        assert_false(exists(sock));
    }
    /* Missing: created, mode 0700; then machd serves. */
    snprintf(dir, sizeof dir, "%s/fresh", e.dir);
    snprintf(sock, sizeof sock, "%s/machd.sock", dir);
    snprintf(env_sock, sizeof env_sock, "MACHD_SOCKET=%s", sock);
    pid_t pid = spawn(&e, (const char *const[]){NULL}, (const char *const[]){env_sock, NULL}, -1);
    wait_listening(sock, pid);
    struct stat st;
    assert_int_equal(stat(dir, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    assert_int_equal(stop(pid), 0);
    env_cleanup(&e);
}

/* ---- socket activation ---- */

static int listening_socket(const char *path, int type) {
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path);
    int fd = socket(AF_UNIX, type, 0);
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof addr), 0);
    assert_int_equal(listen(fd, 16), 0);
    return fd;
}

/* The process whose command line is "... --daemon --socket path". */
static pid_t find_daemon(const char *path) {
    DIR *d = opendir("/proc");
    assert_non_null(d);
    pid_t found = -1;
    for (struct dirent *de; found < 0 && (de = readdir(d));) {
        char file[300], cmd[512];
        if (de->d_name[0] < '0' || de->d_name[0] > '9')
            continue;
        snprintf(file, sizeof file, "/proc/%s/cmdline", de->d_name);
        int fd = open(file, O_RDONLY);
        ssize_t n = fd < 0 ? -1 : read(fd, cmd, sizeof cmd - 1);
        if (fd >= 0)
            close(fd);
        if (n <= 0)
            continue;
        cmd[n] = '\0';
        size_t first = strlen(cmd) + 1; /* argv[1] on */
        bool daemon = false, ours = false;
        for (size_t i = first; i < (size_t)n; i += strlen(cmd + i) + 1) {
            daemon |= strcmp(cmd + i, "--daemon") == 0;
            ours |= strcmp(cmd + i, path) == 0;
        }
        if (daemon && ours)
            found = (pid_t)atoi(de->d_name);
    }
    closedir(d);
    return found;
}

static void socket_activation_by_listen_fds(void **state) {
    (void)state;
    struct env e;
    env_make(&e);
    char marker[160];
    snprintf(marker, sizeof marker, "%s.managed", e.path);
    /* What systemd does for machd.socket: bind, listen, then start machd with the socket as fd 3. */
    int fd = listening_socket(e.path, SOCK_SEQPACKET);
    /* A connection made before machd runs waits in the backlog, as with systemd. */
    pid_t pid = spawn(&e, (const char *const[]){"--log-level", "info", NULL}, NULL, fd);
    close(fd);
    struct machd_conn c;
    int err = ECONNREFUSED;
    for (int waited = 0; err && waited < MH_TIMEOUT_MS; waited += 10) {
        err = machd_conn_open(&c, e.path, false);
        if (err)
            sleep_ms(10);
    }
    assert_int_equal(err, 0);
    assert_int_equal(c.self.pid, (uint32_t)getpid());
    machd_conn_close(&c);
    assert_true(exists(marker));
    expect_in_log(&e, "(socket from the service manager)");
    assert_int_equal(stop(pid), 0);
    /* The socket file is systemd's: left in place. Nobody listens now (systemd would). */
    assert_true(exists(e.path));

    /* Stopped on purpose: the runtime does not start a machd of its own at that path. */
    setenv("MACHD_PATH", MACHD_BIN, 1);
    assert_int_equal(machd_conn_open(&c, e.path, true), ESHUTDOWN);
    assert_false(machd_conn_listening(e.path));

    /* machd started by hand takes the path back: the marker goes, on-demand start works again. */
    pid = spawn(&e, (const char *const[]){"--socket", e.path, NULL}, NULL, -1);
    wait_listening(e.path, pid);
    assert_false(exists(marker));
    assert_int_equal(stop(pid), 0);
    assert_int_equal(machd_conn_open(&c, e.path, true), 0); /* started on demand */
    /* Stop that daemon (not our child; SO_PEERCRED names the process that listened, which
     * exited when it detached): found by its command line, then waited for by its socket file. */
    machd_conn_close(&c);
    pid_t daemon = find_daemon(e.path);
    assert_true(daemon > 0);
    assert_int_equal(kill(daemon, SIGTERM), 0);
    for (int waited = 0; exists(e.path) && waited < MH_TIMEOUT_MS; waited += 10)
        sleep_ms(10);
    assert_false(exists(e.path));
    env_cleanup(&e);
}

static void unusable_listen_fds_are_refused(void **state) {
    (void)state;
    struct env e;
    env_make(&e);
    /* A stream socket is not machd's kind. */
    int fd = listening_socket(e.path, SOCK_STREAM);
    assert_int_equal(mh_wait(spawn(&e, (const char *const[]){NULL}, NULL, fd)), 2);
    close(fd);
    expect_in_log(&e, "not a listening SOCK_SEQPACKET");
    unlink(e.path);
    /* Two sockets: machd takes exactly one. */
    fd = listening_socket(e.path, SOCK_SEQPACKET);
    assert_int_equal(mh_wait(spawn(&e, (const char *const[]){NULL}, (const char *const[]){"LISTEN_FDS=2", NULL}, fd)), 2);
    close(fd);
    expect_in_log(&e, "machd takes exactly one socket");
    unlink(e.path);
    /* LISTEN_PID of another process: not for machd; it binds its own socket. */
    char env_sock[160];
    snprintf(env_sock, sizeof env_sock, "MACHD_SOCKET=%s", e.path);
    pid_t pid = spawn(&e, (const char *const[]){NULL},
                      (const char *const[]){env_sock, "LISTEN_PID=1", "LISTEN_FDS=1", NULL}, -1);
    wait_listening(e.path, pid);
    assert_int_equal(stop(pid), 0);
    assert_false(exists(e.path)); /* its own socket: removed at the stop */
    env_cleanup(&e);
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(version_and_log_level_options),
        cmocka_unit_test(syslog_falls_back_to_stderr),
        cmocka_unit_test(journal_stream_gets_priority_prefixes),
        cmocka_unit_test(probe_connections_are_not_logged),
        cmocka_unit_test(socket_directory_rule_holds_for_every_path),
        cmocka_unit_test(socket_activation_by_listen_fds),
        cmocka_unit_test(unusable_listen_fds_are_refused),
    };
    return mh_run_tests("machd_service", tests, sizeof tests / sizeof tests[0], argc, argv);
}
