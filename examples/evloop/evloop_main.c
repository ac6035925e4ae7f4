/* evloop example: one thread, one epoll loop, two kinds of clients. The loop serves the MIG
 * interface of counter.defs through a port source (<mach/openmig_fd.h>: the service port's
 * descriptor is readable while a request is queued) and a line protocol on a TCP socket
 * ("get" answers the counter's total). Two client threads use them at once: one calls the
 * generated add() stub, one talks TCP; then stop() ends the loop. Exits 0 when every answer was
 * right. With machd, the MIG clients could be other processes: the loop does not change. */
#define _GNU_SOURCE /* accept4 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <mach/mach.h>
#include <mach/openmig_bootstrap.h>
#include <mach/openmig_fd.h>
#include <servers/bootstrap.h>

#include "counter.h"
#include "evloop.h"

#define SERVICE "org.openmig.example.evloop"
#define ADDS 200

static void fail(const char *what) {
    perror(what);
    exit(1);
}

/* ---- the loop ---- */

/* Runs when the service port's descriptor is readable: serves what is queued, without waiting
 * (at most 32 requests per turn, so the socket gets its turn too). */
static void on_requests(openmig_port_source_t source, void *context) {
    (void)context;
    mach_msg_return_t mr = openmig_port_source_mig_server(
        source, counter_server, sizeof(union __RequestUnion__counter_subsystem), 0, 32);
    if (mr != MACH_MSG_SUCCESS)
        fprintf(stderr, "mig server: %s\n", mach_error_string(mr));
}

struct conn {
    int fd;
    char line[128];
    size_t len;
};

/* A TCP client's bytes: answers each "get" line with the counter's total. */
static bool on_socket(struct conn *c) {
    ssize_t n = read(c->fd, c->line + c->len, sizeof c->line - 1 - c->len);
    if (n <= 0)
        return false;
    c->len += (size_t)n;
    char *nl;
    while ((nl = memchr(c->line, '\n', c->len)) != NULL) {
        *nl = '\0';
        char answer[64];
        int k = strcmp(c->line, "get") == 0 ? snprintf(answer, sizeof answer, "total %d\n", counter_total)
                                             : snprintf(answer, sizeof answer, "error\n");
        if (write(c->fd, answer, (size_t)k) != k)
            return false;
        size_t used = (size_t)(nl + 1 - c->line);
        memmove(c->line, nl + 1, c->len - used);
        c->len -= used;
    }
    return c->len < sizeof c->line - 1;
}

enum { TAG_MACH = 1, TAG_LISTEN = 2, TAG_CONN = 3 };

static int run_loop(mach_port_t service, int listener) {
    openmig_port_source_t source;
    kern_return_t kr = openmig_port_source_create(service, on_requests, NULL, &source);
    if (kr != KERN_SUCCESS) {
        fprintf(stderr, "openmig_port_source_create: %s\n", mach_error_string(kr));
        return 1;
    }
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = TAG_MACH};
    epoll_ctl(ep, EPOLL_CTL_ADD, openmig_port_source_get_fd(source), &ev);
    ev = (struct epoll_event){.events = EPOLLIN, .data.u32 = TAG_LISTEN};
    epoll_ctl(ep, EPOLL_CTL_ADD, listener, &ev);
    struct conn conn = {.fd = -1};
    unsigned mach_turns = 0, socket_turns = 0;
    while (!counter_stop_requested) {
        struct epoll_event events[4];
        int n = epoll_wait(ep, events, 4, -1);
        if (n < 0)
            fail("epoll_wait");
        for (int i = 0; i < n; i++) {
            switch (events[i].data.u32) {
            case TAG_MACH:
                mach_turns++;
                if (openmig_port_source_fire(source) == KERN_TERMINATED)
                    counter_stop_requested = true;
                break;
            case TAG_LISTEN:
                conn.fd = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
                if (conn.fd >= 0) {
                    ev = (struct epoll_event){.events = EPOLLIN, .data.u32 = TAG_CONN};
                    epoll_ctl(ep, EPOLL_CTL_ADD, conn.fd, &ev);
                }
                break;
            case TAG_CONN:
                socket_turns++;
                if (!on_socket(&conn)) {
                    epoll_ctl(ep, EPOLL_CTL_DEL, conn.fd, NULL);
                    close(conn.fd);
                    conn.fd = -1;
                }
                break;
            }
        }
    }
    printf("loop: %u turns for Mach requests, %u for the socket\n", mach_turns, socket_turns);
    epoll_ctl(ep, EPOLL_CTL_DEL, openmig_port_source_get_fd(source), NULL);
    openmig_port_source_destroy(source);
    if (conn.fd >= 0)
        close(conn.fd);
    close(ep);
    return 0;
}

/* ---- the clients ---- */

static int mig_failures;

static void *mig_client(void *arg) {
    (void)arg;
    mach_port_t counter = MACH_PORT_NULL;
    if (bootstrap_look_up(bootstrap_port, SERVICE, &counter) != KERN_SUCCESS)
        fail("bootstrap_look_up");
    int last = 0;
    for (int i = 1; i <= ADDS; i++) {
        int total = -1;
        kern_return_t kr = add(counter, i, &total);
        /* The other client only reads: every total is the previous one plus i. */
        if (kr != KERN_SUCCESS || total != last + i) {
            fprintf(stderr, "add(%d): %s, total %d\n", i, mach_error_string(kr), total);
            mig_failures++;
        }
        last = total;
    }
    return NULL;
}

static int tcp_failures;
static int tcp_last_total;

static void *tcp_client(void *arg) {
    struct sockaddr_in addr = *(struct sockaddr_in *)arg;
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0 || connect(s, (struct sockaddr *)&addr, sizeof addr) != 0)
        fail("connect");
    FILE *in = fdopen(dup(s), "r");
    int previous = 0;
    for (int i = 0; i < 50; i++) {
        if (write(s, "get\n", 4) != 4)
            fail("write");
        int total = -1;
        char answer[64];
        if (fgets(answer, sizeof answer, in) == NULL || sscanf(answer, "total %d", &total) != 1 ||
            total < previous) {
            fprintf(stderr, "tcp: bad answer (total %d after %d)\n", total, previous);
            tcp_failures++;
            break;
        }
        previous = total;
    }
    tcp_last_total = previous;
    fclose(in);
    close(s);
    return NULL;
}

static void *stop_when_done(void *arg) {
    pthread_t *threads = arg;
    pthread_join(threads[0], NULL);
    pthread_join(threads[1], NULL);
    mach_port_t counter = MACH_PORT_NULL;
    if (bootstrap_look_up(bootstrap_port, SERVICE, &counter) != KERN_SUCCESS)
        fail("bootstrap_look_up");
    kern_return_t kr = stop(counter);
    if (kr != KERN_SUCCESS)
        fprintf(stderr, "stop: %s\n", mach_error_string(kr));
    mach_port_deallocate(mach_task_self(), counter);
    return NULL;
}

int main(void) {
    mach_port_t service = MACH_PORT_NULL;
    (void)openmig_bootstrap_private(); /* one process: the in-process name service, no machd */
    kern_return_t kr = bootstrap_check_in(bootstrap_port, SERVICE, &service);
    if (kr != KERN_SUCCESS) {
        fprintf(stderr, "bootstrap_check_in: %s\n", mach_error_string(kr));
        return 1;
    }
    int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof addr;
    if (listener < 0 || bind(listener, (struct sockaddr *)&addr, sizeof addr) != 0 ||
        listen(listener, 4) != 0 || getsockname(listener, (struct sockaddr *)&addr, &len) != 0)
        fail("listen");

    pthread_t threads[2];
    pthread_create(&threads[0], NULL, mig_client, NULL);
    pthread_create(&threads[1], NULL, tcp_client, &addr);
    /* stop() comes from a third thread once both clients are done, so the loop serves them
     * until then. */
    pthread_t stopper;
    pthread_create(&stopper, NULL, stop_when_done, threads);
    int rc = run_loop(service, listener);
    pthread_join(stopper, NULL);
    close(listener);
    printf("counter: %d after %d adds (expected %d); TCP client last saw %d\n", counter_total, ADDS,
           ADDS * (ADDS + 1) / 2, tcp_last_total);
    if (rc != 0 || mig_failures || tcp_failures || counter_total != ADDS * (ADDS + 1) / 2)
        return 1;
    mach_port_mod_refs(mach_task_self(), service, MACH_PORT_RIGHT_RECEIVE, -1);
    return 0;
}
