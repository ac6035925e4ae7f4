/* Staged out-of-line memory (ool_stage_internal.h): the OOL regions of a message to another
 * process are copied once, before the IPC lock, into the transport's buffer. */
#include "ipc/ool_stage_internal.h"

#include <string.h>

#include "ipc/ool_internal.h"
#include "ipc/space_internal.h"
#include "ipc/vm_internal.h"

#define DESC_PORT_SIZE ((mach_msg_size_t)sizeof(mach_msg_port_descriptor_t))
#define DESC_LONG_SIZE ((mach_msg_size_t)sizeof(mach_msg_ool_descriptor_t))
/* As msg_send: up to this size the caller's message is read directly, above through the
 * checked path. */
#define STAGE_DIRECT_READ_MAX ((mach_msg_size_t)64 << 10)

static const struct ipc_transport_ops *stage_transport;
static const struct ool_stage_ops *stage_ops;

void ool_stage_set_ops(const struct ipc_transport_ops *transport, const struct ool_stage_ops *ops) {
  __atomic_store_n(&stage_transport, transport, __ATOMIC_RELEASE);
  __atomic_store_n(&stage_ops, ops, __ATOMIC_RELEASE);
}

/* The OOL memory descriptors among the n descriptors at raw (len bytes), in order, into plan.
 * False when they cannot be read (a later copyin reports why) or are too many. */
static bool collect_regions(const unsigned char *raw, size_t len, uint32_t n, struct ool_stage_plan *plan) {
  size_t off = 0;
  plan->n = 0;
  for (uint32_t i = 0; i < n; i++) {
    mach_msg_type_descriptor_t td;
    if (len - off < DESC_PORT_SIZE) return false;
    memcpy(&td, raw + off, sizeof td);
    size_t dsize = td.type == MACH_MSG_PORT_DESCRIPTOR ? DESC_PORT_SIZE : DESC_LONG_SIZE;
    if (td.type > MACH_MSG_DESCRIPTOR_MAX || len - off < dsize) return false;
    if (td.type == MACH_MSG_OOL_DESCRIPTOR || td.type == MACH_MSG_OOL_VOLATILE_DESCRIPTOR) {
      mach_msg_ool_descriptor_t od;
      memcpy(&od, raw + off, sizeof od);
      if (plan->n == OOL_STAGE_MAX) return false;
      plan->regions[plan->n++] = (struct ool_stage_region){
          od.address, od.size, td.type, od.deallocate && td.type == MACH_MSG_OOL_DESCRIPTOR};
    }
    off += dsize;
  }
  return true;
}

static uint64_t region_bytes(const struct ool_stage_plan *plan) {
  uint64_t n = 0;
  for (uint32_t i = 0; i < plan->n; i++) n += plan->regions[i].size;
  return n;
}

/* The transport of the port the sender names as destination, if it is a proxy (lock taken). */
static const struct ipc_transport_ops *destination_transport(struct ipc_space *space, mach_port_name_t name) {
  if (!MACH_PORT_VALID(name)) return NULL;
  ipc_lock();
  struct ipc_entry *e = space_lookup(space, name);
  const struct ipc_transport_ops *t =
      e && !(e->type & MACH_PORT_TYPE_DEAD_NAME) && IPC_PORT_VALID(e->port) ? e->port->transport : NULL;
  ipc_unlock();
  return t;
}

void ool_stage_prepare(struct ipc_space *space, const mach_msg_header_t *msg, mach_msg_size_t send_size,
                       struct ool_stage_plan *plan) {
  plan->transport = NULL;
  plan->stage = NULL;
  plan->n = 0;
  const struct ool_stage_ops *ops = __atomic_load_n(&stage_ops, __ATOMIC_ACQUIRE);
  if (!ops || send_size < sizeof(mach_msg_base_t) || send_size > IPC_MSG_SIZE_MAX || (send_size & 3)) return;
  mach_msg_base_t base;
  bool direct = send_size <= STAGE_DIRECT_READ_MAX;
  if (direct)
    memcpy(&base, msg, sizeof base);
  else if (!ool_read_user(&base, msg, sizeof base))
    return;
  uint32_t ndesc = base.body.msgh_descriptor_count;
  if (!(base.header.msgh_bits & MACH_MSGH_BITS_COMPLEX) || ndesc == 0 ||
      ndesc > (send_size - sizeof base) / DESC_PORT_SIZE)
    return;
  /* The descriptors: at most OOL_STAGE_MAX regions are of interest, so at most this many bytes
   * can hold them all plus the port descriptors before them (any more and we give up). */
  unsigned char raw[(OOL_STAGE_MAX * 4) * sizeof(mach_msg_ool_descriptor_t)];
  size_t len = send_size - sizeof base;
  if (len > (size_t)ndesc * DESC_LONG_SIZE) len = (size_t)ndesc * DESC_LONG_SIZE;
  if (len > sizeof raw) return;
  const unsigned char *at = (const unsigned char *)msg + sizeof base;
  if (direct)
    memcpy(raw, at, len);
  else if (!ool_read_user(raw, at, len))
    return;
  if (!collect_regions(raw, len, ndesc, plan) || plan->n == 0 || !ops->wants(region_bytes(plan), send_size))
    return;
  /* A moved region vm_allocate backed with a memfd can be handed over whole (docs/machd.md 9.5):
   * copying it here would lose that. */
  for (uint32_t i = 0; i < plan->n; i++)
    if (plan->regions[i].dealloc && vm_memfd_backed(plan->regions[i].addr, plan->regions[i].size)) return;
  const struct ipc_transport_ops *t = destination_transport(space, base.header.msgh_remote_port);
  if (!t || t != __atomic_load_n(&stage_transport, __ATOMIC_ACQUIRE)) return;
  plan->stage = ops->stage(plan->regions, plan->n, send_size);
  if (plan->stage) plan->transport = t;
}

bool ool_stage_claim(struct ool_stage_plan *plan, struct ipc_kmsg *kmsg) {
  if (!plan || !plan->stage || !IPC_PORT_VALID(kmsg->remote) || kmsg->remote->transport != plan->transport)
    return false;
  /* The message as copied in (the sender may have changed its buffer since it was staged). */
  struct ool_stage_plan now;
  size_t len = kmsg->size - sizeof(mach_msg_base_t);
  if (kmsg->size < sizeof(mach_msg_base_t) ||
      !collect_regions(kmsg->data + sizeof(mach_msg_base_t), len, kmsg->ndesc, &now) || now.n != plan->n)
    return false;
  for (uint32_t i = 0; i < now.n; i++) {
    const struct ool_stage_region *a = &now.regions[i], *b = &plan->regions[i];
    if (a->addr != b->addr || a->size != b->size || a->type != b->type || a->dealloc != b->dealloc) return false;
  }
  kmsg->stage = plan->stage;
  kmsg->stage_ops = __atomic_load_n(&stage_ops, __ATOMIC_ACQUIRE);
  plan->stage = NULL;
  return true;
}

void ool_stage_take(struct kmsg_desc *d, const void *addr, mach_msg_size_t size, bool dealloc) {
  d->addr = NULL;
  d->size = size;
  d->staged = true;
  if (dealloc && size > 0) vm_release_range((void *)(uintptr_t)addr, size);
}

void ool_stage_unstage(struct ipc_kmsg *kmsg) {
  if (!kmsg->stage) return;
  uint32_t index = 0;
  for (uint32_t i = 0; i < kmsg->ndesc; i++) {
    struct kmsg_desc *d = &kmsg->desc[i];
    if (!d->staged) continue;
    d->staged = false;
    d->addr = d->size ? ool_adopt(kmsg->stage_ops->region(kmsg->stage, index), d->size) : NULL;
    if (!d->addr) d->size = 0;
    index++;
  }
  ool_stage_drop(kmsg);
}

void ool_stage_release(struct ool_stage_plan *plan) {
  if (plan->stage) __atomic_load_n(&stage_ops, __ATOMIC_ACQUIRE)->discard(plan->stage);
  plan->stage = NULL;
  plan->transport = NULL;
}

void ool_stage_drop(struct ipc_kmsg *kmsg) {
  if (kmsg->stage) kmsg->stage_ops->discard(kmsg->stage);
  kmsg->stage = NULL;
}
