/* Staged out-of-line memory (docs/machd.md 3.1, "Copy once, outside the IPC lock"): for a message
 * whose destination is a proxy of a transport that asks for it (machd), the OOL memory regions
 * are copied once, before the IPC lock is taken, straight from the sender's memory into the
 * transport's buffer (a spilled payload's memfd). The core's own copy-in of those regions is then
 * skipped; rights are still taken under the lock as for any message. */
#ifndef OPENMIG_OOL_STAGE_INTERNAL_H
#define OPENMIG_OOL_STAGE_INTERNAL_H

#include <stdbool.h>

#include "ipc/kmsg_internal.h"
#include "ipc/proxy_internal.h"

/* Most OOL memory descriptors one staged message may have (machd's MACHD_MAX_OOL): a message with
 * more is copied in as usual (and refused by the transport). */
#define OOL_STAGE_MAX 64u

/* One OOL memory descriptor as the sender wrote it. */
struct ool_stage_region {
  const void *addr;
  mach_msg_size_t size;
  mach_msg_descriptor_type_t type;
  bool dealloc;
};

/* What a transport provides. */
struct ool_stage_ops {
  /* No lock held, pure: whether OOL regions of ool_bytes in all, in a message of send_size
   * bytes, are worth staging (the transport would copy them again otherwise). */
  bool (*wants)(uint64_t ool_bytes, mach_msg_size_t send_size);
  /* No lock held. A message of send_size bytes whose OOL memory regions are `regions` (n of
   * them, in descriptor order) goes to one of this transport's proxies: returns a new buffer
   * holding a copy of every region, or NULL to let the core copy them in as usual (not worth it,
   * unreadable memory, no memory). Never writes the sender's memory. */
  void *(*stage)(const struct ool_stage_region *regions, uint32_t n, mach_msg_size_t send_size);
  /* Frees a buffer `stage` returned (any lock state). */
  void (*discard)(void *stage);
  /* Lock held: region `index` of the buffer as a region owned by the caller (as ool_copyin
   * makes them), for a message given back to its sender. NULL when out of memory. */
  void *(*region)(void *stage, uint32_t index);
};

/* Installs ops for messages to proxies of `transport` (once; before its first proxy exists). */
void ool_stage_set_ops(const struct ipc_transport_ops *transport, const struct ool_stage_ops *ops);

/* The plan of one send: filled without the lock, claimed under it. */
struct ool_stage_plan {
  const struct ipc_transport_ops *transport; /* NULL: nothing staged */
  void *stage;
  uint32_t n;
  struct ool_stage_region regions[OOL_STAGE_MAX];
};

/* No lock held (takes it briefly to look at the destination). Stages the OOL regions of the
 * message msg (send_size bytes, in the caller's memory) when its destination in space is a proxy
 * of a transport with stage ops; otherwise leaves plan->transport NULL. */
void ool_stage_prepare(struct ipc_space *space, const mach_msg_header_t *msg, mach_msg_size_t send_size,
                       struct ool_stage_plan *plan);

/* Lock held, kmsg copied in up to its header rights (body bytes in kmsg->data): if the plan
 * matches kmsg (same destination transport, the same OOL regions in the same order), the
 * staged buffer moves to kmsg (kmsg->stage) and true is returned; copyin_body then skips the
 * copy of those regions (ool_stage_take). */
bool ool_stage_claim(struct ool_stage_plan *plan, struct ipc_kmsg *kmsg);

/* Lock held: descriptor d (an OOL memory descriptor of a kmsg with a stage) takes its region
 * from the stage: no copy; the sender's range is released when dealloc is set. */
void ool_stage_take(struct kmsg_desc *d, const void *addr, mach_msg_size_t size, bool dealloc);

/* Lock held: the staged regions of kmsg become regions of its own (a message given back to its
 * sender); a region that cannot be made is given back as none. The stage is freed. */
void ool_stage_unstage(struct ipc_kmsg *kmsg);

/* Frees what the plan still holds (no lock needed). */
void ool_stage_release(struct ool_stage_plan *plan);

/* Frees kmsg's stage, if any (kmsg_destroy). */
void ool_stage_drop(struct ipc_kmsg *kmsg);

#endif /* OPENMIG_OOL_STAGE_INTERNAL_H */
