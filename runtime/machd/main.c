/* machd: command line, socket path (or the socket systemd passed: LISTEN_FDS), foreground or
 * daemon mode, logging, then the server loop until SIGTERM/SIGINT (docs/machd.md, section 1). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <libgen.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "broker.h"
#include "instance_lock.h"
#include "limits.h"
#include "log.h"
#include "server.h"
#include "wire/machd_path.h"

#ifndef OPENMIG_VERSION
#define OPENMIG_VERSION "unknown"
#endif

static void usage(FILE *to) {
    fputs("usage: machd [--socket PATH] [--system [--register-group NAME]] [--foreground | --daemon]\n"
          "             [--syslog] [--log-level LEVEL] [--verbose] [--limit NAME=N]...\n"
          "             [--version] [--help]\n"
          "\n"
          "The broker for Mach IPC between processes (OpenMIG).\n"
          "\n"
          "  --socket PATH  listen on PATH; default $MACHD_SOCKET, else\n"
          "                 $XDG_RUNTIME_DIR/machd/machd.sock, else /tmp/machd-<uid>/machd.sock\n"
          "                 (its directory: yours, mode 0700, created if missing);\n"
          "                 a socket passed by systemd (LISTEN_FDS) is used instead\n"
          "  --system       serve the system bootstrap domain and a domain per user (as root);\n"
          "                 default socket $MACHD_SYSTEM_SOCKET, else /run/machd/system (its\n"
          "                 directory: root's, not writable by others, mode 0755 if created)\n"
          "  --register-group NAME  with --system: members of group NAME may also bind\n"
          "                 names in the system domain (else only root)\n"
          "  --foreground   stay attached and log to stderr (the default)\n"
          "  --daemon       detach once the socket is listening; log to syslog\n"
          "  --syslog       log to syslog even in the foreground (stderr when there is none)\n"
          "  --log-level LEVEL  error, warning, notice (the default), info or debug\n"
          "  --verbose      --log-level info: also log tasks connecting and leaving\n"
          "  --limit NAME=N what tasks may make machd hold (docs/security.md): entries-per-task\n"
          "                 (65536), entries-per-uid (1048576), names-per-task (512),\n"
          "                 names-per-uid (2048), waiters-per-task (1024), overshoot (256),\n"
          "                 connections-per-uid (256), channels-per-task (1024),\n"
          "                 fileports-per-task (256), fileports-per-uid (1024),\n"
          "                 claims-per-task (256)\n"
          "  --version      print the version and exit\n"
          "  --help         print this help and exit\n"
          "\n"
          "Exit status: 0 stopped by SIGTERM/SIGINT (or daemon started), 1 usage error,\n"
          "2 startup failure, 3 another machd is already running at that path.\n",
          to);
}

struct options {
    const char *socket;
    const char *register_group;
    struct broker_domains domains;
    bool daemon, use_syslog;
    int log_level;
    struct machd_limits limits;
};

/* Returns -1 to go on, or an exit status. */
static int parse_options(int argc, char **argv, struct options *o) {
    static const struct option longopts[] = {
        {"socket", required_argument, NULL, 's'}, {"foreground", no_argument, NULL, 'f'},
        {"daemon", no_argument, NULL, 'd'},       {"syslog", no_argument, NULL, 'l'},
        {"verbose", no_argument, NULL, 'v'},      {"help", no_argument, NULL, 'h'},
        {"limit", required_argument, NULL, 'L'},
        {"log-level", required_argument, NULL, 'G'}, {"version", no_argument, NULL, 'V'},
        {"system", no_argument, NULL, 'S'},       {"register-group", required_argument, NULL, 'g'},
        {NULL, 0, NULL, 0},
    };
    int ch;
    char err[256];
    o->log_level = LOG_NOTICE;
    while ((ch = getopt_long(argc, argv, "s:fdlvhL:", longopts, NULL)) != -1) {
        switch (ch) {
        case 's': o->socket = optarg; break;
        case 'f': o->daemon = false; break;
        case 'd': o->daemon = true; break;
        case 'l': o->use_syslog = true; break;
        case 'v': o->log_level = LOG_INFO; break;
        case 'G':
            o->log_level = machd_log_level_parse(optarg);
            if (o->log_level < 0) {
                fprintf(stderr, "machd: unknown log level '%s' (error, warning, notice, info, debug)\n", optarg);
                return MACHD_EXIT_USAGE;
            }
            break;
        case 'V': printf("machd (OpenMIG) %s\n", OPENMIG_VERSION); return MACHD_EXIT_OK;
        case 'S': o->domains.system = true; break;
        case 'g': o->register_group = optarg; break;
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
    if (o->register_group) {
        if (!o->domains.system) {
            fprintf(stderr, "machd: --register-group needs --system\n");
            return MACHD_EXIT_USAGE;
        }
        struct group *g = getgrnam(o->register_group);
        if (!g) {
            fprintf(stderr, "machd: --register-group %s: no such group\n", o->register_group);
            return MACHD_EXIT_USAGE;
        }
        o->domains.has_group = true;
        o->domains.register_gid = (uint32_t)g->gr_gid;
    }
    return -1;
}

/* Resolves the socket path and creates machd's private directory. The same rule for every path
 * (--socket, $MACHD_SOCKET, the default): its directory must be the user's, mode 0700, so that
 * no one else can connect or put a socket of theirs in its place. */
static bool resolve_path(const struct options *o, char *path, size_t cap) {
    bool private_dir = false;
    if (o->socket) {
        if ((size_t)snprintf(path, cap, "%s", o->socket) >= cap) {
            machd_log(LOG_ERR, "socket path too long: %s", o->socket);
            return false;
        }
    } else if (o->domains.system ? !machd_system_socket_path(path, cap) : !machd_socket_path(path, cap, &private_dir)) {
        machd_log(LOG_ERR, "socket path too long (or MACHD_SYSTEM_SOCKET empty)");
        return false;
    }
    char dir[256];
    snprintf(dir, sizeof dir, "%s", path);
    if (o->domains.system) { /* everyone connects; nobody but root may put a socket there */
        if (!machd_system_dir(dirname(dir))) {
            machd_log(LOG_ERR, "%s: %s (the system socket's directory must be root's, not writable by others)",
                      dir, strerror(errno));
            return false;
        }
        return true;
    }
    if (!machd_private_dir(dirname(dir))) {
        machd_log(LOG_ERR, "%s: %s (the socket's directory must be yours, mode 0700)", dir, strerror(errno));
        return false;
    }
    return true;
}

/* Socket activation (sd_listen_fds(3), by hand): systemd passes listening sockets from fd 3 on
 * with LISTEN_PID (ours) and LISTEN_FDS (how many). machd takes exactly one SOCK_SEQPACKET Unix
 * socket. Returns the fd, -1 when none was passed, -2 (logged) when what was passed is unusable.
 * The variables are removed either way, so children do not inherit them. */
static int listen_fd_from_systemd(char *path, size_t cap) {
    const char *pid_s = getenv("LISTEN_PID"), *fds_s = getenv("LISTEN_FDS");
    char *end;
    int fd = -1;
    if (pid_s && fds_s) {
        unsigned long pid = strtoul(pid_s, &end, 10);
        bool ours = *pid_s && !*end && pid == (unsigned long)getpid();
        unsigned long n = strtoul(fds_s, &end, 10);
        if (ours && (!*fds_s || *end || n != 1)) {
            machd_log(LOG_ERR, "LISTEN_FDS=%s: machd takes exactly one socket", fds_s);
            fd = -2;
        } else if (ours) {
            fd = 3; /* SD_LISTEN_FDS_START */
        }
    }
    unsetenv("LISTEN_PID");
    unsetenv("LISTEN_FDS");
    unsetenv("LISTEN_FDNAMES");
    if (fd < 0)
        return fd;
    int type = 0, listening = 0;
    socklen_t len = sizeof type;
    struct sockaddr_un addr = {0};
    socklen_t alen = sizeof addr;
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_SEQPACKET ||
        (len = sizeof listening, getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len)) != 0 ||
        !listening || getsockname(fd, (struct sockaddr *)&addr, &alen) != 0 || addr.sun_family != AF_UNIX) {
        machd_log(LOG_ERR, "the socket passed in LISTEN_FDS is not a listening SOCK_SEQPACKET Unix socket");
        return -2;
    }
    if (alen <= offsetof(struct sockaddr_un, sun_path) || addr.sun_path[0] == '\0')
        snprintf(path, cap, "(unnamed socket)");
    else
        snprintf(path, cap, "%.*s", (int)(alen - offsetof(struct sockaddr_un, sun_path)), addr.sun_path);
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) {
        machd_log(LOG_ERR, "the socket passed in LISTEN_FDS: %s", strerror(errno));
        return -2;
    }
    return fd;
}

/* "<path>.managed" says a service manager serves this path (docs/machd.md, "Running as a
 * service"): a socket-activated machd writes it; a machd that binds its own socket removes it.
 * While it exists the runtime does not start machd on demand at that path. */
static void mark_managed(const char *path, bool managed) {
    char marker[128];
    if ((size_t)snprintf(marker, sizeof marker, "%s.managed", path) >= sizeof marker)
        return;
    if (!managed) {
        unlink(marker);
        return;
    }
    int fd = open(marker, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        machd_log(LOG_WARNING, "cannot write %s: %s", marker, strerror(errno));
        return;
    }
    static const char text[] = "socket-activated: machd is started by the service manager only\n";
    if (write(fd, text, sizeof text - 1) < 0) {
        /* The file's existence is what counts. */
    }
    close(fd);
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
    machd_log_init(o.use_syslog, o.log_level);
    if (o.domains.system && geteuid() != 0) {
        machd_log(LOG_ERR, "--system: the system domain is served by root (tasks trust no one else there)");
        return MACHD_EXIT_STARTUP;
    }
    char path[108];
    int inherited = listen_fd_from_systemd(path, sizeof path);
    if (inherited == -2)
        return MACHD_EXIT_STARTUP;
    if (inherited < 0 && !resolve_path(&o, path, sizeof path))
        return MACHD_EXIT_STARTUP;

    /* Block the stop signals before anything else: the loop reads them from a signalfd. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    sigprocmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);
    /* machd holds descriptors for its tasks (fileports, queued memfds, channels): as many as
     * the hard limit allows (the --limit fileports-* caps are what tasks may make it hold). */
    struct rlimit nofile;
    if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
        nofile.rlim_cur = nofile.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &nofile);
    }

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
    int rc = inherited >= 0 ? machd_server_listen_fd(&server, inherited, path) : machd_server_listen(&server, path);
    if (rc != MACHD_EXIT_OK) {
        machd_instance_unlock(&lock);
        return rc;
    }
    machd_server_set_limits(server, &o.limits);
    if (machd_server_set_domains(server, &o.domains) != MACHD_EXIT_OK) {
        machd_server_destroy(server);
        machd_instance_unlock(&lock);
        return MACHD_EXIT_STARTUP;
    }
    mark_managed(path, inherited >= 0);
    if (o.daemon) {
        daemonize();
        machd_log_init(true, o.log_level);
    }
    machd_log(LOG_NOTICE, "version %s, listening on %s%s%s", OPENMIG_VERSION, path,
              inherited >= 0 ? " (socket from the service manager)" : "",
              o.domains.system ? " (system domain)" : "");
    rc = machd_server_run(server);
    machd_server_destroy(server);
    machd_instance_unlock(&lock);
    machd_log(rc == MACHD_EXIT_OK ? LOG_NOTICE : LOG_ERR, "stopped (exit status %d)", rc);
    return rc;
}
