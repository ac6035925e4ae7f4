/* libmach's transport through machd (docs/machd.md, sections 2 and 7), its connection plumbing:
 * the transport's state, starting it (and installing its tables into the core), writing to machd,
 * requests and the threads waiting for their replies, what the thread holding the reader role
 * (transport_machd_reader.c) does with each datagram, losing the connection, and fork. The rest
 * of the transport: transport_machd_internal.h lists the files. */
#include "transport/transport_machd.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>
#include <unistd.h>

#include "ipc/ipc.h"
#include "transport/transport_chan.h"
#include "transport/transport_machd_internal.h"
#include "transport/transport_machd_names.h"
#include "transport/transport_machd_reader.h"
#include "transport/transport_machd_spill.h"
#include "wire/fd_closer.h"
#include "wire/machd_conn.h"
#include "wire/machd_path.h"
#include "wire/machd_spill.h"

struct machd_transport transport_machd_T = {
    .rebind_mu = PTHREAD_MUTEX_INITIALIZER,
    .start_mu = PTHREAD_MUTEX_INITIALIZER,
    .write_mu = PTHREAD_MUTEX_INITIALIZER,
    .wait_mu = PTHREAD_MUTEX_INITIALIZER,
    .wait_cv = PTHREAD_COND_INITIALIZER,
};

/* Never an export of ours (they count from 1): the target of the nudge, see reader_nudge. */
#define MACHD_HANDLE_NUDGE MACHD_HANDLE_TASK_BIT

int machd_write(struct machd_msg *m) {
    pthread_mutex_lock(&T.write_mu);
    int err = T.up ? machd_conn_send(&T.conn, m) : EPIPE;
    pthread_mutex_unlock(&T.write_mu);
    return err;
}

/* Fire-and-forget MOD_REFS (machd's STATUS_REPLY is ignored by the reader). */
void machd_tell_mod_refs(uint32_t handle, uint32_t right, int32_t delta) {
    struct machd_msg m;
    memset(&m, 0, sizeof m);
    m.type = MACHD_MOD_REFS;
    m.u.mod_refs.name = handle;
    m.u.mod_refs.right = right;
    m.u.mod_refs.delta = delta;
    (void)machd_write(&m);
}

void machd_tell_moved_done(uint32_t handle) {
    struct machd_msg m;
    memset(&m, 0, sizeof m);
    m.type = MACHD_MOVED_DONE;
    m.u.moved.name = handle;
    (void)machd_write(&m);
}

/* QUEUE_CREDIT: the room on our port behind handle h (IPC lock held). */
void machd_announce_room(uint32_t h, struct flow_rx *rx, const struct ipc_port *port) {
    struct machd_msg m;
    memset(&m, 0, sizeof m);
    m.type = MACHD_QUEUE_CREDIT;
    m.u.queue_credit.name = h;
    m.u.queue_credit.seen = rx->seen;
    m.u.queue_credit.room = flow_rx_room(port);
    flow_rx_said(rx, m.u.queue_credit.room);
    (void)machd_write(&m);
}

void machd_send_admit(uint32_t h, uint32_t flags, uint32_t timeout_ms, struct waiter *w, uint32_t *status) {
    struct machd_msg m;
    memset(&m, 0, sizeof m);
    m.type = MACHD_SEND_ADMIT;
    m.u.send_admit.name = h;
    m.u.send_admit.flags = flags;
    m.u.send_admit.timeout_ms = timeout_ms;
    if (w)
        *status = machd_request(&m, w);
    else
        (void)machd_write(&m);
}

static struct waiter *find_waiter(uint32_t seq) {
    for (struct waiter *w = T.waiters; w; w = w->next)
        if (w->seq == seq)
            return w;
    return NULL;
}

/* Reader, IPC lock held. The right a bootstrap reply carries is taken here, not in the waiting
 * thread (deliveries right behind the reply, a created service's held messages, must find the
 * handle known), but outside wait_mu: machd_take_right may write to machd (write_mu), and machd_request()
 * takes write_mu before wait_mu. The waiter stays listed meanwhile: only its owner unlinks it,
 * after `done`, which only the reader (this thread) sets. */
static void answer_waiter(const struct machd_msg *m) {
    pthread_mutex_lock(&T.wait_mu);
    struct waiter *w = find_waiter(m->seq);
    pthread_mutex_unlock(&T.wait_mu);
    if (!w)
        return;
    struct ipc_port *port = NULL;
    const bool brings_right = m->type == MACHD_BOOTSTRAP_REPLY && m->u.bootstrap_reply.status == KERN_SUCCESS &&
                              m->u.bootstrap_reply.type != MACHD_DISP_NONE;
    if (brings_right)
        port = machd_take_right(m->u.bootstrap_reply.name, (uint8_t)m->u.bootstrap_reply.type);
    if (m->type == MACHD_STATUS_REPLY && w->takes_once && m->u.status_reply.status == KERN_SUCCESS)
        port = machd_take_right(m->u.status_reply.value, MACHD_DISP_MOVE_SEND_ONCE); /* a claim's */
    pthread_mutex_lock(&T.wait_mu);
    if (m->type == MACHD_BOOTSTRAP_REPLY) {
        w->status = m->u.bootstrap_reply.status;
        w->name = m->u.bootstrap_reply.name;
        w->type = m->u.bootstrap_reply.type;
        w->port = port;
    } else if (m->type == MACHD_ROUTE_REPLY) {
        w->status = m->u.route_reply.status;
        w->name = m->u.route_reply.channel;
        w->type = m->u.route_reply.slot;
        w->serial = m->u.route_reply.serial;
    } else {
        w->status = m->u.status_reply.status;
        w->name = m->u.status_reply.value;
        w->port = port;
    }
    w->done = true;
    pthread_cond_broadcast(&T.wait_cv);
    pthread_mutex_unlock(&T.wait_mu);
}

/* Fails every request waiting for machd's reply (wait_mu held). */
static void fail_waiters(void) {
    for (struct waiter *w = T.waiters; w; w = w->next) {
        w->status = MACH_SEND_INVALID_DEST;
        w->done = true;
    }
    pthread_cond_broadcast(&T.wait_cv);
}

/* machd is gone (seen by the thread reading it; no lock held): the task forgets it and closes
 * the connection; the next call that needs machd connects again, as a new task
 * (transport_machd_start). start_mu keeps a new connection from starting before the old one is
 * fully forgotten. */
static void connection_lost(void) {
    pthread_mutex_lock(&T.start_mu);
    ipc_lock();
    pthread_mutex_lock(&T.write_mu);
    T.up = false;
    pthread_mutex_unlock(&T.write_mu);
    chan_drop_all(false); /* rights on channels came through machd: they go with it */
    machd_forget_links();
    ipc_unlock();
    pthread_mutex_lock(&T.wait_mu);
    fail_waiters();
    pthread_mutex_unlock(&T.wait_mu);
    machd_conn_close(&T.conn); /* nobody writes once `up` is false */
    machd_start_rebinder();
    pthread_mutex_unlock(&T.start_mu);
}

/* One datagram from machd into T.in, or records on a direct channel (then T.in_valid is false);
 * the reader only, no lock held. With channels open, machd's socket and the channels are waited
 * on together (transport_chan.c); without, a blocking receive on the socket alone. */
static int reader_receive(int timeout_ms) {
    T.in_valid = false;
    int err;
    if (chan_count()) {
        if (!chan_wait(T.conn.fd, chan_wait_limit_ms(timeout_ms)))
            return 0; /* channels (or a nudge, or nothing): process() looks at them */
        err = machd_conn_recv(&T.conn, T.in_buf, &T.in, 0);
        if (err == ETIMEDOUT)
            return 0;
    } else {
        err = machd_conn_recv(&T.conn, T.in_buf, &T.in, timeout_ms);
    }
    if (err == 0 && T.in.type == MACHD_MSG_DELIVER && (T.in.u.deliver.p.msgh_bits & MACHD_PAYLOAD_SPILLED))
        machd_prepare_spilled(&T.in.u.deliver.p);
    T.in_valid = err == 0;
    if (err == 0 || err == ETIMEDOUT)
        return err;
    return err == EPIPE || err == EPROTO ? EPIPE : EAGAIN;
}

/* Acts on T.in (IPC lock held); false when machd refused us. */
static bool reader_act(void) {
    switch (T.in.type) {
    case MACHD_MSG_DELIVER:
        machd_deliver(&T.in);
        machd_release_spilled();
        if (T.in.u.deliver.p.spill_fd >= 0)
            close(T.in.u.deliver.p.spill_fd); /* its regions are mapped or copied by now */
        for (uint32_t i = 0; i < T.in.u.deliver.p.fileport_count; i++) /* duplicated by now */
            fd_close_from_peer(T.in.u.deliver.p.fileport_fds[i]);
        return true;
    case MACHD_PORT_DEAD:
        machd_port_dead(T.in.u.port_dead.name);
        return true;
    case MACHD_QUEUE_FULL:
        machd_queue_full(T.in.u.queue_full.name);
        return true;
    case MACHD_MOVED:
        machd_moved(T.in.u.moved.name);
        return true;
    case MACHD_SENDERS_GONE:
        machd_senders_gone(T.in.u.senders_gone.name, T.in.u.senders_gone.mscount);
        return true;
    case MACHD_BOOTSTRAP_REPLY:
    case MACHD_STATUS_REPLY:
    case MACHD_ROUTE_REPLY:
        answer_waiter(&T.in);
        return true;
    case MACHD_CHANNEL:
        chan_open(&T.in);
        return true;
    case MACHD_ROUTE_ADD:
        chan_route_add(T.in.u.route_add.channel, T.in.u.route_add.slot, T.in.u.route_add.name,
                       T.in.u.route_add.serial);
        return true;
    case MACHD_ROUTE_DEL:
        chan_route_del(T.in.u.route_del.channel, T.in.u.route_del.slot);
        return true;
    case MACHD_TOKEN_CLAIMED:
        chan_token_claimed(T.in.u.token_claimed.channel, T.in.u.token_claimed.token, T.in.u.token_claimed.claim);
        return true;
    case MACHD_ERROR:
        return false;
    default: /* SEND_REPLY errors of fire-and-forget sends: the message is lost, as in Mach
                when the destination dies after copyin */
        return true;
    }
}

/* Acts on T.in, then gives back the extra send references it brought (IPC lock held); false when
 * machd refused us. */
static bool reader_process(void) {
    bool ok = !T.in_valid || reader_act();
    T.in_valid = false;
    machd_flush_send_returns();
    if (ok && chan_count())
        chan_poll_all();
    return ok;
}

/* A MOD_REFS that changes nothing, on a handle this task never uses: machd's STATUS_REPLY
 * makes a thread blocked receiving from machd return. IPC lock held. */
static void reader_nudge(void) {
    if (chan_count())
        chan_nudge(); /* the reader waits in epoll: a local eventfd is enough */
    else
        machd_tell_mod_refs(MACHD_HANDLE_NUDGE, MACHD_RIGHT_SEND, 0);
}

/* Before the reader waits (IPC lock held): direct channels' doorbells are set; true when a
 * channel has work already. */
static bool reader_prepare_wait(void) { return chan_count() && chan_prepare_wait(); }

static const struct machd_reader_ops reader_ops = {reader_receive, reader_process, connection_lost, reader_nudge,
                                                   machd_credits_flush, reader_prepare_wait};

/* ---- fork ---- */

/* A child of fork() is a new task (docs/machd.md, "fork"): it does not share the parent's
 * connection or handles. It forgets them as if machd had gone (its copies of proxies become
 * dead names; its copies of exported ports are unknown to machd, whose senders reach the
 * parent's ports) and connects as itself on its next call that needs machd. */
static void fork_prepare(void) { pthread_mutex_lock(&T.start_mu); }

static void fork_parent(void) { pthread_mutex_unlock(&T.start_mu); }

/* Only the forking thread exists in the child: the standby thread and any thread that held
 * write_mu or wait_mu (or waited for a reply) are gone, so those are made anew. The core's
 * child handler, registered before this one, has already released the IPC lock. */
static void fork_child(void) {
    pthread_mutex_init(&T.write_mu, NULL);
    pthread_mutex_init(&T.wait_mu, NULL);
    pthread_cond_init(&T.wait_cv, NULL);
    T.waiters = NULL;
    T.rebinder_running = false;
    pthread_mutex_init(&T.rebind_mu, NULL);
    T.connected_before = false; /* the child's first connection is its first */
    __atomic_store_n(&T.rebind_due, false, __ATOMIC_RELAXED);
    ipc_lock();
    machd_names_clear(); /* the parent's names, not the child's */
    ipc_unlock();
    if (T.up) {
        ipc_lock();
        T.up = false;
        chan_drop_all(true);
        machd_forget_links();
        ipc_unlock();
        machd_conn_close(&T.conn); /* our copy: the parent's connection is untouched */
    }
    pthread_mutex_unlock(&T.start_mu);
}

static void watch_forks(void) { (void)pthread_atfork(fork_prepare, fork_parent, fork_child); }

/* Says once per process, on stderr, why machd cannot be reached: bootstrap calls then fail with
 * MACH_SEND_INVALID_DEST (docs/machd.md 7, "When machd cannot be reached"). */
static void say_unreachable(int err) {
    static int said;
    if (__atomic_exchange_n(&said, 1, __ATOMIC_RELAXED))
        return;
    char path[108];
    bool private_dir;
    if (!machd_socket_path(path, sizeof path, &private_dir))
        snprintf(path, sizeof path, "(a path too long)");
    const char *why;
    switch (err) {
    case ECONNREFUSED:
        why = getenv("MACHD_NO_AUTOSTART") && strcmp(getenv("MACHD_NO_AUTOSTART"), "1") == 0
                  ? "no machd answers there, and MACHD_NO_AUTOSTART=1 keeps this process from starting one"
                  : "no machd answers there, and none could be started (is machd installed, on PATH or in "
                    "$MACHD_PATH?)";
        break;
    case ESHUTDOWN:
        why = "the service manager's machd for this path is stopped on purpose (the path's .managed "
              "file; start it again, e.g. systemctl --user start machd.socket)";
        break;
    case EACCES:
        why = "the daemon there cannot be trusted (see above)";
        break;
    case EUSERS:
        why = "machd serves as many tasks of this user as it allows (--limit connections-per-uid)";
        break;
    case EPROTO:
        why = "machd there speaks another protocol version (restart it with this OpenMIG's machd)";
        break;
    default:
        why = strerror(err);
        break;
    }
    fprintf(stderr,
            "libmach: no bootstrap server: machd at %s: %s; bootstrap calls fail with "
            "MACH_SEND_INVALID_DEST (MACH_BOOTSTRAP=private serves names inside this process only)\n",
            path, why);
}

/* Connects (autostart: starting machd on demand, section 7) unless connected. */
kern_return_t machd_start_transport(bool autostart) {
    pthread_mutex_lock(&T.start_mu);
    kern_return_t kr = KERN_SUCCESS;
    if (!T.up) {
        if (!T.in_buf)
            T.in_buf = malloc(MACHD_MAX_PACKET);
        int err = T.in_buf ? machd_conn_open(&T.conn, NULL, autostart) : ENOMEM;
        if (err) {
            if (autostart) /* not the rebinder's polling for a machd to come back */
                say_unreachable(err);
            kr = KERN_FAILURE;
        } else {
            static pthread_once_t fork_once = PTHREAD_ONCE_INIT;
            pthread_once(&fork_once, watch_forks);
            T.up = true;
            if (T.connected_before) /* a new machd: our names are to be bound again */
                __atomic_store_n(&T.rebind_due, true, __ATOMIC_RELEASE);
            T.connected_before = true;
            transport_set_export_ops(&machd_export_ops);
            ool_stage_set_ops(&machd_ops, &spill_stage_ops);
            if (!machd_reader_start(&reader_ops)) {
                T.up = false;
                machd_conn_close(&T.conn);
                kr = KERN_FAILURE;
            }
        }
    }
    pthread_mutex_unlock(&T.start_mu);
    return kr;
}

kern_return_t transport_machd_start(void) { return machd_start_transport(true); }

void transport_machd_stats_get(struct transport_machd_stats *out) {
    struct machd_reader_stats r;
    machd_reader_stats_get(&r);
    struct chan_stats cs;
    chan_stats_get(&cs);
    *out = (struct transport_machd_stats){__atomic_load_n(&T.conn.send_calls, __ATOMIC_RELAXED),
                                          __atomic_load_n(&T.conn.recv_calls, __ATOMIC_RELAXED),
                                          r.datagrams, r.nudges, r.handoffs, r.standby_datagrams,
                                          cs.sent, cs.received, cs.tickets, cs.doorbells,
                                          cs.credit_waits, cs.credit_wakes, chan_count(),
                                          cs.ool_records, cs.ool_move_fallbacks, cs.claims, cs.grants};
}

/* Sends a request and waits for its reply (not under the IPC lock); takes_once: a successful
 * STATUS_REPLY's value is a send-once handle, taken by the reader into w->port. */
static uint32_t request(struct machd_msg *m, struct waiter *w, bool takes_once) {
    *w = (struct waiter){.takes_once = takes_once};
    machd_reader_request_begin(); /* someone reads machd's connection until the reply came */
    pthread_mutex_lock(&T.write_mu);
    /* wait_mu is held across the send: the reader cannot match the reply before the waiter
     * is registered (it takes wait_mu to answer). */
    pthread_mutex_lock(&T.wait_mu);
    int err = T.up ? machd_conn_send(&T.conn, m) : EPIPE;
    if (!err) {
        w->seq = m->seq;
        w->next = T.waiters;
        T.waiters = w;
    }
    pthread_mutex_unlock(&T.wait_mu);
    pthread_mutex_unlock(&T.write_mu);
    if (err) {
        machd_reader_request_end();
        return MACH_SEND_INVALID_DEST;
    }
    pthread_mutex_lock(&T.wait_mu);
    while (!w->done)
        pthread_cond_wait(&T.wait_cv, &T.wait_mu);
    for (struct waiter **p = &T.waiters; *p; p = &(*p)->next)
        if (*p == w) {
            *p = w->next;
            break;
        }
    pthread_mutex_unlock(&T.wait_mu);
    machd_reader_request_end();
    return w->status;
}

uint32_t machd_request(struct machd_msg *m, struct waiter *w) { return request(m, w, false); }

uint32_t machd_request_once(struct machd_msg *m, struct waiter *w) { return request(m, w, true); }

/* The task's bootstrap port is machd's name service unless the program chose one inside the
 * process: MACH_BOOTSTRAP=private (or MACHD_DISABLE=1, its older spelling). No connection is
 * made here: the first bootstrap call connects, starting machd if need be (docs/machd.md 7). */
static bool machd_in_use(void) {
    const char *mode = getenv("MACH_BOOTSTRAP");
    if (mode && strcmp(mode, "private") == 0)
        return false;
    const char *off = getenv("MACHD_DISABLE");
    return !(off && strcmp(off, "1") == 0);
}

bool transport_machd_take_bootstrap(void) {
    static bool done;
    pthread_mutex_lock(&T.start_mu);
    bool first = !done;
    done = true;
    pthread_mutex_unlock(&T.start_mu);
    return first && machd_in_use();
}
