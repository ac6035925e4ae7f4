/* Receiver side of machd's flow control (docs/machd.md, "Queue limits across processes"): what
 * this process last told machd about the room on one of its exported ports, and when to tell
 * it again. The local port stays the authority: machd only delivers what the room allows. */
#ifndef OPENMIG_TRANSPORT_MACHD_FLOW_H
#define OPENMIG_TRANSPORT_MACHD_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ipc/ipc.h"

struct flow_rx {
    uint32_t seen;      /* deliveries from machd to this port since we got its receive right */
    uint32_t said_room; /* the room last announced (or machd's default for a new export) */
    uint32_t said_seen; /* `seen` when it was announced */
    bool deferred;      /* an announcement is due and waits for a MSG_SEND to carry it */
};

/* A port just exported by this process, or a receive right just received from machd: nothing
 * seen, nothing announced yet (machd holds nobody back until the first announcement). */
void flow_rx_reset(struct flow_rx *rx);

/* The room the port has now: its queue limit (0 counts as 1: a rendezvous cannot be relayed)
 * minus the messages queued. Lock held. */
uint32_t flow_rx_room(const struct ipc_port *port);

/* Whether machd should hear the room now: it differs from machd's estimate and either shrank
 * or machd's estimate is down to half the limit (so one update covers several messages). */
bool flow_rx_due(const struct flow_rx *rx, const struct ipc_port *port);

/* Whether a due announcement must go at once, on its own: the room shrank (local senders
 * filled the queue), or machd's estimate is down to zero (its senders may be waiting). Any
 * other may wait to ride on this process's next MSG_SEND (docs/machd.md 3.2). */
bool flow_rx_urgent(const struct flow_rx *rx, const struct ipc_port *port);

/* Records that `room` was announced (nothing is deferred any more). */
void flow_rx_said(struct flow_rx *rx, uint32_t room);

/* Handles of ports whose announcement is deferred (flow_rx.deferred), waiting for a MSG_SEND
 * to carry it or for a thread of this process to go to sleep (IPC lock held). */
struct flow_deferred {
    uint32_t *handles;
    size_t count, cap;
};

/* Lists handle h; false when out of memory (then announce at once). */
bool flow_deferred_push(struct flow_deferred *d, uint32_t h);

/* Takes the most recently listed handle into *h; false when none is left. */
bool flow_deferred_pop(struct flow_deferred *d, uint32_t *h);

/* Forgets every listed handle (the connection is gone). */
void flow_deferred_clear(struct flow_deferred *d);

#endif
