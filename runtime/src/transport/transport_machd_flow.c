/* Receiver side of machd's flow control: room announcements for exported ports (see
 * transport_machd_flow.h). */
#include "transport/transport_machd_flow.h"

#include <stdlib.h>

void flow_rx_reset(struct flow_rx *rx) { *rx = (struct flow_rx){0, 0, 0, false}; }

static uint32_t effective_limit(const struct ipc_port *port) { return port->qlimit ? port->qlimit : 1; }

uint32_t flow_rx_room(const struct ipc_port *port) {
    uint32_t limit = effective_limit(port);
    return port->msgcount < limit ? limit - port->msgcount : 0;
}

/* What machd believes the room is: the last announcement minus the deliveries since. */
static int64_t machd_estimate(const struct flow_rx *rx) {
    return (int64_t)rx->said_room - (int64_t)(uint32_t)(rx->seen - rx->said_seen);
}

bool flow_rx_due(const struct flow_rx *rx, const struct ipc_port *port) {
    int64_t estimate = machd_estimate(rx);
    int64_t room = flow_rx_room(port);
    if (room == estimate)
        return false;
    return room < estimate || estimate * 2 <= (int64_t)effective_limit(port);
}

bool flow_rx_urgent(const struct flow_rx *rx, const struct ipc_port *port) {
    int64_t estimate = machd_estimate(rx);
    return estimate <= 0 || (int64_t)flow_rx_room(port) < estimate;
}

void flow_rx_said(struct flow_rx *rx, uint32_t room) {
    rx->said_room = room;
    rx->said_seen = rx->seen;
    rx->deferred = false;
}

bool flow_deferred_push(struct flow_deferred *d, uint32_t h) {
    if (d->count == d->cap) {
        size_t cap = d->cap ? 2 * d->cap : 8;
        uint32_t *grown = realloc(d->handles, cap * sizeof *grown);
        if (!grown)
            return false;
        d->handles = grown;
        d->cap = cap;
    }
    d->handles[d->count++] = h;
    return true;
}

bool flow_deferred_pop(struct flow_deferred *d, uint32_t *h) {
    if (d->count == 0)
        return false;
    *h = d->handles[--d->count];
    return true;
}

void flow_deferred_clear(struct flow_deferred *d) { d->count = 0; }
