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
    /* Like send_fd with nfds descriptors (a CHANNEL's MACHD_CHANNEL_FDS), in order; they stay the
     * caller's. NULL: no channel is ever made (ROUTE answers KERN_FAILURE). */
    void (*send_fds)(void *ctx, void *conn, const uint8_t *bytes, size_t len, const int *fds, int nfds);
    /* Whether one more datagram holding a memfd (or a channel's descriptors) can be queued for
     * the task. */
    bool (*room_fd)(void *ctx, void *conn);
    /* A monotonic clock in milliseconds, for SEND_ADMIT deadlines. */
    uint64_t (*now_ms)(void *ctx);
    /* The connection layer's system call and datagram counters, for STATS (may be NULL:
     * reported as zero). */
    void (*io_counts)(void *ctx, struct machd_io_counts *out);
    /* Stop (paused) or go on (!paused) reading the task's requests: a sender that keeps sending
     * past a full queue without asking for room waits, the way a Mach sender blocks, until the
     * receiver makes room. May be NULL (then nothing is held back). */
    void (*pause)(void *ctx, void *conn, bool paused);
    /* The datagrams queued for the task and not yet written, and their bytes, for QUERY (may be
     * NULL: reported as zero). */
    void (*queued)(void *ctx, void *conn, uint32_t *datagrams, uint64_t *bytes);
    /* Whether the task's process is in group gid now (supplementary groups; the primary gid the
     * kernel reported at connect time is checked by the broker). May be NULL: only the primary
     * gid counts. */
    bool (*in_group)(void *ctx, void *conn, uint32_t gid);
    /* Closes a descriptor that came from a task (a fileport's, a held spilled payload's), off the
     * event loop when its close could block (fd_closer.h). May be NULL: close(). */
    void (*close_fd)(void *ctx, int fd);
};

/* Bootstrap domains (docs/machd.md 6): a system machd serves the system domain, in which every
 * task may look names up and only root, or members of one configured group, may bind them, and
 * one domain per user for everyone else, whose look-ups fall through to the system domain. A
 * machd that is not a system one has one flat name space (a per-user machd). */
struct broker_domains {
    bool system;           /* serve the system domain and per-user domains */
    bool has_group;        /* register_gid is set */
    uint32_t register_gid; /* its members bind names in the system domain too */
};

/* Sets b's domains (one flat name space until called). Call before any task connects. */
void broker_set_domains(struct broker *b, const struct broker_domains *d);

/* What one task, and all the tasks of one user, may make machd hold (docs/security.md). Each is
 * answered with the Mach error for it, to the offender only. */
struct broker_limits {
    uint32_t entries_per_task;  /* names in one task's broker space (rights it holds) */
    uint32_t entries_per_uid;   /* the same over all the tasks of one uid */
    uint32_t names_per_task;    /* bootstrap names one task binds */
    uint32_t names_per_uid;     /* the same over all the tasks of one uid */
    uint32_t waiters_per_task;  /* SEND_ADMIT requests of one task waiting for queue room */
    uint32_t overshoot;         /* messages a sender may put past a full queue without asking for
                                   room (races with machd's QUEUE_FULL hint); then machd stops
                                   reading that sender until the receiver makes room */
    uint32_t channels_per_task; /* direct channels one task is part of (docs/machd.md 9.2) */
    uint32_t fileports_per_task; /* fileport descriptors machd holds for one task's exports */
    uint32_t fileports_per_uid;  /* the same over all the tasks of one uid */
    uint32_t claims_per_task;    /* TOKEN_CLAIMs of one task waiting for their grant at once
                                    (docs/machd.md 9.6) */
};

/* The defaults, also the ceilings (docs/machd.md, 1). */
#define BROKER_MAX_ENTRIES_PER_TASK 65536u
#define BROKER_MAX_SERVICES 4096u /* bootstrap names over all tasks */
#define BROKER_DEFAULT_LIMITS                                                                        \
    ((struct broker_limits){.entries_per_task = BROKER_MAX_ENTRIES_PER_TASK,                         \
                            .entries_per_uid = 1048576u,                                             \
                            .names_per_task = 512u,                                                  \
                            .names_per_uid = 2048u,                                                  \
                            .waiters_per_task = 1024u,                                               \
                            .overshoot = 256u,                                               \
                            .channels_per_task = 1024u,                                      \
                            .fileports_per_task = 256u,                                      \
                            .fileports_per_uid = 1024u,                                      \
                            .claims_per_task = 256u})

/* Replaces b's limits (BROKER_DEFAULT_LIMITS until then). A limit above its ceiling is clamped to
 * it; one already passed applies to what comes next. */
void broker_set_limits(struct broker *b, const struct broker_limits *limits);

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

/* Milliseconds until the earliest deadline (a SEND_ADMIT's, a fence's: docs/machd.md 7, or a
 * token claim's: 9.6;
 * 0: one has passed), or -1 when there is none. The server uses it as its poll timeout. */
int broker_next_timeout_ms(struct broker *b, uint64_t now_ms);

/* Answers MACH_SEND_TIMED_OUT to every waiting sender whose deadline is at or before now_ms,
 * lifts the fences and fails the token claims whose deadline passed. */
void broker_expire(struct broker *b, uint64_t now_ms);

/* The task said MACHD_HELLO_DIRECT: it maps direct channels, so machd may route to and from it
 * (docs/machd.md 9.2). Tasks start without. */
void broker_task_set_direct(struct broker_task *t, bool direct);

/* The identity recorded for t. */
const struct machd_audit *broker_task_identity(const struct broker_task *t);

/* Counters (also reported by STATS). */
struct broker_counts {
    uint32_t tasks, ports, entries, names;
    uint32_t fileports; /* descriptors held with fileport ports */
};

/* What the tasks of one uid hold (for tests and, later, machctl). */
struct broker_uid_counts {
    uint32_t tasks, entries, names, fileports;
};
struct broker_uid_counts broker_uid_counts(const struct broker *b, uint32_t uid);
struct broker_counts broker_counts(const struct broker *b);
/* Ports whose receive right machd's name service holds: created services nobody checked in yet,
 * and receive rights carried in the messages held for them (alive, as in Mach, while the message
 * that carries them is queued). For tests: with every task gone, no other port may be left. */
uint32_t broker_kept_ports(const struct broker *b);

#endif
