// The task's bootstrap port by default (docs/machd.md 7): with no setup (no MACHD_SOCKET, no
// machd running, a stale socket file at the default path) two processes meet through the machd
// the first bootstrap call starts; when machd cannot be reached (no executable, MACHD_NO_AUTOSTART,
// a service manager's stopped machd) bootstrap calls fail with MACH_SEND_INVALID_DEST and say why
// once on stderr; MACH_BOOTSTRAP=private (or openmig_bootstrap_private()) is the in-process name
// service, with no machd at all.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <mach/mach.h>
#include <mach/openmig_bootstrap.h>
#include <servers/bootstrap.h>

#include "wire/machd_path.h"

static const char *self_path;
#define NAME "org.openmig.test.default"

// ---- child modes: what a program does with bootstrap_port, whatever the runtime chose ----

// Checks NAME in, says "ready", then waits on the port until killed.
static int child_server(void) {
    mach_port_t receive = MACH_PORT_NULL;
    kern_return_t kr = bootstrap_check_in(bootstrap_port, NAME, &receive);
    if (kr != KERN_SUCCESS) {
        fprintf(stderr, "bootstrap_check_in: %#x\n", kr);
        return 10;
    }
    puts("ready");
    fflush(stdout);
    for (;;)
        pause();
}

// Looks NAME up (another process checked it in).
static int child_client(void) {
    mach_port_t send = MACH_PORT_NULL;
    kern_return_t kr = bootstrap_look_up(bootstrap_port, NAME, &send);
    if (kr != KERN_SUCCESS) {
        fprintf(stderr, "bootstrap_look_up: %#x\n", kr);
        return 11;
    }
    return 0;
}

// Two calls: prints both codes (the reason is said once).
static int child_twice(void) {
    mach_port_t p = MACH_PORT_NULL;
    kern_return_t a = bootstrap_check_in(bootstrap_port, NAME, &p);
    kern_return_t b = bootstrap_look_up(bootstrap_port, NAME, &p);
    printf("%#x %#x\n", a, b);
    return 0;
}

// Check-in and look-up in one process.
static int child_alone(void) {
    mach_port_t receive = MACH_PORT_NULL, send = MACH_PORT_NULL;
    if (bootstrap_check_in(bootstrap_port, NAME, &receive) != KERN_SUCCESS)
        return 12;
    if (bootstrap_look_up(bootstrap_port, NAME, &send) != KERN_SUCCESS)
        return 13;
    return send == receive ? 0 : 14;
}

// The same after choosing the in-process service by a call, not the environment.
static int child_call(void) {
    if (openmig_bootstrap_private() != KERN_SUCCESS || openmig_bootstrap_private() != KERN_SUCCESS)
        return 15;
    mach_port_t bp = MACH_PORT_NULL;
    if (task_get_bootstrap_port(mach_task_self(), &bp) != KERN_SUCCESS || bp != bootstrap_port)
        return 16;
    return child_alone();
}

// ---- the test side ----

struct env {
    char dir[64];   // XDG_RUNTIME_DIR
    char path[108]; // the default socket path under it
    char err[128];  // the children's stderr
};

static void env_make(struct env *e) {
    snprintf(e->dir, sizeof e->dir, "/tmp/openmig-default-XXXXXX");
    assert_non_null(mkdtemp(e->dir));
    assert_int_equal(setenv("XDG_RUNTIME_DIR", e->dir, 1), 0);
    unsetenv("MACHD_SOCKET");
    unsetenv("MACHD_DISABLE");
    unsetenv("MACH_BOOTSTRAP");
    unsetenv("MACHD_NO_AUTOSTART");
    bool private_dir;
    assert_true(machd_socket_path(e->path, sizeof e->path, &private_dir));
    snprintf(e->err, sizeof e->err, "%s/stderr.txt", e->dir);
}

static void env_cleanup(struct env *e) {
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", e->dir);
    assert_int_equal(system(cmd), 0);
}

// Runs this program in child mode with extra "NAME=VALUE" settings (NULL-terminated), stderr
// appended to e->err and stdout to a pipe (*out_fd, when not NULL).
static pid_t spawn(const struct env *e, const char *mode, const char *const envs[], int *out_fd) {
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int fd = open(e->err, O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (fd < 0)
            _exit(126);
        dup2(fd, STDERR_FILENO);
        dup2(p[1], STDOUT_FILENO);
        close(p[0]);
        for (size_t i = 0; envs && envs[i]; i++)
            putenv((char *)envs[i]);
        execl(self_path, self_path, "child", mode, (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    if (out_fd)
        *out_fd = p[0];
    else
        close(p[0]);
    return pid;
}

static int wait_status(pid_t pid) {
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void read_line(int fd, char *line, size_t cap) {
    struct pollfd pfd = {fd, POLLIN, 0};
    assert_int_equal(poll(&pfd, 1, 20000), 1);
    ssize_t n = read(fd, line, cap - 1);
    assert_true(n > 0);
    line[n] = '\0';
}

static char *slurp(const char *path) {
    static char text[4096];
    text[0] = '\0';
    FILE *f = fopen(path, "r");
    if (f) {
        size_t n = fread(text, 1, sizeof text - 1, f);
        text[n] = '\0';
        fclose(f);
    }
    return text;
}

// The pid of the machd serving path: the process whose command line is machd's with
// "--socket path" (SO_PEERCRED would name the process that called listen(), which a --daemon
// machd left behind when it detached). -1 when there is none.
static pid_t daemon_pid(const char *path) {
    DIR *d = opendir("/proc");
    assert_non_null(d);
    pid_t found = -1;
    for (struct dirent *de; found < 0 && (de = readdir(d));) {
        char file[300], cmd[512];
        if (de->d_name[0] < '0' || de->d_name[0] > '9')
            continue;
        snprintf(file, sizeof file, "/proc/%s/cmdline", de->d_name);
        FILE *f = fopen(file, "r");
        if (!f)
            continue;
        size_t n = fread(cmd, 1, sizeof cmd - 1, f);
        fclose(f);
        cmd[n] = '\0';
        for (size_t i = 0; i + 1 < n; i++) // arguments separated by spaces
            if (cmd[i] == '\0')
                cmd[i] = ' ';
        char want[160];
        snprintf(want, sizeof want, "--daemon --socket %s", path);
        if (strstr(cmd, "machd") && strstr(cmd, want))
            found = (pid_t)atoi(de->d_name);
    }
    closedir(d);
    return found;
}

// A socket file nobody listens on (a machd that died), at the default path.
static void make_stale_socket(const struct env *e) {
    char sub[96];
    snprintf(sub, sizeof sub, "%s/machd", e->dir);
    assert_true(machd_private_dir(sub));
    int fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
    assert_true(fd >= 0);
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s", e->path);
    assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof addr), 0);
    close(fd);
}

static void two_processes_meet_with_no_setup(void **state) {
    (void)state;
    struct env e;
    env_make(&e);
    make_stale_socket(&e);
    // machd found on PATH, as an installed one is.
    static char path_env[4096];
    char bin[256];
    snprintf(bin, sizeof bin, "%s", MACHD_BIN);
    *strrchr(bin, '/') = '\0';
    snprintf(path_env, sizeof path_env, "PATH=%s:%s", bin, getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
    const char *const envs[] = {path_env, NULL};
    int out;
    pid_t server = spawn(&e, "server", envs, &out);
    char line[64];
    read_line(out, line, sizeof line);
    close(out);
    assert_memory_equal(line, "ready", 5);
    pid_t client = spawn(&e, "client", envs, NULL);
    int rc = wait_status(client);
    kill(server, SIGKILL);
    wait_status(server);
    // The machd they started, on demand, at the default path: stopped before anything is judged.
    pid_t machd = daemon_pid(e.path);
    bool stopped = machd > 0 && kill(machd, SIGTERM) == 0;
    for (int i = 0; stopped && i < 500 && kill(machd, 0) == 0; i++)
        nanosleep(&(struct timespec){0, 10000000}, NULL);
    if (rc != 0)
        fail_msg("the client did not find the server's name (exit %d): %s", rc, slurp(e.err));
    assert_string_equal(slurp(e.err), "");
    assert_true(stopped);
    assert_int_not_equal(kill(machd, 0), 0);
    env_cleanup(&e);
}

// Runs "twice" with envs: both calls fail with MACH_SEND_INVALID_DEST; stderr says `why` once.
static void expect_loud_failure(const char *const envs[], const char *why, void (*prepare)(const struct env *)) {
    struct env e;
    env_make(&e);
    if (prepare)
        prepare(&e);
    int out;
    pid_t pid = spawn(&e, "twice", envs, &out);
    char line[64];
    read_line(out, line, sizeof line);
    close(out);
    assert_int_equal(wait_status(pid), 0);
    char want[64];
    snprintf(want, sizeof want, "%#x %#x\n", MACH_SEND_INVALID_DEST, MACH_SEND_INVALID_DEST);
    assert_string_equal(line, want);
    const char *err = slurp(e.err);
    const char *first = strstr(err, "libmach: no bootstrap server: machd at ");
    if (!first || !strstr(err, why) || !strstr(err, "MACH_BOOTSTRAP=private"))
        fail_msg("stderr: %s", err);
    assert_null(strstr(first + 1, "libmach: no bootstrap server")); // once
    assert_non_null(strstr(err, e.path));
    env_cleanup(&e);
}

static void make_managed(const struct env *e) {
    char sub[96], managed[128];
    snprintf(sub, sizeof sub, "%s/machd", e->dir);
    assert_true(machd_private_dir(sub));
    snprintf(managed, sizeof managed, "%s.managed", e->path);
    int fd = open(managed, O_WRONLY | O_CREAT, 0600);
    assert_true(fd >= 0);
    close(fd);
}

static void unreachable_machd_fails_loudly(void **state) {
    (void)state;
    expect_loud_failure((const char *const[]){"MACHD_PATH=/nonexistent/machd", NULL},
                        "none could be started", NULL);
    expect_loud_failure((const char *const[]){"MACHD_NO_AUTOSTART=1", NULL}, "MACHD_NO_AUTOSTART=1", NULL);
    expect_loud_failure((const char *const[]){"MACHD_PATH=" MACHD_BIN, NULL}, "stopped on purpose", make_managed);
}

static void private_bootstrap_is_an_explicit_choice(void **state) {
    (void)state;
    struct env e;
    env_make(&e);
    const char *const envs[] = {"MACH_BOOTSTRAP=private", "MACHD_PATH=" MACHD_BIN, NULL};
    assert_int_equal(wait_status(spawn(&e, "alone", envs, NULL)), 0);
    assert_string_equal(slurp(e.err), "");
    struct stat st;
    assert_int_not_equal(stat(e.path, &st), 0); // no machd was started
    // Chosen by the program itself (openmig_bootstrap_private), with no machd to be found.
    const char *const none[] = {"MACHD_PATH=/nonexistent/machd", NULL};
    assert_int_equal(wait_status(spawn(&e, "call", none, NULL)), 0);
    assert_string_equal(slurp(e.err), "");
    env_cleanup(&e);
}

int main(int argc, char **argv) {
    if (argc > 2 && strcmp(argv[1], "child") == 0) {
        if (strcmp(argv[2], "server") == 0)
            return child_server();
        if (strcmp(argv[2], "client") == 0)
            return child_client();
        if (strcmp(argv[2], "twice") == 0)
            return child_twice();
        if (strcmp(argv[2], "alone") == 0)
            return child_alone();
        if (strcmp(argv[2], "call") == 0)
            return child_call();
        return 2;
    }
    self_path = argv[0];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(two_processes_meet_with_no_setup),
        cmocka_unit_test(unreachable_machd_fails_loudly),
        cmocka_unit_test(private_bootstrap_is_an_explicit_choice),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
