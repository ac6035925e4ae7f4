/* A libmach task for guarded port descriptors across processes (machd_guard_test.c). Modes:
 *   server NAME: checks in NAME, receives three messages, each with a receive right in a
 *                guarded descriptor, and checks what XNU's copyout gives: with
 *                MACH_RCV_GUARDED_DESC and IMMOVABLE_RECEIVE the right is guarded by the receive
 *                buffer's address and immovable; without IMMOVABLE_RECEIVE it is plain; without
 *                MACH_RCV_GUARDED_DESC the right is destroyed. Also mach_port_peek of the first
 *                message and its task_info audit token.
 *   client NAME: looks NAME up and sends the three messages (after the send-side checks).
 * Prints "ready" once set up; exits 0 when every check passed, else the failed step. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mach/mach.h>
#include <servers/bootstrap.h>

#include "services/bootstrap_client.h"

#define PEER_NAME "machd_guard_peer"
#include "peer_check.h"

typedef struct {
    mach_msg_header_t header;
    mach_msg_body_t body;
    mach_msg_guarded_port_descriptor_t desc;
} guarded_msg_t;

typedef struct {
    guarded_msg_t m;
    mach_msg_max_trailer_t trailer;
} guarded_rcv_t;

static mach_msg_return_t send_guarded(mach_port_t dest, mach_msg_id_t id, mach_port_t name,
                                      mach_msg_guard_flags_t flags, mach_port_context_t context) {
    guarded_msg_t m;
    memset(&m, 0, sizeof m);
    m.header.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0) | MACH_MSGH_BITS_COMPLEX;
    m.header.msgh_remote_port = dest;
    m.header.msgh_id = id;
    m.body.msgh_descriptor_count = 1;
    m.desc = (mach_msg_guarded_port_descriptor_t){.context = context, .flags = flags,
                                                  .disposition = MACH_MSG_TYPE_MOVE_RECEIVE,
                                                  .type = MACH_MSG_GUARDED_PORT_DESCRIPTOR,
                                                  .name = name};
    return mach_msg(&m.header, MACH_SEND_MSG, sizeof m, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL);
}

static mach_port_t new_port(void) {
    mach_port_t p = MACH_PORT_NULL;
    if (mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &p) != KERN_SUCCESS)
        exit(90);
    return p;
}

static int client(const char *name) {
    mach_port_t svc = MACH_PORT_NULL;
    CHECK(1, bootstrap_look_up(bootstrap_port, name, &svc) == KERN_SUCCESS, "look-up %s", name);
    ready();
    mach_port_t a = new_port(), b = new_port(), c = new_port();
    CHECK(2, mach_port_guard(mach_task_self(), a, 0x5151, TRUE) == KERN_SUCCESS, "guard");
    /* The send-side checks happen in the sender, before anything leaves. */
    CHECK(3, send_guarded(svc, 1, a, MACH_MSG_GUARD_FLAGS_IMMOVABLE_RECEIVE, 0x5152) ==
                 MACH_SEND_INVALID_RIGHT, "wrong guard accepted");
    CHECK(4, send_guarded(svc, 1, a, MACH_MSG_GUARD_FLAGS_IMMOVABLE_RECEIVE, 0x5151) ==
                 MACH_MSG_SUCCESS, "send immovable");
    CHECK(5, send_guarded(svc, 2, b, MACH_MSG_GUARD_FLAGS_UNGUARDED_ON_SEND, 0) == MACH_MSG_SUCCESS,
          "send unguarded");
    CHECK(6, send_guarded(svc, 3, c, MACH_MSG_GUARD_FLAGS_UNGUARDED_ON_SEND, 0) == MACH_MSG_SUCCESS,
          "send to a receiver without the option");
    mach_port_type_t t;
    CHECK(7, mach_port_type(mach_task_self(), a, &t) == KERN_INVALID_NAME, "right still here");
    return 0;
}

static int receive(mach_port_t port, guarded_rcv_t *r, mach_msg_option_t extra) {
    memset(r, 0, sizeof *r);
    return mach_msg(&r->m.header,
                    MACH_RCV_MSG | MACH_RCV_TIMEOUT | extra |
                        MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_AUDIT),
                    0, sizeof *r, port, 20000, MACH_PORT_NULL);
}

static int server(const char *name) {
    mach_port_t svc = MACH_PORT_NULL;
    CHECK(1, bootstrap_check_in(bootstrap_port, name, &svc) == KERN_SUCCESS, "check-in %s", name);
    ready();
    /* mach_port_peek on a message from another process: its id, size and machd's audit token,
     * the same the receive then gives. */
    mach_port_seqno_t seqno = 0;
    mach_msg_size_t psize = 0;
    mach_msg_id_t pid_ = 0;
    mach_msg_audit_trailer_t pt;
    mach_msg_type_number_t ptsize = sizeof pt;
    kern_return_t pk = KERN_FAILURE;
    for (int i = 0; i < 2000 && pk == KERN_FAILURE; i++) {
        pk = mach_port_peek(mach_task_self(), svc, MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_AUDIT),
                            &seqno, &psize, &pid_, (mach_msg_trailer_info_t)&pt, &ptsize);
        if (pk == KERN_FAILURE)
            usleep(10000);
    }
    CHECK(19, pk == KERN_SUCCESS && pid_ == 1 && psize == sizeof(guarded_msg_t) + 8, "peek %#x id %d size %u",
          pk, pid_, psize);
    guarded_rcv_t r;
    CHECK(2, receive(svc, &r, MACH_RCV_GUARDED_DESC) == MACH_MSG_SUCCESS, "receive 1");
    CHECK(20, memcmp(&pt.msgh_audit, &r.trailer.msgh_audit, sizeof pt.msgh_audit) == 0, "peeked audit");
    CHECK(3, r.m.header.msgh_id == 1 && r.m.desc.type == MACH_MSG_GUARDED_PORT_DESCRIPTOR, "id 1");
    mach_port_t q = r.m.desc.name;
    CHECK(4, MACH_PORT_VALID(q) && r.m.desc.disposition == MACH_MSG_TYPE_PORT_RECEIVE, "right 1");
    CHECK(5, r.m.desc.flags == MACH_MSG_GUARD_FLAGS_IMMOVABLE_RECEIVE, "flags %#x", r.m.desc.flags);
    CHECK(6, r.m.desc.context == (mach_port_context_t)(uintptr_t)&r, "context %#llx",
          (unsigned long long)r.m.desc.context);
    mach_port_context_t c = 0;
    CHECK(7, mach_port_get_context(mach_task_self(), q, &c) == KERN_SUCCESS &&
                 c == (mach_port_context_t)(uintptr_t)&r, "get_context %#llx", (unsigned long long)c);
    mach_port_status_t st;
    mach_msg_type_number_t n = MACH_PORT_RECEIVE_STATUS_COUNT;
    CHECK(8, mach_port_get_attributes(mach_task_self(), q, MACH_PORT_RECEIVE_STATUS,
                                      (mach_port_info_t)&st, &n) == KERN_SUCCESS, "status");
    CHECK(9, (st.mps_flags & MACH_PORT_STATUS_FLAG_GUARDED) &&
                 (st.mps_flags & MACH_PORT_STATUS_FLAG_GUARD_IMMOVABLE_RECEIVE), "flags %#x",
          st.mps_flags);
    mach_port_t got;
    mach_msg_type_name_t gt;
    CHECK(10, mach_port_extract_right(mach_task_self(), q, MACH_MSG_TYPE_MOVE_RECEIVE, &got, &gt) ==
                  KERN_INVALID_CAPABILITY, "immovable right moved");
    /* The sender's audit token, filled by machd, next to our own from task_info. */
    audit_token_t self;
    n = TASK_AUDIT_TOKEN_COUNT;
    CHECK(11, task_info(mach_task_self(), TASK_AUDIT_TOKEN, (task_info_t)&self, &n) == KERN_SUCCESS &&
                  self.val[5] == (unsigned)getpid(), "task_info");
    CHECK(12, r.trailer.msgh_audit.val[5] != (unsigned)getpid() && r.trailer.msgh_audit.val[5] != 0,
          "sender pid %u", r.trailer.msgh_audit.val[5]);
    mach_msg_destroy(&r.m.header);
    mach_port_type_t t;
    CHECK(13, mach_port_type(mach_task_self(), q, &t) == KERN_INVALID_NAME, "not destroyed");

    CHECK(14, receive(svc, &r, MACH_RCV_GUARDED_DESC) == MACH_MSG_SUCCESS && r.m.header.msgh_id == 2,
          "receive 2");
    q = r.m.desc.name;
    CHECK(15, MACH_PORT_VALID(q) && r.m.desc.flags == MACH_MSG_GUARD_FLAGS_UNGUARDED_ON_SEND &&
                  r.m.desc.context == 0, "descriptor 2");
    n = MACH_PORT_RECEIVE_STATUS_COUNT;
    CHECK(16, mach_port_get_attributes(mach_task_self(), q, MACH_PORT_RECEIVE_STATUS,
                                       (mach_port_info_t)&st, &n) == KERN_SUCCESS &&
                  st.mps_flags == 0, "plain right");
    mach_msg_destroy(&r.m.header);

    CHECK(17, receive(svc, &r, 0) == MACH_MSG_SUCCESS && r.m.header.msgh_id == 3, "receive 3");
    CHECK(18, r.m.desc.name == MACH_PORT_NULL && r.m.desc.context == 0, "right given without option");
    return 0;
}

int main(int argc, char **argv) {
    bootstrap_client_use_machd();
    if (argc < 3) {
        fprintf(stderr, "usage: machd_guard_peer MODE NAME\n");
        return 2;
    }
    mode = argv[1];
    if (strcmp(mode, "server") == 0)
        return server(argv[2]);
    if (strcmp(mode, "client") == 0)
        return client(argv[2]);
    return 2;
}
