/* A real task using libmach's public API across processes through machd: mach_msg, ports and
 * rights, and bootstrap_check_in/look_up on bootstrap_port (machd's name service). Prints
 * "ready" once set up. Modes:
 *   server NAME           check in NAME; answer id 500 with id 600 (body echoed, then the
 *                         sender pid from the audit trailer); id 510 carries a send right
 *                         that the server uses to send id 520 to; 501 is never answered
 *   client NAME COUNT     COUNT RPCs (id 500) with a send-once reply port; checks every reply
 *   give NAME             sends (id 510) a send right to a local port, then receives id 520 on it
 *   stream NAME COUNT     sends ids 0..COUNT-1 to NAME (blocking when its queue is full)
 *   moveaway NAME THIRD K check in NAME, receive ids 0..K-1, move the receive right to THIRD
 *                         (id 700) while more stream in; stays 8 s so they can follow it
 *   nullrecv NAME         sends id 540 moving "receive rights" named MACH_PORT_NULL and _DEAD
 *   ool NAME SIZE         sends SIZE bytes out-of-line (id 530); the server answers id 630 with
 *                         their sum, which the client checks
 *   third NAME            check in NAME; receive a receive right (id 700), then ids 701, 702,
 *                         703 on it, in order
 *   mover NAME            queue 701 and 702 on a local port registered as NAME.moved, move its
 *                         receive right to NAME (id 700), then send 703 with the kept send right
 *   drop NAME             check in NAME, wait for one message, destroy the receive right, then
 *                         stay alive for 30 s (killed by the test)
 *   hang NAME             one RPC (id 501) that is never answered; exits 0 when the reply port
 *                         receives a send-once notification (the server died), 1 otherwise */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mach/mach.h>
#include <mach/notify.h>
#include <servers/bootstrap.h>

#include "machd_rpc_msgs.h"
#include "services/bootstrap_client.h"
#include "transport/transport_machd.h"


struct give {
    mach_msg_header_t head;
    mach_msg_body_t body;
    mach_msg_port_descriptor_t port;
};

struct ool_msg {
    mach_msg_header_t head;
    mach_msg_body_t body;
    mach_msg_ool_descriptor_t data;
};

struct give_buf {
    struct give msg;
    uint8_t trailer[128];
};

static void ready(void) {
    fputs("ready\n", stdout);
    fflush(stdout);
}

static mach_port_t look_up(const char *name) {
    mach_port_t port = MACH_PORT_NULL;
    kern_return_t kr = bootstrap_look_up(bootstrap_port, name, &port);
    if (kr != KERN_SUCCESS) {
        fprintf(stderr, "machd_rpc_peer: look-up %s: %#x\n", name, kr);
        exit(3);
    }
    return port;
}

static int serve(const char *name) {
    mach_port_t recv;
    kern_return_t kr = bootstrap_check_in(bootstrap_port, name, &recv);
    if (kr != KERN_SUCCESS) {
        fprintf(stderr, "machd_rpc_peer: check-in %s: %#x\n", name, kr);
        return 3;
    }
    ready();
    for (;;) {
        union {
            struct reply_buf r;
            struct give_buf g;
            struct ool_msg o;
            uint8_t space[512];
        } in;
        memset(&in, 0, sizeof in);
        mach_msg_option_t opt = MACH_RCV_MSG | MACH_RCV_TRAILER_TYPE(MACH_MSG_TRAILER_FORMAT_0) |
                                MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_AUDIT);
        if (mach_msg(&in.r.head, opt, 0, sizeof in, recv, MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL) != 0)
            return 4;
        if (in.r.head.msgh_id == 500) {
            mach_msg_audit_trailer_t *t =
                (void *)((uint8_t *)&in.r.head + ((in.r.head.msgh_size + 3) & ~3u));
            struct reply_buf out;
            memset(&out, 0, sizeof out);
            out.head.msgh_bits = MACH_MSGH_BITS(MACH_MSGH_BITS_REMOTE(in.r.head.msgh_bits), 0);
            out.head.msgh_remote_port = in.r.head.msgh_remote_port;
            out.head.msgh_id = 600;
            out.head.msgh_size = offsetof(struct reply_buf, trailer);
            memcpy(out.text, in.r.text, sizeof out.text);
            out.sender_pid = (int32_t)t->msgh_audit.val[5];
            if (mach_msg(&out.head, MACH_SEND_MSG, out.head.msgh_size, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL) != 0)
                return 5;
        } else if (in.r.head.msgh_id == 530) {
            uint32_t sum = 0;
            const uint8_t *bytes = in.o.data.address;
            for (mach_msg_size_t i = 0; i < in.o.data.size; i++)
                sum += bytes[i];
            vm_deallocate(mach_task_self(), (vm_address_t)in.o.data.address, in.o.data.size);
            struct reply_buf out;
            memset(&out, 0, sizeof out);
            out.head.msgh_bits = MACH_MSGH_BITS(MACH_MSGH_BITS_REMOTE(in.r.head.msgh_bits), 0);
            out.head.msgh_remote_port = in.r.head.msgh_remote_port;
            out.head.msgh_id = 630;
            out.head.msgh_size = offsetof(struct reply_buf, trailer);
            snprintf(out.text, sizeof out.text, "%u %u", (unsigned)in.o.data.size, (unsigned)sum);
            if (mach_msg(&out.head, MACH_SEND_MSG, out.head.msgh_size, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL) != 0)
                return 7;
        } else if (in.r.head.msgh_id == 510) {
            mach_port_t given = in.g.msg.port.name;
            struct request out;
            memset(&out, 0, sizeof out);
            out.head.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
            out.head.msgh_remote_port = given;
            out.head.msgh_id = 520;
            out.head.msgh_size = sizeof out;
            strcpy(out.text, "via given right");
            if (mach_msg(&out.head, MACH_SEND_MSG, sizeof out, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL) != 0)
                return 6;
            mach_port_deallocate(mach_task_self(), given);
        }
    }
}

/* A request to svc with a make-send-once reply right to reply. */
static void make_request(struct request *q, mach_port_t svc, mach_port_t reply, mach_msg_id_t id) {
    memset(q, 0, sizeof *q);
    q->head.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE);
    q->head.msgh_remote_port = svc;
    q->head.msgh_local_port = reply;
    q->head.msgh_id = id;
    q->head.msgh_size = sizeof *q;
}

static mach_port_t new_receive_right(void) {
    mach_port_t port;
    if (mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &port) != KERN_SUCCESS)
        exit(3);
    return port;
}

static int client(const char *name, long count) {
    mach_port_t svc = look_up(name);
    mach_port_t reply = new_receive_right();
    ready();
    for (long i = 0; i < count; i++) {
        union {
            struct request q;
            struct reply_buf r;
        } m;
        memset(&m, 0, sizeof m);
        make_request(&m.q, svc, reply, 500);
        snprintf(m.q.text, sizeof m.q.text, "ping %ld", i);
        mach_msg_return_t mr = mach_msg(&m.q.head, MACH_SEND_MSG | MACH_RCV_MSG | MACH_RCV_TIMEOUT,
                                        sizeof m.q, sizeof m, reply, 30000, MACH_PORT_NULL);
        char want[32];
        snprintf(want, sizeof want, "ping %ld", i);
        if (mr != MACH_MSG_SUCCESS || m.r.head.msgh_id != 600 || strcmp(m.r.text, want) != 0 ||
            m.r.sender_pid != (int32_t)getpid()) {
            fprintf(stderr, "machd_rpc_peer: RPC %ld: %#x id %d pid %d\n", i, mr, m.r.head.msgh_id,
                    m.r.sender_pid);
            return 1;
        }
    }
    return 0;
}

static int give(const char *name) {
    mach_port_t svc = look_up(name);
    mach_port_t mine = new_receive_right();
    struct give g;
    memset(&g, 0, sizeof g);
    g.head.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0) | MACH_MSGH_BITS_COMPLEX;
    g.head.msgh_remote_port = svc;
    g.head.msgh_id = 510;
    g.head.msgh_size = sizeof g;
    g.body.msgh_descriptor_count = 1;
    g.port.name = mine;
    g.port.disposition = MACH_MSG_TYPE_MAKE_SEND;
    g.port.type = MACH_MSG_PORT_DESCRIPTOR;
    ready();
    if (mach_msg(&g.head, MACH_SEND_MSG, sizeof g, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL) != 0)
        return 4;
    struct reply_buf in;
    memset(&in, 0, sizeof in);
    mach_msg_return_t mr = mach_msg(&in.head, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof in, mine, 30000, MACH_PORT_NULL);
    if (mr != MACH_MSG_SUCCESS || in.head.msgh_id != 520 || strcmp(in.text, "via given right") != 0) {
        fprintf(stderr, "machd_rpc_peer: give: %#x id %d\n", mr, in.head.msgh_id);
        return 1;
    }
    return 0;
}

/* Moves "receive rights" named MACH_PORT_NULL and MACH_PORT_DEAD (id 540): they carry no right,
 * and Mach passes such names through whatever the disposition. */
static int null_receive(const char *name) {
    mach_port_t svc = look_up(name);
    struct {
        mach_msg_header_t head;
        mach_msg_body_t body;
        mach_msg_port_descriptor_t port[2];
    } m;
    memset(&m, 0, sizeof m);
    m.head.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0) | MACH_MSGH_BITS_COMPLEX;
    m.head.msgh_remote_port = svc;
    m.head.msgh_id = 540;
    m.head.msgh_size = sizeof m;
    m.body.msgh_descriptor_count = 2;
    m.port[0] = (mach_msg_port_descriptor_t){.name = MACH_PORT_NULL, .disposition = MACH_MSG_TYPE_MOVE_RECEIVE,
                                             .type = MACH_MSG_PORT_DESCRIPTOR};
    m.port[1] = (mach_msg_port_descriptor_t){.name = MACH_PORT_DEAD, .disposition = MACH_MSG_TYPE_MOVE_RECEIVE,
                                             .type = MACH_MSG_PORT_DESCRIPTOR};
    ready();
    mach_msg_return_t mr = mach_msg(&m.head, MACH_SEND_MSG, sizeof m, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL);
    if (mr != MACH_MSG_SUCCESS) {
        fprintf(stderr, "machd_rpc_peer: nullrecv: %#x\n", mr);
        return 1;
    }
    return 0;
}

static int ool(const char *name, long size) {
    mach_port_t svc = look_up(name);
    mach_port_t reply = new_receive_right();
    uint8_t *data = malloc((size_t)size);
    if (!data)
        return 3;
    uint32_t sum = 0;
    for (long i = 0; i < size; i++) {
        data[i] = (uint8_t)(i * 7 + 3);
        sum += data[i];
    }
    ready();
    union {
        struct ool_msg q;
        struct reply_buf r;
    } m;
    memset(&m, 0, sizeof m);
    m.q.head.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE) | MACH_MSGH_BITS_COMPLEX;
    m.q.head.msgh_remote_port = svc;
    m.q.head.msgh_local_port = reply;
    m.q.head.msgh_id = 530;
    m.q.head.msgh_size = sizeof m.q;
    m.q.body.msgh_descriptor_count = 1;
    m.q.data.address = data;
    m.q.data.size = (mach_msg_size_t)size;
    m.q.data.copy = MACH_MSG_VIRTUAL_COPY;
    m.q.data.type = MACH_MSG_OOL_DESCRIPTOR;
    mach_msg_return_t mr = mach_msg(&m.q.head, MACH_SEND_MSG | MACH_RCV_MSG | MACH_RCV_TIMEOUT, sizeof m.q,
                                    sizeof m, reply, 30000, MACH_PORT_NULL);
    char want[32];
    snprintf(want, sizeof want, "%u %u", (unsigned)size, (unsigned)sum);
    free(data);
    if (mr != MACH_MSG_SUCCESS || m.r.head.msgh_id != 630 || strcmp(m.r.text, want) != 0) {
        fprintf(stderr, "machd_rpc_peer: ool: %#x id %d '%s' (want '%s')\n", mr, m.r.head.msgh_id, m.r.text, want);
        return 1;
    }
    return 0;
}

static mach_msg_return_t send_id(mach_port_t dest, mach_msg_type_name_t disp, mach_msg_id_t id) {
    mach_msg_header_t h;
    memset(&h, 0, sizeof h);
    h.msgh_bits = MACH_MSGH_BITS(disp, 0);
    h.msgh_remote_port = dest;
    h.msgh_id = id;
    h.msgh_size = sizeof h;
    return mach_msg(&h, MACH_SEND_MSG, sizeof h, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL);
}

static int third(const char *name) {
    mach_port_t recv;
    if (bootstrap_check_in(bootstrap_port, name, &recv) != KERN_SUCCESS)
        return 3;
    ready();
    struct give_buf in;
    memset(&in, 0, sizeof in);
    mach_msg_return_t mr = mach_msg(&in.msg.head, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof in, recv, 30000,
                                    MACH_PORT_NULL);
    if (mr != MACH_MSG_SUCCESS || in.msg.head.msgh_id != 700 || in.msg.port.disposition != MACH_MSG_TYPE_PORT_RECEIVE)
        return 4;
    mach_port_t moved = in.msg.port.name;
    for (mach_msg_id_t want = 701; want <= 703; want++) {
        struct reply_buf m;
        memset(&m, 0, sizeof m);
        mr = mach_msg(&m.head, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof m, moved, 30000, MACH_PORT_NULL);
        if (mr != MACH_MSG_SUCCESS || m.head.msgh_id != want) {
            fprintf(stderr, "machd_rpc_peer: third: %#x id %d, want %d\n", mr, m.head.msgh_id, want);
            return 5;
        }
    }
    return 0;
}

static int mover(const char *name) {
    mach_port_t task = mach_task_self(), port, dest;
    char moved_name[128];
    snprintf(moved_name, sizeof moved_name, "%s.moved", name);
    if (mach_port_allocate(task, MACH_PORT_RIGHT_RECEIVE, &port) != KERN_SUCCESS ||
        mach_port_insert_right(task, port, port, MACH_MSG_TYPE_MAKE_SEND) != KERN_SUCCESS ||
        bootstrap_register(bootstrap_port, moved_name, port) != KERN_SUCCESS)
        return 3;
    dest = look_up(name);
    ready();
    if (send_id(port, MACH_MSG_TYPE_COPY_SEND, 701) || send_id(port, MACH_MSG_TYPE_COPY_SEND, 702))
        return 4;
    struct give g;
    memset(&g, 0, sizeof g);
    g.head.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0) | MACH_MSGH_BITS_COMPLEX;
    g.head.msgh_remote_port = dest;
    g.head.msgh_id = 700;
    g.head.msgh_size = sizeof g;
    g.body.msgh_descriptor_count = 1;
    g.port.name = port;
    g.port.disposition = MACH_MSG_TYPE_MOVE_RECEIVE;
    g.port.type = MACH_MSG_PORT_DESCRIPTOR;
    if (mach_msg(&g.head, MACH_SEND_MSG, sizeof g, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL) != 0)
        return 5;
    /* The send right kept here now reaches the port in the other process. */
    if (send_id(port, MACH_MSG_TYPE_COPY_SEND, 703))
        return 6;
    /* Exiting at once is fine: machd reads what a dead task wrote before destroying it. */
    return 0;
}

/* Sends ids 0..count-1 to NAME as fast as the queue limit lets it (blocking when it is full). */
static int stream(const char *name, long count) {
    mach_port_t dest = look_up(name);
    ready();
    for (long i = 0; i < count; i++)
        if (send_id(dest, MACH_MSG_TYPE_COPY_SEND, (mach_msg_id_t)i) != MACH_MSG_SUCCESS) {
            fprintf(stderr, "machd_rpc_peer: stream: send %ld failed\n", i);
            return 4;
        }
    return 0;
}

/* Checks in NAME, receives `first` messages (ids 0..first-1, in order), then moves the receive
 * right to THIRD (id 700) while more are on their way, and stays a while so that those already
 * sent to it follow the right. */
static int move_away(const char *name, const char *third_name, long first) {
    mach_port_t recv;
    if (bootstrap_check_in(bootstrap_port, name, &recv) != KERN_SUCCESS)
        return 3;
    ready();
    for (long i = 0; i < first; i++) {
        struct {
            mach_msg_header_t h;
            uint8_t room[64]; /* the trailer and a little more */
        } in;
        memset(&in, 0, sizeof in);
        mach_msg_return_t mr = mach_msg(&in.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof in, recv, 30000, MACH_PORT_NULL);
        if (mr != MACH_MSG_SUCCESS || in.h.msgh_id != (mach_msg_id_t)i) {
            fprintf(stderr, "machd_rpc_peer: moveaway: %#x id %d (want %ld)\n", mr, in.h.msgh_id, i);
            return 4;
        }
    }
    mach_port_t third_port = look_up(third_name);
    struct give g;
    memset(&g, 0, sizeof g);
    g.head.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0) | MACH_MSGH_BITS_COMPLEX;
    g.head.msgh_remote_port = third_port;
    g.head.msgh_id = 700;
    g.head.msgh_size = sizeof g;
    g.body.msgh_descriptor_count = 1;
    g.port.name = recv;
    g.port.disposition = MACH_MSG_TYPE_MOVE_RECEIVE;
    g.port.type = MACH_MSG_PORT_DESCRIPTOR;
    if (mach_msg(&g.head, MACH_SEND_MSG, sizeof g, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL) != 0)
        return 5;
    /* Stay: this process's runtime forwards what machd had sent it for the port. */
    mach_port_t idle = new_receive_right();
    mach_msg_header_t h;
    (void)mach_msg(&h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof h, idle, 8000, MACH_PORT_NULL);
    return 0;
}

static int drop(const char *name) {
    mach_port_t recv;
    if (bootstrap_check_in(bootstrap_port, name, &recv) != KERN_SUCCESS)
        return 3;
    ready();
    struct reply_buf m;
    memset(&m, 0, sizeof m);
    if (mach_msg(&m.head, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof m, recv, 30000, MACH_PORT_NULL) != 0)
        return 4;
    if (mach_port_mod_refs(mach_task_self(), recv, MACH_PORT_RIGHT_RECEIVE, -1) != KERN_SUCCESS)
        return 5;
    sleep(30);
    return 0;
}

static int hang(const char *name) {
    mach_port_t svc = look_up(name);
    mach_port_t reply = new_receive_right();
    union {
        struct request q;
        struct reply_buf r;
    } m;
    memset(&m, 0, sizeof m);
    make_request(&m.q, svc, reply, 501);
    if (mach_msg(&m.q.head, MACH_SEND_MSG, sizeof m.q, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL) != 0)
        return 4;
    ready();
    mach_msg_return_t mr = mach_msg(&m.r.head, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof m, reply, 60000,
                                    MACH_PORT_NULL);
    if (mr == MACH_MSG_SUCCESS && m.r.head.msgh_id == MACH_NOTIFY_SEND_ONCE)
        return 0;
    fprintf(stderr, "machd_rpc_peer: hang: %#x id %d\n", mr, m.r.head.msgh_id);
    return 1;
}

int main(int argc, char **argv) {
    /* The bootstrap constructor makes this call once rt-svc wires it; calling it again is a
     * no-op. With MACHD_SOCKET set, bootstrap_port is then machd's name service. */
    bootstrap_client_use_machd();
    if (argc < 3) {
        fprintf(stderr, "usage: machd_rpc_peer server|client|give|hang NAME [COUNT]\n");
        return 2;
    }
    if (strcmp(argv[1], "server") == 0)
        return serve(argv[2]);
    if (strcmp(argv[1], "client") == 0)
        return client(argv[2], argc > 3 ? atol(argv[3]) : 1);
    if (strcmp(argv[1], "give") == 0)
        return give(argv[2]);
    if (strcmp(argv[1], "hang") == 0)
        return hang(argv[2]);
    if (strcmp(argv[1], "drop") == 0)
        return drop(argv[2]);
    if (strcmp(argv[1], "third") == 0)
        return third(argv[2]);
    if (strcmp(argv[1], "mover") == 0)
        return mover(argv[2]);
    if (strcmp(argv[1], "stream") == 0)
        return stream(argv[2], argc > 3 ? atol(argv[3]) : 1000);
    if (strcmp(argv[1], "moveaway") == 0 && argc > 4)
        return move_away(argv[2], argv[3], atol(argv[4]));
    if (strcmp(argv[1], "nullrecv") == 0)
        return null_receive(argv[2]);
    if (strcmp(argv[1], "ool") == 0)
        return ool(argv[2], argc > 3 ? atol(argv[3]) : 4096);
    return 2;
}
