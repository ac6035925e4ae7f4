/* Receiver side of machd's flow control: room announcements for exported ports (see
 * transport_machd_flow.h). */
#include "transport_machd_flow.h"

void flow_rx_reset(struct flow_rx *rx) { *rx = (struct flow_rx){0, 0, 0}; }

static uint32_t effective_limit(const struct ipc_port *port) { return port->qlimit ? port->qlimit : 1; }

uint32_t flow_rx_room(const struct ipc_port *port) {
    uint32_t limit = effective_limit(port);
    return port->msgcount < limit ? limit - port->msgcount : 0;
}

bool flow_rx_due(const struct flow_rx *rx, const struct ipc_port *port) {
    int64_t estimate = (int64_t)rx->said_room - (int64_t)(uint32_t)(rx->seen - rx->said_seen);
    int64_t room = flow_rx_room(port);
    if (room == estimate)
        return false;
    return room < estimate || estimate * 2 <= (int64_t)effective_limit(port);
}

void flow_rx_said(struct flow_rx *rx, uint32_t room) {
    rx->said_room = room;
    rx->said_seen = rx->seen;
}
