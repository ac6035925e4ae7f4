/* machd flow control for one port: the room its receiver announced, the deliveries made since,
 * and the senders waiting for room (docs/machd.md, "Queue limits across processes"). Pure
 * bookkeeping: the broker answers the waiters this hands back. */
#ifndef MACHD_FLOW_H
#define MACHD_FLOW_H

#include <stdbool.h>
#include <stdint.h>

struct broker_task;

/* A sender waiting in SEND_ADMIT for room on the port. */
struct flow_waiter {
    struct broker_task *task;
    uint32_t seq;         /* the SEND_ADMIT request to answer */
    uint32_t name;        /* the sender's handle for the port */
    bool timed;
    uint64_t deadline_ms; /* CLOCK_MONOTONIC milliseconds, when timed */
    struct flow_waiter *next;
};

struct port_flow {
    bool active;          /* the receiver announced its room (until then, and for receivers that
                             never do, nothing is held back) */
    int64_t credit;       /* messages that may still be delivered without passing the limit */
    uint32_t delivered;   /* deliveries to the current receiver (wraps; compared by difference) */
    struct flow_waiter *head;
    struct flow_waiter *tail;
};

/* A new port: no limit until its receiver announces its room. */
void flow_init(struct port_flow *f);

/* The receive right changed hands: no limit until the new receiver announces its room. */
void flow_receiver_changed(struct port_flow *f);

/* One message was delivered to the receiver. */
void flow_note_delivery(struct port_flow *f);

/* The receiver has seen `seen` deliveries and has room for `room`: the credit is the room
 * minus the deliveries still on their way to it. */
void flow_set_room(struct port_flow *f, uint32_t seen, uint32_t room);

/* Takes one credit if there is one and nobody waits ahead; returns whether it did (always
 * true, taking nothing, while the flow is not active). */
bool flow_take(struct port_flow *f);

/* Gives back `n` credits taken and not used. */
void flow_give_back(struct port_flow *f, uint32_t n);

/* Queues a waiter (FIFO). Returns false when out of memory. */
bool flow_wait(struct port_flow *f, struct broker_task *task, uint32_t seq, uint32_t name, bool timed,
               uint64_t deadline_ms);

/* The first waiter, if a credit is available for it (the credit is taken) or the flow is not
 * active; the caller answers and frees it. NULL otherwise. */
struct flow_waiter *flow_next_admitted(struct port_flow *f);

/* A waiter whose deadline is at or before now_ms (removed), or NULL. */
struct flow_waiter *flow_next_expired(struct port_flow *f, uint64_t now_ms);

/* Any waiter (removed), or NULL: for a port that died. */
struct flow_waiter *flow_pop(struct port_flow *f);

/* Frees the waiters of a task that died; returns how many were timed. */
uint32_t flow_drop_task(struct port_flow *f, const struct broker_task *task);

/* The earliest deadline of a timed waiter, if any. */
bool flow_earliest_deadline(const struct port_flow *f, uint64_t *deadline_ms);

#endif
