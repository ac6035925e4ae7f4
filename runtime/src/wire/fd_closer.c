/* Descriptors from other processes closed off the caller's thread when their close could block
 * (fd_closer.h). */
#include "wire/fd_closer.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Descriptors waiting for the thread past which their bringers are held back. */
#define FD_CLOSER_BACKLOG 64u
/* How long fd_closer_destroy waits for the thread to finish what is queued. */
#define DESTROY_WAIT_S 2

/* Descriptors waiting, per owner that has some. */
struct owner_count {
    uint32_t owner;
    uint32_t pending; /* queued, plus the one being closed */
    bool behind;      /* reached the backlog since its last wake */
};

struct fd_closer {
    pthread_mutex_t lock;
    pthread_cond_t work;
    pthread_cond_t idle; /* signalled when nothing is left to close */
    struct queued { int fd; uint32_t owner; } *queue; /* a ring of cap entries */
    size_t head, count, cap;
    struct owner_count *owners; /* n_owners of cap_owners */
    size_t n_owners, cap_owners;
    size_t pending; /* all owners' */
    bool stopping;
    int wake_fd;
    pthread_t thread;
};

bool fd_closes_at_once(int fd) {
    int type;
    socklen_t len = sizeof type;
    return fcntl(fd, F_GET_SEALS) >= 0 || fcntl(fd, F_GETPIPE_SZ) >= 0 ||
           getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0;
}

/* owner's count (lock held); NULL when it has none (and `add` is false, or out of memory). */
static struct owner_count *owner_find(struct fd_closer *c, uint32_t owner, bool add) {
    for (size_t i = 0; i < c->n_owners; i++)
        if (c->owners[i].owner == owner)
            return &c->owners[i];
    if (!add)
        return NULL;
    if (c->n_owners == c->cap_owners) {
        size_t cap = c->cap_owners ? c->cap_owners * 2 : 8;
        struct owner_count *o = realloc(c->owners, sizeof *o * cap);
        if (!o)
            return NULL;
        c->owners = o;
        c->cap_owners = cap;
    }
    c->owners[c->n_owners] = (struct owner_count){owner, 0, false};
    return &c->owners[c->n_owners++];
}

/* One of owner's descriptors is closed (lock held): its count goes down, the event loop hears
 * when an owner that was behind is down to half, and an owner with none left is forgotten. */
static void owner_done(struct fd_closer *c, uint32_t owner) {
    c->pending--;
    struct owner_count *o = owner_find(c, owner, false);
    if (!o)
        return;
    o->pending--;
    if (o->behind && o->pending <= FD_CLOSER_BACKLOG / 2) {
        o->behind = false;
        uint64_t one = 1;
        (void)!write(c->wake_fd, &one, sizeof one);
    }
    if (o->pending == 0)
        *o = c->owners[--c->n_owners];
}

static void *closer_main(void *arg) {
    struct fd_closer *c = arg;
    pthread_mutex_lock(&c->lock);
    for (;;) {
        while (c->count == 0 && !c->stopping)
            pthread_cond_wait(&c->work, &c->lock);
        if (c->count == 0)
            break;
        struct queued q = c->queue[c->head];
        c->head = (c->head + 1) % c->cap;
        c->count--;
        pthread_mutex_unlock(&c->lock);
        close(q.fd); /* may block for as long as the file's file system wants */
        pthread_mutex_lock(&c->lock);
        owner_done(c, q.owner);
        if (c->pending == 0)
            pthread_cond_broadcast(&c->idle);
    }
    pthread_mutex_unlock(&c->lock);
    return NULL;
}

int fd_closer_create(struct fd_closer **out) {
    struct fd_closer *c = calloc(1, sizeof *c);
    if (!c)
        return ENOMEM;
    c->cap = FD_CLOSER_BACKLOG * 2;
    c->queue = malloc(sizeof *c->queue * c->cap);
    c->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (!c->queue || c->wake_fd < 0) {
        int err = c->wake_fd < 0 ? errno : ENOMEM;
        if (c->wake_fd >= 0)
            close(c->wake_fd);
        free(c->queue);
        free(c);
        return err;
    }
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->work, NULL);
    pthread_cond_init(&c->idle, NULL);
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old); /* signals stay the event loop's (signalfd) */
    int err = pthread_create(&c->thread, NULL, closer_main, c);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (err) {
        close(c->wake_fd);
        free(c->queue);
        free(c);
        return err;
    }
    *out = c;
    return 0;
}

/* A closer whose thread was still in a close when it was destroyed: kept reachable (the thread
 * uses it until the process's exit ends that close). */
static struct fd_closer *abandoned;

void fd_closer_destroy(struct fd_closer *c) {
    if (!c)
        return;
    pthread_mutex_lock(&c->lock);
    c->stopping = true;
    pthread_cond_signal(&c->work);
    /* What is queued usually closes at once now (a file system that hung went away): wait a
     * little for the thread to finish, never for ever. */
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += DESTROY_WAIT_S;
    while (c->pending > 0 && pthread_cond_timedwait(&c->idle, &c->lock, &until) == 0)
        ;
    bool stuck = c->pending > 0;
    pthread_mutex_unlock(&c->lock);
    if (stuck) {
        /* It may never come back from a close: the process's exit ends that wait. */
        abandoned = c;
        pthread_detach(c->thread);
        return;
    }
    pthread_join(c->thread, NULL);
    close(c->wake_fd);
    pthread_cond_destroy(&c->work);
    pthread_cond_destroy(&c->idle);
    pthread_mutex_destroy(&c->lock);
    free(c->owners);
    free(c->queue);
    free(c);
}

/* Queues fd for owner (lock held); false when out of memory. */
static bool enqueue(struct fd_closer *c, int fd, uint32_t owner) {
    struct owner_count *o = owner_find(c, owner, true);
    if (!o)
        return false;
    if (c->count == c->cap) {
        size_t cap = c->cap * 2;
        struct queued *q = malloc(sizeof *q * cap);
        if (!q) {
            if (o->pending == 0)
                *o = c->owners[--c->n_owners];
            return false;
        }
        for (size_t i = 0; i < c->count; i++)
            q[i] = c->queue[(c->head + i) % c->cap];
        free(c->queue);
        c->queue = q;
        c->head = 0;
        c->cap = cap;
    }
    c->queue[(c->head + c->count) % c->cap] = (struct queued){fd, owner};
    c->count++;
    c->pending++;
    if (++o->pending >= FD_CLOSER_BACKLOG)
        o->behind = true;
    pthread_cond_signal(&c->work);
    return true;
}

/* Queues fd, known not to close at once, for c's thread; closes it here when there is no
 * thread or no memory for the queue (the one case left to block). True when queued. */
static bool queue_or_close(struct fd_closer *c, int fd, uint32_t owner) {
    bool queued = false;
    if (c) {
        pthread_mutex_lock(&c->lock);
        queued = enqueue(c, fd, owner);
        pthread_mutex_unlock(&c->lock);
    }
    if (!queued)
        close(fd);
    return queued;
}

bool fd_closer_close(struct fd_closer *c, int fd, uint32_t owner) {
    if (fd < 0)
        return false;
    if (!c || fd_closes_at_once(fd)) {
        close(fd);
        return false;
    }
    return queue_or_close(c, fd, owner);
}

bool fd_closer_behind(struct fd_closer *c, uint32_t owner) {
    pthread_mutex_lock(&c->lock);
    const struct owner_count *o = owner == FD_OWNER_NONE ? NULL : owner_find(c, owner, false);
    bool behind = o && o->pending >= FD_CLOSER_BACKLOG;
    pthread_mutex_unlock(&c->lock);
    return behind;
}

int fd_closer_wake_fd(const struct fd_closer *c) { return c->wake_fd; }

void fd_closer_caught_up(struct fd_closer *c) {
    uint64_t n;
    (void)!read(c->wake_fd, &n, sizeof n);
}

/* ---- one closer per process, for libmach ---- */

static struct fd_closer *process_closer;
static pthread_mutex_t process_closer_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t process_closer_atfork = PTHREAD_ONCE_INIT;

/* In a forked child the thread is gone: the next need starts another (the old object, whose
 * queue no thread serves, is left as it is). */
static void forget_in_child(void) {
    process_closer = NULL;
    pthread_mutex_init(&process_closer_lock, NULL);
}

static void install_atfork(void) { pthread_atfork(NULL, NULL, forget_in_child); }

void fd_close_from_peer(int fd) {
    if (fd < 0)
        return;
    if (fd_closes_at_once(fd)) {
        close(fd);
        return;
    }
    pthread_once(&process_closer_atfork, install_atfork);
    pthread_mutex_lock(&process_closer_lock);
    if (!process_closer && fd_closer_create(&process_closer) != 0)
        process_closer = NULL;
    struct fd_closer *c = process_closer;
    pthread_mutex_unlock(&process_closer_lock);
    queue_or_close(c, fd, FD_OWNER_NONE); /* already classified above */
}
