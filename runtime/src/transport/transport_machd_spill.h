/* libmach's side of spilled payloads (docs/machd.md, "Large messages"): a message too large for
 * one datagram leaves as one sealed memfd; a delivered one is read (body) and mapped (OOL
 * regions, copy-on-write, no byte copy) from the memfd machd passed on. */
#ifndef OPENMIG_TRANSPORT_MACHD_SPILL_H
#define OPENMIG_TRANSPORT_MACHD_SPILL_H

#include <stdbool.h>
#include <stdint.h>

#include "wire/machd_proto.h"
#include "ipc/ipc.h"

/* True when payload p (body and OOL bytes pointed to) travels in a memfd: it would not fit one
 * MSG_DELIVER datagram, or its OOL regions hold 32 KiB or more; with $MACHRT_SPILL_MIN=N set
 * (read once; tests and measurements) instead when body + OOL bytes reach N. */
bool spill_needed(const struct machd_payload *p);

/* A new memfd holding p's body and OOL bytes in the machd_spill_layout, sealed
 * (MACHD_SPILL_SEALS_REQUIRED). Returns the descriptor (close-on-exec), or -1 with errno set
 * (EMSGSIZE: above MACHD_MAX_SPILL_BODY / MACHD_MAX_SPILL_BYTES). */
int spill_write(const struct machd_payload *p);

/* A new memfd of exactly size bytes rounded up to pages holding a copy of the size bytes at
 * src, sealed with every seal (F_SEAL_SEAL too): a region that travels alone (docs/machd.md
 * 9.5). Returns the descriptor (close-on-exec), or -1. */
int spill_sealed_copy(const void *src, uint32_t size);

/* Staging (ool_stage_internal.h): the OOL regions of a message to another process are written
 * into a new memfd straight from the sender's memory, before the IPC lock is taken; installed
 * for machd's proxies when the transport starts. */
extern const struct ool_stage_ops spill_stage_ops;

/* The memfd of a staged message (a buffer spill_stage_ops made) with p's body written and sealed:
 * returns the descriptor, or -1 with errno set (EINVAL when p's body length or OOL sizes are
 * not the staged ones). The stage is consumed either way. */
int spill_seal_stage(void *stage, const struct machd_payload *p);

/* A direct channel takes the memfd of a staged message itself (docs/machd.md 9.5): checks that
 * the stage holds a body of body_len bytes and the n regions of these sizes, seals it with every
 * seal (the body stays holes: it travels in the ring) and returns its descriptor, which the
 * stage keeps owning (closed when the stage is dropped); -1 when it does not match or cannot
 * be sealed. A sealed stage can no longer be sent through machd: unstage it for that. */
int spill_stage_fd(void *stage, uint32_t body_len, const uint32_t *sizes, uint32_t n);

/* Receiving: true when fd is the memfd a spilled payload p needs (kind, seals, exact size);
 * machd checked it already, the receiver does not rely on that. */
bool spill_fd_matches(int fd, const struct machd_payload *p);

/* The memfd offset of each of p's OOL regions (p->ool_count entries). */
void spill_offsets_of(const struct machd_payload *p, uint64_t *offsets);

/* Reads the body of a spilled payload (len bytes at offset 0) into dst. */
bool spill_read_body(int fd, void *dst, uint32_t len);

/* A region of `size` bytes holding the OOL bytes at `offset` of the memfd, zero after `size`
 * to the end of its last page: a private mapping (the receiver may write; the memfd is
 * sealed, so nobody else can), or a copy when the memfd cannot be mapped. NULL on failure.
 * The caller owns it (it is page-rounded, like the regions of ool.c). */
void *spill_map_region(int fd, uint64_t offset, uint32_t size);

/* A region of `size` bytes holding a copy of the bytes at src (memory of this process that is
 * known to be readable, e.g. a received datagram), zero to the end of its last page. NULL when
 * out of memory. */
void *spill_copy_region(const uint8_t *src, uint32_t size);

#endif
