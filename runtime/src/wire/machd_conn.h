/* The runtime's connection to machd: connect (starting machd on demand), HELLO, and framed
 * send/receive of protocol messages. The transport (transport/transport_machd.c) builds on it. */
#ifndef OPENMIG_TRANSPORT_MACHD_CONN_H
#define OPENMIG_TRANSPORT_MACHD_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire/machd_proto.h"

struct machd_conn {
    int fd;
    uint32_t next_seq;
    uint8_t *out; /* encode buffer, MACHD_MAX_PACKET bytes */
    struct machd_audit self; /* this task's identity as machd recorded it */
    bool system;             /* connected to the system domain's machd (docs/machd.md 6) */
    /* System calls made on the socket (benchmarks: where the time goes). The sending side
     * updates send_calls, the receiving side recv_calls (poll + recv count two). */
    unsigned long send_calls, recv_calls;
};

/* Connects to machd at `path` (NULL: the system domain's machd when one answers at
 * $MACHD_SYSTEM_SOCKET, else /run/machd/system, and is trusted (c->system set); else the default
 * path, docs/machd.md 1 and 6) and says HELLO. With
 * `autostart`, when nobody answers it runs `machd --daemon --socket PATH` ($MACHD_PATH, else
 * `machd` from $PATH) unless MACHD_NO_AUTOSTART=1, and retries for up to 5 seconds.
 * The daemon is authenticated first: at the default path its directory must be the user's own
 * with mode 0700, and at any path the daemon's uid (SO_PEERCRED) must be the user's or root's;
 * otherwise EACCES, and the reason is printed once per process on stderr.
 * No start when "<path>.managed" exists (a service manager serves the path and machd was stopped
 * there on purpose): ESHUTDOWN.
 * HELLO says MACHD_HELLO_DIRECT unless MACHD_DIRECT=0 (machd_conn_direct_wanted).
 * Returns 0, or an errno value (ECONNREFUSED: no machd; ESHUTDOWN: see above; EPROTO: HELLO
 * refused; EACCES; EUSERS:
 * the user has as many tasks connected as machd allows, --limit connections-per-uid). */
int machd_conn_open(struct machd_conn *c, const char *path, bool autostart);

/* Whether this process says MACHD_HELLO_DIRECT in its HELLO (machd_conn_open): yes unless the
 * environment variable MACHD_DIRECT is "0" (docs/machd.md 9.2). */
bool machd_conn_direct_wanted(void);

/* True when a machd accepts connections at `path`: one connect() and close, no HELLO. A socket
 * file left behind by a machd that died refuses the connection. */
bool machd_conn_listening(const char *path);

/* Sends one message; a request gets the next sequence number, written back to m->seq. A
 * spilled MSG_SEND carries m->u.send.p.spill_fd (SCM_RIGHTS; the caller still owns it).
 * Returns 0 or an errno value (EPIPE: machd is gone). Blocking. One thread at a time per
 * connection (the caller serializes). */
int machd_conn_send(struct machd_conn *c, struct machd_msg *m);

/* Receives and decodes one datagram into *out; buf (capacity MACHD_MAX_PACKET) holds the bytes
 * out's pointers refer to. A spilled MSG_DELIVER that came with exactly one descriptor has it in
 * out->u.deliver.p.spill_fd (the caller closes it); a CHANNEL has its MACHD_CHANNEL_FDS
 * descriptors in out->u.channel.fds (the caller owns them; a CHANNEL with any other number is
 * EPROTO, its descriptors closed); other descriptors are closed here. timeout_ms < 0 waits
 * forever. Returns 0, ETIMEDOUT, EPIPE (machd closed the connection) or EPROTO (undecodable
 * datagram). */
int machd_conn_recv(struct machd_conn *c, uint8_t *buf, struct machd_msg *out, int timeout_ms);

/* Closes the connection (machd then treats the task as dead). */
void machd_conn_close(struct machd_conn *c);

#endif
