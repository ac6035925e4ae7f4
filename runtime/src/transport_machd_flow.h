/* Receiver side of machd's flow control (docs/machd.md, "Queue limits across processes"): what
 * this process last told machd about the room on one of its exported ports, and when to tell
 * it again. The local port stays the authority: machd only delivers what the room allows. */
#ifndef OPENMIG_TRANSPORT_MACHD_FLOW_H
#define OPENMIG_TRANSPORT_MACHD_FLOW_H

#include <stdbool.h>
#include <stdint.h>

#include "port_internal.h"

struct flow_rx {
    uint32_t seen;      /* deliveries from machd to this port since we got its receive right */
    uint32_t said_room; /* the room last announced (or machd's default for a new export) */
    uint32_t said_seen; /* `seen` when it was announced */
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

/* Records that `room` was announced. */
void flow_rx_said(struct flow_rx *rx, uint32_t room);

#endif
