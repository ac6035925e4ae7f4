// A socket file left behind by a machd that died must not divert the bootstrap port: with no
// daemon listening at the default path, a process falls back to the in-process name service.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mach/mach.h>
#include <servers/bootstrap.h>

#include "wire/machd_path.h"

static const char *self_path;

// Child mode: check in a name and look it up through whatever bootstrap_port the runtime chose.
static int run_child(void) {
    mach_port_t receive = MACH_PORT_NULL, send = MACH_PORT_NULL;
    kern_return_t kr = bootstrap_check_in(bootstrap_port, "org.openmig.test.stale", &receive);
    if (kr != KERN_SUCCESS) {
        fprintf(stderr, "bootstrap_check_in: %d\n", kr);
        return 10;
    }
    kr = bootstrap_look_up(bootstrap_port, "org.openmig.test.stale", &send);
    if (kr != KERN_SUCCESS) {
        fprintf(stderr, "bootstrap_look_up: %d\n", kr);
        return 11;
    }
    return send == receive ? 0 : 12;
}

static void stale_default_socket_falls_back_to_in_process_bootstrap(void **state) {
    (void)state;
    char dir[] = "/tmp/openmig-stale-XXXXXX";
    assert_non_null(mkdtemp(dir));
    assert_int_equal(setenv("XDG_RUNTIME_DIR", dir, 1), 0);
    assert_int_equal(unsetenv("MACHD_SOCKET"), 0);
    assert_int_equal(unsetenv("MACHD_DISABLE"), 0);

    char path[108], sub[128];
    bool private_dir;
    assert_true(machd_socket_path(path, sizeof path, &private_dir));
    snprintf(sub, sizeof sub, "%s/machd", dir);
    assert_true(machd_private_dir(sub));

    // Bound, never listening, then closed: the file stays and connect() is refused.
    int fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
    assert_true(fd >= 0);
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    memcpy(addr.sun_path, path, strlen(path) + 1);
    assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof addr), 0);
    close(fd);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_true(S_ISSOCK(st.st_mode));

    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        execl(self_path, self_path, "child", (char *)NULL);
        _exit(127);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);

    unlink(path);
    rmdir(sub);
    rmdir(dir);
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "child") == 0)
        return run_child();
    self_path = argv[0];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(stale_default_socket_falls_back_to_in_process_bootstrap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
