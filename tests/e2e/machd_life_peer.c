/* A libmach task for the lifecycle and fault tests of machd (machd_life_test.c): it lives through
 * machd's death and restart, forks while connected, blocks where a peer or machd dies, floods a
 * receiver, races to start machd. Talks to the test on stdin/stdout, one line per step. Modes:
 *   survivor OLD NEW   look up OLD (an echo server), then: a dead-name request on it, a port P
 *                      registered as OLD.survivor whose only sender is machd's name table with
 *                      a no-senders request, a thread blocked in a receive on P, a thread
 *                      waiting for the reply to an RPC OLD never answers. Prints "ready". When
 *                      machd goes, checks the dead name, the notifications and a failing
 *                      bootstrap call, prints "lost"; after "go" on stdin, RPCs with NEW (found
 *                      through the same bootstrap port), P exported anew, OLD.survivor bound
 *                      to P again by the runtime, and no more descriptors open than before. Exit 0 when all
 *                      held.
 *   forker NAME N      look up NAME (an echo server), RPCs, then fork N children while a thread
 *                      keeps doing RPCs (not under ASan, see BUSY_THREAD_DURING_FORK); each child must find its copy of NAME a dead name and
 *                      connect as its own task (look-up, RPCs audited with its own pid, a
 *                      check-in of NAME.child). The parent's RPCs go on unaffected.
 *   watch NAME         look up NAME with a dead-name request; print "ready"; exit 0 once the
 *                      name died (notification, MACH_SEND_INVALID_DEST, name released)
 *   block NAME         check in NAME, print "ready", block in a receive on it (killed)
 *   holdreply NAME     check in NAME, print "ready", receive one request and print "got";
 *                      exit 0 once its reply right became a dead name and a reply is refused
 *   flood NAME N       send N messages to NAME, each with a send-once reply right and a send
 *                      right of our own; print "sent", then sleep (killed)
 *   sleepy NAME N      check in NAME, print "ready", wait for "go" on stdin, then receive the N
 *                      flood messages: intact bodies, dead reply and body rights, replies
 *                      refused, nothing more queued
 *   racer MINE OTHER   wait for "go"; check in MINE (machd started on demand if nobody
 *                      answers), print "ready", look up OTHER until it appears (10 s), print
 *                      "found", exit after another "go" */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <mach/mach.h>
#include <mach/notify.h>
#include <servers/bootstrap.h>

#define ID_ECHO 500       /* machd_rpc_peer server: answered with 600, body echoed + sender pid */
#define ID_ECHO_REPLY 600
#define ID_NEVER 501      /* machd_rpc_peer server: never answered */
#define ID_GIVE 510       /* machd_rpc_peer server: sends 520 to the send right in the body */
#define ID_GIVEN 520
#define ID_FLOOD 800
#define WAIT_MS 30000

struct text_msg {
    mach_msg_header_t head;
    char text[32];
};

struct echo_reply {
    mach_msg_header_t head;
    char text[32];
    int32_t sender_pid;
    uint8_t trailer[128];
};

struct port_msg {
    mach_msg_header_t head;
    mach_msg_body_t body;
    mach_msg_port_descriptor_t port;
    char text[32];
};

struct any_msg {
    union {
        mach_msg_header_t head;
        struct port_msg port;
        mach_dead_name_notification_t dead;
        mach_no_senders_notification_t no_senders;
        uint8_t space[512];
    } u;
};

static int failures;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "machd_life_peer[%d]: %s:%d: %s\n", (int)getpid(), __FILE__,        \
                    __LINE__, #cond);                                                              \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

static void say(const char *line) {
    printf("%s\n", line);
    fflush(stdout);
}

/* Waits for one line on stdin (the test's go-ahead). */
static void await_go(void) {
    char line[16];
    if (!fgets(line, sizeof line, stdin) || strncmp(line, "go", 2) != 0) {
        fprintf(stderr, "machd_life_peer: no go-ahead\n");
        exit(9);
    }
}

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static mach_port_t new_receive_right(void) {
    mach_port_t port;
    if (mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &port) != KERN_SUCCESS)
        exit(3);
    return port;
}

/* A right from the bootstrap service (bootstrap_look_up or bootstrap_check_in); the peer exits
 * with status 3 when it is refused. */
static mach_port_t from_bootstrap(kern_return_t (*call)(mach_port_t, const char *, mach_port_t *), const char *name) {
    mach_port_t port = MACH_PORT_NULL;
    kern_return_t kr = call(bootstrap_port, name, &port);
    if (kr != KERN_SUCCESS) {
        fprintf(stderr, "machd_life_peer: bootstrap %s: %#x\n", name, kr);
        exit(3);
    }
    return port;
}

static mach_port_t look_up(const char *name) { return from_bootstrap(bootstrap_look_up, name); }

static mach_port_t check_in(const char *name) { return from_bootstrap(bootstrap_check_in, name); }

static mach_msg_return_t receive(mach_port_t port, struct any_msg *m, mach_msg_timeout_t ms) {
    memset(m, 0, sizeof *m);
    return mach_msg(&m->u.head, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof *m, port, ms, MACH_PORT_NULL);
}

static mach_msg_return_t send_header(mach_port_t dest, mach_msg_type_name_t disp, mach_msg_id_t id) {
    mach_msg_header_t h;
    memset(&h, 0, sizeof h);
    h.msgh_bits = MACH_MSGH_BITS(disp, 0);
    h.msgh_remote_port = dest;
    h.msgh_id = id;
    h.msgh_size = sizeof h;
    return mach_msg(&h, MACH_SEND_MSG | MACH_SEND_TIMEOUT, sizeof h, 0, MACH_PORT_NULL, WAIT_MS, MACH_PORT_NULL);
}

/* COUNT echo RPCs to svc; each reply must echo the body and carry our pid from the audit
 * trailer the server read. Returns how many failed. */
static int echo_rpcs(mach_port_t svc, long count) {
    mach_port_t reply = new_receive_right();
    int bad = 0;
    for (long i = 0; i < count; i++) {
        union {
            struct text_msg q;
            struct echo_reply r;
        } m;
        memset(&m, 0, sizeof m);
        m.q.head.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE);
        m.q.head.msgh_remote_port = svc;
        m.q.head.msgh_local_port = reply;
        m.q.head.msgh_id = ID_ECHO;
        m.q.head.msgh_size = sizeof m.q;
        snprintf(m.q.text, sizeof m.q.text, "life %ld", i);
        char want[32];
        memcpy(want, m.q.text, sizeof want);
        mach_msg_return_t mr = mach_msg(&m.q.head, MACH_SEND_MSG | MACH_RCV_MSG | MACH_RCV_TIMEOUT, sizeof m.q,
                                        sizeof m, reply, WAIT_MS, MACH_PORT_NULL);
        if (mr != MACH_MSG_SUCCESS || m.r.head.msgh_id != ID_ECHO_REPLY || strcmp(m.r.text, want) != 0 ||
            m.r.sender_pid != (int32_t)getpid()) {
            fprintf(stderr, "machd_life_peer[%d]: RPC %ld: %#x id %d pid %d\n", (int)getpid(), i, mr,
                    m.r.head.msgh_id, m.r.sender_pid);
            bad++;
        }
    }
    mach_port_mod_refs(mach_task_self(), reply, MACH_PORT_RIGHT_RECEIVE, -1);
    return bad;
}

/* Sends a MAKE_SEND of `port` to svc (id ID_GIVE); the echo server sends ID_GIVEN back on it. */
static void give_and_expect_back(mach_port_t svc, mach_port_t port) {
    struct port_msg g;
    memset(&g, 0, sizeof g);
    g.head.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0) | MACH_MSGH_BITS_COMPLEX;
    g.head.msgh_remote_port = svc;
    g.head.msgh_id = ID_GIVE;
    g.head.msgh_size = offsetof(struct port_msg, text);
    g.body.msgh_descriptor_count = 1;
    g.port.name = port;
    g.port.disposition = MACH_MSG_TYPE_MAKE_SEND;
    g.port.type = MACH_MSG_PORT_DESCRIPTOR;
    CHECK(mach_msg(&g.head, MACH_SEND_MSG, g.head.msgh_size, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL) == 0);
    struct any_msg in;
    CHECK(receive(port, &in, WAIT_MS) == MACH_MSG_SUCCESS);
    CHECK(in.u.head.msgh_id == ID_GIVEN);
}

/* How many file descriptors this process has open. */
static int open_fds(void) {
    DIR *d = opendir("/proc/self/fd");
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d)) != NULL;)
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

static bool is_dead_name(mach_port_t name) {
    mach_port_type_t type = 0;
    return mach_port_type(mach_task_self(), name, &type) == KERN_SUCCESS && type == MACH_PORT_TYPE_DEAD_NAME;
}

/* True once `name` is MACH_PORT_DEAD or a dead name; the news of a death comes from machd
 * asynchronously, so this waits for it (bounded). */
static bool becomes_dead(mach_port_t name) {
    for (int i = 0; i < 3000 && name != MACH_PORT_DEAD && !is_dead_name(name); i++)
        sleep_ms(10);
    return name == MACH_PORT_DEAD || is_dead_name(name);
}

/* ---- survivor ---- */

struct blocked {
    mach_port_t port;      /* receive on it */
    mach_port_t svc;       /* for the RPC thread: the service that never answers */
    mach_msg_return_t mr;
    mach_msg_id_t id;
};

static void *receive_blocked(void *arg) {
    struct blocked *b = arg;
    struct any_msg m;
    b->mr = receive(b->port, &m, 120000);
    b->id = m.u.head.msgh_id;
    return NULL;
}

static void *rpc_never_answered(void *arg) {
    struct blocked *b = arg;
    union {
        struct text_msg q;
        struct any_msg r;
    } m;
    memset(&m, 0, sizeof m);
    m.q.head.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE);
    m.q.head.msgh_remote_port = b->svc;
    m.q.head.msgh_local_port = b->port;
    m.q.head.msgh_id = ID_NEVER;
    m.q.head.msgh_size = sizeof m.q;
    b->mr = mach_msg(&m.q.head, MACH_SEND_MSG | MACH_RCV_MSG | MACH_RCV_TIMEOUT, sizeof m.q, sizeof m, b->port,
                     120000, MACH_PORT_NULL);
    b->id = m.r.u.head.msgh_id;
    return NULL;
}

/* A bootstrap call made while machd is stopped (SIGSTOP): it waits for machd's reply. */
struct stalled_look_up {
    const char *name;
    kern_return_t kr;
};

static void *look_up_while_stalled(void *arg) {
    struct stalled_look_up *l = arg;
    mach_port_t port = MACH_PORT_NULL;
    l->kr = bootstrap_look_up(bootstrap_port, l->name, &port);
    return NULL;
}

static int survivor(const char *old_name, const char *new_name) {
    mach_port_t task = mach_task_self(), prev;
    mach_port_t old_svc = look_up(old_name);
    CHECK(echo_rpcs(old_svc, 10) == 0);
    int fds_connected = open_fds();
    /* A dead-name request on the right to the other process's port. */
    mach_port_t dn_notify = new_receive_right();
    CHECK(mach_port_request_notification(task, old_svc, MACH_NOTIFY_DEAD_NAME, 0, dn_notify,
                                         MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev) == KERN_SUCCESS);
    /* P: exported, its only sender machd's name table; no-senders goes to P itself. */
    mach_port_t p = new_receive_right();
    char p_name[160];
    snprintf(p_name, sizeof p_name, "%s.survivor", old_name);
    CHECK(mach_port_insert_right(task, p, p, MACH_MSG_TYPE_MAKE_SEND) == KERN_SUCCESS);
    CHECK(bootstrap_register(bootstrap_port, p_name, p) == KERN_SUCCESS);
    CHECK(mach_port_mod_refs(task, p, MACH_PORT_RIGHT_SEND, -1) == KERN_SUCCESS);
    CHECK(mach_port_request_notification(task, p, MACH_NOTIFY_NO_SENDERS, 0, p, MACH_MSG_TYPE_MAKE_SEND_ONCE,
                                         &prev) == KERN_SUCCESS);
    struct blocked on_p = {.port = p}, on_reply = {.port = new_receive_right(), .svc = old_svc};
    pthread_t receiver, rpc;
    pthread_create(&receiver, NULL, receive_blocked, &on_p);
    pthread_create(&rpc, NULL, rpc_never_answered, &on_reply);
    sleep_ms(100); /* let both threads block (not needed for correctness, only to test blocking) */
    say("ready");
    /* "stall": the test has stopped machd; a bootstrap call then waits for its reply when
     * machd is killed. "go": nothing more before machd goes. */
    char line[16];
    struct stalled_look_up stalled = {old_name, KERN_SUCCESS};
    pthread_t asker;
    bool stall = fgets(line, sizeof line, stdin) && strncmp(line, "stall", 5) == 0;
    if (stall) {
        pthread_create(&asker, NULL, look_up_while_stalled, &stalled);
        sleep_ms(100);
        say("asking");
    }

    /* machd dies: dead name with its notification, no-senders on P, the send-once
     * notification for the RPC, a bootstrap call that fails instead of hanging. */
    struct any_msg m;
    CHECK(receive(dn_notify, &m, 60000) == MACH_MSG_SUCCESS);
    CHECK(m.u.head.msgh_id == MACH_NOTIFY_DEAD_NAME && m.u.dead.not_port == old_svc);
    pthread_join(receiver, NULL);
    pthread_join(rpc, NULL);
    CHECK(on_p.mr == MACH_MSG_SUCCESS && on_p.id == MACH_NOTIFY_NO_SENDERS);
    CHECK(on_reply.mr == MACH_MSG_SUCCESS && on_reply.id == MACH_NOTIFY_SEND_ONCE);
    if (stall) {
        pthread_join(asker, NULL);
        CHECK(stalled.kr == MACH_SEND_INVALID_DEST);
    }
    CHECK(is_dead_name(old_svc));
    CHECK(send_header(old_svc, MACH_MSG_TYPE_COPY_SEND, ID_ECHO) == MACH_SEND_INVALID_DEST);
    mach_port_t none = MACH_PORT_NULL;
    CHECK(bootstrap_look_up(bootstrap_port, new_name, &none) != KERN_SUCCESS);
    say("lost");

    /* A new machd: the same bootstrap port reaches it, as a new task. */
    await_go();
    mach_port_t new_svc = look_up(new_name);
    CHECK(echo_rpcs(new_svc, 100) == 0);
    give_and_expect_back(new_svc, p); /* P exported again, under a handle the new machd knows */
    /* The runtime bound OLD.survivor again to P (docs/machd.md 4, "Restart") before serving
     * this task's own bootstrap calls: it is ours, and active. */
    mach_port_t again = look_up(p_name);
    CHECK(again == p);
    CHECK(mach_port_deallocate(task, again) == KERN_SUCCESS);
    CHECK(bootstrap_check_in(bootstrap_port, p_name, &again) == BOOTSTRAP_SERVICE_ACTIVE);
    CHECK(open_fds() == fds_connected); /* the old connection was closed, not leaked */
    return failures ? 1 : 0;
}

/* ---- fork ---- */

struct rpc_loop {
    mach_port_t svc;
    volatile int stop;
    long done;
    int bad;
};

static void *rpcs_until_stopped(void *arg) {
    struct rpc_loop *l = arg;
    while (!l->stop) {
        l->bad += echo_rpcs(l->svc, 5);
        l->done += 5;
    }
    return NULL;
}

/* In a child: the parent's right is a dead name here; this task connects on its own. */
static int forked_child(const char *name, mach_port_t parents_svc, int index) {
    CHECK(is_dead_name(parents_svc));
    CHECK(send_header(parents_svc, MACH_MSG_TYPE_COPY_SEND, ID_ECHO) == MACH_SEND_INVALID_DEST);
    mach_port_t svc = look_up(name);
    CHECK(echo_rpcs(svc, 20) == 0); /* audited with the child's own pid */
    char mine[160];
    snprintf(mine, sizeof mine, "%s.child.%d", name, index);
    mach_port_t own = check_in(mine);
    give_and_expect_back(svc, own);
    return failures ? 1 : 0;
}

/* ASan's allocator (gcc's libsanitizer, clang 14's compiler-rt) is not fork-safe: a thread inside malloc while another
 * forks leaves the child's allocator locked for good. glibc's malloc is fork-safe, so the busy
 * thread runs only in the normal build; under ASan the RPCs happen between the forks. */
#if defined(__has_feature)
#if __has_feature(address_sanitizer) /* clang's spelling */
#define BUSY_THREAD_DURING_FORK 0
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) && !defined(BUSY_THREAD_DURING_FORK)
#define BUSY_THREAD_DURING_FORK 0
#elif !defined(BUSY_THREAD_DURING_FORK)
#define BUSY_THREAD_DURING_FORK 1
#endif

static int forker(const char *name, int children) {
    mach_port_t svc = look_up(name);
    CHECK(echo_rpcs(svc, 20) == 0);
    say("ready");
    struct rpc_loop loop = {.svc = svc};
    pthread_t busy;
    if (BUSY_THREAD_DURING_FORK)
        pthread_create(&busy, NULL, rpcs_until_stopped, &loop);
    for (int i = 0; i < children; i++) {
        fflush(NULL);
        pid_t pid = fork();
        if (pid == 0)
            exit(forked_child(name, svc, i));
        CHECK(pid > 0);
        if (!BUSY_THREAD_DURING_FORK)
            CHECK(echo_rpcs(svc, 5) == 0);
        int status = 0;
        CHECK(waitpid(pid, &status, 0) == pid);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        /* The child's name went with it: it was its own task. */
        char gone[160];
        snprintf(gone, sizeof gone, "%s.child.%d", name, i);
        mach_port_t none;
        for (int tries = 0; tries < 200 && bootstrap_look_up(bootstrap_port, gone, &none) == KERN_SUCCESS; tries++) {
            mach_port_deallocate(mach_task_self(), none);
            sleep_ms(20); /* machd sees the exit asynchronously */
        }
        CHECK(bootstrap_look_up(bootstrap_port, gone, &none) == BOOTSTRAP_UNKNOWN_SERVICE);
    }
    if (BUSY_THREAD_DURING_FORK) {
        loop.stop = 1;
        pthread_join(busy, NULL);
        CHECK(loop.bad == 0 && loop.done > 0);
    }
    CHECK(echo_rpcs(svc, 20) == 0);
    mach_port_t own = new_receive_right();
    give_and_expect_back(svc, own);
    return failures ? 1 : 0;
}

/* ---- deaths ---- */

static int watch(const char *name) {
    mach_port_t task = mach_task_self(), prev;
    mach_port_t svc = look_up(name);
    mach_port_t notify = new_receive_right();
    CHECK(mach_port_request_notification(task, svc, MACH_NOTIFY_DEAD_NAME, 0, notify, MACH_MSG_TYPE_MAKE_SEND_ONCE,
                                         &prev) == KERN_SUCCESS);
    CHECK(send_header(svc, MACH_MSG_TYPE_COPY_SEND, 1) == MACH_MSG_SUCCESS);
    say("ready");
    struct any_msg m;
    CHECK(receive(notify, &m, 60000) == MACH_MSG_SUCCESS);
    CHECK(m.u.head.msgh_id == MACH_NOTIFY_DEAD_NAME && m.u.dead.not_port == svc);
    CHECK(send_header(svc, MACH_MSG_TYPE_COPY_SEND, 2) == MACH_SEND_INVALID_DEST);
    mach_port_t none;
    CHECK(bootstrap_look_up(bootstrap_port, name, &none) == BOOTSTRAP_UNKNOWN_SERVICE);
    return failures ? 1 : 0;
}

static int block(const char *name) {
    mach_port_t port = check_in(name);
    say("ready");
    /* No timeout: the test kills this task while it waits here. */
    for (;;) {
        struct any_msg m;
        memset(&m, 0, sizeof m);
        mach_msg_return_t mr = mach_msg(&m.u.head, MACH_RCV_MSG, 0, sizeof m, port, 0, MACH_PORT_NULL);
        if (mr != MACH_MSG_SUCCESS)
            return 1;
        mach_msg_destroy(&m.u.head);
    }
}

static int holdreply(const char *name) {
    mach_port_t port = check_in(name);
    say("ready");
    struct any_msg m;
    CHECK(receive(port, &m, WAIT_MS) == MACH_MSG_SUCCESS);
    mach_port_t reply = m.u.head.msgh_remote_port;
    CHECK(MACH_MSGH_BITS_REMOTE(m.u.head.msgh_bits) == MACH_MSG_TYPE_PORT_SEND_ONCE);
    say("got");
    CHECK(becomes_dead(reply));
    CHECK(send_header(reply, MACH_MSG_TYPE_MOVE_SEND_ONCE, ID_ECHO_REPLY) == MACH_SEND_INVALID_DEST);
    return failures ? 1 : 0;
}

static int flood(const char *name, int count) {
    mach_port_t svc = look_up(name);
    mach_port_t reply = new_receive_right(), mine = new_receive_right();
    for (int i = 0; i < count; i++) {
        struct port_msg g;
        memset(&g, 0, sizeof g);
        g.head.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE) | MACH_MSGH_BITS_COMPLEX;
        g.head.msgh_remote_port = svc;
        g.head.msgh_local_port = reply;
        g.head.msgh_id = ID_FLOOD + i;
        g.head.msgh_size = sizeof g;
        g.body.msgh_descriptor_count = 1;
        g.port.name = mine;
        g.port.disposition = MACH_MSG_TYPE_MAKE_SEND;
        g.port.type = MACH_MSG_PORT_DESCRIPTOR;
        snprintf(g.text, sizeof g.text, "flood %d", i);
        if (mach_msg(&g.head, MACH_SEND_MSG, sizeof g, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL) != 0)
            return 4;
    }
    say("sent");
    pause(); /* killed by the test */
    return 1;
}

static int sleepy(const char *name, int count) {
    mach_port_t port = check_in(name);
    /* Room for the whole flood: with the default limit (5) the sender would block, as in Mach. */
    mach_port_limits_t lim = {(mach_port_msgcount_t)count};
    if (mach_port_set_attributes(mach_task_self(), port, MACH_PORT_LIMITS_INFO, (mach_port_info_t)&lim,
                                 MACH_PORT_LIMITS_INFO_COUNT) != KERN_SUCCESS)
        return 3;
    say("ready");
    await_go();
    for (int i = 0; i < count; i++) {
        struct any_msg m;
        mach_msg_return_t mr = receive(port, &m, WAIT_MS);
        CHECK(mr == MACH_MSG_SUCCESS);
        if (mr != MACH_MSG_SUCCESS)
            break;
        char want[32];
        snprintf(want, sizeof want, "flood %d", i);
        struct port_msg *g = &m.u.port;
        CHECK(g->head.msgh_id == ID_FLOOD + i && strcmp(g->text, want) == 0);
        /* The sender died with the message queued here: its reply port and the port it gave
         * are dead now; the message itself is intact. */
        CHECK(becomes_dead(g->head.msgh_remote_port));
        CHECK(becomes_dead(g->port.name));
        if (g->head.msgh_remote_port != MACH_PORT_DEAD)
            CHECK(send_header(g->head.msgh_remote_port, MACH_MSG_TYPE_MOVE_SEND_ONCE, 900) == MACH_SEND_INVALID_DEST);
        mach_msg_destroy(&g->head);
    }
    struct any_msg extra;
    CHECK(receive(port, &extra, 200) == MACH_RCV_TIMED_OUT);
    say("done");
    await_go(); /* stay alive while the test reads machd's counters */
    return failures ? 1 : 0;
}

static int racer(const char *mine, const char *other) {
    await_go();
    (void)check_in(mine);
    say("ready");
    mach_port_t found = MACH_PORT_NULL;
    kern_return_t kr = KERN_FAILURE;
    for (int i = 0; i < 500 && (kr = bootstrap_look_up(bootstrap_port, other, &found)) != KERN_SUCCESS; i++)
        sleep_ms(20);
    if (kr != KERN_SUCCESS)
        fprintf(stderr, "machd_life_peer: racer: look-up %s: %#x\n", other, kr);
    CHECK(kr == KERN_SUCCESS);
    say("found");
    await_go(); /* our name must stay until the other one has found it too */
    return failures ? 1 : 0;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: machd_life_peer MODE NAME [ARG]\n");
        return 2;
    }
    const char *mode = argv[1], *name = argv[2], *arg = argc > 3 ? argv[3] : "1";
    if (strcmp(mode, "survivor") == 0)
        return survivor(name, arg);
    if (strcmp(mode, "forker") == 0)
        return forker(name, atoi(arg));
    if (strcmp(mode, "watch") == 0)
        return watch(name);
    if (strcmp(mode, "block") == 0)
        return block(name);
    if (strcmp(mode, "holdreply") == 0)
        return holdreply(name);
    if (strcmp(mode, "flood") == 0)
        return flood(name, atoi(arg));
    if (strcmp(mode, "sleepy") == 0)
        return sleepy(name, atoi(arg));
    if (strcmp(mode, "racer") == 0)
        return racer(name, arg);
    return 2;
}
