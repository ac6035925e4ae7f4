/* machd broker: a reply right that came on a direct channel leaves the process (docs/machd.md
 * 9.6). The server holds a send-once right that stands for a token its peer (the requester)
 * issued on their channel; to move it anywhere else it claims the token (TOKEN_CLAIM). machd asks
 * the issuer (TOKEN_CLAIMED), whose runtime retires the token and answers with the send-once right
 * to its reply port (TOKEN_GRANT); machd moves that right into the claimer's space and answers the
 * claim with its handle. Bounded: a claim is answered within CLAIM_TIMEOUT_MS whatever the issuer
 * does, a task has at most limits.claims_per_task claims waiting, and a grant is only taken from
 * the task that was asked. The issuer's runtime decides whether the token is one it issued. */
#include "broker_internal.h"

#include <stdlib.h>
#include <string.h>

#include <mach/kern_return.h>

/* How long machd waits for the issuer's grant; then the claim fails (the issuer, told already,
 * still retires the token: its late grant's right is destroyed, a send-once notification). */
#define CLAIM_TIMEOUT_MS 2000u

/* One claim waiting for its grant. */
struct claim {
    uint32_t id;                /* machd's name for it (TOKEN_CLAIMED, TOKEN_GRANT) */
    uint32_t seq;               /* the claimer's request, answered by STATUS_REPLY */
    struct broker_task *claimer, *issuer;
    uint64_t deadline;          /* b->hooks->now_ms() after which it fails */
    struct claim *prev, *next;  /* b->claims, oldest first: deadlines in order */
    struct claim **on_channel;  /* the list head of its channel (channel_claims) */
    struct claim *ch_prev, *ch_next;
};

/* Statuses of a failed claim. Those that say the issuer was never asked let the claimer destroy
 * the right itself (on the ring, where the issuer makes the notification); after the issuer was
 * asked, the issuer owns the outcome. */
#define CLAIM_NOT_ASKED_BAD KERN_INVALID_ARGUMENT /* no such channel of the claimer's */
#define CLAIM_NOT_ASKED_FULL KERN_RESOURCE_SHORTAGE /* a limit, or no room to ask */

static void claim_unlink(struct broker *b, struct claim *c) {
    if (c->prev)
        c->prev->next = c->next;
    else
        b->claims = c->next;
    if (c->next)
        c->next->prev = c->prev;
    else
        b->claims_tail = c->prev;
    if (c->ch_prev)
        c->ch_prev->ch_next = c->ch_next;
    else
        *c->on_channel = c->ch_next;
    if (c->ch_next)
        c->ch_next->ch_prev = c->ch_prev;
    handle_map_remove(&b->claim_ids, c->id);
    c->claimer->claims--;
}

/* Answers c's claimer (status, and the handle of a granted right) and forgets c. */
static void claim_finish(struct broker *b, struct claim *c, uint32_t status, uint32_t handle) {
    struct broker_task *claimer = c->claimer;
    uint32_t seq = c->seq;
    claim_unlink(b, c);
    free(c);
    broker_reply_status(b, claimer, MACHD_STATUS_REPLY, seq, status, handle);
}

/* A claim id not in use: nonzero, never MACHD_HANDLE_DEAD (the map's tombstone). */
static uint32_t claim_new_id(struct broker *b) {
    for (;;) {
        uint32_t id = ++b->last_claim;
        if (id != MACHD_HANDLE_NULL && id != MACHD_HANDLE_DEAD && !handle_map_get(&b->claim_ids, id))
            return id;
    }
}

void claim_handle_claim(struct broker *b, struct broker_task *t, const struct machd_msg *req) {
    struct broker_task *issuer = NULL;
    struct claim **list = channel_claims(b, t, req->u.token_claim.channel, &issuer);
    if (!list) {
        broker_reply_status(b, t, MACHD_STATUS_REPLY, req->seq, CLAIM_NOT_ASKED_BAD, 0);
        return;
    }
    struct claim *c = NULL;
    if (t->claims < b->limits.claims_per_task && broker_can_emit(b, issuer, MACHD_HEADER_SIZE + 12u))
        c = calloc(1, sizeof *c);
    if (!c) {
        broker_reply_status(b, t, MACHD_STATUS_REPLY, req->seq, CLAIM_NOT_ASKED_FULL, 0);
        return;
    }
    *c = (struct claim){.id = claim_new_id(b), .seq = req->seq, .claimer = t, .issuer = issuer,
                        .deadline = b->hooks->now_ms(b->ctx) + CLAIM_TIMEOUT_MS, .on_channel = list};
    if (!handle_map_put(&b->claim_ids, c->id, c)) {
        free(c);
        broker_reply_status(b, t, MACHD_STATUS_REPLY, req->seq, CLAIM_NOT_ASKED_FULL, 0);
        return;
    }
    c->prev = b->claims_tail;
    if (b->claims_tail)
        b->claims_tail->next = c;
    else
        b->claims = c;
    b->claims_tail = c;
    c->ch_next = *list;
    if (*list)
        (*list)->ch_prev = c;
    *list = c;
    t->claims++;
    memset(&b->msg, 0, sizeof b->msg);
    b->msg.type = MACHD_TOKEN_CLAIMED;
    b->msg.u.token_claimed.channel = req->u.token_claim.channel;
    b->msg.u.token_claimed.token = req->u.token_claim.token;
    b->msg.u.token_claimed.claim = c->id;
    broker_emit(b, issuer);
}

void claim_handle_grant(struct broker *b, struct broker_task *t, const struct machd_msg *req) {
    struct claim *c = handle_map_get(&b->claim_ids, req->u.token_grant.claim);
    if (c && c->issuer != t)
        c = NULL; /* another task's claim: nothing here is t's to answer */
    /* The right is taken whatever becomes of the claim: t's runtime let it go when it wrote the
     * grant. A grant nobody waits for (late, or foreign) destroys it: the issuer's reply port
     * gets its send-once notification, exactly once. */
    struct transit tr = {NULL, 0, MACHD_HANDLE_NULL};
    bool taken = false;
    const struct machd_right *r = &req->u.token_grant.right;
    if (r->disposition != MACHD_DISP_NONE) {
        right_copyin_reset(b->ci);
        taken = right_copyin_check(b->ci, t, r) && right_copyin_apply(b, t, r, &tr) && tr.port;
    }
    if (!c) {
        right_transit_destroy(b, &tr);
        return;
    }
    if (!taken) { /* a refusal, or a right t does not hold: the claim fails */
        right_transit_destroy(b, &tr);
        claim_finish(b, c, KERN_FAILURE, 0);
        return;
    }
    uint32_t h = right_copyout(b, c->claimer, &tr); /* on failure the right is destroyed */
    claim_finish(b, c, h != MACHD_HANDLE_NULL ? KERN_SUCCESS : KERN_FAILURE, h);
}

void claim_channel_gone(struct broker *b, struct claim **list, struct broker_task *dying) {
    while (*list) {
        struct claim *c = *list;
        if (c->claimer == dying) {
            claim_unlink(b, c);
            free(c);
        } else {
            claim_finish(b, c, KERN_FAILURE, 0); /* the issuer died: its right with it */
        }
    }
}

bool claim_next_deadline(const struct broker *b, uint64_t *deadline) {
    if (!b->claims)
        return false;
    *deadline = b->claims->deadline;
    return true;
}

void claim_expire(struct broker *b, uint64_t now_ms) {
    while (b->claims && b->claims->deadline <= now_ms)
        claim_finish(b, b->claims, KERN_OPERATION_TIMED_OUT, 0);
}
