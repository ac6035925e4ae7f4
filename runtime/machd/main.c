/* machd: command line, socket path, foreground or daemon mode, then the server loop until
 * SIGTERM/SIGINT (docs/machd.md, section 1). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "instance_lock.h"
#include "limits.h"
#include "log.h"
#include "server.h"
#include "wire/machd_path.h"

static void usage(FILE *to) {
    fputs("usage: machd [--socket PATH] [--foreground | --daemon] [--syslog] [--verbose]\n"
          "             [--limit NAME=N]... [--help]\n"
          "\n"
          "The broker for Mach IPC between processes (OpenMIG).\n"
          "\n"
          "  --socket PATH  listen on PATH; default $MACHD_SOCKET, else\n"
          "                 $XDG_RUNTIME_DIR/machd/machd.sock, else /tmp/machd-<uid>/machd.sock\n"
          "  --foreground   stay attached and log to stderr (the default)\n"
          "  --daemon       detach once the socket is listening; log to syslog\n"
          "  --syslog       log to syslog even in the foreground\n"
          "  --verbose      also log connections and disconnections\n"
          "  --limit NAME=N what tasks may make machd hold (docs/security.md): entries-per-task\n"
          "                 (65536), entries-per-uid (1048576), names-per-task (512),\n"
          "                 names-per-uid (2048), waiters-per-task (1024), overshoot (256),\n"
          "                 connections-per-uid (256)\n"
          "  --help         print this help and exit\n"
          "\n"
          "Exit status: 0 stopped by SIGTERM/SIGINT (or daemon started), 1 usage error,\n"
          "2 startup failure, 3 another machd is already running at that path.\n",
          to);
}

struct options {
    const char *socket;
    bool daemon, use_syslog, verbose;
    struct machd_limits limits;
};

/* Returns -1 to go on, or an exit status. */
static int parse_options(int argc, char **argv, struct options *o) {
    static const struct option longopts[] = {
        {"socket", required_argument, NULL, 's'}, {"foreground", no_argument, NULL, 'f'},
        {"daemon", no_argument, NULL, 'd'},       {"syslog", no_argument, NULL, 'l'},
        {"verbose", no_argument, NULL, 'v'},      {"help", no_argument, NULL, 'h'},
        {"limit", required_argument, NULL, 'L'},
        {NULL, 0, NULL, 0},
    };
    int ch;
    char err[256];
    while ((ch = getopt_long(argc, argv, "s:fdlvhL:", longopts, NULL)) != -1) {
        switch (ch) {
        case 's': o->socket = optarg; break;
        case 'f': o->daemon = false; break;
        case 'd': o->daemon = true; break;
        case 'l': o->use_syslog = true; break;
        case 'v': o->verbose = true; break;
        case 'h': usage(stdout); return MACHD_EXIT_OK;
        case 'L':
            if (!machd_limits_set(&o->limits, optarg, err, sizeof err)) {
                fprintf(stderr, "machd: %s\n", err);
                return MACHD_EXIT_USAGE;
            }
            break;
        default: usage(stderr); return MACHD_EXIT_USAGE;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "machd: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return MACHD_EXIT_USAGE;
    }
    return -1;
}

/* Resolves the socket path and creates machd's private directory when it owns it. */
static bool resolve_path(const struct options *o, char *path, size_t cap) {
    bool private_dir = false;
    if (o->socket) {
        if ((size_t)snprintf(path, cap, "%s", o->socket) >= cap) {
            fprintf(stderr, "machd: socket path too long\n");
            return false;
        }
    } else if (!machd_socket_path(path, cap, &private_dir)) {
        fprintf(stderr, "machd: socket path too long\n");
        return false;
    }
    if (private_dir) {
        char dir[256];
        snprintf(dir, sizeof dir, "%s", path);
        if (!machd_private_dir(dirname(dir))) {
            fprintf(stderr, "machd: %s: %s (must be a directory of yours, mode 0700)\n", dir,
                    strerror(errno));
            return false;
        }
    }
    return true;
}

/* Double fork: the caller's process exits 0 only after the socket is already listening, so
 * whoever started machd can connect at once. Returns true in the daemon. */
static bool daemonize(void) {
    pid_t child = fork();
    if (child < 0) {
        perror("machd: fork");
        exit(MACHD_EXIT_STARTUP);
    }
    if (child > 0) {
        int status = 0;
        while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
        }
        _exit(WIFEXITED(status) ? WEXITSTATUS(status) : MACHD_EXIT_STARTUP);
    }
    setsid();
    pid_t grandchild = fork();
    if (grandchild != 0)
        _exit(grandchild < 0 ? MACHD_EXIT_STARTUP : MACHD_EXIT_OK);
    if (chdir("/") != 0) {
        /* Not fatal: the daemon only uses absolute paths. */
    }
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null >= 0) {
        dup2(null, STDIN_FILENO);
        dup2(null, STDOUT_FILENO);
        dup2(null, STDERR_FILENO);
        if (null > STDERR_FILENO)
            close(null);
    }
    return true;
}

int main(int argc, char **argv) {
    struct options o = {.limits = machd_limits_default()};
    int early = parse_options(argc, argv, &o);
    if (early >= 0)
        return early;
    char path[108];
    if (!resolve_path(&o, path, sizeof path))
        return MACHD_EXIT_STARTUP;
    machd_log_init(o.use_syslog, o.verbose);

    /* Block the stop signals before anything else: the loop reads them from a signalfd. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    sigprocmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    /* One machd per path: whoever holds the lock is running or about to. */
    struct machd_instance_lock lock;
    switch (machd_instance_lock(&lock, path)) {
    case MACHD_LOCK_TAKEN:
        break;
    case MACHD_LOCK_HELD_ELSEWHERE:
        machd_log(LOG_ERR, "another machd is already running at %s", path);
        return MACHD_EXIT_RUNNING;
    case MACHD_LOCK_UNAVAILABLE:
        machd_log(LOG_WARNING, "no instance lock %s: %s (racing starts are not excluded)", lock.path,
                  strerror(errno));
        break;
    }
    struct machd_server *server = NULL;
    int rc = machd_server_listen(&server, path);
    if (rc != MACHD_EXIT_OK) {
        machd_instance_unlock(&lock);
        return rc;
    }
    machd_server_set_limits(server, &o.limits);
    if (o.daemon) {
        daemonize();
        machd_log_init(true, o.verbose);
    }
    rc = machd_server_run(server);
    machd_server_destroy(server);
    machd_instance_unlock(&lock);
    return rc;
}
