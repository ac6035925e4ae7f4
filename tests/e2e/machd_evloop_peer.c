/* A libmach task for the event-loop tests across processes (machd_evloop_test.c). Prints
 * "ready" once set up; exits 0 when every check passed, else the number of the step that
 * failed (stderr says why).
 *   serve NAME COUNT  checks NAME in, puts it in a port set with a local port, watches the
 *                     set's descriptor in epoll and receives COUNT messages from other
 *                     processes through the loop (values in order per sender id); the local
 *                     member dies with a message queued half-way; wake-ups that find nothing
 *                     are at most one per message
 *   send NAME COUNT   looks NAME up and sends COUNT messages (id: its pid, values 0..COUNT-1)
 * (Semaphores across processes: machd_semaphore_peer.c.) */
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <mach/mach.h>
#include <mach/openmig_fd.h>
#include <servers/bootstrap.h>

#define PEER_NAME "machd_evloop_peer"
#include "peer_check.h"

struct msg {
    mach_msg_header_t header;
    int32_t value;
    mach_msg_max_trailer_t trailer;
};

#define MAX_SENDERS 8

static int serve(const char *name, int count) {
    mach_port_t service = MACH_PORT_NULL, local = MACH_PORT_NULL, set = MACH_PORT_NULL;
    CHECK(1, bootstrap_check_in(bootstrap_port, name, &service) == KERN_SUCCESS, "check-in %s", name);
    CHECK(2, mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_PORT_SET, &set) == KERN_SUCCESS, "set");
    CHECK(3, mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &local) == KERN_SUCCESS, "port");
    CHECK(4, mach_port_move_member(mach_task_self(), service, set) == KERN_SUCCESS, "member");
    CHECK(5, mach_port_move_member(mach_task_self(), local, set) == KERN_SUCCESS, "member");
    int fd = -1;
    CHECK(6, mach_port_get_fd(mach_task_self(), set, &fd) == KERN_SUCCESS, "get_fd");
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN};
    CHECK(7, epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == 0, "epoll_ctl");
    ready();

    pid_t senders[MAX_SENDERS] = {0};
    int32_t next[MAX_SENDERS] = {0};
    int received = 0, wakeups = 0, empty_wakeups = 0;
    bool local_dead = false;
    while (received < count) {
        struct epoll_event out;
        int n = epoll_wait(ep, &out, 1, 20000);
        CHECK(10, n == 1, "epoll_wait: %d after %d messages", n, received);
        wakeups++;
        int got = 0;
        struct msg m;
        for (;;) {
            memset(&m, 0, sizeof m);
            mach_msg_return_t mr = mach_msg(&m.header, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof m, set, 0,
                                            MACH_PORT_NULL);
            if (mr == MACH_RCV_TIMED_OUT)
                break;
            CHECK(11, mr == MACH_MSG_SUCCESS, "receive: %#x", mr);
            CHECK(12, m.header.msgh_local_port == service, "message from the local member");
            int s = 0;
            while (s < MAX_SENDERS && senders[s] != 0 && senders[s] != m.header.msgh_id)
                s++;
            CHECK(13, s < MAX_SENDERS, "too many senders");
            senders[s] = m.header.msgh_id;
            CHECK(14, m.value == next[s], "sender %d: value %d, expected %d", s, m.value, next[s]);
            next[s]++;
            got++;
            received++;
        }
        if (got == 0)
            empty_wakeups++;
        if (!local_dead && received >= count / 2) {
            /* A member dies with a message queued: the loop carries on with the others. */
            struct msg lm = {0};
            lm.header.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND, 0);
            lm.header.msgh_remote_port = local;
            lm.header.msgh_size = offsetof(struct msg, trailer);
            CHECK(15, mach_msg(&lm.header, MACH_SEND_MSG, lm.header.msgh_size, 0, MACH_PORT_NULL, 0,
                               MACH_PORT_NULL) == MACH_MSG_SUCCESS, "local send");
            CHECK(16, mach_port_mod_refs(mach_task_self(), local, MACH_PORT_RIGHT_RECEIVE, -1) == KERN_SUCCESS,
                  "destroy local member");
            local_dead = true;
        }
    }
    /* Level-triggered, no busy loop: a wake-up that finds nothing (a late write by the thread
     * that queued a message, see openmig_fd.h) is rare and at most one per message; once all
     * is received the descriptor is quiet. */
    CHECK(20, empty_wakeups <= received, "%d of %d wake-ups found nothing", empty_wakeups, wakeups);
    struct epoll_event out;
    CHECK(21, epoll_wait(ep, &out, 1, 0) == 0, "still readable after the last message");
    fprintf(stderr, "machd_evloop_peer serve: %d messages in %d wake-ups (%d found nothing)\n", received,
            wakeups, empty_wakeups);
    close(ep);
    close(fd);
    return 0;
}

static int send_all(const char *name, int count) {
    mach_port_t service = MACH_PORT_NULL;
    CHECK(1, bootstrap_look_up(bootstrap_port, name, &service) == KERN_SUCCESS, "look-up %s", name);
    ready();
    for (int i = 0; i < count; i++) {
        struct msg m = {0};
        m.header.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
        m.header.msgh_remote_port = service;
        m.header.msgh_size = offsetof(struct msg, trailer);
        m.header.msgh_id = getpid();
        m.value = i;
        mach_msg_return_t mr = mach_msg(&m.header, MACH_SEND_MSG, m.header.msgh_size, 0, MACH_PORT_NULL, 0,
                                        MACH_PORT_NULL);
        CHECK(2, mr == MACH_MSG_SUCCESS, "send %d: %#x", i, mr);
        if (i % 64 == 0)
            usleep(1000); /* let the loop sleep now and then: wake-ups from idle */
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s serve|send NAME COUNT\n", argv[0]);
        return 2;
    }
    mode = argv[1];
    int count = atoi(argv[3]);
    if (strcmp(mode, "serve") == 0)
        return serve(argv[2], count);
    if (strcmp(mode, "send") == 0)
        return send_all(argv[2], count);
    return 2;
}
