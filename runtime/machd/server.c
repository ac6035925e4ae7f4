/* machd server: the event loop. Accept, identify (SO_PEERCRED + SO_PEERPIDFD), read datagrams
 * and hand them to dispatch.c; non-blocking output queues per task (the broker's hooks); death on
 * EOF, HUP or pidfd; clean stop. */
#include "server_conn.h"
#include "limits.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "broker.h"
#include "log.h"
#include "peer_groups.h"
#include "wire/fd_closer.h"
#include "wire/machd_proto.h"
#include "wire/machd_spill.h"

#include <mach/kern_return.h>

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77 /* Linux >= 6.5 */
#endif

/* Bytes machd queues towards one task before refusing more messages for it (the sender gets
 * MACH_SEND_NO_BUFFER before anything is taken) and before it stops reading the task's own
 * requests until the task has read its answers: what is queued is never dropped. */
#define CONN_OUT_LIMIT (8u * 1024u * 1024u)
/* How long a clean stop (SIGTERM, SIGINT) goes on writing what machd had accepted to tasks that
 * are still reading, before it gives up on them. */
#define DRAIN_MS 10000
/* While the kernel refuses to pass more descriptors (ETOOMANYREFS: too many in flight), queued
 * spilled messages are retried this often. */
#define FD_RETRY_MS 10
/* Spilled messages (each holding a memfd) machd queues towards one task, and towards all tasks
 * together. Past the soft limits a sender's spilled message is still taken (its mach_msg said
 * success: it must be delivered) but the sender is not read again until the receiver's queue is
 * down to half: each sender puts at most one more there. Only past the hard limits (more senders
 * at once than that) is a message refused (MACH_SEND_NO_BUFFER): machd's descriptor table stays
 * bounded. */
#define CONN_OUT_FD_LIMIT 64u
#define SERVER_OUT_FD_LIMIT 4096u
#define CONN_OUT_FD_HARD 1024u
#define SERVER_OUT_FD_HARD 8192u
/* Datagrams read from one connection per readiness event. One: epoll (level-triggered) reports
 * the connection again if more are queued, and light traffic saves the recv that would only
 * return EAGAIN; a busy task cannot starve the others either way. */
#define CONN_READ_BUDGET 1
/* Datagrams read from a task that has exited before it is destroyed. */
#define CONN_DRAIN_BUDGET 4096

struct out_packet {
    struct out_packet *next;
    size_t len;
    int nfds; /* descriptors it carries: machd's own duplicates (a spilled payload's memfd, a
                 channel's descriptors) */
    int fds[MACHD_MAX_FDS_PER_PACKET];
    uint8_t data[];
};

/* Closes descriptors that came from tasks (received, counted for `owner`, or machd's duplicates
 * of them, FD_OWNER_NONE); any whose close could block go to the closer thread. Returns how many
 * went there. */
static int close_task_fds(struct machd_server *s, const int *fds, int n, uint32_t owner) {
    int queued = 0;
    for (int i = 0; i < n; i++)
        queued += fd_closer_close(s->closer, fds[i], owner);
    return queued;
}

/* The user of c's task, who is charged for the descriptors it brings (FD_OWNER_NONE before
 * HELLO). */
static uint32_t conn_owner(const struct conn *c) {
    return c->task ? broker_task_identity(c->task)->uid : FD_OWNER_NONE;
}

/* ---- output ---- */

static void watch_update(struct machd_server *s, struct conn *c);

/* Senders held back on receiver r's memfds are read again once r's queue is down to half its
 * soft limit, or r is gone (`gone`). */
static void release_fd_held(struct machd_server *s, struct conn *r, bool gone) {
    if (!s->fd_held)
        return;
    bool drained = gone || r->out_fds <= CONN_OUT_FD_LIMIT / 2;
    if (!drained)
        return;
    for (struct conn *c = s->conns; c; c = c->next)
        if (c->fd_wait_on == r) {
            c->fd_wait_on = NULL;
            s->fd_held--;
            watch_update(s, c);
        }
}

static void conn_kill(struct machd_server *s, struct conn *c, const char *why) {
    if (c->dead)
        return;
    c->dead = true;
    s->dead_count++;
    const struct machd_audit *id = c->task ? broker_task_identity(c->task) : NULL;
    /* A connection that never said HELLO (the runtime's "is machd there?" probe) is debug noise. */
    machd_log(c->greeted ? LOG_INFO : LOG_DEBUG, "task pid %u: %s", id ? id->pid : 0, why);
}

static void drop_output(struct machd_server *s, struct conn *c) {
    s->out_fds -= c->out_fds;
    while (c->out_head) {
        struct out_packet *p = c->out_head;
        c->out_head = p->next;
        close_task_fds(s, p->fds, p->nfds, FD_OWNER_NONE);
        s->io.other_calls += (uint64_t)p->nfds;
        free(p);
    }
    c->out_tail = NULL;
    c->out_bytes = 0;
    c->out_fds = 0;
    release_fd_held(s, c, true);
}

/* The task closed its end: what it sent before still counts (a task may exit right after its
 * last send), so it is destroyed at EOF, not now. */
static void peer_gone(struct machd_server *s, struct conn *c) {
    c->peer_gone = true;
    drop_output(s, c);
}

/* Whether machd reads c's requests now: not while c's answers pile up unread past the limit
 * (back-pressure: the task's sends wait in its socket), nor while machd drains to stop. */
static bool conn_wants_in(const struct machd_server *s, const struct conn *c) {
    return !s->draining && !c->held_back && !c->fd_wait_on && !c->closer_wait && c->out_bytes <= CONN_OUT_LIMIT &&
           c->out_fds <= CONN_OUT_FD_LIMIT;
}

static void watch_update(struct machd_server *s, struct conn *c) {
    bool want = c->out_head != NULL, in = conn_wants_in(s, c);
    if ((want == c->want_out && in == c->want_in) || c->dead)
        return;
    struct epoll_event ev = {.events = (in ? EPOLLIN : 0u) | EPOLLRDHUP | (want ? EPOLLOUT : 0u),
                             .data.ptr = &c->sock_watch};
    s->io.other_calls++;
    if (epoll_ctl(s->epoll_fd, EPOLL_CTL_MOD, c->fd, &ev) == 0) {
        c->want_out = want;
        c->want_in = in;
    }
}

/* One sendmsg on a task connection, counted. */
static ssize_t counted_send(struct machd_server *s, int sock, const uint8_t *bytes, size_t len, const int *fds,
                            int nfds) {
    ssize_t n = machd_send_with_fds(sock, bytes, len, fds, nfds, MSG_DONTWAIT);
    s->io.send_calls++;
    s->io.datagrams_out += n >= 0;
    return n;
}

/* Sends queued datagrams until the socket is full. */
static void conn_flush(struct machd_server *s, struct conn *c) {
    while (c->out_head && !c->dead) {
        struct out_packet *p = c->out_head;
        ssize_t n = counted_send(s, c->fd, p->data, p->len, p->fds, p->nfds);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            if (errno == ETOOMANYREFS) {
                /* Too many descriptors in flight for now: kept, and tried again shortly. */
                s->fd_retry = true;
                break;
            }
            peer_gone(s, c);
            break;
        }
        c->out_head = p->next;
        if (!c->out_head)
            c->out_tail = NULL;
        c->out_bytes -= p->len;
        if (p->nfds > 0) {
            close_task_fds(s, p->fds, p->nfds, FD_OWNER_NONE);
            s->io.other_calls += (uint64_t)p->nfds;
            c->out_fds--;
            s->out_fds--;
        }
        free(p);
    }
    release_fd_held(s, c, false);
    watch_update(s, c);
}

void server_conn_send_last(struct machd_server *s, struct conn *c, const uint8_t *bytes, size_t len,
                           const char *why) {
    if (len) {
        s->io.send_calls++;
        if (send(c->fd, bytes, len, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0)
            s->io.datagrams_out++;
    }
    conn_kill(s, c, why);
}

static bool hook_room(void *ctx, void *conn, size_t len) {
    (void)ctx;
    struct conn *c = conn;
    /* A departed task takes anything (and drops it): its senders must not see a full queue. */
    return !c->dead && (c->peer_gone || c->out_bytes + len <= CONN_OUT_LIMIT);
}

static bool hook_room_fd(void *ctx, void *conn) {
    struct machd_server *s = ctx;
    struct conn *c = conn;
    return !c->dead && (c->peer_gone || (c->out_fds < CONN_OUT_FD_HARD && s->out_fds < SERVER_OUT_FD_HARD));
}

/* Sends or queues one datagram with nfds descriptors (a spilled payload's memfd, a channel's
 * descriptors; none: nfds 0), which stay the caller's: a queued packet keeps its own duplicates. */
static void hook_send_fds(void *ctx, void *conn, const uint8_t *bytes, size_t len, const int *fds, int nfds) {
    struct machd_server *s = ctx;
    struct conn *c = conn;
    if (c->dead || c->peer_gone || nfds < 0 || nfds > MACHD_MAX_FDS_PER_PACKET)
        return;
    if (!c->out_head) {
        ssize_t n = counted_send(s, c->fd, bytes, len, fds, nfds);
        if (n >= 0)
            return;
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ETOOMANYREFS) {
            peer_gone(s, c);
            return;
        }
        if (errno == ETOOMANYREFS)
            s->fd_retry = true;
    }
    int own[MACHD_MAX_FDS_PER_PACKET], owned = 0;
    for (; owned < nfds; owned++) {
        own[owned] = fcntl(fds[owned], F_DUPFD_CLOEXEC, 0);
        s->io.other_calls++;
        if (own[owned] < 0)
            break;
    }
    if (owned < nfds) {
        /* Out of descriptors although the room for these was checked (machd's limit on queued
         * descriptors stays below RLIMIT_NOFILE): the task cannot be given what was accepted for
         * it, so it is cut off, and its rights are destroyed with their notifications. */
        close_task_fds(s, own, owned, FD_OWNER_NONE);
        conn_kill(s, c, "out of descriptors queueing a message with descriptors");
        return;
    }
    struct out_packet *p = malloc(sizeof *p + len);
    if (!p) {
        close_task_fds(s, own, owned, FD_OWNER_NONE);
        s->io.other_calls += (uint64_t)owned;
        conn_kill(s, c, "out of memory queueing output");
        return;
    }
    p->next = NULL;
    p->len = len;
    p->nfds = nfds;
    memcpy(p->fds, own, sizeof(int) * (size_t)nfds);
    if (nfds > 0) {
        c->out_fds++;
        s->out_fds++;
        if (c->out_fds > CONN_OUT_FD_LIMIT)
            s->fd_pressed = c; /* the sender of the datagram being handled waits (read_conn) */
    }
    memcpy(p->data, bytes, len);
    if (c->out_tail)
        c->out_tail->next = p;
    else
        c->out_head = p;
    c->out_tail = p;
    c->out_bytes += len;
    watch_update(s, c);
}

static void hook_send_fd(void *ctx, void *conn, const uint8_t *bytes, size_t len, int fd) {
    hook_send_fds(ctx, conn, bytes, len, &fd, fd >= 0 ? 1 : 0);
}

static void hook_send(void *ctx, void *conn, const uint8_t *bytes, size_t len) {
    hook_send_fds(ctx, conn, bytes, len, NULL, 0);
}

void server_conn_send(struct machd_server *s, struct conn *c, const uint8_t *bytes, size_t len) {
    hook_send_fds(s, c, bytes, len, NULL, 0);
}

static uint64_t hook_rss(void *ctx) {
    struct machd_server *s = ctx;
    s->io.other_calls += 4; /* stdio: openat, fstat, read, close */
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long size = 0, resident = 0;
    if (f) {
        if (fscanf(f, "%lu %lu", &size, &resident) != 2)
            resident = 0;
        fclose(f);
    }
    return (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE);
}

static uint64_t hook_now_ms(void *ctx) {
    (void)ctx;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* The broker holds a sender back (it ignored a full queue) or lets it go on. */
static void hook_pause(void *ctx, void *conn, bool paused) {
    struct conn *c = conn;
    c->held_back = paused;
    watch_update(ctx, c);
}

static void hook_close_fd(void *ctx, int fd) {
    struct machd_server *s = ctx;
    close_task_fds(s, &fd, 1, FD_OWNER_NONE);
}

static void hook_io_counts(void *ctx, struct machd_io_counts *out) {
    struct machd_server *s = ctx;
    *out = s->io;
}

/* The register group of a system machd: the task's supplementary groups (peer_groups.c). */
static bool hook_in_group(void *ctx, void *conn, uint32_t gid) {
    (void)ctx;
    struct conn *c = conn;
    return machd_peer_in_group((pid_t)broker_task_identity(c->task)->pid, c->pidfd, (gid_t)gid);
}

/* What is queued for a task (QUERY): bounded by CONN_OUT_LIMIT, so the walk is short. */
static void hook_queued(void *ctx, void *conn, uint32_t *datagrams, uint64_t *bytes) {
    (void)ctx;
    const struct conn *c = conn;
    *datagrams = 0;
    for (const struct out_packet *p = c->out_head; p; p = p->next)
        ++*datagrams;
    *bytes = c->out_bytes;
}

/* ---- connections ---- */

static void conn_reap(struct machd_server *s, struct conn *c) {
    if (c->fd_wait_on) {
        c->fd_wait_on = NULL;
        s->fd_held--;
    }
    if (c->task)
        broker_task_destroy(s->broker, c->task); /* may mark other connections dead */
    s->io.other_calls += c->pidfd >= 0 ? 4 : 2; /* epoll_ctl and close of each descriptor */
    epoll_ctl(s->epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    if (c->pidfd >= 0) {
        epoll_ctl(s->epoll_fd, EPOLL_CTL_DEL, c->pidfd, NULL);
        close(c->pidfd);
    }
    drop_output(s, c);
    if (c->prev)
        c->prev->next = c->next;
    else
        s->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    free(c);
}

/* Reaps the dead connections. One task's death can mark others dead (their queues or their
 * peers), so the list is walked again only while that happens: linear in the connections for a
 * storm of deaths, not quadratic. */
static void reap_dead(struct machd_server *s) {
    while (s->dead_count) {
        size_t before = s->dead_count;
        for (struct conn *c = s->conns, *next; c; c = next) {
            next = c->next;
            if (!c->dead)
                continue;
            s->dead_count--;
            conn_reap(s, c); /* may mark `next` dead: it is then reaped in this walk */
        }
        if (s->dead_count >= before)
            break; /* cannot happen: every dead connection on the list was reaped */
    }
}

/* The kernel's word on who is at the other end: credentials and a pidfd (a recycled pid can
 * never be mistaken for this process); the pidfd's inode is the task id. */
static bool peer_identity(int fd, struct machd_audit *id, int *pidfd) {
    struct ucred cred;
    socklen_t len = sizeof cred;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
        return false;
    int pfd = -1;
    len = sizeof pfd;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERPIDFD, &pfd, &len) != 0 || pfd < 0)
        return false;
    struct stat st;
    if (fstat(pfd, &st) != 0) {
        close(pfd);
        return false;
    }
    *id = (struct machd_audit){(uint32_t)cred.pid, (uint32_t)cred.uid, (uint32_t)cred.gid, (uint64_t)st.st_ino};
    *pidfd = pfd;
    return true;
}

static void accept_one(struct machd_server *s) {
    s->io.other_calls += 6; /* accept4, 2 getsockopt, fstat, 2 epoll_ctl (failures: fewer) */
    int fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
        if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
            machd_log(LOG_WARNING, "accept: %s", strerror(errno));
        return;
    }
    struct machd_audit id;
    int pidfd;
    if (!peer_identity(fd, &id, &pidfd)) {
        machd_log(LOG_WARNING, "refusing a connection: no peer credentials or pidfd (%s)", strerror(errno));
        close(fd);
        return;
    }
    uint32_t tasks = broker_uid_counts(s->broker, id.uid).tasks;
    if (tasks >= s->connections_per_uid) {
        /* Told why (ERROR, KERN_RESOURCE_SHORTAGE) instead of HELLO_REPLY, then closed. */
        machd_log(LOG_WARNING, "refusing a connection of pid %u uid %u: the uid has %u tasks connected (limit)",
                  id.pid, id.uid, tasks);
        struct machd_msg m = {.type = MACHD_ERROR, .u.error = {KERN_RESOURCE_SHORTAGE, MACHD_HELLO}};
        size_t len = machd_proto_encode(&m, s->in, sizeof s->in);
        if (len)
            (void)send(fd, s->in, len, MSG_DONTWAIT | MSG_NOSIGNAL);
        close(fd);
        close(pidfd);
        s->io.other_calls += 3;
        return;
    }
    struct conn *c = calloc(1, sizeof *c);
    if (c)
        c->task = broker_task_create(s->broker, &id, c);
    if (!c || !c->task) {
        free(c);
        close(fd);
        close(pidfd);
        machd_log(LOG_WARNING, "out of memory accepting a task");
        return;
    }
    c->fd = fd;
    c->pidfd = pidfd;
    c->sock_watch = (struct watch){WATCH_SOCKET, c};
    c->pid_watch = (struct watch){WATCH_PIDFD, c};
    c->next = s->conns;
    if (s->conns)
        s->conns->prev = c;
    s->conns = c;
    c->want_in = true;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.ptr = &c->sock_watch};
    struct epoll_event pev = {.events = EPOLLIN, .data.ptr = &c->pid_watch};
    if (epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, fd, &ev) != 0 ||
        epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, pidfd, &pev) != 0)
        conn_kill(s, c, "epoll_ctl failed");
    machd_log(LOG_DEBUG, "connection from pid %u uid %u (task id %llu)", id.pid, id.uid,
              (unsigned long long)id.task_id);
}

static void conn_readable(struct machd_server *s, struct conn *c, int budget) {
    for (int i = 0; i < budget && !c->dead; i++) {
        int fds[MACHD_MAX_FDS_PER_PACKET], nfds = 0;
        bool extra = false;
        ssize_t n = machd_recv_with_fds(c->fd, s->in, sizeof s->in, MSG_DONTWAIT | MSG_TRUNC, fds, &nfds, &extra);
        s->io.recv_calls++;
        s->io.datagrams_in += n > 0;
        s->io.other_calls += (uint64_t)nfds; /* their close below (extra ones: not counted) */
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return;
            if (errno == EINTR)
                continue;
            if (errno == ECONNRESET) {
                /* The task closed its end with replies still unread: Linux reports that once,
                 * then hands out the datagrams the task had sent before; read them. */
                peer_gone(s, c);
                continue;
            }
            conn_kill(s, c, "receive failed");
            return;
        }
        if (n == 0) {
            close_task_fds(s, fds, nfds, FD_OWNER_NONE);
            conn_kill(s, c, "disconnected");
            return;
        }
        bool was_greeted = c->greeted;
        s->fd_pressed = NULL;
        dispatch_datagram(s, c, (size_t)n, fds, nfds, extra);
        if (s->fd_pressed && s->fd_pressed != c && !c->fd_wait_on && !c->dead) {
            c->fd_wait_on = s->fd_pressed; /* it filled that task's memfd queue: wait */
            s->fd_held++;
            watch_update(s, c);
        }
        s->fd_pressed = NULL;
        if (!was_greeted && c->greeted) {
            const struct machd_audit *id = broker_task_identity(c->task);
            machd_log(LOG_INFO, "task pid %u uid %u connected (task id %llu)", id->pid, id->uid,
                      (unsigned long long)id->task_id);
        }
        /* The broker keeps none: queued output holds duplicates. A task that brings descriptors
         * whose close may block while the closer is behind waits until it catches up. */
        uint32_t owner = conn_owner(c);
        if (close_task_fds(s, fds, nfds, owner) > 0 && fd_closer_behind(s->closer, owner) && !c->dead) {
            c->closer_wait = true;
            watch_update(s, c);
        }
    }
}

/* The task is gone (its process exited, or it closed its end): what it sent before still
 * counts, since its mach_msg said success for each message. Read what is still queued in its
 * socket now, held back or not: a held-back sender (machd stopped reading it for a receiver's
 * sake) that exits may leave hundreds of messages there. Bounded by CONN_DRAIN_BUDGET; not while
 * machd drains to stop (it reads no new requests then). */
static void conn_last_words(struct machd_server *s, struct conn *c) {
    if (!c->dead && !s->draining)
        conn_readable(s, c, CONN_DRAIN_BUDGET);
}

/* The socket reports a hang-up and no data machd asked for: usually the process's exit, seen
 * before its pidfd. */
static void conn_hung_up(struct machd_server *s, struct conn *c) {
    conn_last_words(s, c);
    conn_kill(s, c, "hung up");
}

/* A user's descriptors waiting for the closer thread are down to half its backlog: that user's
 * tasks held back on it are read again. */
static void closer_caught_up(struct machd_server *s) {
    fd_closer_caught_up(s->closer);
    s->io.other_calls++;
    for (struct conn *c = s->conns; c; c = c->next)
        if (c->closer_wait && !fd_closer_behind(s->closer, conn_owner(c))) {
            c->closer_wait = false;
            watch_update(s, c);
        }
}

/* ---- listening socket ---- */

/* Whether a machd is accepting at path (a stale socket file refuses the connection). */
static bool someone_listens(const struct sockaddr_un *addr) {
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    bool live = connect(fd, (const struct sockaddr *)addr, sizeof *addr) == 0;
    close(fd);
    return live;
}

static int server_create(struct machd_server **out, int fd, const char *path, ino_t path_ino);

int machd_server_listen(struct machd_server **out, const char *path) {
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof addr.sun_path) {
        machd_log(LOG_ERR, "socket path too long: %s", path);
        return MACHD_EXIT_STARTUP;
    }
    strcpy(addr.sun_path, path);
    struct stat st;
    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            machd_log(LOG_ERR, "%s exists and is not a socket", path);
            return MACHD_EXIT_STARTUP;
        }
        if (someone_listens(&addr)) {
            machd_log(LOG_ERR, "another machd is already running at %s", path);
            return MACHD_EXIT_RUNNING;
        }
        unlink(path);
    }
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    mode_t old_mask = umask(077);
    int rc = fd < 0 ? -1 : bind(fd, (struct sockaddr *)&addr, sizeof addr);
    umask(old_mask);
    if (rc != 0 || listen(fd, 128) != 0 || lstat(path, &st) != 0) {
        int err = errno;
        /* Two machd racing for one path: the loser sees EADDRINUSE and a live winner. */
        bool lost_race = err == EADDRINUSE && someone_listens(&addr);
        machd_log(LOG_ERR, "cannot listen on %s: %s", path, strerror(err));
        if (fd >= 0)
            close(fd);
        return lost_race ? MACHD_EXIT_RUNNING : MACHD_EXIT_STARTUP;
    }
    return server_create(out, fd, path, st.st_ino);
}

int machd_server_listen_fd(struct machd_server **out, int fd, const char *path) {
    if (strlen(path) >= sizeof((struct machd_server *)0)->path) {
        machd_log(LOG_ERR, "socket path too long: %s", path);
        return MACHD_EXIT_STARTUP;
    }
    return server_create(out, fd, path, 0); /* inode 0: the file is not ours to remove */
}

/* The server around a listening socket (taken over, closed on failure). */
static int server_create(struct machd_server **out, int fd, const char *path, ino_t path_ino) {
    struct machd_server *s = calloc(1, sizeof *s);
    if (!s) {
        machd_log(LOG_ERR, "out of memory");
        close(fd);
        return MACHD_EXIT_STARTUP;
    }
    s->epoll_fd = s->signal_fd = -1;
    strcpy(s->path, path);
    s->listen_fd = fd;
    s->path_ino = path_ino;
    s->hooks = (struct broker_hooks){.send = hook_send, .room = hook_room, .rss_bytes = hook_rss,
                                     .send_fd = hook_send_fd, .send_fds = hook_send_fds,
                                     .room_fd = hook_room_fd, .now_ms = hook_now_ms, .io_counts = hook_io_counts,
                                     .pause = hook_pause, .queued = hook_queued, .in_group = hook_in_group,
                                     .close_fd = hook_close_fd};
    s->broker = broker_create(&s->hooks, s);
    s->connections_per_uid = machd_limits_default().connections_per_uid;
    if (!s->broker) {
        machd_server_destroy(s);
        return MACHD_EXIT_STARTUP;
    }
    *out = s;
    return MACHD_EXIT_OK;
}

/* A clean stop: no new tasks and no new requests; what machd accepted is still written to the
 * tasks that read it (a one-way message accepted is delivered, not dropped), until every queue is
 * empty or DRAIN_MS have passed. */
static void start_drain(struct machd_server *s) {
    s->draining = true;
    s->drain_deadline_ms = hook_now_ms(s) + DRAIN_MS;
    epoll_ctl(s->epoll_fd, EPOLL_CTL_DEL, s->listen_fd, NULL);
    s->io.other_calls++;
    for (struct conn *c = s->conns; c; c = c->next)
        watch_update(s, c);
}

/* Whether every live task has been given everything queued for it. */
static bool drained(const struct machd_server *s) {
    for (const struct conn *c = s->conns; c; c = c->next)
        if (!c->dead && !c->peer_gone && c->out_head)
            return false;
    return true;
}

void machd_server_set_limits(struct machd_server *s, const struct machd_limits *limits) {
    broker_set_limits(s->broker, &limits->broker);
    s->connections_per_uid = limits->connections_per_uid;
}

int machd_server_set_domains(struct machd_server *s, const struct broker_domains *domains) {
    broker_set_domains(s->broker, domains);
    /* Everyone may connect to the system domain's socket (its directory is root's, 0755). */
    if (domains->system && s->path_ino != 0 && chmod(s->path, 0666) != 0) {
        machd_log(LOG_ERR, "%s: %s", s->path, strerror(errno));
        return MACHD_EXIT_STARTUP;
    }
    return MACHD_EXIT_OK;
}

static bool add_watch(struct machd_server *s, int fd, struct watch *w) {
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = w};
    return epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, fd, &ev) == 0;
}

int machd_server_run(struct machd_server *s) {
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    s->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    s->signal_fd = signalfd(-1, &stop, SFD_NONBLOCK | SFD_CLOEXEC);
    s->listen_watch = (struct watch){WATCH_LISTEN, NULL};
    s->signal_watch = (struct watch){WATCH_SIGNAL, NULL};
    s->closer_watch = (struct watch){WATCH_CLOSER, NULL};
    /* The closer thread starts here, not with the server: a daemon forks in between. */
    int err = fd_closer_create(&s->closer);
    if (err) {
        machd_log(LOG_ERR, "cannot start the descriptor closer: %s", strerror(err));
        return MACHD_EXIT_STARTUP;
    }
    if (s->epoll_fd < 0 || s->signal_fd < 0 || !add_watch(s, s->listen_fd, &s->listen_watch) ||
        !add_watch(s, s->signal_fd, &s->signal_watch) ||
        !add_watch(s, fd_closer_wake_fd(s->closer), &s->closer_watch)) {
        machd_log(LOG_ERR, "cannot set up the event loop: %s", strerror(errno));
        return MACHD_EXIT_STARTUP;
    }
    machd_log(LOG_INFO, "listening on %s", s->path);
    struct epoll_event events[64];
    for (;;) {
        if (s->draining && (drained(s) || hook_now_ms(s) >= s->drain_deadline_ms))
            return MACHD_EXIT_OK;
        /* Senders waiting for queue room with a deadline bound the wait (flow.h), and so do
         * spilled messages waiting for the kernel to take more descriptors, and a drain. */
        int timeout = broker_next_timeout_ms(s->broker, hook_now_ms(s));
        if (s->fd_retry && (timeout < 0 || timeout > FD_RETRY_MS))
            timeout = FD_RETRY_MS;
        if (s->draining && (timeout < 0 || timeout > 100))
            timeout = 100;
        int n = epoll_wait(s->epoll_fd, events, 64, timeout);
        s->io.epoll_waits++;
        if (n < 0) {
            if (errno == EINTR)
                continue;
            machd_log(LOG_ERR, "epoll_wait: %s", strerror(errno));
            return MACHD_EXIT_STARTUP;
        }
        for (int i = 0; i < n; i++) {
            struct watch *w = events[i].data.ptr;
            struct conn *c = w->conn;
            switch (w->kind) {
            case WATCH_LISTEN:
                accept_one(s);
                break;
            case WATCH_SIGNAL: {
                struct signalfd_siginfo si;
                s->io.other_calls++;
                if (read(s->signal_fd, &si, sizeof si) == (ssize_t)sizeof si && !s->draining) {
                    machd_log(LOG_INFO, "signal %u: stopping", si.ssi_signo);
                    start_drain(s);
                }
                break;
            }
            case WATCH_SOCKET:
                if (c->dead)
                    break;
                if ((events[i].events & EPOLLIN) && c->want_in)
                    conn_readable(s, c, CONN_READ_BUDGET);
                if (events[i].events & EPOLLOUT)
                    conn_flush(s, c);
                if (!(events[i].events & EPOLLIN) && (events[i].events & (EPOLLHUP | EPOLLRDHUP | EPOLLERR)))
                    conn_hung_up(s, c);
                break;
            case WATCH_CLOSER:
                closer_caught_up(s);
                break;
            case WATCH_PIDFD:
                conn_last_words(s, c);
                conn_kill(s, c, "process exited");
                break;
            }
        }
        broker_expire(s->broker, hook_now_ms(s));
        if (s->fd_retry) {
            s->fd_retry = false;
            for (struct conn *c = s->conns; c; c = c->next)
                if (c->out_head && !c->dead)
                    conn_flush(s, c);
        }
        /* Reaping after the batch: events of this batch may still point at dead connections. */
        reap_dead(s);
    }
}

void machd_server_destroy(struct machd_server *s) {
    if (!s)
        return;
    for (struct conn *c = s->conns; c; c = c->next)
        conn_kill(s, c, "machd stopping");
    /* Tasks die one by one; nothing is sent to a dying connection. */
    reap_dead(s);
    broker_destroy(s->broker);
    fd_closer_destroy(s->closer);
    struct stat st;
    if (s->path_ino && lstat(s->path, &st) == 0 && st.st_ino == s->path_ino)
        unlink(s->path);
    if (s->listen_fd >= 0)
        close(s->listen_fd);
    if (s->epoll_fd >= 0)
        close(s->epoll_fd);
    if (s->signal_fd >= 0)
        close(s->signal_fd);
    free(s);
}
