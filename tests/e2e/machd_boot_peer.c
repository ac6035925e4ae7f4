/* A libmach task for the bootstrap tests (machd_boot_test.c): the exact return codes of the
 * bootstrap calls (run in-process and through machd: they must agree), names owned by another
 * task, bootstrap_create_service with messages queued before the check-in, and names bound
 * again after machd restarts. Prints "ready" once set up (nothing after: stdout is closed);
 * exits 0 when every check passed, else the number of the step that failed (stderr says why). */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mach/mach.h>
#include <servers/bootstrap.h>

#include "transport/transport_machd.h"

#define PEER_NAME "machd_boot_peer"
#include "peer_check.h"

/* CHECK that a call returned exactly `want`. */
#define EXPECT(step, call, want)                                                              \
    do {                                                                                      \
        kern_return_t got_ = (call);                                                          \
        if (got_ != (want))                                                                   \
            return peer_failed((step), "%s: got %#x (%s), want %#x (%s)", #call, got_,             \
                          bootstrap_strerror(got_), (kern_return_t)(want), bootstrap_strerror(want)); \
    } while (0)


static const char *suffixed(const char *name, const char *suffix) {
    static char buf[8][128];
    static int next;
    char *out = buf[next++ % 8];
    snprintf(out, sizeof buf[0], "%s.%s", name, suffix);
    return out;
}

static mach_port_t new_port(void) {
    mach_port_t port = MACH_PORT_NULL;
    if (mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &port) != KERN_SUCCESS ||
        mach_port_insert_right(mach_task_self(), port, port, MACH_MSG_TYPE_MAKE_SEND) != KERN_SUCCESS)
        exit(92);
    return port;
}

/* Looks name up until it is bound (a restarted machd learns names again asynchronously). */
static kern_return_t look_up_retrying(const char *name, mach_port_t *port) {
    kern_return_t kr = KERN_FAILURE;
    for (int i = 0; i < 400; i++) {
        kr = bootstrap_look_up(bootstrap_port, name, port);
        if (kr == KERN_SUCCESS)
            return kr;
        struct timespec ts = {0, 25 * 1000000L};
        nanosleep(&ts, NULL);
    }
    return kr;
}

/* A small message: header, one int; with a port descriptor when `carried` is set. */
struct note_msg {
    mach_msg_header_t head;
    mach_msg_body_t body;
    mach_msg_port_descriptor_t port;
    int value;
};

struct note_buf {
    struct note_msg m;
    mach_msg_max_trailer_t trailer;
};

static mach_msg_return_t send_note(mach_port_t dest, mach_msg_type_name_t disp, mach_port_t reply,
                                   mach_msg_type_name_t reply_disp, mach_msg_id_t id, int value,
                                   mach_port_t carried) {
    struct note_msg m;
    memset(&m, 0, sizeof m);
    m.head.msgh_bits = MACH_MSGH_BITS(disp, reply ? reply_disp : 0) | MACH_MSGH_BITS_COMPLEX;
    m.head.msgh_remote_port = dest;
    m.head.msgh_local_port = reply;
    m.head.msgh_id = id;
    m.body.msgh_descriptor_count = 1;
    m.port.name = carried;
    m.port.disposition = MACH_MSG_TYPE_MAKE_SEND; /* MACH_PORT_NULL carries nothing */
    m.port.type = MACH_MSG_PORT_DESCRIPTOR;
    m.value = value;
    return mach_msg(&m.head, MACH_SEND_MSG | MACH_SEND_TIMEOUT, sizeof m, 0, MACH_PORT_NULL, 10000,
                    MACH_PORT_NULL);
}

static mach_msg_return_t receive_note(mach_port_t port, struct note_buf *b) {
    memset(b, 0, sizeof *b);
    return mach_msg(&b->m.head, MACH_RCV_MSG | MACH_RCV_TIMEOUT |
                                    MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_AUDIT),
                    0, sizeof *b, port, 20000, MACH_PORT_NULL);
}

static pid_t audit_pid(const struct note_buf *b) {
    const mach_msg_audit_trailer_t *t =
        (const void *)((const char *)&b->m + round_msg(b->m.head.msgh_size));
    return (pid_t)t->msgh_audit.val[5];
}

/* codes NAME inproc|machd: the answer of every call in every state of a name, same task. */
static int codes(const char *name, const char *where) {
    ready();
    const char *ci = suffixed(name, "ci"), *reg = suffixed(name, "reg"), *cr = suffixed(name, "cr");
    const char *unknown = suffixed(name, "unknown");
    mach_port_t recv = MACH_PORT_NULL, port = new_port(), send = MACH_PORT_NULL, other = new_port();
    bootstrap_status_t st = -1;
    char too_long[BOOTSTRAP_MAX_NAME_LEN + 1];
    memset(too_long, 'x', sizeof too_long);
    too_long[BOOTSTRAP_MAX_NAME_LEN] = '\0'; /* 128 characters: no room for the NUL */
    /* 1: unknown names. */
    EXPECT(1, bootstrap_look_up(bootstrap_port, unknown, &send), BOOTSTRAP_UNKNOWN_SERVICE);
    EXPECT(1, bootstrap_status(bootstrap_port, unknown, &st), BOOTSTRAP_UNKNOWN_SERVICE);
    EXPECT(1, bootstrap_register(bootstrap_port, unknown, MACH_PORT_NULL), BOOTSTRAP_UNKNOWN_SERVICE);
    /* 2: bad names, for every call. */
    EXPECT(2, bootstrap_look_up(bootstrap_port, "", &send), BOOTSTRAP_BAD_COUNT);
    EXPECT(2, bootstrap_check_in(bootstrap_port, "", &recv), BOOTSTRAP_BAD_COUNT);
    EXPECT(2, bootstrap_register(bootstrap_port, "", port), BOOTSTRAP_BAD_COUNT);
    EXPECT(2, bootstrap_create_service(bootstrap_port, "", &send), BOOTSTRAP_BAD_COUNT);
    EXPECT(2, bootstrap_status(bootstrap_port, "", &st), BOOTSTRAP_BAD_COUNT);
    EXPECT(2, bootstrap_look_up(bootstrap_port, too_long, &send), BOOTSTRAP_BAD_COUNT);
    EXPECT(2, bootstrap_check_in(bootstrap_port, too_long, &recv), BOOTSTRAP_BAD_COUNT);
    EXPECT(2, bootstrap_register(bootstrap_port, too_long, port), BOOTSTRAP_BAD_COUNT);
    EXPECT(2, bootstrap_create_service(bootstrap_port, too_long, &send), BOOTSTRAP_BAD_COUNT);
    too_long[BOOTSTRAP_MAX_NAME_LEN - 1] = '\0'; /* 127 characters: a valid name */
    EXPECT(2, bootstrap_look_up(bootstrap_port, too_long, &send), BOOTSTRAP_UNKNOWN_SERVICE);
    /* 3: a checked-in name (active). */
    EXPECT(3, bootstrap_check_in(bootstrap_port, ci, &recv), BOOTSTRAP_SUCCESS);
    EXPECT(3, bootstrap_check_in(bootstrap_port, ci, &send), BOOTSTRAP_SERVICE_ACTIVE);
    EXPECT(3, bootstrap_register(bootstrap_port, ci, port), BOOTSTRAP_SERVICE_ACTIVE);
    EXPECT(3, bootstrap_create_service(bootstrap_port, ci, &send), BOOTSTRAP_NAME_IN_USE);
    EXPECT(3, bootstrap_register(bootstrap_port, ci, MACH_PORT_NULL), BOOTSTRAP_NOT_PRIVILEGED);
    EXPECT(3, bootstrap_status(bootstrap_port, ci, &st), BOOTSTRAP_SUCCESS);
    CHECK(3, st == BOOTSTRAP_STATUS_ACTIVE, "status %d", st);
    EXPECT(3, look_up_status(ci), BOOTSTRAP_SUCCESS);
    /* 4: a registered name (active). */
    EXPECT(4, bootstrap_register(bootstrap_port, reg, port), BOOTSTRAP_SUCCESS);
    EXPECT(4, bootstrap_register(bootstrap_port, reg, other), BOOTSTRAP_SERVICE_ACTIVE);
    EXPECT(4, bootstrap_check_in(bootstrap_port, reg, &send), BOOTSTRAP_SERVICE_ACTIVE);
    EXPECT(4, bootstrap_create_service(bootstrap_port, reg, &send), BOOTSTRAP_NAME_IN_USE);
    EXPECT(4, bootstrap_status(bootstrap_port, reg, &st), BOOTSTRAP_SUCCESS);
    CHECK(4, st == BOOTSTRAP_STATUS_ACTIVE, "status %d", st);
    EXPECT(4, look_up_status(reg), BOOTSTRAP_SUCCESS);
    EXPECT(4, bootstrap_register(bootstrap_port, reg, MACH_PORT_NULL), BOOTSTRAP_SUCCESS);
    EXPECT(4, look_up_status(reg), BOOTSTRAP_UNKNOWN_SERVICE);
    /* 5: a created name, not checked in (inactive), then checked in. */
    mach_port_t created = MACH_PORT_NULL;
    EXPECT(5, bootstrap_create_service(bootstrap_port, cr, &created), BOOTSTRAP_SUCCESS);
    EXPECT(5, bootstrap_create_service(bootstrap_port, cr, &send), BOOTSTRAP_NAME_IN_USE);
    EXPECT(5, bootstrap_status(bootstrap_port, cr, &st), BOOTSTRAP_SUCCESS);
    CHECK(5, st == BOOTSTRAP_STATUS_INACTIVE, "status %d", st);
    EXPECT(5, look_up_status(cr), BOOTSTRAP_SUCCESS);
    EXPECT(5, bootstrap_register(bootstrap_port, cr, MACH_PORT_NULL), BOOTSTRAP_NOT_PRIVILEGED);
    EXPECT(5, send_note(created, MACH_MSG_TYPE_COPY_SEND, MACH_PORT_NULL, 0, 501, 51, MACH_PORT_NULL),
           MACH_MSG_SUCCESS);
    mach_port_t cr_recv = MACH_PORT_NULL;
    EXPECT(5, bootstrap_check_in(bootstrap_port, cr, &cr_recv), BOOTSTRAP_SUCCESS);
    struct note_buf b;
    EXPECT(5, receive_note(cr_recv, &b), MACH_MSG_SUCCESS);
    CHECK(5, b.m.head.msgh_id == 501 && b.m.value == 51, "queued message %d %d", b.m.head.msgh_id, b.m.value);
    EXPECT(5, bootstrap_status(bootstrap_port, cr, &st), BOOTSTRAP_SUCCESS);
    CHECK(5, st == BOOTSTRAP_STATUS_ACTIVE, "status %d", st);
    EXPECT(5, bootstrap_check_in(bootstrap_port, cr, &send), BOOTSTRAP_SERVICE_ACTIVE);
    /* 6: registering over a created name nobody checked in replaces it (its port dies). */
    const char *cr2 = suffixed(name, "cr2");
    mach_port_t doomed = MACH_PORT_NULL;
    EXPECT(6, bootstrap_create_service(bootstrap_port, cr2, &doomed), BOOTSTRAP_SUCCESS);
    EXPECT(6, bootstrap_register(bootstrap_port, cr2, port), BOOTSTRAP_SUCCESS);
    mach_port_type_t type = 0;
    for (int i = 0; i < 400 && !(type & MACH_PORT_TYPE_DEAD_NAME); i++) { /* machd: asynchronous */
        EXPECT(6, mach_port_type(mach_task_self(), doomed, &type), KERN_SUCCESS);
        struct timespec ts = {0, 5 * 1000000L};
        if (!(type & MACH_PORT_TYPE_DEAD_NAME))
            nanosleep(&ts, NULL);
    }
    CHECK(6, type & MACH_PORT_TYPE_DEAD_NAME, "the replaced service's port is not dead: %#x", type);
    mach_port_t found = MACH_PORT_NULL;
    EXPECT(6, bootstrap_look_up(bootstrap_port, cr2, &found), BOOTSTRAP_SUCCESS);
    CHECK(6, found == port, "look-up gives %#x, registered %#x", found, port);
    EXPECT(6, mach_port_deallocate(mach_task_self(), found), KERN_SUCCESS);
    /* 7: names go when their port dies. */
    EXPECT(7, mach_port_mod_refs(mach_task_self(), recv, MACH_PORT_RIGHT_RECEIVE, -1), KERN_SUCCESS);
    EXPECT(7, mach_port_mod_refs(mach_task_self(), port, MACH_PORT_RIGHT_RECEIVE, -1), KERN_SUCCESS);
    for (int i = 0; i < 400 && (look_up_status(ci) != BOOTSTRAP_UNKNOWN_SERVICE ||
                                look_up_status(cr2) != BOOTSTRAP_UNKNOWN_SERVICE); i++) {
        struct timespec ts = {0, 5 * 1000000L};
        nanosleep(&ts, NULL);
    }
    EXPECT(7, look_up_status(ci), BOOTSTRAP_UNKNOWN_SERVICE);
    EXPECT(7, look_up_status(cr2), BOOTSTRAP_UNKNOWN_SERVICE);
    EXPECT(7, bootstrap_check_in(bootstrap_port, ci, &recv), BOOTSTRAP_SUCCESS);
    /* 8: the mode is the one asked for. */
    struct transport_machd_stats ts;
    transport_machd_stats_get(&ts);
    CHECK(8, (ts.send_calls > 0) == (strcmp(where, "machd") == 0), "ran %s machd (%lu socket sends)",
          ts.send_calls ? "through" : "without", ts.send_calls);
    return 0;
}

/* owner NAME: binds NAME.ci (check-in) and NAME.reg (register), then waits for one message on
 * NAME.ci (the intruder's "done") and exits: its names go with it. */
static int owner(const char *name) {
    mach_port_t recv = MACH_PORT_NULL, port = new_port();
    EXPECT(1, bootstrap_check_in(bootstrap_port, suffixed(name, "ci"), &recv), KERN_SUCCESS);
    EXPECT(1, bootstrap_register(bootstrap_port, suffixed(name, "reg"), port), KERN_SUCCESS);
    ready();
    struct note_buf b;
    EXPECT(2, receive_note(recv, &b), MACH_MSG_SUCCESS);
    return 0;
}

/* intruder NAME: another task's names are not its to take (launchd: BOOTSTRAP_NOT_PRIVILEGED). */
static int intruder(const char *name) {
    ready();
    const char *ci = suffixed(name, "ci"), *reg = suffixed(name, "reg");
    mach_port_t port = new_port(), got = MACH_PORT_NULL;
    EXPECT(1, bootstrap_check_in(bootstrap_port, ci, &got), BOOTSTRAP_NOT_PRIVILEGED);
    EXPECT(1, bootstrap_check_in(bootstrap_port, reg, &got), BOOTSTRAP_NOT_PRIVILEGED);
    EXPECT(2, bootstrap_register(bootstrap_port, ci, port), BOOTSTRAP_NOT_PRIVILEGED);
    EXPECT(2, bootstrap_register(bootstrap_port, reg, port), BOOTSTRAP_NOT_PRIVILEGED);
    EXPECT(3, bootstrap_register(bootstrap_port, reg, MACH_PORT_NULL), BOOTSTRAP_NOT_PRIVILEGED);
    EXPECT(3, bootstrap_create_service(bootstrap_port, ci, &got), BOOTSTRAP_NAME_IN_USE);
    EXPECT(4, look_up_status(reg), KERN_SUCCESS);
    mach_port_t owner_port = MACH_PORT_NULL;
    EXPECT(4, bootstrap_look_up(bootstrap_port, ci, &owner_port), KERN_SUCCESS);
    EXPECT(5, send_note(owner_port, MACH_MSG_TYPE_MOVE_SEND, MACH_PORT_NULL, 0, 1, 0, MACH_PORT_NULL),
           MACH_MSG_SUCCESS);
    /* The owner exits: its names are released. */
    for (int i = 0; i < 400 && (look_up_status(ci) == KERN_SUCCESS || look_up_status(reg) == KERN_SUCCESS); i++) {
        struct timespec ts = {0, 25 * 1000000L};
        nanosleep(&ts, NULL);
    }
    EXPECT(6, look_up_status(ci), BOOTSTRAP_UNKNOWN_SERVICE);
    EXPECT(6, look_up_status(reg), BOOTSTRAP_UNKNOWN_SERVICE);
    EXPECT(6, bootstrap_register(bootstrap_port, reg, port), KERN_SUCCESS);
    return 0;
}

#define QUEUED 3
#define BLOB_SIZE (256u * 1024u) /* spilled into a memfd, which machd keeps until the check-in */

static char blob_byte(size_t i) { return (char)(i * 7 + i / 251); }

/* A message with a send right to `carried` and BLOB_SIZE out-of-line bytes. */
struct blob_msg {
    mach_msg_header_t head;
    mach_msg_body_t body;
    mach_msg_port_descriptor_t port;
    mach_msg_ool_descriptor_t data;
};

struct blob_buf {
    struct blob_msg m;
    mach_msg_max_trailer_t trailer;
};

static mach_msg_return_t send_blob(mach_port_t dest, mach_port_t carried) {
    static char bytes[BLOB_SIZE];
    for (size_t i = 0; i < sizeof bytes; i++)
        bytes[i] = blob_byte(i);
    struct blob_msg m;
    memset(&m, 0, sizeof m);
    m.head.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0) | MACH_MSGH_BITS_COMPLEX;
    m.head.msgh_remote_port = dest;
    m.head.msgh_id = 350;
    m.body.msgh_descriptor_count = 2;
    m.port.name = carried;
    m.port.disposition = MACH_MSG_TYPE_MAKE_SEND;
    m.port.type = MACH_MSG_PORT_DESCRIPTOR;
    m.data.address = bytes;
    m.data.size = sizeof bytes;
    m.data.copy = MACH_MSG_VIRTUAL_COPY;
    m.data.type = MACH_MSG_OOL_DESCRIPTOR;
    return mach_msg(&m.head, MACH_SEND_MSG | MACH_SEND_TIMEOUT, sizeof m, 0, MACH_PORT_NULL, 10000, MACH_PORT_NULL);
}

/* creator NAME: creates NAME, sends QUEUED messages to it before anyone checks in (each with a
 * send right to the creator's own port, the last with a send-once reply right), then waits
 * for the checked-in server's answers through those rights. */
static int creator(const char *name) {
    mach_port_t service = MACH_PORT_NULL, mine = new_port();
    EXPECT(1, bootstrap_create_service(bootstrap_port, name, &service), KERN_SUCCESS);
    bootstrap_status_t st = -1;
    EXPECT(1, bootstrap_status(bootstrap_port, name, &st), KERN_SUCCESS);
    CHECK(1, st == BOOTSTRAP_STATUS_INACTIVE, "status %d", st);
    for (int i = 0; i < QUEUED; i++)
        EXPECT(2, send_note(service, MACH_MSG_TYPE_COPY_SEND, i == QUEUED - 1 ? mine : MACH_PORT_NULL,
                            MACH_MSG_TYPE_MAKE_SEND_ONCE, 300 + i, 1000 + i, mine),
               MACH_MSG_SUCCESS);
    /* Last: out-of-line bytes and a right whose port dies before anyone checks in. */
    mach_port_t doomed = new_port();
    EXPECT(2, send_blob(service, doomed), MACH_MSG_SUCCESS);
    EXPECT(2, mach_port_destroy(mach_task_self(), doomed), KERN_SUCCESS);
    ready();
    struct note_buf b;
    for (int i = 0; i < QUEUED + 1; i++) { /* QUEUED through the carried rights, one reply */
        EXPECT(3, receive_note(mine, &b), MACH_MSG_SUCCESS);
        CHECK(3, b.m.head.msgh_id == 400 + i, "answer %d: id %d", i, b.m.head.msgh_id);
    }
    EXPECT(4, mach_port_deallocate(mach_task_self(), service), KERN_SUCCESS);
    return 0;
}

/* checker NAME CREATOR_PID: checks in the created NAME and finds the creator's messages queued,
 * in order, with the creator's audit identity and working rights. */
static int checker(const char *name, pid_t creator_pid) {
    ready();
    bootstrap_status_t st = -1;
    EXPECT(1, bootstrap_status(bootstrap_port, name, &st), KERN_SUCCESS);
    CHECK(1, st == BOOTSTRAP_STATUS_INACTIVE, "status %d", st);
    mach_port_t recv = MACH_PORT_NULL, send = MACH_PORT_NULL;
    EXPECT(1, bootstrap_check_in(bootstrap_port, name, &recv), KERN_SUCCESS);
    EXPECT(1, bootstrap_check_in(bootstrap_port, name, &send), BOOTSTRAP_SERVICE_ACTIVE); /* ours now */
    EXPECT(1, bootstrap_status(bootstrap_port, name, &st), KERN_SUCCESS);
    CHECK(1, st == BOOTSTRAP_STATUS_ACTIVE, "status %d", st);
    mach_port_t back[QUEUED];
    struct note_buf b;
    for (int i = 0; i < QUEUED; i++) {
        EXPECT(2, receive_note(recv, &b), MACH_MSG_SUCCESS);
        CHECK(2, b.m.head.msgh_id == 300 + i && b.m.value == 1000 + i, "message %d: id %d value %d", i,
              b.m.head.msgh_id, b.m.value);
        CHECK(2, audit_pid(&b) == creator_pid, "audit pid %d, creator %d", audit_pid(&b), creator_pid);
        CHECK(2, b.m.port.name != MACH_PORT_NULL && b.m.port.disposition == MACH_MSG_TYPE_PORT_SEND,
              "carried right %#x/%u", b.m.port.name, b.m.port.disposition);
        back[i] = b.m.port.name;
        CHECK(2, (i == QUEUED - 1) == (b.m.head.msgh_remote_port != MACH_PORT_NULL), "reply right of %d", i);
    }
    struct blob_buf big;
    memset(&big, 0, sizeof big);
    EXPECT(2, mach_msg(&big.m.head, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof big, recv, 20000, MACH_PORT_NULL),
           MACH_MSG_SUCCESS);
    CHECK(2, big.m.head.msgh_id == 350 && big.m.data.size == BLOB_SIZE, "blob message %d, %u bytes",
          big.m.head.msgh_id, big.m.data.size);
    for (size_t i = 0; i < BLOB_SIZE; i++)
        CHECK(2, ((const char *)big.m.data.address)[i] == blob_byte(i), "blob byte %zu", i);
    CHECK(2, big.m.port.name == MACH_PORT_DEAD, "the right whose port died meanwhile: %#x", big.m.port.name);
    EXPECT(2, vm_deallocate(mach_task_self(), (vm_address_t)big.m.data.address, BLOB_SIZE), KERN_SUCCESS);
    for (int i = 0; i < QUEUED; i++) /* one name for the creator's port: the rights coalesced */
        CHECK(3, back[i] == back[0], "carried rights %#x %#x", back[i], back[0]);
    mach_port_urefs_t refs = 0; /* before answering: the creator exits once answered */
    EXPECT(3, mach_port_get_refs(mach_task_self(), back[0], MACH_PORT_RIGHT_SEND, &refs), KERN_SUCCESS);
    CHECK(3, refs == QUEUED, "send references %u", refs);
    for (int i = 0; i < QUEUED; i++)
        EXPECT(3, send_note(back[0], MACH_MSG_TYPE_COPY_SEND, MACH_PORT_NULL, 0, 400 + i, i, MACH_PORT_NULL),
               MACH_MSG_SUCCESS);
    EXPECT(3, send_note(b.m.head.msgh_remote_port, MACH_MSG_TYPE_MOVE_SEND_ONCE, MACH_PORT_NULL, 0, 400 + QUEUED,
                        0, MACH_PORT_NULL),
           MACH_MSG_SUCCESS);
    return 0;
}

/* server NAME: checks in NAME and registers NAME.reg to another port of its own, then answers
 * RPCs on both (id 100 -> 200, value + 1) until an id 199 arrives on each; lives through a
 * machd restart (its names are bound again by the runtime). */
static int server(const char *name) {
    mach_port_t recv = MACH_PORT_NULL, reg = new_port(), set = MACH_PORT_NULL;
    EXPECT(1, bootstrap_check_in(bootstrap_port, name, &recv), KERN_SUCCESS);
    EXPECT(1, bootstrap_register(bootstrap_port, suffixed(name, "reg"), reg), KERN_SUCCESS);
    EXPECT(1, mach_port_deallocate(mach_task_self(), reg), KERN_SUCCESS); /* the receive right stays */
    EXPECT(1, mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_PORT_SET, &set), KERN_SUCCESS);
    EXPECT(1, mach_port_move_member(mach_task_self(), recv, set), KERN_SUCCESS);
    EXPECT(1, mach_port_move_member(mach_task_self(), reg, set), KERN_SUCCESS);
    ready();
    int quits = 0, answered = 0;
    while (quits < 2) {
        struct note_buf b;
        memset(&b, 0, sizeof b);
        mach_msg_return_t mr = mach_msg(&b.m.head, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof b, set, 60000,
                                        MACH_PORT_NULL);
        CHECK(2, mr == MACH_MSG_SUCCESS, "receive: %#x after %d answers", mr, answered);
        if (b.m.head.msgh_id == 199) {
            quits++;
        } else {
            CHECK(3, b.m.head.msgh_id == 100, "request id %d", b.m.head.msgh_id);
            EXPECT(3, send_note(b.m.head.msgh_remote_port, MACH_MSG_TYPE_MOVE_SEND_ONCE, MACH_PORT_NULL, 0, 200,
                                b.m.value + 1, MACH_PORT_NULL),
                   MACH_MSG_SUCCESS);
            answered++;
        }
        mach_msg_destroy(&b.m.head);
    }
    CHECK(4, answered >= 2, "answered %d", answered);
    return 0;
}

/* One RPC to dest: value in, value + 1 back. */
static int rpc(int step, mach_port_t dest, int value) {
    mach_port_t reply = MACH_PORT_NULL;
    EXPECT(step, mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &reply), KERN_SUCCESS);
    EXPECT(step, send_note(dest, MACH_MSG_TYPE_COPY_SEND, reply, MACH_MSG_TYPE_MAKE_SEND_ONCE, 100, value,
                           MACH_PORT_NULL),
           MACH_MSG_SUCCESS);
    struct note_buf b;
    EXPECT(step, receive_note(reply, &b), MACH_MSG_SUCCESS);
    CHECK(step, b.m.head.msgh_id == 200 && b.m.value == value + 1, "answer %d %d", b.m.head.msgh_id, b.m.value);
    EXPECT(step, mach_port_mod_refs(mach_task_self(), reply, MACH_PORT_RIGHT_RECEIVE, -1), KERN_SUCCESS);
    return 0;
}

/* client NAME [quit]: finds NAME and NAME.reg (retrying: after a restart the server binds them
 * again on its own), makes an RPC to each, then (quit) tells the server to stop. */
static int client(const char *name, bool quit) {
    ready();
    const char *names[2] = {name, suffixed(name, "reg")};
    for (int i = 0; i < 2; i++) {
        mach_port_t port = MACH_PORT_NULL;
        EXPECT(1, look_up_retrying(names[i], &port), KERN_SUCCESS);
        int r = rpc(2, port, 10 * i);
        if (r)
            return r;
        if (quit)
            EXPECT(3, send_note(port, MACH_MSG_TYPE_MOVE_SEND, MACH_PORT_NULL, 0, 199, 0, MACH_PORT_NULL),
               MACH_MSG_SUCCESS);
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: machd_boot_peer MODE NAME [ARG]\n");
        return 2;
    }
    mode = argv[1];
    const char *arg = argc > 3 ? argv[3] : "";
    if (strcmp(mode, "codes") == 0)
        return codes(argv[2], arg);
    if (strcmp(mode, "owner") == 0)
        return owner(argv[2]);
    if (strcmp(mode, "intruder") == 0)
        return intruder(argv[2]);
    if (strcmp(mode, "creator") == 0)
        return creator(argv[2]);
    if (strcmp(mode, "checker") == 0)
        return checker(argv[2], (pid_t)atoi(arg));
    if (strcmp(mode, "server") == 0)
        return server(argv[2]);
    if (strcmp(mode, "client") == 0)
        return client(argv[2], strcmp(arg, "quit") == 0);
    return 2;
}
