// The runtime authenticates machd before it says anything to it (docs/security.md): at the default
// socket path the directory must be the user's own with mode 0700, and at any path the daemon's
// uid, as the kernel reports it (SO_PEERCRED), must be the user's or root's; the system domain's
// socket must be in root's directory, not writable by others, with a daemon running as root. Each case puts a
// listening socket where the runtime looks and checks that machd_conn_open refuses it with
// EACCES. The cases that need another user (a directory owned by someone else, a daemon running
// as someone else) need root to make that user's files and process, and are skipped, saying so,
// when the test does not run as root.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "wire/machd_conn.h"

#define OTHER_UID 65534 /* nobody */

static char base[64];

static int setup(void **state) {
    (void)state;
    snprintf(base, sizeof base, "/tmp/openmig-trust-XXXXXX");
    assert_non_null(mkdtemp(base));
    assert_int_equal(chmod(base, 0755), 0); /* another user's daemon must reach its own socket */
    setenv("MACHD_NO_AUTOSTART", "1", 1);
    unsetenv("MACHD_SOCKET");
    return 0;
}

static int teardown(void **state) {
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", base);
    assert_int_equal(system(cmd), 0);
    return 0;
}

// A listening SOCK_SEQPACKET socket at path that closes each connection at once (the runtime
// must refuse before it gets as far as HELLO, or get EPIPE/EPROTO when it does not refuse).
static int listen_at(const char *path) {
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path);
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof addr), 0);
    assert_int_equal(chmod(path, 0777), 0);
    assert_int_equal(listen(fd, 8), 0);
    return fd;
}

// The default path under $XDG_RUNTIME_DIR, with its directory made with `mode`.
static void default_path_in(const char *xdg, mode_t mode, char *sock, size_t cap) {
    char dir[128];
    snprintf(dir, sizeof dir, "%s/machd", xdg);
    assert_int_equal(mkdir(xdg, 0755), 0);
    assert_int_equal(mkdir(dir, 0700), 0);
    assert_int_equal(chmod(dir, mode), 0);
    snprintf(sock, cap, "%s/machd.sock", dir);
    setenv("XDG_RUNTIME_DIR", xdg, 1);
}

static void directory_open_to_others_is_refused(void **state) {
    (void)state;
    char xdg[96], sock[160];
    snprintf(xdg, sizeof xdg, "%s/open", base);
    default_path_in(xdg, 0777, sock, sizeof sock);
    int lfd = listen_at(sock);
    struct machd_conn c;
    assert_int_equal(machd_conn_open(&c, NULL, false), EACCES);
    close(lfd);
}

static void private_directory_of_our_own_is_used(void **state) {
    (void)state;
    char xdg[96], sock[160];
    snprintf(xdg, sizeof xdg, "%s/mine", base);
    default_path_in(xdg, 0700, sock, sizeof sock);
    int lfd = listen_at(sock);
    // Past authentication: the fake daemon never answers HELLO, so the open fails later, and
    // for another reason than EACCES. Make it fail fast: accept and close in a child.
    pid_t pid = fork();
    if (pid == 0) {
        int c = accept(lfd, NULL, NULL);
        close(c);
        _exit(0);
    }
    struct machd_conn c;
    int err = machd_conn_open(&c, NULL, false);
    assert_int_not_equal(err, EACCES);
    assert_int_not_equal(err, 0);
    waitpid(pid, NULL, 0);
    close(lfd);
}

static void directory_of_another_user_is_refused(void **state) {
    (void)state;
    if (geteuid() != 0)
        skip(); // needs root to make a directory another user owns
    char xdg[96], sock[160], dir[128];
    snprintf(xdg, sizeof xdg, "%s/theirs", base);
    default_path_in(xdg, 0700, sock, sizeof sock);
    int lfd = listen_at(sock);
    snprintf(dir, sizeof dir, "%s/machd", xdg);
    assert_int_equal(chown(dir, OTHER_UID, OTHER_UID), 0);
    struct machd_conn c;
    assert_int_equal(machd_conn_open(&c, NULL, false), EACCES);
    close(lfd);
}

static void daemon_of_another_user_is_refused(void **state) {
    (void)state;
    if (geteuid() != 0)
        skip(); // needs root to run a process as another user
    char dir[64], sock[96];
    snprintf(dir, sizeof dir, "%.40s/other", base);
    assert_int_equal(mkdir(dir, 0777), 0);
    assert_int_equal(chmod(dir, 0777), 0);
    snprintf(sock, sizeof sock, "%s/machd.sock", dir);
    int ready[2];
    assert_int_equal(pipe(ready), 0);
    pid_t pid = fork();
    if (pid == 0) { // the impostor: another user listening where the runtime is pointed
        if (setgid(OTHER_UID) != 0 || setuid(OTHER_UID) != 0)
            _exit(3);
        struct sockaddr_un addr = {.sun_family = AF_UNIX};
        snprintf(addr.sun_path, sizeof addr.sun_path, "%s", sock);
        int fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
        if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 || chmod(sock, 0777) != 0 ||
            listen(fd, 8) != 0)
            _exit(4);
        if (write(ready[1], "r", 1) != 1)
            _exit(5);
        int c = accept(fd, NULL, NULL);
        pause();
        close(c);
        _exit(0);
    }
    char r;
    assert_int_equal(read(ready[0], &r, 1), 1);
    // Named explicitly (as with MACHD_SOCKET): no directory rule, but the daemon's uid counts.
    struct machd_conn c;
    assert_int_equal(machd_conn_open(&c, sock, false), EACCES);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    close(ready[0]);
    close(ready[1]);
}

// ---- the system domain's socket (docs/machd.md 6): root's directory, not writable by others,
// and a daemon running as root; anything else is refused, said on stderr, and the runtime goes
// on to the user's own machd (none here: ECONNREFUSED) ----

// A socket at <base>/<name>/system in a directory of `owner` with `mode`, listened on by a
// process of uid `daemon_uid` that accepts and holds each connection; its pid in *pid.
static void system_socket(const char *name, uid_t owner, mode_t mode, uid_t daemon_uid, char *sock, size_t cap,
                          pid_t *pid) {
    char dir[96];
    snprintf(dir, sizeof dir, "%.40s/%s", base, name);
    assert_int_equal(mkdir(dir, 0755), 0);
    snprintf(sock, cap, "%s/system", dir);
    int ready[2];
    assert_int_equal(pipe(ready), 0);
    *pid = fork();
    if (*pid == 0) { // binds as root in root's directory, listens as daemon_uid (SO_PEERCRED's)
        struct sockaddr_un addr = {.sun_family = AF_UNIX};
        snprintf(addr.sun_path, sizeof addr.sun_path, "%.100s", sock);
        int fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
        if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 || chmod(sock, 0666) != 0)
            _exit(4);
        if (daemon_uid != 0 && (setgid(daemon_uid) != 0 || setuid(daemon_uid) != 0))
            _exit(3);
        if (listen(fd, 8) != 0 || write(ready[1], "r", 1) != 1)
            _exit(5);
        for (;;)
            (void)accept(fd, NULL, NULL);
    }
    char r;
    assert_int_equal(read(ready[0], &r, 1), 1);
    close(ready[0]);
    close(ready[1]);
    assert_int_equal(chown(dir, owner, owner), 0);
    assert_int_equal(chmod(dir, mode), 0);
}

// machd_conn_open(NULL) in a child with MACHD_SYSTEM_SOCKET=sock and no machd of the user's:
// returns its result and what it said on stderr.
static int open_default_with_system(const char *sock, char *said, size_t cap) {
    char out[96];
    snprintf(out, sizeof out, "%.40s/stderr", base);
    pid_t pid = fork();
    if (pid == 0) {
        setenv("MACHD_SYSTEM_SOCKET", sock, 1);
        char xdg[96];
        snprintf(xdg, sizeof xdg, "%.40s/no-user-machd", base);
        setenv("XDG_RUNTIME_DIR", xdg, 1);
        if (!freopen(out, "w", stderr))
            _exit(100);
        struct machd_conn c;
        int err = machd_conn_open(&c, NULL, false);
        fflush(stderr);
        _exit(err);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    FILE *f = fopen(out, "r");
    assert_non_null(f);
    size_t n = fread(said, 1, cap - 1, f);
    said[n] = '\0';
    fclose(f);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void expect_system_refused(const char *name, uid_t owner, mode_t mode, uid_t daemon_uid, const char *why) {
    if (geteuid() != 0)
        skip(); // needs root to make root's directory and another user's daemon
    char sock[160], said[512];
    pid_t pid;
    system_socket(name, owner, mode, daemon_uid, sock, sizeof sock, &pid);
    int err = open_default_with_system(sock, said, sizeof said);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    print_message("%s", said);
    assert_int_equal(err, ECONNREFUSED); // not the system one, and no machd of the user's
    assert_non_null(strstr(said, "libmach: not using machd at "));
    assert_non_null(strstr(said, sock));
    assert_non_null(strstr(said, why));
}

static void system_socket_in_a_directory_of_another_user_is_refused(void **state) {
    (void)state;
    expect_system_refused("owner", OTHER_UID, 0755, 0, "belongs to uid 65534, not to root");
}

static void system_socket_in_a_directory_others_may_write_is_refused(void **state) {
    (void)state;
    expect_system_refused("mode", 0, 0777, 0, "is writable by others (mode 0777");
}

static void system_daemon_not_running_as_root_is_refused(void **state) {
    (void)state;
    expect_system_refused("daemon", 0, 0755, OTHER_UID, "the daemon runs as uid 65534, not root");
}

// MACHD_SYSTEM_SOCKET empty: there is no system domain; nothing is tried or said.
static void empty_system_socket_means_none(void **state) {
    (void)state;
    char said[256];
    assert_int_equal(open_default_with_system("", said, sizeof said), ECONNREFUSED);
    assert_string_equal(said, "");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(directory_open_to_others_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(private_directory_of_our_own_is_used, setup, teardown),
        cmocka_unit_test_setup_teardown(directory_of_another_user_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(daemon_of_another_user_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(system_socket_in_a_directory_of_another_user_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(system_socket_in_a_directory_others_may_write_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(system_daemon_not_running_as_root_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(empty_system_socket_means_none, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
