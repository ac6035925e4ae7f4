/* Who reads machd's connection: the thread waiting for a message, itself (leader/follower), and a
 * standby thread when no thread waits. Saves the hand-off wake-up of a dedicated reader thread:
 * a reply is read by the thread that waits for it (docs/machd.md 7, "Receive path"). */
#include "transport/transport_machd_reader.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>

#include "ipc/ipc.h"

/* How long no thread may have read the connection before the standby thread does (events such
 * as dead names and no-senders must not wait for the next receive). Threads doing RPCs read it
 * themselves well within this; the standby only checks, once per period. */
#define STANDBY_PERIOD_MS 5

/* A thread sleeping while another one reads (a follower); on the sleeper's stack. */
struct follower {
    struct ipc_waiter *w;
    struct follower *next;
};

/* All fields under the IPC lock. */
static struct {
    const struct machd_reader_ops *ops;
    bool lost;                   /* the connection is gone: plain sleeps from now on */
    bool reading;                /* some thread holds the reader role */
    bool in_receive;             /* ... and is blocked receiving (or about to) */
    bool nudged;                 /* a nudge is on its way for this receive */
    struct ipc_waiter *leader;   /* the reader's waiter */
    unsigned long turns;         /* times a thread took the reader role */
    struct follower *followers;
    struct ipc_waiter *standby;  /* the standby thread's waiter while it sleeps */
    unsigned requests;           /* requests waiting for machd's reply: someone must read */
    unsigned epoch;              /* connection number: a standby of an old connection exits */
    struct machd_reader_stats stats;
} R;

/* The reader leaves: a follower still asleep takes over (its receive loop finds nothing, sleeps
 * again and, no one reading, becomes the reader); with none, the standby does if a request
 * waits for its reply. */
static void hand_off(void) {
    for (struct follower *f = R.followers; f; f = f->next)
        if (!__atomic_load_n(&f->w->word, __ATOMIC_ACQUIRE)) {
            R.stats.handoffs++;
            ipc_wake_later(f->w);
            return;
        }
    if (R.requests && R.standby)
        ipc_wake_later(R.standby);
}

/* Everyone waiting re-decides: the connection is gone or the process forked. */
static void wake_everyone(void) {
    for (struct follower *f = R.followers; f; f = f->next)
        ipc_wake_later(f->w);
    if (R.standby)
        ipc_wake_later(R.standby);
}

/* Reads and acts on datagrams (IPC lock held on entry and return, released while receiving)
 * until w is woken or deadline passes; the standby (w == NULL) until a thread waits to receive
 * (that thread reads for itself from its next wait on). */
static void lead(struct ipc_waiter *w, const struct timespec *deadline) {
    R.reading = true;
    R.leader = w;
    R.turns++;
    while (!R.lost) {
        if (w ? __atomic_load_n(&w->word, __ATOMIC_ACQUIRE) != 0 : R.followers != NULL)
            break;
        int timeout = deadline ? ipc_ms_until(deadline) : -1;
        if (timeout == 0)
            break;
        R.ops->before_sleep();
        if (R.ops->prepare_wait())
            timeout = 0;
        R.in_receive = true;
        R.nudged = false;
        ipc_unlock();
        /* A wake-up between the unlock and here has nudged machd: the receive returns. */
        int err = w && __atomic_load_n(&w->word, __ATOMIC_ACQUIRE) ? EAGAIN : R.ops->receive(timeout);
        ipc_lock();
        R.in_receive = false;
        if (err == ETIMEDOUT || err == EAGAIN)
            continue;
        R.stats.receives++;
        if (!err) {
            R.stats.datagrams++;
            if (!w)
                R.stats.standby_datagrams++;
        }
        if (err || !R.ops->process()) {
            R.lost = true; /* nobody reads the connection any more */
            ipc_unlock();
            R.ops->lost();
            ipc_lock();
            wake_everyone();
        }
    }
    R.reading = false;
    R.leader = NULL;
    hand_off();
}

/* ipc_receive_hooks.sleep: lead if nobody reads, else follow. */
static bool reader_sleep(struct ipc_waiter *w, const struct timespec *deadline) {
    if (R.lost)
        return ipc_sleep(w, deadline);
    R.ops->before_sleep();
    if (R.reading) {
        struct follower f = {w, R.followers};
        R.followers = &f;
        bool woken = ipc_sleep(w, deadline);
        for (struct follower **p = &R.followers; *p; p = &(*p)->next)
            if (*p == &f) {
                *p = f.next;
                break;
            }
        return woken;
    }
    lead(w, deadline);
    if (__atomic_load_n(&w->word, __ATOMIC_ACQUIRE))
        return true;
    if (!R.lost || (deadline && ipc_ms_until(deadline) == 0))
        return false; /* the deadline passed */
    return ipc_sleep(w, deadline);
}

/* ipc_receive_hooks.woken: a reader blocked in receive for w must return. */
static void reader_woken(struct ipc_waiter *w) {
    if (w != R.leader || !R.in_receive || R.nudged)
        return;
    R.nudged = true;
    R.stats.nudges++;
    R.ops->nudge();
}

static const struct ipc_receive_hooks reader_hooks = {reader_sleep, reader_woken, machd_reader_request_begin,
                                                      machd_reader_request_end};

/* Reads when no thread has for a whole period, or at once while a request waits for its reply
 * and no thread reads or waits to; stops as soon as a thread waits to receive (that thread
 * then reads for itself). */
static void *standby_main(void *arg) {
    unsigned epoch = (unsigned)(uintptr_t)arg;
    ipc_lock();
    unsigned long seen = R.turns;
    while (!R.lost && R.epoch == epoch) {
        bool needed = R.requests && !R.reading && !R.followers;
        if (!needed) {
            struct ipc_waiter *w = ipc_waiter_self();
            struct timespec deadline;
            ipc_deadline_after_ms(&deadline, STANDBY_PERIOD_MS);
            R.standby = w;
            ipc_sleep(w, &deadline);
            R.standby = NULL;
            if (R.lost || R.epoch != epoch)
                break;
            R.ops->before_sleep(); /* deferred by a thread that neither sends nor sleeps */
        }
        bool idle = R.turns == seen;
        seen = R.turns;
        if (R.reading || (!idle && !(R.requests && !R.followers)))
            continue;
        lead(NULL, NULL);
        seen = R.turns;
    }
    ipc_unlock();
    return NULL;
}

static void reader_atfork_child(void) {
    /* Only the forking thread exists in the child, and the connection is the parent's (the
     * transport closes its copy): nobody reads until the child connects as itself
     * (machd_reader_start). Runs after the core's handler, alone in the child: plain stores. */
    R.lost = true;
    R.reading = false;
    R.in_receive = false;
    R.leader = NULL;
    R.followers = NULL;
    R.standby = NULL;
    R.requests = 0;
}

static void install_hooks(void) {
    pthread_atfork(NULL, NULL, reader_atfork_child);
    transport_set_receive_hooks(&reader_hooks);
}

bool machd_reader_start(const struct machd_reader_ops *ops) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, install_hooks);
    ipc_lock();
    R.ops = ops;
    R.lost = false;
    unsigned epoch = ++R.epoch;
    ipc_unlock();
    pthread_attr_t attr;
    pthread_t standby;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    bool ok = pthread_create(&standby, &attr, standby_main, (void *)(uintptr_t)epoch) == 0;
    pthread_attr_destroy(&attr);
    if (!ok) {
        ipc_lock();
        R.lost = true;
        ipc_unlock();
    }
    return ok;
}

void machd_reader_request_begin(void) {
    ipc_lock();
    R.requests++;
    if (!R.reading && R.standby)
        ipc_wake_later(R.standby);
    ipc_unlock();
}

void machd_reader_request_end(void) {
    ipc_lock();
    R.requests--;
    ipc_unlock();
}

void machd_reader_stats_get(struct machd_reader_stats *out) {
    ipc_lock();
    *out = R.stats;
    ipc_unlock();
}
