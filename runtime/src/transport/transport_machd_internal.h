/* What the files of the machd transport share (transport_machd*.c; private to them): the
 * transport's one state (T), what it knows per machd handle (struct link), the threads waiting
 * for replies, and the functions one file offers the others. The files:
 *   transport_machd.c          connection plumbing: start, writing to machd, requests and their
 *                              waiters, the reader's callbacks, connection loss, fork
 *   transport_machd_links.c    rights bookkeeping: machd handles <-> local ports and rights
 *   transport_machd_send.c     encoding: a copied-in message for a proxy -> MSG_SEND
 *   transport_machd_deliver.c  decoding: MSG_DELIVER -> a local message
 *   transport_machd_bootstrap.c  machd's name service: requests, binding names again
 * plus the helpers split out earlier (_reader, _flow, _names, _spill). */
#ifndef OPENMIG_TRANSPORT_MACHD_INTERNAL_H
#define OPENMIG_TRANSPORT_MACHD_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "ipc/ipc.h"
#include "transport/transport_machd_flow.h"
#include "wire/handle_map.h"
#include "wire/machd_conn.h"
#include "wire/machd_proto.h"

/* A spilled delivery (T.in) as the reader prepares it before taking the IPC lock: the memfd
 * checked, the body read into a message, the OOL regions mapped. */
struct spilled_in {
    bool ready;                   /* all of it done: deliver uses it, else refuses the delivery */
    long ndesc;
    struct ipc_kmsg *kmsg;        /* body read in; NULL once deliver took it */
    uint32_t count;               /* regions */
    uint32_t sizes[MACHD_MAX_OOL];
    void *regions[MACHD_MAX_OOL]; /* NULL once deliver took them */
};

/* What this process knows about one machd handle. */
struct link {
    struct ipc_port *port;  /* a proxy, or a local port known to machd (holds a reference) */
    uint32_t makes;         /* MAKE_SENDs this process told machd about since it exported the
                               port or got its receive right: machd counts the same (its count
                               restarts when the receive right moves), see senders_gone */
    bool remote_senders;    /* we count one remote sender on the port until SENDERS_GONE */
    bool pd_at_machd;       /* local port: machd holds a port-destroyed request for it (it came
                               with the receive right), see machd_export_receive_destroyed */
    bool keeps_send;        /* we made ourselves a send right before moving the receive right */
    bool awaiting_moved;    /* proxy of a receive right we moved: deliveries machd sent us before
                               it saw the move may still come, and are forwarded on our send
                               right, which we keep until machd says MOVED */
    uint32_t remote_once;   /* send-once rights to this local port handed to machd, not used yet:
                               if machd dies, each becomes a send-once notification here */
    struct flow_rx rx;      /* local port: the room machd knows about (queue limits) */
    bool queue_full;        /* proxy: machd said the port's queue is full; ask before sending */
    /* Direct channel, proxy side (transport_chan_send.c): whether messages to the port go on a
     * channel, on which slot, and how many went (against the credit the receiver grants). */
    uint8_t route;          /* enum link_route */
    uint32_t route_chan, route_slot, route_sent, route_serial;
    uint32_t relayed;       /* messages relayed before a route was asked for */
    /* Direct channel, local port side: the routes peers hold to it (transport_chan_recv.c). */
    struct chan_route *routes;
    uint32_t routes_turn; /* the next route to wake a waiting sender of (chan_routes_regrant) */
};

enum link_route {
    LINK_ROUTE_UNKNOWN = 0, /* not asked yet */
    LINK_ROUTE_ASKING,      /* a thread asks machd; other senders wait (ordering) */
    LINK_ROUTE_SET,
    LINK_ROUTE_NONE,        /* machd said no: relay */
};

/* A thread waiting for the reply to a request. */
struct waiter {
    uint32_t seq;
    bool done;
    uint32_t status, name, type;
    uint32_t serial;       /* ROUTE_REPLY: the route's serial */
    struct ipc_port *port; /* the right of a BOOTSTRAP_REPLY (or of a claim's STATUS_REPLY),
                              taken by the reader in order */
    bool takes_once;       /* a successful STATUS_REPLY's value is a send-once handle */
    struct waiter *next;
};

struct chan_route;

struct machd_transport {
    pthread_mutex_t start_mu;
    bool up;                 /* connected, reader running */
    struct machd_conn conn;
    pthread_mutex_t write_mu;
    pthread_mutex_t wait_mu;
    pthread_cond_t wait_cv;
    struct waiter *waiters;
    struct handle_map links; /* handle -> struct link (IPC lock) */
    uint32_t next_export;
    struct machd_msg send_msg; /* built under the IPC lock */
    struct flow_deferred credits; /* room announcements waiting for a ride (IPC lock) */
    struct machd_msg in;       /* the thread holding the reader role only */
    uint8_t *in_buf;
    bool connected_before;     /* a later connection is to a new machd: bind names again */
    bool rebind_due;           /* (atomic) names of transport_machd_names.h to bind again */
    bool rebinder_running;     /* (start_mu) a thread is waiting for a new machd */
    pthread_mutex_t rebind_mu; /* held while names are bound again: bootstrap calls wait */
    struct spilled_in pre;     /* the reader only: T.in's memfd, read before the IPC lock */
    bool in_valid;             /* the reader only: T.in holds a datagram (else only channels woke) */
    struct ipc_waitq route_waiters; /* senders waiting while another thread asks for a route */
};

/* What to do with the local right once the message has been written to machd. */
enum after { AFTER_NOTHING, AFTER_RELEASE_SEND, AFTER_RELEASE_ONCE, AFTER_RELEASE_RECEIVE,
             AFTER_DROP_ONCE_PROXY };

struct pending_right {
    struct ipc_port *port;
    enum after after;
    struct ipc_port *pd_of; /* the notify right of this port's port-destroyed request, handed
                               to machd with its receive right: the request is machd's now */
};

/* The transport's state, T for short in the transport_machd files. */
extern struct machd_transport transport_machd_T;
#define T transport_machd_T

/* The ops of machd's proxies (transport_machd_send.c): port->transport == &machd_ops marks a
 * proxy of ours. */
extern const struct ipc_transport_ops machd_ops;
/* The ops for local ports exported to machd (transport_machd_links.c). */
extern const struct ipc_transport_ops machd_export_ops;

/* ---- transport_machd.c: the connection ---- */

/* Writes one message to machd (write_mu); 0 or an errno value (EPIPE when not connected). */
int machd_write(struct machd_msg *m);
/* Fire-and-forget MOD_REFS (machd's STATUS_REPLY is ignored by the reader). */
void machd_tell_mod_refs(uint32_t handle, uint32_t right, int32_t delta);

/* MOVED_DONE for handle: every delivery machd sent us for the receive right we moved under it
 * has been forwarded (IPC lock held; no reply). */
void machd_tell_moved_done(uint32_t handle);
/* QUEUE_CREDIT: the room on our port behind handle h (IPC lock held). */
void machd_announce_room(uint32_t h, struct flow_rx *rx, const struct ipc_port *port);
/* SEND_ADMIT for handle h: with w, waits for machd's answer into *status (not under the IPC
 * lock); without, fire-and-forget. */
void machd_send_admit(uint32_t h, uint32_t flags, uint32_t timeout_ms, struct waiter *w, uint32_t *status);
/* Sends a request and waits for its reply (not under the IPC lock); returns its status,
 * MACH_SEND_INVALID_DEST when machd is gone. *w holds the reply's fields afterwards. */
uint32_t machd_request(struct machd_msg *m, struct waiter *w);
/* machd_request for a request whose successful STATUS_REPLY gives a send-once right (its value
 * the handle): the reader takes it in order, as a proxy in w->port. */
uint32_t machd_request_once(struct machd_msg *m, struct waiter *w);
/* Ticket of a direct channel for machd_encode_send: the message goes to the channel's peer. */
/* A ticket: the caller settles the destination right, after it wrote the ticket's ring record
 * (a send right let go before that would tell machd, and the receiver would drop the route before
 * the record is there: docs/machd.md 9.3, "No-senders"). */
struct machd_ticket {
    uint32_t channel, number;
};
/* Encodes and writes kmsg for proxy as a MSG_SEND (admitted: room reserved by SEND_ADMIT), or as
 * a ticket; on success the message is consumed and its local rights settled. */
mach_msg_return_t machd_encode_send(struct ipc_port *proxy, struct ipc_kmsg *kmsg, bool admitted,
                                    const struct machd_ticket *ticket);
/* The audit and security tokens of a message from `who` (as machd or a CHANNEL says). */
void machd_fill_audit(struct ipc_kmsg *kmsg, const struct machd_audit *who);

/* Connects (autostart: starting machd on demand) unless connected; KERN_SUCCESS or KERN_FAILURE. */
kern_return_t machd_start_transport(bool autostart);

/* ---- transport_machd_links.c: handles <-> local ports and rights (IPC lock held) ---- */

/* The link of handle h, or NULL. */
struct link *machd_link_get(uint32_t handle);
/* TEST ONLY, never called by libmach: makes local port known under a machd handle as if it had
 * been exported, with no machd (the link table and export ops only); returns the handle or 0.
 * For fuzz_chan_records, which drives direct-channel routes in one process. */
uint32_t machd_link_for_test(struct ipc_port *port);
/* Forgets handle h and releases its port reference. */
void machd_link_drop(uint32_t handle);
/* Turns one right held by a message (port reference + type) into a right item, exporting a local
 * port if machd does not know it yet; *pr says what to do with the local right once the message
 * is written (machd_finish_right). A fileport travels only where fileport_fd is given (a message
 * body) and as a send right: its export is flagged MACHD_RIGHT_FILEPORT with *fileport_fd its
 * descriptor (else -1). False when the right cannot travel. */
bool machd_encode_right(struct ipc_port *port, mach_msg_type_name_t type, struct machd_right *item,
                        struct pending_right *pr, int *fileport_fd);
/* Settles the local right of pr once its message is written. */
void machd_finish_right(const struct pending_right *pr);
/* The receive rights a written message moved out (moved, n; frees moved): local senders follow
 * through machd. Call once the send scratch is free again. */
void machd_finish_moves(struct ipc_port **moved, size_t n);
/* A right machd gave this task under handle h, as a port reference holding it. */
struct ipc_port *machd_take_right(uint32_t h, uint8_t type);
/* Gives back the extra send references the datagram just processed brought. */
void machd_flush_send_returns(void);
/* Marks a delivered receive right whose port-destroyed request machd holds (PD_ARMED). */
void machd_note_pd_armed(const struct machd_right *r, struct ipc_port *port);
/* machd's events: the port behind h died; its remote senders are gone (mscount: the make-sends
 * machd counted); its queue is full. */
void machd_port_dead(uint32_t h);
void machd_senders_gone(uint32_t h, uint32_t mscount);
void machd_queue_full(uint32_t h);
/* machd's word that the receive right we moved under h is at its new receiver: no delivery for
 * h follows; the send right kept to forward them goes if nothing else here uses it. */
void machd_moved(uint32_t h);
/* Forgets every handle, as when machd is gone (proxies die, exports lose remote senders,
 * outstanding send-once rights become send-once notifications). */
void machd_forget_links(void);
/* ops.proxy_released of machd_ops: no local send right to a proxy is left; tells machd. */
void machd_proxy_released(struct ipc_port *proxy);
/* Undoes the export of a port machd refused to learn (handle h, its link l). */
void machd_unexport(uint32_t h, struct link *l);
/* Deferred room announcements: one rides on the MSG_SEND being built (attach), goes alone if
 * that message was not written (unattach), or all go before a thread sleeps (flush). */
void machd_credit_attach(struct machd_msg *m);
void machd_credit_unattach(const struct machd_msg *m);
void machd_credits_flush(void);

/* ---- transport_machd_deliver.c: machd's deliveries become local messages ---- */

/* Queues the delivery m on its local port, or refuses it (its rights go back). IPC lock held. */
void machd_deliver(const struct machd_msg *m);
/* Reader, no lock held: reads and maps the spilled delivery p into T.pre before the IPC lock. */
void machd_prepare_spilled(const struct machd_payload *p);
/* Frees what machd_deliver did not take of T.pre (IPC lock held). */
void machd_release_spilled(void);

/* ---- transport_machd_bootstrap.c ---- */

/* After the connection was lost (start_mu held): starts the thread that binds this task's
 * names again at a new machd, if it has any. */
void machd_start_rebinder(void);

#endif /* OPENMIG_TRANSPORT_MACHD_INTERNAL_H */
