/* Direct channels (docs/machd.md 9): the shared memory machd creates for one pair of tasks, and
 * the two message rings in it. Both tasks map the same sealed memfd of CHAN_SHARED_SIZE bytes
 * (all zero when made: zero is the valid empty state). Each side writes only its own words and
 * reads the other side's as hostile input: every position, length and count is checked, records
 * are copied out before they are looked at, and any inconsistency reports CHAN_BROKEN, after
 * which the caller drops the channel (the peer can only break its own channel).
 *
 * Direction d carries records from side d (its producer) to side 1-d (its consumer). A direction
 * has: the producer's words (head), the consumer's words (tail, sleeping, credits granted per
 * route slot) and CHAN_RING_BYTES of record data. Records never straddle the end of the data:
 * a producer that cannot fit one before the end writes a PAD record to the end first.
 *
 * Doorbells: a consumer about to sleep sets its `sleeping` word (chan_sleep_prepare) and checks
 * the ring once more; a producer that publishes a record wakes the consumer (the caller writes
 * the peer's eventfd) only if it takes `sleeping` from 1 to 0 (chan_produce's *wake), so a busy
 * consumer costs no system call. Credits: the consumer grants, per route slot, a running count
 * of messages it accepts (delivered so far + room in the port's queue); a producer sends on a
 * slot only while its own count of messages sent is below the grant, and may wait for a grant
 * on the shared word (a futex). Pure: no libmach state; futex calls only in chan_credit_wait /
 * chan_grant. Thread safety: one producer and one consumer at a time per direction (callers
 * serialise, libmach under its IPC lock). */
#ifndef OPENMIG_WIRE_CHAN_RING_H
#define OPENMIG_WIRE_CHAN_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CHAN_RING_BYTES (512u * 1024u) /* record data per direction */
#define CHAN_SLOTS 1024u               /* routes per direction (credit words) */
#define CHAN_RECORD_ALIGN 8u
#define CHAN_RECORD_HEADER 32u                       /* sizeof(struct chan_record) */
#define CHAN_MAX_BODY (64u * 1024u)                  /* body bytes one record may carry */
/* Out-of-line memory arena per direction (docs/machd.md 9.5): the producer copies a region into
 * it, the consumer copies it out into memory of its own and gives the bytes back by moving its
 * arena tail when it consumes the record. Regions are placed in order, never straddle the end,
 * start at multiples of CHAN_ARENA_ALIGN; one region holds at most CHAN_ARENA_MAX_REGION. */
#define CHAN_ARENA_BYTES (4u * 1024u * 1024u)
#define CHAN_ARENA_MAX_REGION (CHAN_ARENA_BYTES / 2u)
#define CHAN_ARENA_ALIGN 64u
/* The size of the shared memory: both directions, page-aligned parts. */
#define CHAN_SHARED_SIZE (2u * (12288u + CHAN_RING_BYTES + CHAN_ARENA_BYTES))

/* Record kinds. */
enum chan_record_kind {
    CHAN_REC_PAD = 1,       /* filler up to the end of the data; no body */
    CHAN_REC_MSG = 2,       /* a message */
    CHAN_REC_DROP_ONCE = 3, /* the consumer's token `dest` was released unused: a send-once
                               notification is due on the port it stands for; no body */
};

/* CHAN_REC_MSG flags. */
#define CHAN_MSG_DEST_ONCE 0x1u /* dest is a send-once token the consumer issued (a reply);
                                   else dest is a route slot (< CHAN_SLOTS) */
#define CHAN_MSG_TICKET 0x2u    /* the message itself (body, descriptors, reply right) travels
                                   through machd as ticket number `ticket`; the record only keeps
                                   its place in order (body_len 0, reply 0) */
#define CHAN_MSG_OOL 0x4u     /* the message carries out-of-line memory (and no port rights): the
                                   body is the message body (`ticket` bytes: its length) followed
                                   by a table saying where each region is (docs/machd.md 9.5);
                                   never with TICKET */
#define CHAN_MSG_FLAGS (CHAN_MSG_DEST_ONCE | CHAN_MSG_TICKET | CHAN_MSG_OOL)

/* CHAN_MSG_OOL: after the message body (padded to 8) comes one entry per descriptor (every one
 * an out-of-line memory descriptor), then the INLINE regions' bytes, each padded to 8. */
enum chan_ool_how {
    CHAN_OOL_NONE = 0,   /* size 0 */
    CHAN_OOL_INLINE = 1, /* the bytes follow the table, in order */
    CHAN_OOL_ARENA = 2,  /* the next region of the producer's arena (chan_arena_place) */
    CHAN_OOL_FD = 3,     /* a sealed memfd of exactly the region's size rounded to pages, the next
                            descriptor of the record's datagram on the LINK socket */
    CHAN_OOL_SPILL = 4,  /* in the record's one sealed memfd, laid out as a spilled payload
                            (machd_spill_layout_of: body length, every region's size); then every
                            region of the record with bytes is SPILL */
};
struct chan_ool_entry {
    uint32_t size; /* bytes: the descriptor's size */
    uint16_t how;  /* enum chan_ool_how */
    uint16_t zero;
};
_Static_assert(sizeof(struct chan_ool_entry) == 8, "OOL entry size");
/* Most descriptors one CHAN_MSG_OOL record carries. */
#define CHAN_OOL_MAX 64u

/* The datagram a producer sends on the LINK socket before it publishes a record whose regions
 * travel as memfds, with the descriptors (SCM_RIGHTS) in the record's order: seq counts such
 * datagrams per direction from 1, nfds says how many descriptors came. */
struct chan_fd_note {
    uint64_t seq;
    uint32_t nfds;
    uint32_t zero;
};

/* A record's header as it lies in the ring (32 bytes, native byte order: both ends are on one
 * machine). */
struct chan_record {
    uint32_t len;      /* whole record with header and padding: a multiple of 8, <= the data */
    uint16_t kind;     /* enum chan_record_kind */
    uint16_t flags;    /* CHAN_MSG_* (MSG only, else 0) */
    uint32_t dest;     /* MSG: route slot or send-once token; DROP_ONCE: the token */
    int32_t msgh_id;
    uint32_t reply;    /* MSG: a send-once token the producer issued for its reply port (0 none) */
    uint32_t body_len; /* bytes after the header: the message after mach_msg_header_t */
    uint64_t ticket;   /* TICKET: the ticket's number, counted per direction from 1 */
};
_Static_assert(sizeof(struct chan_record) == CHAN_RECORD_HEADER, "record header size");

enum chan_status {
    CHAN_OK = 0,
    CHAN_EMPTY,  /* consumer: nothing published */
    CHAN_FULL,   /* producer: no room for this record now (the consumer is behind) */
    CHAN_BROKEN, /* the peer's words or records are inconsistent: drop the channel */
};

/* One side's view of a mapped channel. */
struct chan_end {
    uint8_t *base;  /* the mapping, CHAN_SHARED_SIZE bytes */
    unsigned side;  /* 0 or 1 */
    /* Private copies (never read back from shared memory): */
    uint64_t head;  /* producer: what we published */
    uint64_t tail;  /* consumer: what we consumed */
    uint64_t next;  /* consumer: tail after the record chan_peek returned last (== tail: none) */
    uint64_t arena_head; /* producer: arena bytes reserved so far (a running position) */
    uint64_t arena_tail; /* consumer: arena bytes given back so far */
    bool arena_out_ready, arena_in_ready; /* the arenas were pre-faulted in this mapping */
};

/* Binds end to a mapping of the channel as side 0 or 1 (positions from the shared words: a
 * fresh channel is all zero). */
void chan_end_init(struct chan_end *end, void *base, unsigned side);

/* ---- producer (records from this side) ---- */

/* Publishes one record: hdr (its len is computed here: header + body_len rounded up to 8) and
 * body_len bytes of body. CHAN_OK: published, and *wake says whether the consumer was asleep
 * (the caller must then write the peer's eventfd). CHAN_FULL: not enough room now (nothing
 * written). CHAN_BROKEN: the consumer's tail is impossible. hdr->body_len <= CHAN_MAX_BODY. */
enum chan_status chan_produce(struct chan_end *end, const struct chan_record *hdr, const void *body,
                              bool *wake);

/* Whether a record with body_len bytes could be published now. */
bool chan_has_room(struct chan_end *end, uint32_t body_len);
/* Whether the consumer's tail is possible (false: the peer is hostile, room never comes; a
 * producer waiting for room must drop the channel instead). */
bool chan_tail_ok(const struct chan_end *end);

/* Producer: whether the consumer has taken every record we published (its tail is our head). */
bool chan_out_taken(const struct chan_end *end);

/* ---- consumer (records to this side) ---- */

/* Copies the next record's header into *hdr and its body into body (capacity cap >=
 * CHAN_MAX_BODY) without consuming it; skips PAD records. CHAN_OK, CHAN_EMPTY or CHAN_BROKEN
 * (an impossible head, a record that is not whole, an unknown kind or flag, a length that does
 * not match its body, a body over CHAN_MAX_BODY or over cap). */
enum chan_status chan_peek(struct chan_end *end, struct chan_record *hdr, void *body, size_t cap);

/* Consumes the record chan_peek returned last. */
void chan_consume(struct chan_end *end);

/* Whether a record may be waiting (the producer's head differs from our tail). */
bool chan_pending(const struct chan_end *end);

/* Before sleeping: sets our `sleeping` word; returns chan_pending() read after it (true: do
 * not sleep, a record came). After waking (or deciding not to sleep): chan_sleep_done. */
bool chan_sleep_prepare(struct chan_end *end);
void chan_sleep_done(struct chan_end *end);

/* ---- out-of-line arena ---- */

/* Where a region of size bytes (<= CHAN_ARENA_MAX_REGION) goes when the arena's next free
 * running position is pos: pos rounded up to CHAN_ARENA_ALIGN, or the start of the next pass
 * when the region would straddle the end. Both sides compute it: pure. */
uint64_t chan_arena_place(uint64_t pos, uint32_t size);

/* Producer: reserves the arena bytes of a region of size bytes and returns where to write them,
 * or NULL when the consumer has not given back enough yet (nothing reserved) or its arena tail
 * is impossible (*broken set: drop the channel). end->arena_head moves past the region; a
 * caller that then publishes no record puts the saved arena_head back. Pre-faults the arena on
 * first use. */
uint8_t *chan_arena_reserve(struct chan_end *end, uint32_t size, bool *broken);

/* Consumer: the region of size bytes that comes next after arena position *cursor (start with
 * end->arena_tail; moved past it), or NULL when size is over CHAN_ARENA_MAX_REGION (hostile).
 * The bytes stay the producer's to change until given back: copy them out first. */
const uint8_t *chan_arena_region(struct chan_end *end, uint64_t *cursor, uint32_t size);

/* Consumer: gives the arena back up to cursor (the regions of a consumed record). */
void chan_arena_release(struct chan_end *end, uint64_t cursor);

/* ---- credits per route slot ---- */

/* Consumer: the running count of messages it accepts on slot (delivered + room), published
 * for the producer; wakes producer threads waiting in chan_credit_wait on that slot. Returns
 * whether it made the wake-up call (the peer says a thread of its waits). */
bool chan_grant(struct chan_end *end, uint32_t slot, uint32_t granted);
/* Consumer: the same, publishing only: a waiting producer thread sleeps on until it is woken by
 * chan_credit_wake_one (one at a time, in the consumer's order); one not yet asleep sees it. */
void chan_grant_quiet(struct chan_end *end, uint32_t slot, uint32_t granted);
/* Consumer: wakes one producer thread waiting in chan_credit_wait on slot, if the peer says any
 * of its threads waits (a system call only then). Returns how many were woken (0 or 1). */
int chan_credit_wake_one(struct chan_end *end, uint32_t slot);

/* Consumer: records on slot are for the route named `serial` from now on (ROUTE_ADD), or for
 * none (0, when the route goes). Producer: whether the consumer has activated that route (a
 * producer writes on a slot only then: its records are read as the route it holds). */
void chan_route_activate(struct chan_end *end, uint32_t slot, uint32_t serial);
bool chan_route_active(const struct chan_end *end, uint32_t slot, uint32_t serial);

/* Producer: whether a message may be sent on slot after `sent` messages on it. */
bool chan_credit_ok(const struct chan_end *end, uint32_t slot, uint32_t sent);

/* Producer: waits (futex on the shared grant word) until chan_credit_ok or timeout_ms passes
 * (< 0: no limit) or chan_credit_wake; returns true when credit is there. No lock may be held
 * that the consumer's side needs. */
bool chan_credit_wait(struct chan_end *end, uint32_t slot, uint32_t sent, int timeout_ms);

/* Wakes every thread of this process waiting in chan_credit_wait on end (the channel is being
 * dropped: they re-check and see it gone). */
void chan_credit_wake_all(struct chan_end *end);

#endif /* OPENMIG_WIRE_CHAN_RING_H */
