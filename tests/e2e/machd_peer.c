/* A real task for machd's multi-process tests, speaking the protocol through the runtime's
 * connection code. Prints "ready" on stdout once set up. Modes:
 *   server NAME        check in NAME; answer msgh_id 1 with msgh_id 101 (same body); ignore 2
 *   client NAME COUNT  look up NAME; COUNT echo RPCs, checking each reply; exit 0 if all good
 *   hang NAME          look up NAME; send msgh_id 2 (never answered) and wait forever
 *   hold NAME          look up NAME; wait forever holding the send right */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wire/machd_conn.h"

#define REPLY_HANDLE (MACHD_HANDLE_TASK_BIT | 1u)

static struct machd_conn conn;
static struct machd_msg msg, in;
static uint8_t buf[MACHD_MAX_PACKET];

static void ready(void) {
    fputs("ready\n", stdout);
    fflush(stdout);
}

static int bootstrap(uint32_t op, const char *name, uint32_t *handle) {
    memset(&msg, 0, sizeof msg);
    msg.type = MACHD_BOOTSTRAP;
    msg.u.bootstrap.op = op;
    msg.u.bootstrap.name = name;
    msg.u.bootstrap.name_len = (uint32_t)strlen(name);
    if (machd_conn_send(&conn, &msg) || machd_conn_recv(&conn, buf, &in, -1) ||
        in.type != MACHD_BOOTSTRAP_REPLY || in.u.bootstrap_reply.status != 0) {
        fprintf(stderr, "machd_peer: bootstrap %u %s failed\n", op, name);
        exit(3);
    }
    *handle = in.u.bootstrap_reply.name;
    return 0;
}

static void send_msg(uint32_t dest, uint8_t dest_disp, struct machd_right reply, int32_t id,
                     const uint8_t *body, uint32_t len) {
    memset(&msg, 0, sizeof msg);
    msg.type = MACHD_MSG_SEND;
    msg.u.send.dest = (struct machd_right){dest, dest_disp, 0};
    msg.u.send.reply = reply;
    msg.u.send.flags = MACHD_SEND_ACK_ERRORS_ONLY;
    msg.u.send.p.msgh_id = id;
    msg.u.send.p.body = body;
    msg.u.send.p.body_len = len;
    if (machd_conn_send(&conn, &msg) != 0)
        exit(4);
}

static int serve(const char *name) {
    uint32_t recv_handle;
    bootstrap(MACHD_BOOTSTRAP_CHECK_IN, name, &recv_handle);
    ready();
    for (;;) {
        int err = machd_conn_recv(&conn, buf, &in, -1);
        if (err == EPIPE)
            return 0;
        if (err)
            return 5;
        if (in.type != MACHD_MSG_DELIVER || in.u.deliver.dest.name != recv_handle)
            continue; /* events and send errors: a real server would log them */
        if (in.u.deliver.p.msgh_id == 1 && in.u.deliver.reply.disposition == MACHD_DISP_MOVE_SEND_ONCE)
            send_msg(in.u.deliver.reply.name, MACHD_DISP_MOVE_SEND_ONCE, (struct machd_right){0, 0, 0},
                     101, in.u.deliver.p.body, in.u.deliver.p.body_len);
    }
}

static int client(const char *name, long count) {
    uint32_t service;
    bootstrap(MACHD_BOOTSTRAP_LOOK_UP, name, &service);
    ready();
    static const char ping[] = "ping-payload";
    const uint32_t len = (uint32_t)strlen(ping);
    for (long i = 0; i < count; i++) {
        /* The reply port is exported once (NEW), then known to machd. */
        struct machd_right reply = {REPLY_HANDLE, MACHD_DISP_MAKE_SEND_ONCE, i == 0 ? MACHD_RIGHT_NEW : 0};
        send_msg(service, MACHD_DISP_COPY_SEND, reply, 1, (const uint8_t *)ping, len);
        if (machd_conn_recv(&conn, buf, &in, 30000) != 0 || in.type != MACHD_MSG_DELIVER ||
            in.u.deliver.dest.name != REPLY_HANDLE || in.u.deliver.p.msgh_id != 101 ||
            in.u.deliver.p.body_len != len || memcmp(in.u.deliver.p.body, ping, len) != 0 ||
            in.u.deliver.audit.pid == 0 || in.u.deliver.audit.task_id == 0) {
            fprintf(stderr, "machd_peer: RPC %ld failed (type %u)\n", i, in.type);
            return 1;
        }
    }
    return 0;
}

static _Noreturn void hang(const char *name) {
    uint32_t service;
    bootstrap(MACHD_BOOTSTRAP_LOOK_UP, name, &service);
    send_msg(service, MACHD_DISP_COPY_SEND,
             (struct machd_right){REPLY_HANDLE, MACHD_DISP_MAKE_SEND_ONCE, MACHD_RIGHT_NEW}, 2, NULL, 0);
    ready();
    for (;;)
        pause();
}

static _Noreturn void hold(const char *name) {
    uint32_t service;
    bootstrap(MACHD_BOOTSTRAP_LOOK_UP, name, &service);
    ready();
    for (;;)
        pause();
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: machd_peer server|client|hang|hold NAME [COUNT]\n");
        return 2;
    }
    if (machd_conn_open(&conn, NULL, false) != 0) {
        fprintf(stderr, "machd_peer: cannot connect to machd\n");
        return 3;
    }
    if (strcmp(argv[1], "server") == 0)
        return serve(argv[2]);
    if (strcmp(argv[1], "client") == 0)
        return client(argv[2], argc > 3 ? atol(argv[3]) : 1);
    if (strcmp(argv[1], "hang") == 0)
        hang(argv[2]);
    if (strcmp(argv[1], "hold") == 0)
        hold(argv[2]);
    return 2;
}
