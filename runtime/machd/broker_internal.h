/* machd broker, private face among its files (broker*.c): the broker's objects (tasks and their
 * spaces of entries, ports, the broker itself) and the calls its files make on each other. Not
 * for server.c or main.c, which see broker.h only. */
#ifndef MACHD_BROKER_INTERNAL_H
#define MACHD_BROKER_INTERNAL_H

#include "broker.h"

#include "flow.h"
#include "wire/handle_map.h"

struct broker_port;
struct route;   /* broker_channel.c */
struct channel; /* broker_channel.c */
struct claim;   /* broker_claim.c */

/* One name in one task's broker space. A send-once right always has a name of its own. */
struct entry {
    uint32_t name;
    struct broker_task *task;
    struct broker_port *port;
    uint32_t send_urefs;
    bool send_once;
    bool receive;
    uint32_t admitted;     /* room SEND_ADMIT reserved for this sender, not used yet */
    uint32_t overshoot;    /* messages sent past the port's full queue without asking for room */
    struct route *route;   /* the direct route of this send right (ROUTE), or NULL */
    struct entry *port_prev, *port_next; /* the port's holders */
};

struct broker_port {
    struct broker_task *receiver; /* NULL only while a receive right moves inside a request */
    uint32_t recv_name;           /* the receiver's handle for the receive right */
    uint32_t send_urefs;          /* user references of send rights held in broker spaces */
    uint32_t mscount;             /* make-sends of the current receiver since it got the receive
                                     right (reset when the right moves: the receiver's runtime
                                     counts its own, which makes the no-senders race check work) */
    uint32_t names_bound;         /* bootstrap names bound to this port */
    uint32_t table_urefs;         /* send references held by the bootstrap table (counted) */
    struct broker_port *pd_notify; /* port-destroyed request: machd holds a send-once right
                                      (set only through port_set_pd_notify) */
    struct broker_port *pd_requesters;     /* the ports whose pd_notify is this one */
    struct broker_port *pd_prev, *pd_next; /* siblings in pd_notify's pd_requesters */
    struct port_flow flow;        /* queue limit: room left, senders waiting (flow.h) */
    struct broker_port *wait_prev, *wait_next; /* in b->waiting while senders wait for room */
    bool waiting_listed;
    struct broker_task *paused;   /* senders not read until this port has room */
    struct entry *holders;
    int fd;                       /* a fileport's descriptor (machd's duplicate), else -1: made
                                     by its exporter (broker_fileport.c); closed when the port
                                     dies or the exporter goes */
    struct broker_task *fd_task;  /* the exporter, charged for fd */
    struct broker_port *fd_prev, *fd_next; /* among the ports fd_task is charged for */
    struct broker_port *prev, *next; /* every live port */
    /* Order across a move (broker_fence.c): deliveries from other senders are held until the
     * task that moved the receive right away has forwarded what machd had sent it. */
    struct broker_task *fence_from;  /* that task, or NULL: no fence */
    uint64_t fence_deadline;         /* b->hooks->now_ms() after which the fence lifts anyway */
    uint32_t fence_held;             /* deliveries held (in the keeper's space) */
    struct broker_port *fence_prev, *fence_next; /* in b->fenced */
};

/* What the tasks of one uid hold, counted against the per-uid limits. */
struct broker_uid {
    uint32_t uid;
    uint32_t tasks, entries, names;
    uint32_t fileports;           /* descriptors machd holds for its tasks' fileports */
    struct broker_uid *next;
};

/* The machd-chosen names a task gave back, oldest first (a ring; broker_entry.c). */
struct freed_names {
    uint32_t *names;
    uint32_t head, count, cap;
};

struct broker_task {
    struct machd_audit identity;
    struct broker_uid *account; /* its uid's counts */
    uint32_t names_bound;       /* bootstrap names it owns */
    uint32_t fileports;         /* descriptors machd holds for fileports it exported */
    struct broker_port *fileport_ports; /* those ports (fd_prev/fd_next) */
    uint32_t waiters;           /* its SEND_ADMIT requests waiting for room */
    struct broker_port *paused_on;         /* not read until this port has room (overshoot) */
    struct broker_task *pause_prev, *pause_next; /* among paused_on's paused senders */
    void *conn;
    bool direct;                /* said MACHD_HELLO_DIRECT: may be given channels */
    uint32_t channels;          /* channels it is part of (limits.channels_per_task) */
    uint32_t claims;            /* its TOKEN_CLAIMs waiting for a grant (limits.claims_per_task) */
    struct channel *chans;      /* those channels (broker_channel.c links them) */
    struct handle_map names;
    uint32_t next_name;         /* the next machd-chosen index never given (entry_new_name) */
    struct freed_names freed;   /* machd-chosen names given back, oldest first */
    struct broker_task *prev, *next;
};

/* What remains of one name while the items of one request are checked in order. */
struct pending {
    uint32_t name;
    uint32_t slot;         /* its place in copyin_scratch.index */
    struct entry *e;       /* NULL for a NEW export */
    uint32_t send_left;
    bool send_once_left;
    bool receive_left;
};

/* Power of two, more than twice the items of a request: names are found in O(1) even when a
 * message carries MACHD_MAX_RIGHTS distinct ones. */
#define CI_INDEX_SIZE 32768u

struct copyin_scratch {
    struct pending items[MACHD_MAX_RIGHTS + 3];
    size_t count;
    uint16_t index[CI_INDEX_SIZE]; /* 1 + position in items, by name hash; 0 = free */
};

/* A right taken out of the sender's space, on its way to the receiver. */
struct transit {
    struct broker_port *port; /* NULL: the item carries no right */
    uint8_t type;             /* MOVE_RECEIVE, MOVE_SEND or MOVE_SEND_ONCE (received types) */
    uint32_t raw_name;        /* MACHD_HANDLE_NULL / DEAD when port is NULL */
};

/* How a name came to be bound (section 6 of docs/machd.md). */
enum service_state {
    SERVICE_CHECKED_IN, /* a task holds the receive right (CHECK_IN or RECLAIM) */
    SERVICE_REGISTERED, /* bound to a send right by REGISTER (may be unregistered) */
    SERVICE_CREATED,    /* CREATE: the keeper holds the receive right until a check-in */
};

/* The domain of names bound by root and the register group at a system machd, and of every
 * name at any other machd (broker_domain.c); other domains are a uid's. */
#define DOMAIN_SYSTEM 0xffffffffu

/* One bootstrap name (broker_bootstrap.c keeps the table; broker_query.c lists it). */
struct service {
    char name[MACHD_MAX_SERVICE_NAME + 1];
    uint32_t domain;           /* DOMAIN_SYSTEM or the uid of a user domain */
    enum service_state state;
    struct broker_task *owner; /* the task that bound it; its names go when it dies */
    struct broker_port *port;
    struct service *next;
};

struct held;    /* broker_keeper.c */

struct broker {
    const struct broker_hooks *hooks;
    void *ctx;
    struct broker_task *tasks;
    struct broker_port *ports;
    struct service *services;
    struct broker_counts counts;
    struct broker_limits limits;
    struct broker_uid *uids;       /* one per uid with a live task */
    struct broker_port *waiting;   /* the ports with senders waiting for room */
    uint8_t out[MACHD_MAX_PACKET];
    struct machd_msg msg; /* scratch for outgoing messages: large, so not on the stack */
    struct copyin_scratch *ci;
    bool flow_recheck;     /* credit came back somewhere: admit waiters after this request */
    uint32_t timed_waiters; /* SEND_ADMIT waiters with a deadline, over all ports */
    /* The name service's own space: receive rights of created services (no connection). */
    struct broker_task *keeper;
    struct held *held, **held_tail;
    uint32_t held_count;           /* those held for created services (KEEPER_MAX_HELD) */
    struct broker_port *holding_for; /* set while a delivery to a fenced port is held */
    struct broker_port *fenced;      /* ports with a fence (broker_fence.c) */
    uint32_t fence_fds;              /* spilled deliveries held behind fences, over all ports */
    bool fence_orphans;              /* held deliveries whose port died wait for fence_reap */
    struct machd_msg *fwd; /* scratch for a held delivery being forwarded or destroyed */
    struct handle_map channel_ids; /* channel id -> struct channel (broker_channel.c) */
    uint32_t last_channel;         /* the last channel id given (ids are never reused) */
    uint32_t last_route_serial; /* route serials handed out (never reused; broker_channel.c) */
    struct handle_map claim_ids;   /* claim id -> struct claim (broker_claim.c) */
    struct claim *claims, *claims_tail; /* every claim waiting, oldest first */
    uint32_t last_claim;           /* the last claim id given */
    uint32_t freed_since_trim;  /* entries freed by task deaths since the heap was last trimmed */
    struct broker_domains domains; /* bootstrap domains (broker_domain.c) */
};

/* Whether a disposition carries a send-once right (MOVE_ or MAKE_SEND_ONCE). */
static inline bool right_is_once(uint8_t disposition) {
    return disposition == MACHD_DISP_MOVE_SEND_ONCE || disposition == MACHD_DISP_MAKE_SEND_ONCE;
}

/* ---- broker_task.c ---- */

/* The counts of uid's tasks (made with its first task, freed with its last); NULL when out of
 * memory. The keeper counts as BROKER_KEEPER_UID, which is no user's. */
struct broker_uid *broker_account_get(struct broker *b, uint32_t uid);
#define BROKER_KEEPER_UID 0xffffffffu

/* ---- broker.c: emitting to tasks ---- */

/* Whether a datagram of len bytes can be queued for `to` now (the keeper: room for one more held
 * delivery). False for a NULL task. */
bool broker_can_emit(struct broker *b, struct broker_task *to, size_t len);

/* Encodes b->msg and queues it for `to` with fd (-1: none; the caller keeps it) attached, if
 * there is room; to the keeper, a delivery is held instead. Returns whether it went. */
bool broker_emit_fd(struct broker *b, struct broker_task *to, int fd);

/* broker_emit_fd with nfds descriptors (a CHANNEL's), through the send_fds hook; false for the
 * keeper, without the hook, or when b->msg does not encode. */
bool broker_emit_fds(struct broker *b, struct broker_task *to, const int *fds, int nfds);

/* broker_emit_fd with no descriptor. */
bool broker_emit(struct broker *b, struct broker_task *to);

/* Answers request `seq` of t with a SEND_REPLY (status) or a STATUS_REPLY (status, value). */
/* Closes a descriptor that came from a task, through the close_fd hook (close() without one). */
void broker_close_task_fd(struct broker *b, int fd);
void broker_reply_status(struct broker *b, struct broker_task *t, uint16_t type, uint32_t seq,
                         uint32_t status, uint32_t value);

/* ---- broker_entry.c: a task's space, handle -> entry ---- */

/* The entry t holds under name, or NULL. */
struct entry *entry_lookup(struct broker_task *t, uint32_t name);

/* t's send/receive entry for p (never a send-once one), or NULL. */
struct entry *entry_for_port(struct broker_task *t, struct broker_port *p);

/* Whether t may hold n more entries (its own limit and its uid's: b->limits). */
bool entry_room(const struct broker *b, const struct broker_task *t, uint32_t n);

/* A new empty entry for p under name in t's space, linked among p's holders; NULL when t or its
 * uid is at its limit (entry_room) or out of memory. */
struct entry *entry_add(struct broker *b, struct broker_task *t, uint32_t name, struct broker_port *p);

/* A machd-chosen name for a new entry of t: an index never given, or one given back by an entry
 * removed at least NAME_REUSE_AFTER removals ago, under its next generation; MACHD_HANDLE_NULL
 * only when 2^24 names are in use at once. */
uint32_t entry_new_name(struct broker_task *t);
/* Frees what t keeps of its given-back names (the task is going). */
void entry_names_fini(struct broker_task *t);

/* Unlinks and frees e, giving back the room it had reserved (SEND_ADMIT) and dropping its route
 * (ROUTE_DEL, which uses b->msg). Rights it still names are the caller's to account for. */
void entry_remove(struct broker *b, struct entry *e);

/* entry_remove when e names no right any more; its route goes when it holds no send right
 * any more (ROUTE_DEL, which uses b->msg). */
void entry_drop_if_empty(struct broker *b, struct entry *e);

/* ---- broker_port.c: ports, their death and the notifications it causes ---- */

/* A new port with no receiver and no holders, in b's list; NULL when out of memory. */
struct broker_port *port_create(struct broker *b);

/* Unlinks and frees p (no holders left: the caller saw to them). */
void port_free(struct broker *b, struct broker_port *p);

/* SENDERS_GONE to p's receiver when no send right is left outside it (not to `dying`). */
void port_senders_check(struct broker *b, struct broker_port *p, struct broker_task *dying);

/* n send references to p went away, then port_senders_check. */
void port_send_urefs_drop(struct broker *b, struct broker_port *p, uint32_t n, struct broker_task *dying);

/* A send-once right to p died unused: MACH_NOTIFY_SEND_ONCE to its receiver, if any. */
void port_send_once_notification(struct broker *b, struct broker_port *p);

/* Makes `notify` (may be NULL) p's port-destroyed request, in place of the one p had (the caller
 * sees to that one's send-once right). Keeps each port's list of requesters, so a dying port
 * finds the requests naming it without walking every port. */
void port_set_pd_notify(struct broker_port *p, struct broker_port *notify);

/* Destroys p's receive right: p moves to its port-destroyed notify port, or dies (holders get
 * PORT_DEAD except `dying`, names and waiters released, p freed). */
void port_destroy(struct broker *b, struct broker_port *p, struct broker_task *dying);

/* ---- broker_fileport.c: descriptors held with fileport ports (docs/fileports.md) ---- */

/* Whether t (and its uid) may make machd hold n more fileport descriptors (b->limits). */
bool fileport_room(const struct broker *b, const struct broker_task *t, uint32_t n);

/* Makes p, just exported by t, a fileport holding a duplicate of fd, charged to t. False (p
 * unchanged) when t or its uid is at its limit or no descriptor is left. */
bool fileport_adopt(struct broker *b, struct broker_port *p, struct broker_task *t, int fd);

/* Closes p's descriptor, if it holds one, and gives the charge back (p is being freed). */
void fileport_release(struct broker *b, struct broker_port *p);
/* Closes the descriptors of every fileport t is charged for (t is going): a port whose receive
 * right left t some way outlives it, and must not point at it. */
void fileport_release_all(struct broker *b, struct broker_task *t);

/* ---- broker_right.c: Mach's copyin/copyout rules for the four rights ---- */

/* Starts checking the rights of a new request. */
void right_copyin_reset(struct copyin_scratch *ci);

/* Whether t can give right r, given what earlier items of the same request used (since the last
 * right_copyin_reset). Changes nothing in t's space. */
bool right_copyin_check(struct copyin_scratch *ci, struct broker_task *t, const struct machd_right *r);

/* Takes right r, checked by right_copyin_check, out of t's space into *out (a NEW export creates
 * its port). Fails only when out of memory creating an export. */
bool right_copyin_apply(struct broker *b, struct broker_task *t, const struct machd_right *r, struct transit *out);

/* right_copyin_apply for a body item that may export a fileport (MACHD_RIGHT_FILEPORT: fd is its
 * descriptor, else ignored). Also fails when machd cannot keep the descriptor (fileport_adopt). */
bool right_copyin_apply_fd(struct broker *b, struct broker_task *t, const struct machd_right *r, int fd,
                           struct transit *out);

/* Destroys a right in transit as Mach does for a message nobody receives; tr carries none after. */
void right_transit_destroy(struct broker *b, struct transit *tr);

/* Destroys the rights of tr[0..n) (those still carrying one), receive rights last. */
void right_transits_destroy(struct broker *b, struct transit *tr, uint32_t n);

/* Puts the right in transit into t's space and returns its name; MACHD_HANDLE_NULL (the right
 * destroyed) when t is out of names, references or memory. A transit with no port gives its raw
 * name back. */
uint32_t right_copyout(struct broker *b, struct broker_task *t, struct transit *tr);

/* right_copyout for the rights of one message: a right that cannot be put in t's space is left
 * in *tr (MACHD_HANDLE_NULL returned) for the caller to destroy once every right of the message
 * is out (right_transits_destroy): destroying a receive right in the middle would free a port
 * that later rights of the same message still name. */
uint32_t right_copyout_keep(struct broker *b, struct broker_task *t, struct transit *tr);

/* MOD_REFS: adds delta user references of `right` to t's name; returns the kern_return_t. */
uint32_t right_mod_refs(struct broker *b, struct broker_task *t, uint32_t name, uint32_t right, int32_t delta);

/* NOTIFY_REQUEST: sets the port-destroyed request of a receive right t holds; answers t. */
void right_handle_notify_request(struct broker *b, struct broker_task *t, const struct machd_msg *req);

/* ---- broker_msg.c: relaying a message ---- */

/* MSG_SEND: copies the message's rights in from t and out to the destination's receiver, and
 * delivers it (or refuses it, destroying it when t already took it as sent); answers t. */
void msg_handle_send(struct broker *b, struct broker_task *t, const struct machd_msg *req);

/* ---- broker_admit.c: queue limits across processes, the broker's side of flow.h ---- */

/* p's receive right died: each sender waiting for room gets MACH_SEND_INVALID_DEST. */
void admit_fail_waiters(struct broker *b, struct broker_port *p);

/* The dying task t's waiting sends are forgotten (nothing is answered to it). */
void admit_drop_task(struct broker *b, struct broker_task *t);

/* After a message from t to p that went past p's full queue without asking for room: when t has
 * done that b->limits.overshoot times, machd stops reading t until p has room (or dies, or its
 * receive right moves). */
void admit_hold_back(struct broker *b, struct broker_task *t, struct broker_port *p, const struct entry *sender);

/* Stops reading t until p has room, dies, changes receivers or lifts its fence (no-op when t
 * is held back already or nothing can pause). */
void admit_pause(struct broker *b, struct broker_task *t, struct broker_port *p);

/* p's receive right has a new holder: no limit until it announces its room, no reservation
 * made at the old one counts, and the senders held back on p are read again. */
void admit_receiver_changed(struct broker *b, struct broker_port *p);

/* p has room again, is gone, or changed receivers: the senders held back on it are read again. */
void admit_release_held(struct broker *b, struct broker_port *p);

/* t dies: it is no longer held back on any port. */
void admit_forget_held(struct broker_task *t);

/* After a request: when reserved room came back somewhere, admits the waiters it allows. */
void admit_recheck(struct broker *b);

/* SEND_ADMIT: reserves room on a port for t (answered now or when room comes), or releases it. */
void admit_handle_send_admit(struct broker *b, struct broker_task *t, const struct machd_msg *req);

/* QUEUE_CREDIT (alone or carried by a MSG_SEND) from the receiver t, for its handle `name`;
 * ignored when name is not a receive right of t's. */
void admit_apply_queue_credit(struct broker *b, struct broker_task *t, uint32_t name, uint32_t seen, uint32_t room);

/* Takes the room a message to p from `sender` uses (its SEND_ADMIT reservation when admitted);
 * false when p's queue is now full (the message still goes). */
bool admit_consume(struct broker_port *p, struct entry *sender, bool admitted);

/* QUEUE_FULL to t for its handle `name`: its next sends to it ask for room first. */
void admit_queue_full_hint(struct broker *b, struct broker_task *t, uint32_t name);

/* ---- broker_keeper.c: the name service's own space (receive rights of created services) ---- */

/* The keeper, created on first use; NULL when out of memory. */
struct broker_task *keeper_get(struct broker *b);

/* Whether one more delivery can be held for the keeper's ports. */
bool keeper_has_room(const struct broker *b);

/* broker_emit_fd's target for the keeper: keeps b->out (len bytes, fd duplicated) when b->msg is
 * a delivery, drops any other event. Returns false when out of memory or descriptors. */
bool keeper_hold(struct broker *b, size_t len, int fd);

/* Moves the right the keeper holds under name (as `type`) into *tr; a dead one comes out as a
 * dead name. */
void keeper_take(struct broker *b, uint32_t name, uint8_t type, struct transit *tr);

/* Destroys the deliveries held for p (a created service's port, or a fenced one; NULL: those
 * orphaned by keeper_held_orphan), and their rights. */
void keeper_held_discard(struct broker *b, struct broker_port *p);

/* p dies: the deliveries held behind its fence are kept for keeper_held_discard(b, NULL), with
 * b->fence_orphans set. */
void keeper_held_orphan(struct broker *b, struct broker_port *p);

/* Delivers to `to`, in order, the deliveries held for p, whose receive right `to` now has; what
 * `to` has no room for is destroyed, unless `always` (then only descriptors are counted). */
void keeper_held_forward(struct broker *b, struct broker_port *p, struct broker_task *to, bool always);

/* Destroys the port of a created service, with the deliveries held for it. */
void keeper_port_destroy(struct broker *b, struct broker_port *p);

/* At shutdown: every held delivery, then the keeper's space, destroyed. */
void keeper_destroy(struct broker *b);

/* ---- broker_fence.c: order across a receive right's move (docs/machd.md 7, "Moving a receive
 * right out") ---- */

/* Before a MSG_SEND from t is checked: fences that cannot stay are lifted (a receive right it
 * moves, a destination past the bounds). Uses b->msg and b->ci, so call it first. */
void fence_before_send(struct broker *b, struct broker_task *t, const struct machd_msg *req);

/* Whether a delivery from t to p is held behind p's fence. */
bool fence_holds(const struct broker_port *p, const struct broker_task *t);

/* A delivery from t was held for p: counted, and t stops being read when p holds too many. */
void fence_held_one(struct broker *b, struct broker_task *t, struct broker_port *p, bool spilled);

/* The receive right of p just moved out of t to another task: when t kept a send right (it
 * forwards what machd had sent it), deliveries from others wait for its MOVED_DONE. */
void fence_start(struct broker *b, struct broker_port *p, struct broker_task *t);

/* Lifts p's fence: what was held is delivered, in order, to p's receiver. */
void fence_lift(struct broker *b, struct broker_port *p);

/* p's receive right is destroyed (the port dies or goes to its port-destroyed notify port):
 * the fence goes, and its held deliveries are destroyed with their rights (by fence_reap, as
 * this may run in the middle of a forward), as a dying port's queue is. */
void fence_port_gone(struct broker *b, struct broker_port *p);

/* Destroys the deliveries orphaned by fence_port_gone. Call when no forward is under way (after
 * a request, a task's death, expiry). */
void fence_reap(struct broker *b);

/* MOVED_DONE from t for its handle `name`. */
void fence_handle_moved_done(struct broker *b, struct broker_task *t, uint32_t name);

/* t dies: the fences waiting for it lift. */
void fence_forget_task(struct broker *b, struct broker_task *t);

/* The earliest fence deadline, if any. */
bool fence_next_deadline(const struct broker *b, uint64_t *deadline);

/* Lifts the fences whose deadline is at or before now_ms. */
void fence_expire(struct broker *b, uint64_t now_ms);

/* ---- broker_domain.c: bootstrap domains ---- */

/* The domain t binds names in: DOMAIN_SYSTEM at a machd that is not a system one, and at a
 * system one for root and the register group's members; else t's uid (its user domain). */
uint32_t domain_of(const struct broker *b, struct broker_task *t);

/* ---- broker_bootstrap.c: the bootstrap name table ---- */

/* p died: every name bound to it goes, with the table's send references. */
void bootstrap_release_port(struct broker *b, struct broker_port *p);

/* owner died: the names it bound go (a created service's port dies with its name). */
void bootstrap_release_owned(struct broker *b, struct broker_task *owner);

/* BOOTSTRAP: one name service operation for t; answers t. */
void bootstrap_handle(struct broker *b, struct broker_task *t, const struct machd_msg *req);

/* ---- broker_query.c: what machd holds, for machctl ---- */

/* QUERY: one page of the services or tasks list, to a task of machd's own uid or root; answers
 * t (KERN_NO_ACCESS to anyone else). */
void query_handle(struct broker *b, struct broker_task *t, const struct machd_msg *req);
/* Whether task t may see what machd holds (QUERY, STATS): machd's own user and root only
 * (docs/security.md). */
bool query_may_inspect(const struct broker_task *t);

/* ---- broker_channel.c: direct channels between two tasks, routes, tickets (docs/machd.md 9.2) ---- */

/* ROUTE: a route for t's send right `name` to its receiver, on the channel of the pair (made and
 * announced with CHANNEL to both when new); ROUTE_ADD to the receiver, then ROUTE_REPLY to t. */
void channel_handle_route(struct broker *b, struct broker_task *t, const struct machd_msg *req);

/* e (a sender's entry with a route) loses its route: ROUTE_DEL to the receiver, slot freed. */
void channel_route_drop(struct broker *b, struct entry *e);

/* t is going away: its channels are forgotten, with their routes; ROUTE_DEL for each route of
 * t's to the other task of the channel. Call before t's entries are destroyed. */
void channel_forget_task(struct broker *b, struct broker_task *t);

/* The other task of channel `id` when t is one of its two tasks, else NULL (any id accepted). */
struct broker_task *channel_peer(struct broker *b, struct broker_task *t, uint32_t id);

/* The head of the list of claims waiting on channel `id` when t is one of its two tasks (*peer:
 * the other one), else NULL (any id accepted). */
struct claim **channel_claims(struct broker *b, struct broker_task *t, uint32_t id, struct broker_task **peer);

/* ---- broker_claim.c: a reply right that came on a channel leaves its process (docs/machd.md
 * 9.6) ---- */

/* TOKEN_CLAIM from t: asks the peer of t's channel for the right behind its token (TOKEN_CLAIMED),
 * or answers t at once when it cannot (STATUS_REPLY: KERN_INVALID_ARGUMENT, no such channel;
 * KERN_RESOURCE_SHORTAGE, a limit: the peer was not asked). */
void claim_handle_claim(struct broker *b, struct broker_task *t, const struct machd_msg *req);

/* TOKEN_GRANT from t: the right it gives is taken from its space; moved to the claimer (answered
 * KERN_SUCCESS with its handle) when the claim waits for t, else destroyed (a send-once
 * notification). A refusal or a right t cannot give fails the claim (KERN_FAILURE). */
void claim_handle_grant(struct broker *b, struct broker_task *t, const struct machd_msg *req);

/* The channel whose claims are *list goes (a task of it, `dying`, is going): the claims of the
 * other task fail (KERN_FAILURE), dying's are forgotten. */
void claim_channel_gone(struct broker *b, struct claim **list, struct broker_task *dying);

/* The earliest claim deadline, if a claim waits. */
bool claim_next_deadline(const struct broker *b, uint64_t *deadline);

/* Fails (KERN_OPERATION_TIMED_OUT) the claims whose deadline is at or before now_ms. */
void claim_expire(struct broker *b, uint64_t now_ms);

#endif
