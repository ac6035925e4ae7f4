/* libmach's transport to other processes through machd (step 1: every cross-process message is
 * relayed by machd). Private to the runtime; docs/machd.md, section 7. */
#ifndef OPENMIG_TRANSPORT_MACHD_H
#define OPENMIG_TRANSPORT_MACHD_H

#include <stdbool.h>
#include <stdint.h>

#include <mach/mach.h>

/* Connects this process to machd (socket path rule of docs/machd.md 1; machd is started on
 * demand unless MACHD_NO_AUTOSTART=1) and installs the transport: from then on rights can
 * travel to and from other processes. Idempotent and thread-safe. Returns KERN_SUCCESS, or
 * KERN_FAILURE when machd cannot be reached. */
kern_return_t transport_machd_start(void);

/* A bootstrap request served by machd's name service, in the current task's space:
 * op 1 check-in (*right_out: a receive right), 2 look-up (*right_out: a send right), 3 register
 * (right_in: a name holding a send right, copied), 4 unregister (a name bound by register),
 * 5 create (*right_out: a send right), 7 status (*right_out: BOOTSTRAP_STATUS_*); 6 (reclaim) is
 * the runtime's own, refused here. Returns KERN_SUCCESS, a BOOTSTRAP_* status (docs/machd.md 6),
 * KERN_INVALID_RIGHT for a bad right_in, KERN_INVALID_ARGUMENT for a bad op, or
 * MACH_SEND_INVALID_DEST when machd is gone or cannot be reached (why is said once on stderr). Names this task checks in, or registers to its own
 * ports, are bound again after a machd restart (docs/machd.md 4). Thread-safe; blocks for one
 * machd round trip. Starts the transport if needed. */
kern_return_t transport_machd_bootstrap(uint32_t op, const char *name, mach_port_name_t right_in,
                                        mach_port_name_t *right_out);

/* Whether machd's name service is to become the task's bootstrap port: true on the first call
 * only, unless the program chose a name service inside the process (MACH_BOOTSTRAP=private, or
 * MACHD_DISABLE=1). Connects to nothing: the first bootstrap call does (docs/machd.md 7).
 * Thread-safe. The bootstrap client (services/bootstrap_machd.c) asks it once, at start-up. */
bool transport_machd_take_bootstrap(void);

/* Where the time of this process's traffic with machd goes (benchmarks, docs/machd.md 8):
 * system calls on the socket, datagrams read, and how the reader role moved (see
 * transport_machd_reader.h). Zero before the transport starts. */
struct transport_machd_stats {
    unsigned long send_calls, recv_calls;  /* send / poll+recv system calls on the socket */
    unsigned long datagrams;               /* datagrams read from machd */
    unsigned long nudges;                  /* no-op requests sent to wake a blocked reader */
    unsigned long handoffs;                /* reader role passed to a sleeping thread */
    unsigned long standby_datagrams;       /* datagrams the standby thread read */
    /* Direct channels (docs/machd.md 9): */
    unsigned long direct_sent;             /* messages written on a channel (whole or ticket) */
    unsigned long direct_received;         /* messages taken from a channel */
    unsigned long direct_tickets;          /* of direct_sent, those whose content went as a ticket */
    unsigned long doorbells;               /* eventfd writes to wake a sleeping peer */
    unsigned long credit_waits;            /* a sender thread waited for a route's credit */
    unsigned long credit_wakes;            /* wake-up calls to peers' senders waiting for credit */
    unsigned long channels;                /* channels open now */
    unsigned long direct_ool;              /* records with out-of-line memory written or taken
                                              (9.5: inline, arena or memfds, not a ticket) */
    unsigned long direct_ool_move_copies;  /* moves of memfd-backed regions that had to copy */
    unsigned long direct_claims;           /* reply rights that came on a channel and left the
                                              process: peers' tokens claimed (9.6) */
    unsigned long direct_grants;           /* our tokens granted to a peer's claim */
};
void transport_machd_stats_get(struct transport_machd_stats *out);

#endif
