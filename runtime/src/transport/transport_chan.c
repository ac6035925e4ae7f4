/* Direct channels, the table (docs/machd.md 9.3): opening the channels machd announces, dropping
 * them, and the reader's wait on machd's socket and every channel at once (one epoll set: the
 * socket, a nudge eventfd, each channel's doorbell eventfd and its socketpair end, whose hang-up
 * says the peer is gone). IPC lock held unless stated. */
#include "transport/transport_chan.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "transport/transport_machd_internal.h"

/* How long a channel whose peer hung up waits for tickets still on their way through machd. */
#define HUP_GRACE_MS 1000

/* Events the reader saw in chan_wait, handled under the lock in chan_poll_all. */
#define MAX_EVENTS 64

static struct {
    struct chan *list;
    unsigned count;          /* (atomic) channels open */
    int epfd, nudge_fd;      /* -1 until the first channel */
    int machd_fd;            /* registered in epfd, or -1 */
    uint32_t hup[MAX_EVENTS];/* channels whose peer hung up (the reader only) */
    unsigned nhup;
    bool hup_overflow;
    bool hup_pending;        /* a channel whose peer hung up waits for tickets */
    bool backlog_pending;    /* a channel has a backlog waiting for ring room */
    struct chan *zombies;    /* dropped channels whose memory is not released yet (chan_reap) */
} C = {.epfd = -1, .nudge_fd = -1, .machd_fd = -1};

struct chan_stats chan_stats;

void chan_stat_add(unsigned long *counter) { __atomic_add_fetch(counter, 1, __ATOMIC_RELAXED); }

void chan_stats_get(struct chan_stats *out) {
    out->sent = __atomic_load_n(&chan_stats.sent, __ATOMIC_RELAXED);
    out->received = __atomic_load_n(&chan_stats.received, __ATOMIC_RELAXED);
    out->tickets = __atomic_load_n(&chan_stats.tickets, __ATOMIC_RELAXED);
    out->doorbells = __atomic_load_n(&chan_stats.doorbells, __ATOMIC_RELAXED);
    out->credit_waits = __atomic_load_n(&chan_stats.credit_waits, __ATOMIC_RELAXED);
    out->credit_wakes = __atomic_load_n(&chan_stats.credit_wakes, __ATOMIC_RELAXED);
    out->ool_records = __atomic_load_n(&chan_stats.ool_records, __ATOMIC_RELAXED);
    out->ool_move_fallbacks = __atomic_load_n(&chan_stats.ool_move_fallbacks, __ATOMIC_RELAXED);
    out->claims = __atomic_load_n(&chan_stats.claims, __ATOMIC_RELAXED);
    out->grants = __atomic_load_n(&chan_stats.grants, __ATOMIC_RELAXED);
}

bool chan_enabled(void) {
    static int enabled = -1;
    int e = __atomic_load_n(&enabled, __ATOMIC_RELAXED);
    if (e < 0) {
        const char *v = getenv("MACHD_DIRECT");
        e = !(v && strcmp(v, "0") == 0);
        __atomic_store_n(&enabled, e, __ATOMIC_RELAXED);
    }
    return e;
}

unsigned chan_count(void) { return __atomic_load_n(&C.count, __ATOMIC_ACQUIRE); }

struct chan *chan_find(uint32_t id) {
    for (struct chan *c = C.list; c; c = c->next)
        if (c->id == id)
            return c->dropped ? NULL : c;
    return NULL;
}

static void close_fd(int *fd) {
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

/* The epoll set, made with the first channel. */
static bool ensure_epoll(void) {
    if (C.epfd >= 0)
        return true;
    C.epfd = epoll_create1(EPOLL_CLOEXEC);
    C.nudge_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.u64 = 0};
    if (C.epfd < 0 || C.nudge_fd < 0 || epoll_ctl(C.epfd, EPOLL_CTL_ADD, C.nudge_fd, &ev) != 0) {
        close_fd(&C.epfd);
        close_fd(&C.nudge_fd);
        return false;
    }
    return true;
}

/* Checks that fd is a sealed memfd of the channel's size (a peer cannot shrink it under us). */
static bool memory_fits(int fd) {
    struct stat st;
    int seals = fcntl(fd, F_GET_SEALS);
    return fstat(fd, &st) == 0 && st.st_size == (off_t)CHAN_SHARED_SIZE && seals >= 0 &&
           (seals & (F_SEAL_SHRINK | F_SEAL_GROW)) == (F_SEAL_SHRINK | F_SEAL_GROW);
}

/* epoll data: channel id << 1 | 1 for the hang-up end, | 0 for the doorbell; 0 is the nudge;
 * UINT64_MAX machd's socket. */
static bool watch(struct chan *c) {
    struct epoll_event bell = {.events = EPOLLIN | EPOLLET, .data.u64 = (uint64_t)c->id << 1};
    struct epoll_event hup = {.events = EPOLLRDHUP | EPOLLET, .data.u64 = (uint64_t)c->id << 1 | 1};
    return epoll_ctl(C.epfd, EPOLL_CTL_ADD, c->wake_me, &bell) == 0 &&
           epoll_ctl(C.epfd, EPOLL_CTL_ADD, c->link, &hup) == 0;
}

void chan_open(const struct machd_msg *m) {
    int fds[MACHD_CHANNEL_FDS];
    memcpy(fds, m->u.channel.fds, sizeof fds);
    struct chan *c = NULL;
    void *map = MAP_FAILED;
    bool ok = chan_enabled() && m->u.channel.channel != 0 && m->u.channel.side <= 1 &&
              !chan_find(m->u.channel.channel) && ensure_epoll();
    for (int i = 0; ok && i < MACHD_CHANNEL_FDS; i++)
        ok = fds[i] >= 0;
    if (ok)
        ok = memory_fits(fds[MACHD_CHANNEL_FD_MEMORY]);
    if (ok)
        map = mmap(NULL, CHAN_SHARED_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fds[MACHD_CHANNEL_FD_MEMORY], 0);
    if (map != MAP_FAILED)
        c = calloc(1, sizeof *c);
    if (c) {
        c->id = m->u.channel.channel;
        c->map = map;
        c->wake_me = fds[MACHD_CHANNEL_FD_WAKE_ME];
        c->wake_peer = fds[MACHD_CHANNEL_FD_WAKE_PEER];
        c->link = fds[MACHD_CHANNEL_FD_LINK];
        c->peer = m->u.channel.peer;
        chan_end_init(&c->end, map, m->u.channel.side);
        handle_map_init(&c->proxies);
        if (!watch(c)) {
            handle_map_fini(&c->proxies);
            free(c);
            c = NULL;
        }
    }
    if (!c) {
        if (map != MAP_FAILED)
            munmap(map, CHAN_SHARED_SIZE);
        for (int i = 0; i < MACHD_CHANNEL_FDS; i++)
            if (fds[i] >= 0)
                close(fds[i]);
        return;
    }
    close(fds[MACHD_CHANNEL_FD_MEMORY]); /* the mapping stays */
    c->next = C.list;
    C.list = c;
    __atomic_add_fetch(&C.count, 1, __ATOMIC_RELEASE);
}

/* Our reply ports the peer held (tokens): each becomes a send-once notification, as when a
 * task holding send-once rights dies. */
static void fire_tokens(struct chan *c) {
    for (uint32_t i = 0; i < c->tokens_cap; i++) {
        struct ipc_port *port = c->tokens[i];
        c->tokens[i] = NULL;
        if (port)
            port_destroy_send_once(port);
    }
    free(c->tokens);
    c->tokens = NULL;
    c->tokens_cap = c->ntokens = 0;
}

/* The peer's reply rights we hold become dead names. */
static void kill_proxies(struct chan *c) {
    handle_map_walk_begin(&c->proxies); /* ended by handle_map_fini: no slot moves meanwhile */
    for (size_t i = 0; i < c->proxies.cap; i++) {
        struct ipc_port *proxy = c->proxies.values[i];
        if (!proxy)
            continue;
        transport_proxy_dead(proxy);
        port_release(proxy); /* the map's reference */
    }
    handle_map_fini(&c->proxies);
}

static void free_tickets(struct chan *c) {
    for (struct chan_ticket *t = c->tickets, *n; t; t = n) {
        n = t->next;
        kmsg_destroy(t->kmsg);
        free(t);
    }
    c->tickets = c->tickets_tail = NULL;
    c->ntickets = 0;
}

/* Forgets the sender-side routes of links that used c (they relay from now on). */
static void forget_sender_routes(struct chan *c) {
    handle_map_walk_begin(&T.links);
    for (size_t i = 0; i < T.links.cap; i++) {
        struct link *l = T.links.values[i];
        if (l && l->route == LINK_ROUTE_SET && l->route_chan == c->id)
            chan_forget_route(l);
    }
    handle_map_walk_end(&T.links);
}

static void release_memory(struct chan *c) {
    munmap(c->map, CHAN_SHARED_SIZE);
    free(c);
}

static void take_down(struct chan *c, bool child) {
    c->dropped = true;
    c->child_copy = child;
    if (!child) /* a fork child's copy is the parent's channel: touch nothing shared */
        chan_credit_wake_all(&c->end);
    forget_sender_routes(c);
    for (uint32_t s = 0; s < CHAN_SLOTS; s++)
        chan_route_release(&c->routes[s]);
    free_tickets(c);
    fire_tokens(c);
    kill_proxies(c);
    for (struct ipc_kmsg *k = c->backlog, *n; k; k = n) { /* their proxies are dead names now */
        n = k->next;
        k->next = NULL;
        kmsg_destroy(k);
    }
    c->backlog = c->backlog_tail = NULL;
    c->nbacklog = 0;
    if (C.epfd >= 0 && !child) {
        epoll_ctl(C.epfd, EPOLL_CTL_DEL, c->wake_me, NULL);
        epoll_ctl(C.epfd, EPOLL_CTL_DEL, c->link, NULL);
    }
    close_fd(&c->wake_me);
    close_fd(&c->wake_peer);
    close_fd(&c->link);
    for (struct chan **p = &C.list; *p; p = &(*p)->next)
        if (*p == c) {
            *p = c->next;
            break;
        }
    __atomic_sub_fetch(&C.count, 1, __ATOMIC_RELEASE);
    /* Freed later (chan_reap), never here: callers up the stack (a drain, a loop over the
     * channels, a thread waiting on its words outside the lock) may still hold it, and read
     * `dropped` after their call (fuzz_chan_records found the use after free of freeing here). */
    c->next = C.zombies;
    C.zombies = c;
}

void chan_unuse(struct chan *c) { c->users--; }

void chan_reap(void) {
    for (struct chan **p = &C.zombies; *p;) {
        struct chan *c = *p;
        if (c->users) {
            p = &c->next;
            continue;
        }
        *p = c->next;
        release_memory(c);
    }
}

void chan_drop(struct chan *c, bool hostile) {
    if (c->dropped)
        return;
    if (!hostile)
        chan_drain(c); /* may find c hostile and drop it (c stays readable: see take_down) */
    if (!c->dropped)
        take_down(c, false);
}

void chan_drop_all(bool child) {
    /* The connection to machd goes too: a new one may reuse its descriptor number. */
    if (C.epfd >= 0 && C.machd_fd >= 0 && !child)
        epoll_ctl(C.epfd, EPOLL_CTL_DEL, C.machd_fd, NULL);
    C.machd_fd = -1;
    while (C.list) {
        struct chan *c = C.list;
        if (child)
            take_down(c, true);
        else
            chan_drop(c, false);
    }
    if (child) /* the threads that used them are the parent's */
        for (struct chan *z = C.zombies; z; z = z->next)
            z->users = 0;
    chan_reap();
    if (child) {
        close_fd(&C.epfd);
        close_fd(&C.nudge_fd);
        C.nhup = 0;
    }
}

/* Whether every open channel's peer took all we wrote. */
static bool all_out_taken(void) {
    for (struct chan *c = C.list; c; c = c->next)
        if (!c->dropped && !chan_out_taken(&c->end))
            return false;
    return true;
}

void chan_fence_before_relay(void) {
    struct timespec deadline;
    ipc_deadline_after_ms(&deadline, 100); /* a peer that does not read only delays us */
    while (!all_out_taken() && ipc_ms_until(&deadline) > 0) {
        ipc_unlock();
        struct timespec pause = {0, 20 * 1000};
        nanosleep(&pause, NULL);
        ipc_lock();
    }
}

void chan_nudge(void) {
    /* Always written: a reader between its last look and epoll_wait must find it there (the
     * eventfd's edge is queued in the epoll set until the next epoll_wait). */
    if (C.nudge_fd < 0)
        return;
    uint64_t one = 1;
    ssize_t n = write(C.nudge_fd, &one, sizeof one);
    (void)n;
}

/* Sets every channel's doorbell (IPC lock held); true when one has records already. */
bool chan_prepare_wait(void) {
    chan_reap();
    bool ready = false;
    for (struct chan *c = C.list; c; c = c->next)
        if (!c->dropped && (chan_sleep_prepare(&c->end) || c->unpark))
            ready = true;
    /* (a backlog does not make it ready: it makes the wait short, chan_wait_limit_ms) */
    return ready || C.nhup || C.hup_overflow;
}

int chan_wait_limit_ms(int timeout_ms) {
    int cap = C.backlog_pending ? 1 : C.hup_pending ? 50 : -1; /* room is not announced: look */
    if (cap < 0)
        return timeout_ms;
    return timeout_ms < 0 || timeout_ms > cap ? cap : timeout_ms;
}

bool chan_wait(int machd_fd, int timeout_ms) {
    if (machd_fd != C.machd_fd) {
        struct epoll_event ev = {.events = EPOLLIN, .data.u64 = UINT64_MAX};
        if (epoll_ctl(C.epfd, EPOLL_CTL_ADD, machd_fd, &ev) == 0 || errno == EEXIST)
            C.machd_fd = machd_fd;
    }
    struct epoll_event evs[MAX_EVENTS];
    int n = epoll_wait(C.epfd, evs, MAX_EVENTS, timeout_ms);
    bool machd_ready = false;
    for (int i = 0; i < n; i++) {
        uint64_t d = evs[i].data.u64;
        if (d == UINT64_MAX)
            machd_ready = true;
        else if ((d & 1) && C.nhup < MAX_EVENTS)
            C.hup[C.nhup++] = (uint32_t)(d >> 1);
        else if (d & 1)
            C.hup_overflow = true;
    }
    return machd_ready;
}

/* Milliseconds of CLOCK_MONOTONIC. */
static uint64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Whether c's peer hung up (its end of the socketpair closed), even with datagrams of memfds
 * still queued for us (9.5). */
static bool peer_gone(struct chan *c) {
    struct pollfd p = {.fd = c->link, .events = POLLRDHUP};
    return poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL));
}

void chan_poll_all(void) {
    chan_reap();
    for (struct chan *c = C.list; c; c = c->next)
        if (!c->dropped)
            chan_sleep_done(&c->end);
    for (unsigned i = 0; i < C.nhup; i++) {
        struct chan *c = chan_find(C.hup[i]);
        if (c && !c->hup_at && peer_gone(c))
            c->hup_at = now_ms();
    }
    if (C.hup_overflow)
        for (struct chan *c = C.list; c; c = c->next)
            if (!c->dropped && !c->hup_at && peer_gone(c))
                c->hup_at = now_ms();
    C.nhup = 0;
    C.hup_overflow = false;
    C.hup_pending = false;
    C.backlog_pending = false;
    for (struct chan *c = C.list, *next; c; c = next) {
        next = c->next;
        if (c->dropped)
            continue;
        if (c->backlog && !chan_flush_backlog(c))
            C.backlog_pending = true;
        if (c->unpark || chan_pending(&c->end) || c->hup_at)
            chan_drain(c); /* may drop c (c stays readable: see take_down) */
        /* A peer that is gone: once its records are in (tickets may still be on their way
         * through machd, for a while), the channel goes. */
        if (!c->dropped && c->hup_at && (!c->parked || now_ms() - c->hup_at > HUP_GRACE_MS))
            chan_drop(c, false);
        else if (!c->dropped && c->hup_at)
            C.hup_pending = true;
    }
}
