/* machd broker: the authority for ports that cross process boundaries. Per-task broker spaces
 * (handle -> rights), ports, Mach's copyin/copyout rules, death handling and notifications,
 * bootstrap names. No sockets here: requests come in decoded, replies and events leave through
 * the hooks, so the whole policy can be exercised in one process. The face to server.c and
 * main.c; broker*.c implement it, with broker_internal.h as their private face among them. */
#ifndef MACHD_BROKER_H
#define MACHD_BROKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire/machd_proto.h"

struct broker;
struct broker_task;

/* How the broker talks back to tasks. `conn` is what the caller passed to broker_task_create. */
struct broker_hooks {
    /* Queues one encoded datagram for the task. Only called after `room` said it fits. */
    void (*send)(void *ctx, void *conn, const uint8_t *bytes, size_t len);
    /* Whether `len` more bytes can be queued for the task without passing its limit. */
    bool (*room)(void *ctx, void *conn, size_t len);
    /* Resident memory of the process, for STATS (may be NULL: reports 0). */
    uint64_t (*rss_bytes)(void *ctx);
    /* Like send, with a spilled payload's memfd attached; fd stays the caller's (a queued
     * datagram keeps a duplicate). NULL: spilled messages are refused (MACH_SEND_TOO_LARGE). */
    void (*send_fd)(void *ctx, void *conn, const uint8_t *bytes, size_t len, int fd);
    /* Whether one more datagram holding a memfd can be queued for the task. */
    bool (*room_fd)(void *ctx, void *conn);
    /* A monotonic clock in milliseconds, for SEND_ADMIT deadlines. */
    uint64_t (*now_ms)(void *ctx);
    /* The connection layer's system call and datagram counters, for STATS (may be NULL:
     * reported as zero). */
    void (*io_counts)(void *ctx, struct machd_io_counts *out);
};

/* Limits that keep one task from growing machd without bound. */
#define BROKER_MAX_ENTRIES_PER_TASK 65536u
#define BROKER_MAX_SERVICES 4096u

/* A broker with no tasks; NULL when out of memory. The hooks and ctx must outlive it. */
struct broker *broker_create(const struct broker_hooks *hooks, void *ctx);

/* Destroys every task (as if all died, without emitting to them) and frees the broker. */
void broker_destroy(struct broker *b);

/* A new task (one connection) with the identity the kernel reported. NULL when out of memory. */
struct broker_task *broker_task_create(struct broker *b, const struct machd_audit *identity, void *conn);

/* The task died or disconnected: destroys its broker space exactly as Mach destroys an IPC space
 * (port deaths, dead names, send-once and port-destroyed notifications, senders-gone events,
 * bootstrap names released) and frees it. Nothing is sent to the dead task itself. */
void broker_task_destroy(struct broker *b, struct broker_task *t);

/* Handles one decoded request from task t (HELLO excepted: the connection layer answers it).
 * Replies and the events it causes go out through the hooks. */
void broker_handle(struct broker *b, struct broker_task *t, const struct machd_msg *req);

/* Milliseconds until the earliest SEND_ADMIT deadline (0: one has passed), or -1 when no
 * sender waits with a deadline. The server uses it as its poll timeout. */
int broker_next_timeout_ms(struct broker *b, uint64_t now_ms);

/* Answers MACH_SEND_TIMED_OUT to every waiting sender whose deadline is at or before now_ms. */
void broker_expire(struct broker *b, uint64_t now_ms);

/* The identity recorded for t. */
const struct machd_audit *broker_task_identity(const struct broker_task *t);

/* Counters (also reported by STATS). */
struct broker_counts {
    uint32_t tasks, ports, entries, names;
};
struct broker_counts broker_counts(const struct broker *b);

#endif
