// The runtime authenticates machd before it says anything to it (docs/security.md): at the default
// socket path the directory must be the user's own with mode 0700, and at any path the daemon's
// uid, as the kernel reports it (SO_PEERCRED), must be the user's or root's. Each case puts a
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

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(directory_open_to_others_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(private_directory_of_our_own_is_used, setup, teardown),
        cmocka_unit_test_setup_teardown(directory_of_another_user_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(daemon_of_another_user_is_refused, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
