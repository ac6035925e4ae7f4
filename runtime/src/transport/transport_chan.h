/* Direct channels, libmach's side (docs/machd.md 9.3): the channels machd gave this task, what
 * travels on them, and how the machd transport hands work to them. Private to the transport
 * (transport_machd*.c, transport_chan*.c). IPC lock held in every call unless stated.
 *
 *   transport_chan.c       the channel table: opening a CHANNEL, dropping one (peer gone,
 *                          hostile ring, machd gone, fork), waiting on channels and machd at once
 *   transport_chan_recv.c  the consumer: ring records -> local messages (routes, send-once tokens,
 *                          tickets), credits granted per route
 *   transport_chan_send.c  the producer: asking machd for a route, a message for a routed proxy
 *                          or for a peer's send-once token -> a ring record (or a ticket)
 *   transport_chan_ool.c   out-of-line memory in a record: inline, arena or sealed memfds
 *   transport_chan_claim.c a reply right that came on a channel leaves the process: claiming
 *                          the peer's token through machd, granting ours */
#ifndef OPENMIG_TRANSPORT_CHAN_H
#define OPENMIG_TRANSPORT_CHAN_H

#include <stdbool.h>
#include <stdint.h>

#include "ipc/ipc.h"
#include "wire/chan_ring.h"
#include "wire/handle_map.h"
#include "wire/machd_proto.h"

struct link;

/* Tickets a channel may hold whose ring records have not come yet (more: the peer is hostile). */
#define CHAN_MAX_TICKETS 4096u
/* Messages a channel's backlog may hold: a peer that reads nothing while that many wait is
 * dropped (as if dead: its tokens' messages then go nowhere, as to a dead port). */
#define CHAN_MAX_BACKLOG 65536u
/* Send-once tokens of ours a peer may hold at once (more: such messages go through machd). */
#define CHAN_MAX_TOKENS 65536u

/* Receiver side: what a route slot of the peer's direction stands for. */
struct chan_route {
    struct ipc_port *port;     /* our port (holds a send right while the route exists), or NULL */
    uint32_t handle;           /* our machd handle for it (ROUTE_ADD) */
    uint32_t delivered;        /* messages taken from the ring on this slot */
    uint32_t granted;          /* the grant last written for this slot (a peer that overwrites
                                  the shared word hurts only its own credit) */
    struct chan_route *next_on_link; /* the other routes to the same port (struct link.routes) */
    struct chan *chan;
    uint32_t slot;
    uint32_t serial;           /* machd's name for the route (activated in the ring) */
};

/* A ticket that came through machd and waits for its ring record (FIFO per channel). */
struct chan_ticket {
    struct ipc_kmsg *kmsg;
    uint32_t number; /* its msgh_id as sent: the low 32 bits of the ticket's number */
    struct chan_ticket *next;
};

struct chan {
    uint32_t id;
    struct chan_end end;
    void *map;
    int wake_me, wake_peer, link; /* descriptors (CHANNEL); -1 once closed */
    struct machd_audit peer;
    bool dropped;                 /* unusable: being taken down */
    bool child_copy;              /* a fork child's copy: nothing shared is written any more */
    bool parked;                  /* the next record waits (a ticket not here yet, a full queue) */
    bool unpark;                  /* parked on a full queue that has room again: drain */
    uint64_t hup_at;              /* when the peer was seen gone (CLOCK_MONOTONIC ms), else 0 */
    uint32_t users;               /* threads using its shared words outside the IPC lock: a
                                     dropped channel is freed (chan_reap) only at 0 */
    /* Receiver side. */
    struct chan_route routes[CHAN_SLOTS];
    struct chan_ticket *tickets, *tickets_tail;
    uint32_t ntickets;
    struct handle_map proxies;    /* peer's tokens we hold: token -> proxy (a reference) */
    /* Sender side. */
    uint32_t next_ticket;         /* tickets sent so far */
    uint64_t fd_seq_out, fd_seq_in; /* LINK datagrams with memfds sent / taken (chan_fd_note) */
    struct ipc_port **tokens;     /* our reply ports handed to the peer: token - 1 -> port (the
                                     send-once right), NULL when free */
    uint32_t ntokens, tokens_cap, tokens_free_hint;
    /* Messages for the peer's tokens sent while the ring was full (they never block):
     * written, in order, when room comes. */
    struct ipc_kmsg *backlog, *backlog_tail;
    uint32_t nbacklog;
    struct chan *next;
};

/* Whether this process uses direct channels (MACHD_DIRECT is not "0"); read once. No lock. */
bool chan_enabled(void);

/* ---- transport_chan.c ---- */

/* A CHANNEL from machd: maps and checks the memory, registers the descriptors; on any failure
 * closes them (the peer's messages then keep coming through machd: routes to a channel we do
 * not know are refused). Takes ownership of m's descriptors. */
void chan_open(const struct machd_msg *m);
/* The channel with this id, NULL when unknown or dropped. */
struct chan *chan_find(uint32_t id);
/* Drops c: records already in its ring are taken first unless `hostile`; then every send-once
 * token of ours the peer held becomes a send-once notification, the peer's tokens we hold become
 * dead names, routes release their ports, tickets are destroyed, waiting senders wake. */
void chan_drop(struct chan *c, bool hostile);
/* A thread that used c outside the lock (users++) is done with it. */
void chan_unuse(struct chan *c);
/* Releases the memory of dropped channels nobody uses any more. Only where no caller up the
 * stack can hold a channel (the reader between waits, dropping them all). */
void chan_reap(void);
/* Drops every channel (machd is gone, or a fork child). */
void chan_drop_all(bool child);
/* Number of channels open (0: the reader waits on machd's socket alone). */
unsigned chan_count(void);
/* No lock held; the reader only. Waits up to timeout_ms (< 0: forever) for machd's socket to be
 * readable, a channel to have records, a channel's peer to hang up or a nudge. Returns true when
 * machd's socket is readable. */
bool chan_wait(int machd_fd, int timeout_ms);
/* IPC lock held, the reader before it waits: sets every channel's doorbell; true when there is
 * work already (then wait with timeout 0). */
bool chan_prepare_wait(void);
/* The timeout to wait with: timeout_ms, or less while a gone peer's channel waits for tickets. */
int chan_wait_limit_ms(int timeout_ms);
/* Before a user's message is relayed through machd (IPC lock held, let go meanwhile): waits, at
 * most 100 ms, until every peer took what this process wrote on its rings, so that the relayed
 * message cannot overtake a ring record of the same thread to the same port (a send-once right
 * and a send right to one port travel under different handles, one relayed, one routed). */
void chan_fence_before_relay(void);
/* Makes a reader blocked in chan_wait return (any thread, any lock). */
void chan_nudge(void);
/* Takes what every channel has (records, hang-ups), as the reader does after chan_wait. */
void chan_poll_all(void);

/* Counters since the process started (transport_machd_stats). Any lock. */
struct chan_stats {
    unsigned long sent, received, tickets, doorbells;
    unsigned long credit_waits; /* a sender thread waited for a route's credit */
    unsigned long credit_wakes; /* wake-up calls for senders waiting on our routes' credit */
    unsigned long ool_records;        /* records with out-of-line memory written or taken */
    unsigned long ool_move_fallbacks; /* moves of memfd-backed regions that had to copy */
    unsigned long claims;             /* peers' tokens claimed (TOKEN_CLAIM answered) */
    unsigned long grants;             /* our tokens granted to machd (TOKEN_GRANT with a right) */
};
void chan_stats_get(struct chan_stats *out);
/* Adds to a counter (relaxed atomics). */
void chan_stat_add(unsigned long *counter);
extern struct chan_stats chan_stats;

/* ---- transport_chan_recv.c ---- */

/* Takes c's records until its ring is empty or a record must wait; drops c if it is hostile. */
void chan_drain(struct chan *c);
/* ROUTE_ADD / ROUTE_DEL from machd. */
void chan_route_add(uint32_t channel, uint32_t slot, uint32_t handle, uint32_t serial);
void chan_route_del(uint32_t channel, uint32_t slot);
/* A ticket delivered by machd (kmsg built, dest not set; audit of the peer). Takes kmsg. */
void chan_ticket_arrived(uint32_t channel, uint32_t number, struct ipc_kmsg *kmsg);
/* The queue of the local port whose routes are `routes` changed (a message taken, or its
 * limit): grant the new room on each route, and wake one waiting sender (every one when the
 * queue is empty), taking turns over the routes from *turn. */
void chan_routes_regrant(struct chan_route *routes, uint32_t *turn);
/* Releases a receiver-side route (ROUTE_DEL, drop). */
void chan_route_release(struct chan_route *r);

/* ---- transport_chan_ool.c ---- */

/* Whether kmsg travels whole in a record with its out-of-line memory (every descriptor is OOL
 * memory, no port right, no auxiliary data, the body and the inline regions fit a record);
 * *body_len: the record's body bytes. Pure. */
bool chan_ool_fits(const struct ipc_kmsg *kmsg, uint32_t *body_len);
/* Producer: publishes kmsg's record (rec: kind, flags, dest, id, reply filled; body_len,
 * ticket and the OOL flag set here) with each region inline, in the arena or as a sealed memfd
 * sent on the LINK socket first. CHAN_OK: published, kmsg's regions and stage released (the
 * caller settles its rights and frees it); CHAN_FULL: nothing published (a staged message's
 * memfd may be sealed: unstage it) and the caller sends it as a ticket; CHAN_BROKEN: drop c. */
enum chan_status chan_ool_produce(struct chan *c, struct ipc_kmsg *kmsg, struct chan_record *rec, bool *wake);
/* Consumer: the message of a peeked CHAN_MSG_OOL record (body: its copied-out body) with its
 * regions, the header and reply left to the caller: 0 built (*out), 1 out of memory before
 * anything was taken (try later), -1 the record, its datagram or a memfd is hostile. */
int chan_ool_take(struct chan *c, const struct chan_record *rec, const uint8_t *body, struct ipc_kmsg **out);

/* ---- transport_chan_send.c ---- */

/* ops of proxies standing for a peer's send-once token (a reply right that came on a channel). */
extern const struct ipc_transport_ops chan_once_ops;
/* Called by the machd transport's send for a routed or routable proxy: sends kmsg on the
 * channel when it can. Returns true when it took the message (*mr says how it went: as the ops'
 * send contract); false: relay it through machd as before. */
bool chan_try_send(struct ipc_port *proxy, struct ipc_kmsg *kmsg, mach_msg_option_t option,
                   mach_msg_timeout_t timeout, mach_msg_return_t *mr);
/* Writes what c's backlog holds while the ring has room; true when it is empty. */
bool chan_flush_backlog(struct chan *c);
/* The sender-side route of link l is gone (send right released, channel dropped). */
void chan_forget_route(struct link *l);
/* Our reply port `port` (its send-once right, taken) handed to c's peer: its token, 0 when the
 * table is full. chan_token_take gives the right back for a token (NULL: not one of ours). */
uint32_t chan_token_new(struct chan *c, struct ipc_port *port);
struct ipc_port *chan_token_take(struct chan *c, uint32_t token);

/* ---- transport_chan_claim.c ---- */

/* Whether kmsg carries a send-once right that stands for a peer's token (a reply right that came
 * on a channel), as its reply port or in a descriptor. Pure. */
bool chan_carries_tokens(const struct ipc_kmsg *kmsg);
/* Before kmsg leaves the process (machd or a channel): each such right becomes a machd send-once
 * right to the requester's reply port (TOKEN_CLAIM; the IPC lock is let go while machd asks the
 * requester, at most machd's claim deadline), or MACH_PORT_DEAD when the requester refuses, is
 * gone or does not answer in time (it then owns the outcome: its reply port gets the send-once
 * notification, or it died). With MACH_SEND_ALWAYS (the core's own sends may not wait) each is
 * destroyed instead (the requester gets its send-once notification) and travels dead. */
void chan_claim_tokens(struct ipc_kmsg *kmsg, mach_msg_option_t option);
/* TOKEN_CLAIMED from machd: the peer on `channel` claims our `token`. The token is retired; its
 * send-once right goes to machd in a TOKEN_GRANT for `claim`, or a refusal when the token is not
 * ours (then, or when the right cannot go, nothing else is owed: a right not given is destroyed
 * here, a send-once notification). */
void chan_token_claimed(uint32_t channel, uint32_t token, uint32_t claim);

#endif /* OPENMIG_TRANSPORT_CHAN_H */
