/* The runtime's connection to machd: connect or start machd, HELLO, send and receive datagrams. */
#include "wire/machd_conn.h"
#include "wire/machd_spill.h"

#include <errno.h>
#include <libgen.h>
#include <poll.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "wire/machd_path.h"

#include <mach/kern_return.h>

extern char **environ;

static int connect_once(const char *path) {
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof addr.sun_path)
        return -ENAMETOOLONG;
    strcpy(addr.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        int err = errno;
        close(fd);
        return -err;
    }
    return fd;
}

/* Says once per process, on stderr, why the runtime will not talk to the daemon at path (once
 * for the user's machd, refuse, and once for the system domain's, refuse_system). */
static void say_refusal(int *said, const char *path, const char *why, va_list ap) {
    if (__atomic_exchange_n(said, 1, __ATOMIC_RELAXED))
        return;
    char text[256];
    vsnprintf(text, sizeof text, why, ap);
    fprintf(stderr, "libmach: not using machd at %s: %s\n", path, text);
}

__attribute__((format(printf, 2, 3))) static void refuse(const char *path, const char *why, ...) {
    static int said;
    va_list ap;
    va_start(ap, why);
    say_refusal(&said, path, why, ap);
    va_end(ap);
}

__attribute__((format(printf, 2, 3))) static void refuse_system(const char *path, const char *why, ...) {
    static int said;
    va_list ap;
    va_start(ap, why);
    say_refusal(&said, path, why, ap);
    va_end(ap);
}

/* The directory of the default socket must be the user's own, mode 0700: anyone who could create
 * or write it could put a daemon of theirs there. EACCES (said on stderr) when it is not; 0 when it
 * is or does not exist yet (machd creates it, checked again once connected). */
static int check_private_dir(const char *path) {
    char dir[108];
    snprintf(dir, sizeof dir, "%s", path);
    const char *d = dirname(dir);
    struct stat st;
    if (lstat(d, &st) != 0)
        return errno == ENOENT ? 0 : errno;
    if (!S_ISDIR(st.st_mode)) {
        refuse(path, "%s is not a directory", d);
        return EACCES;
    }
    if (st.st_uid != getuid()) {
        refuse(path, "its directory %s belongs to uid %lu, not to you (uid %lu)", d, (unsigned long)st.st_uid,
               (unsigned long)getuid());
        return EACCES;
    }
    if (st.st_mode & 077) {
        refuse(path, "its directory %s is open to other users (mode %04o; it must be 0700)", d,
               (unsigned)(st.st_mode & 0777));
        return EACCES;
    }
    return 0;
}

/* The system domain's socket (docs/machd.md 6): everyone reaches it, so only root may be able to
 * put a socket there: its directory must be a directory owned by root and not writable by group
 * or others. EACCES (said on stderr) otherwise. */
static int check_system_dir(const char *path) {
    char dir[108];
    snprintf(dir, sizeof dir, "%s", path);
    const char *d = dirname(dir);
    struct stat st;
    if (lstat(d, &st) != 0)
        return errno;
    if (!S_ISDIR(st.st_mode)) {
        refuse_system(path, "%s is not a directory (the system domain's socket must be in root's directory)", d);
        return EACCES;
    }
    if (st.st_uid != 0) {
        refuse_system(path, "its directory %s belongs to uid %lu, not to root (the system domain's must)", d,
               (unsigned long)st.st_uid);
        return EACCES;
    }
    if (st.st_mode & 022) {
        refuse_system(path, "its directory %s is writable by others (mode %04o; the system domain's must not be)", d,
               (unsigned)(st.st_mode & 0777));
        return EACCES;
    }
    return 0;
}

/* The kernel's word on who runs the daemon at the other end of fd: root, or (unless `system`:
 * the system domain's must be root's) the user. EACCES (said on stderr) otherwise. */
static int check_daemon(int fd, const char *path, bool system) {
    struct ucred cred;
    socklen_t len = sizeof cred;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
        return errno;
    if (cred.uid == 0 || (!system && cred.uid == getuid()))
        return 0;
    if (system)
        refuse_system(path, "the daemon runs as uid %lu, not root (the system domain's must)", (unsigned long)cred.uid);
    else
        refuse(path, "the daemon runs as uid %lu, neither you (uid %lu) nor root", (unsigned long)cred.uid,
               (unsigned long)getuid());
    return EACCES;
}

bool machd_conn_listening(const char *path) {
    int fd = connect_once(path);
    if (fd < 0)
        return false;
    close(fd);
    return true;
}

/* Runs `machd --daemon --socket path` and waits for it to report (0: listening, 3: another one
 * already is). */
static bool start_machd(const char *path) {
    const char *exe = getenv("MACHD_PATH");
    char *argv[] = {(char *)(exe && *exe ? exe : "machd"), "--daemon", "--socket", (char *)path, NULL};
    pid_t pid;
    int rc = exe && *exe ? posix_spawn(&pid, argv[0], NULL, NULL, argv, environ)
                         : posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ);
    if (rc != 0)
        return false;
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(status) && (WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == 3);
}

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

bool machd_conn_direct_wanted(void) {
    const char *v = getenv("MACHD_DIRECT");
    return !(v && strcmp(v, "0") == 0);
}

static int hello(struct machd_conn *c) {
    struct machd_msg *m = malloc(sizeof *m);
    uint8_t *buf = malloc(MACHD_MAX_PACKET);
    int err = m && buf ? 0 : ENOMEM;
    if (!err) {
        memset(m, 0, sizeof *m);
        m->type = MACHD_HELLO;
        m->u.hello.min_version = MACHD_PROTO_VERSION;
        m->u.hello.max_version = MACHD_PROTO_VERSION;
        m->u.hello.flags = machd_conn_direct_wanted() ? MACHD_HELLO_DIRECT : 0;
        err = machd_conn_send(c, m);
    }
    /* A refusal is an ERROR instead of HELLO_REPLY, and machd closes right after it: the HELLO
     * may fail (EPIPE), and Linux reports the reset once (EPIPE here) before it hands out the
     * datagram that was queued. Read it in each case. */
    if (!err || err == EPIPE) {
        int rerr = machd_conn_recv(c, buf, m, err ? 0 : 5000);
        if (rerr == EPIPE)
            rerr = machd_conn_recv(c, buf, m, 0);
        if (rerr == 0)
            err = 0;
        else if (!err)
            err = rerr;
    }
    if (!err && m->type == MACHD_ERROR)
        err = m->u.error.status == KERN_RESOURCE_SHORTAGE ? EUSERS : EPROTO;
    if (!err && (m->type != MACHD_HELLO_REPLY || m->u.hello_reply.version != MACHD_PROTO_VERSION))
        err = EPROTO;
    if (!err)
        c->self = (struct machd_audit){m->u.hello_reply.pid, m->u.hello_reply.uid,
                                       m->u.hello_reply.gid, m->u.hello_reply.task_id};
    free(m);
    free(buf);
    return err;
}

/* Connects to the system machd at path, authenticated (never started on demand). */
static int open_system(struct machd_conn *c, const char *path) {
    int err = check_system_dir(path);
    if (err)
        return err;
    int fd = connect_once(path);
    if (fd < 0)
        return fd == -ENOENT ? ECONNREFUSED : -fd;
    err = check_system_dir(path); /* again: the connection is to what is there now */
    if (!err)
        err = check_daemon(fd, path, true);
    if (err) {
        close(fd);
        return err;
    }
    *c = (struct machd_conn){.fd = fd, .next_seq = 1, .out = malloc(MACHD_MAX_PACKET)};
    err = c->out ? hello(c) : ENOMEM;
    if (err)
        machd_conn_close(c);
    else
        c->system = true;
    return err;
}

int machd_conn_open(struct machd_conn *c, const char *path, bool autostart) {
    char def[108];
    bool private_dir = false;
    const char *env = getenv("MACHD_SOCKET");
    /* The default: the system machd when one runs (it serves this user's domain too, and the
     * system domain behind it), else this user's own. A system socket that cannot be trusted
     * is refused (said on stderr), and the user's own machd serves. */
    if (!path && !(env && *env) && machd_system_socket_path(def, sizeof def)) {
        int err = open_system(c, def);
        if (err == 0)
            return 0;
        if (err == EUSERS)
            return err; /* it is there and serves this user: no second domain elsewhere */
    }
    if (!path) {
        if (!machd_socket_path(def, sizeof def, &private_dir))
            return ENAMETOOLONG;
        path = def;
    }
    const char *no_auto = getenv("MACHD_NO_AUTOSTART");
    if (no_auto && strcmp(no_auto, "1") == 0)
        autostart = false;
    bool default_path = path == def && private_dir; /* not $MACHD_SOCKET: its dir is the user's choice */
    int err = default_path ? check_private_dir(path) : 0;
    if (err)
        return err;
    int fd = connect_once(path);
    /* A path a service manager serves and nobody answers at: stopped on purpose. */
    if (fd < 0 && autostart && (fd == -ENOENT || fd == -ECONNREFUSED) && machd_socket_managed(path))
        return ESHUTDOWN;
    if (fd < 0 && autostart && (fd == -ENOENT || fd == -ECONNREFUSED) && start_machd(path)) {
        for (int waited = 0; fd < 0 && waited < 5000; waited += 20) {
            fd = connect_once(path);
            if (fd < 0)
                sleep_ms(20);
        }
    }
    if (fd < 0)
        return fd == -ENOENT ? ECONNREFUSED : -fd;
    err = default_path ? check_private_dir(path) : 0;
    if (!err)
        err = check_daemon(fd, path, false);
    if (err) {
        close(fd);
        return err;
    }
    *c = (struct machd_conn){.fd = fd, .next_seq = 1, .out = malloc(MACHD_MAX_PACKET)};
    err = c->out ? hello(c) : ENOMEM;
    if (err) {
        machd_conn_close(c);
        return err;
    }
    return 0;
}

/* Hands the descriptors of a received datagram to *out: the MACHD_CHANNEL_FDS of a CHANNEL; a
 * delivery's spilled memfd, then one per FILEPORT item. Returns false (every descriptor closed:
 * a protocol error) when a CHANNEL or a delivery with FILEPORT items did not come with exactly
 * the descriptors it announces; any other descriptor is closed (a spilled delivery then lacks
 * its memfd and is refused). */
static bool take_fds(struct machd_msg *out, const int *fds, int nfds, bool extra) {
    if (out->type == MACHD_CHANNEL) {
        if (nfds != MACHD_CHANNEL_FDS || extra) {
            machd_close_fds(fds, nfds);
            return false;
        }
        for (int i = 0; i < MACHD_CHANNEL_FDS; i++)
            out->u.channel.fds[i] = fds[i];
        return true;
    }
    struct machd_payload *p = out->type == MACHD_MSG_DELIVER ? &out->u.deliver.p : NULL;
    bool spilled = p && (p->msgh_bits & MACHD_PAYLOAD_SPILLED);
    uint32_t fileports = p ? p->fileport_count : 0;
    if (p && nfds == (int)fileports + spilled && !extra && nfds > 0) {
        if (spilled) {
            p->spill_fd = fds[0];
            p->fds_received = 1;
        }
        for (uint32_t i = 0; i < fileports; i++)
            p->fileport_fds[i] = fds[spilled + i];
        return true;
    }
    machd_close_fds(fds, nfds);
    return fileports == 0;
}

int machd_conn_send(struct machd_conn *c, struct machd_msg *m) {
    if (machd_proto_is_request(m->type)) {
        m->seq = c->next_seq++;
        if (c->next_seq == 0)
            c->next_seq = 1;
    }
    size_t len = machd_proto_encode(m, c->out, MACHD_MAX_PACKET);
    int fds[MACHD_MAX_FDS_PER_PACKET];
    int nfds = machd_msg_fds(m, fds, MACHD_MAX_FDS_PER_PACKET);
    if (len == 0 || nfds < 0)
        return EINVAL;
    for (;;) {
        __atomic_fetch_add(&c->send_calls, 1, __ATOMIC_RELAXED);
        ssize_t n = machd_send_with_fds(c->fd, c->out, len, fds, nfds, 0);
        if (n >= 0)
            return 0;
        if (errno != EINTR)
            return errno == ECONNRESET ? EPIPE : errno;
    }
}

int machd_conn_recv(struct machd_conn *c, uint8_t *buf, struct machd_msg *out, int timeout_ms) {
    struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
    for (;;) {
        /* Without a timeout a blocking recv is enough: one syscall per message, not two. */
        if (timeout_ms >= 0)
            __atomic_fetch_add(&c->recv_calls, 1, __ATOMIC_RELAXED);
        int rc = timeout_ms < 0 ? 1 : poll(&pfd, 1, timeout_ms);
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc == 0)
            return ETIMEDOUT;
        if (rc < 0)
            return errno;
        __atomic_fetch_add(&c->recv_calls, 1, __ATOMIC_RELAXED);
        int fds[MACHD_MAX_FDS_PER_PACKET], nfds = 0;
        bool extra = false;
        ssize_t n = machd_recv_with_fds(c->fd, buf, MACHD_MAX_PACKET, MSG_TRUNC | (timeout_ms < 0 ? 0 : MSG_DONTWAIT),
                                        fds, &nfds, &extra);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n <= 0 || (size_t)n > MACHD_MAX_PACKET ||
            machd_proto_decode(buf, (size_t)n, out) != MACHD_DECODE_OK) {
            machd_close_fds(fds, nfds);
            return n <= 0 ? EPIPE : EPROTO;
        }
        return take_fds(out, fds, nfds, extra) ? 0 : EPROTO;
    }
}

void machd_conn_close(struct machd_conn *c) {
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    free(c->out);
    c->out = NULL;
}
