/* machd server, private face between server.c (the event loop, connections and their output
 * queues) and dispatch.c (what a datagram from a task says): the connection and server objects,
 * and the calls each makes on the other. */
#ifndef MACHD_SERVER_CONN_H
#define MACHD_SERVER_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "broker.h"
#include "wire/machd_proto.h"
#include "server.h"

/* What an epoll event is about: the data of every registered descriptor points at one. */
enum watch_kind { WATCH_LISTEN, WATCH_SIGNAL, WATCH_SOCKET, WATCH_PIDFD, WATCH_CLOSER };

struct watch {
    enum watch_kind kind;
    struct conn *conn;
};

struct out_packet; /* server.c */

/* One task's connection: its socket and pidfd, its broker task, its output queue. */
struct conn {
    int fd, pidfd;
    struct watch sock_watch, pid_watch;
    struct broker_task *task;
    bool greeted; /* HELLO done */
    bool dead;    /* to be reaped after the current event */
    bool want_out;   /* EPOLLOUT registered (output queued) */
    bool want_in;    /* EPOLLIN registered (see conn_wants_in) */
    bool held_back;  /* the broker stopped reading it (it sends past a full queue) */
    struct conn *fd_wait_on; /* not read until this task's queued memfds drain (server.c) */
    bool closer_wait; /* not read until the descriptor closer catches up (fd_closer.h) */
    bool peer_gone;  /* writing failed (the task closed its end): drop output, keep reading
                        what it wrote before it went, until EOF */
    struct out_packet *out_head, *out_tail;
    size_t out_bytes;
    uint32_t out_fds; /* queued packets holding a memfd */
    struct conn *prev, *next;
};

/* The daemon: listening socket, epoll and signals, the connections, the broker. */
struct machd_server {
    char path[108];
    ino_t path_ino;
    int listen_fd, epoll_fd, signal_fd;
    struct watch listen_watch, signal_watch, closer_watch;
    struct fd_closer *closer; /* closes task descriptors whose close may block */
    struct broker *broker;
    struct broker_hooks hooks;
    struct conn *conns;
    size_t dead_count;
    uint32_t out_fds; /* queued memfds, all connections */
    struct conn *fd_pressed;  /* the receiver the datagram being handled pushed past its soft
                                 memfd limit (its sender is then held back), or NULL */
    uint32_t fd_held;         /* connections held back on memfds (fd_wait_on set) */
    bool fd_retry;    /* a flush met ETOOMANYREFS: flush again soon */
    uint32_t connections_per_uid; /* machd_limits */
    bool draining;    /* stopping: writing what was accepted, reading nothing new */
    uint64_t drain_deadline_ms;
    struct machd_io_counts io; /* system calls and datagrams, reported by STATS */
    uint8_t in[MACHD_MAX_PACKET];
    struct machd_msg req;
};

/* ---- server.c ---- */

/* Sends one datagram to c, or queues it while the socket is full; dropped when c is dead or its
 * peer has gone. */
void server_conn_send(struct machd_server *s, struct conn *c, const uint8_t *bytes, size_t len);

/* The last word to a task that broke the protocol: sends len bytes at once, unqueued (nothing when
 * len is 0 or the socket is full), then marks c dead, logging why. */
void server_conn_send_last(struct machd_server *s, struct conn *c, const uint8_t *bytes, size_t len,
                           const char *why);

/* ---- dispatch.c ---- */

/* Handles the datagram of len bytes in s->in that c sent, with the descriptors that came with it
 * (extra: more than fit; the caller closes fds afterwards, the broker keeps duplicates). May
 * answer c, mark it dead, or reach the broker. */
void dispatch_datagram(struct machd_server *s, struct conn *c, size_t len, const int *fds, int nfds, bool extra);

#endif
