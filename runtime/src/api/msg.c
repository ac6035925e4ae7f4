/* mach_msg: validating and copying a message in from the sender's space (header rights, port
 * descriptors, OOL memory and OOL port arrays), queueing it, and copying a received message out
 * into the receiver's space with the requested trailer. Also mach_msg_destroy. */
#include "api/msg_internal.h"
#include "ipc/ipc.h"

#include <stdlib.h>
#include <string.h>

#define DESC_PORT_SIZE ((mach_msg_size_t)sizeof(mach_msg_port_descriptor_t))
#define DESC_LONG_SIZE ((mach_msg_size_t)sizeof(mach_msg_ool_descriptor_t))
#define OOL_PORTS_MAX ((mach_msg_size_t)1 << 24)
#define OOL_DIRECT_COPY_MAX ((mach_msg_size_t)64 << 10)

static bool is_send_disposition(mach_msg_type_name_t d) {
  return d >= MACH_MSG_TYPE_MOVE_SEND && d <= MACH_MSG_TYPE_MAKE_SEND_ONCE;
}

/* Checks that the destination and reply rights can be taken, together (they may share a
 * name), before anything changes. */
static mach_msg_return_t check_header(struct ipc_space *space, const mach_msg_header_t *h,
                                      mach_msg_bits_t bits) {
  mach_msg_type_name_t rd = MACH_MSGH_BITS_REMOTE(bits);
  mach_msg_type_name_t ld = MACH_MSGH_BITS_LOCAL(bits);
  mach_msg_type_name_t vd = MACH_MSGH_BITS_VOUCHER(bits);
  if (!is_send_disposition(rd)) return MACH_SEND_INVALID_HEADER;
  if (h->msgh_local_port != MACH_PORT_NULL && !is_send_disposition(ld))
    return MACH_SEND_INVALID_HEADER;
  if (vd != 0) {
    if (vd != MACH_MSG_TYPE_MOVE_SEND && vd != MACH_MSG_TYPE_COPY_SEND)
      return MACH_SEND_INVALID_HEADER;
    if (MACH_PORT_VALID(h->msgh_voucher_port)) return MACH_SEND_INVALID_VOUCHER;
  }
  if (!MACH_PORT_VALID(h->msgh_remote_port)) return MACH_SEND_INVALID_DEST;
  struct ipc_entry *de = space_lookup(space, h->msgh_remote_port);
  if (!de || (de->type & MACH_PORT_TYPE_DEAD_NAME)) return MACH_SEND_INVALID_DEST;
  struct ipc_entry tmp = *de;
  if (right_copyin_check(&tmp, rd) != KERN_SUCCESS) return MACH_SEND_INVALID_DEST;
  struct ipc_port *dest = de->port;
  /* Kernel objects take no messages; nor does another process's fileport (its proxy). */
  if (dest->kotype != IKOT_NONE && (!dest->transport || dest->kotype == IKOT_FILEPORT)) return MACH_SEND_INVALID_DEST;
  if (!MACH_PORT_VALID(h->msgh_local_port)) return MACH_MSG_SUCCESS;
  if (h->msgh_local_port != h->msgh_remote_port) {
    struct ipc_entry *re = space_lookup(space, h->msgh_local_port);
    if (!re) return MACH_SEND_INVALID_REPLY;
    tmp = *re;
  }
  if (right_copyin_check(&tmp, ld) != KERN_SUCCESS) return MACH_SEND_INVALID_REPLY;
  return MACH_MSG_SUCCESS;
}

static mach_msg_return_t copyin_port_array(struct ipc_space *space, struct kmsg_desc *d,
                                           mach_msg_ool_ports_descriptor_t *od) {
  mach_msg_type_name_t disp = od->disposition;
  mach_msg_size_t count = od->count;
  if (!MACH_MSG_TYPE_PORT_ANY(disp)) return MACH_SEND_INVALID_TYPE;
  if (count > OOL_PORTS_MAX) return MACH_SEND_TOO_LARGE;
  if (count == 0) return MACH_MSG_SUCCESS;
  mach_port_name_t *names = malloc(count * sizeof *names);
  struct ipc_port **ports = calloc(count, sizeof *ports);
  if (!names || !ports) {
    free(names);
    free(ports);
    return MACH_SEND_NO_BUFFER;
  }
  if (!ool_read_user(names, od->address, count * sizeof *names)) {
    free(names);
    free(ports);
    return MACH_SEND_INVALID_MEMORY;
  }
  for (mach_msg_size_t j = 0; j < count; j++) {
    if (right_copyin(space, names[j], disp, &ports[j], &d->disp) != KERN_SUCCESS) {
      for (mach_msg_size_t k = 0; k < j; k++) right_destroy(ports[k], d->disp);
      free(names);
      free(ports);
      return MACH_SEND_INVALID_RIGHT;
    }
  }
  free(names);
  if (od->deallocate) vm_release_range(od->address, count * sizeof(mach_port_name_t));
  d->ports = ports;
  d->count = count;
  return MACH_MSG_SUCCESS;
}

/* A guarded port descriptor, XNU's rules (ipc_kmsg_inflate_guarded_port_descriptor,
 * ipc_right_copyin_check_guard_locked): it moves a receive right only; its flags are
 * IMMOVABLE_RECEIVE and/or UNGUARDED_ON_SEND, the latter with context 0 for a port that has no
 * guard; otherwise context must be the port's guard. The message records UNGUARDED_ON_SEND from
 * then on (the right left its space unguarded). */
static mach_msg_return_t copyin_guarded_port(struct ipc_space *space, struct kmsg_desc *d,
                                             mach_msg_guarded_port_descriptor_t *gd) {
  mach_msg_guard_flags_t flags = gd->flags;
  if (gd->disposition != MACH_MSG_TYPE_MOVE_RECEIVE) return MACH_SEND_INVALID_TYPE;
  if (flags == 0 || (flags & ~MACH_MSG_GUARD_FLAGS_MASK) ||
      ((flags & MACH_MSG_GUARD_FLAGS_UNGUARDED_ON_SEND) && gd->context != 0))
    return MACH_SEND_INVALID_TYPE;
  if (MACH_PORT_VALID(gd->name)) {
    struct ipc_entry *e = space_lookup(space, gd->name);
    if (e && (e->type & MACH_PORT_TYPE_RECEIVE)) {
      const struct ipc_port *port = e->port;
      bool ok = ((flags & MACH_MSG_GUARD_FLAGS_UNGUARDED_ON_SEND) && !port->guarded &&
                 gd->context == 0) ||
                (port->guarded && port->context == gd->context);
      if (!ok) return MACH_SEND_INVALID_RIGHT;
    }
  }
  if (right_copyin(space, gd->name, gd->disposition, &d->port, &d->disp) != KERN_SUCCESS)
    return MACH_SEND_INVALID_RIGHT;
  if (MACH_PORT_VALID(gd->name)) gd->flags |= MACH_MSG_GUARD_FLAGS_UNGUARDED_ON_SEND;
  return MACH_MSG_SUCCESS;
}

/* Copies in every descriptor; on error *done says how many were fully taken. */
static mach_msg_return_t copyin_body(struct ipc_space *space, struct ipc_kmsg *kmsg,
                                     uint32_t *done) {
  mach_msg_size_t offset = sizeof(mach_msg_base_t);
  *done = 0;
  for (uint32_t i = 0; i < kmsg->ndesc; i++) {
    if (offset + DESC_PORT_SIZE > kmsg->size) return MACH_SEND_MSG_TOO_SMALL;
    unsigned char *raw = kmsg->data + offset;
    mach_msg_descriptor_type_t type = ((mach_msg_type_descriptor_t *)(void *)raw)->type;
    mach_msg_size_t dsize = type == MACH_MSG_PORT_DESCRIPTOR ? DESC_PORT_SIZE : DESC_LONG_SIZE;
    if (type > MACH_MSG_DESCRIPTOR_MAX) return MACH_SEND_INVALID_TYPE;
    if (offset + dsize > kmsg->size) return MACH_SEND_MSG_TOO_SMALL;
    struct kmsg_desc *d = &kmsg->desc[i];
    d->type = type;
    d->offset = offset;
    mach_msg_return_t mr = MACH_MSG_SUCCESS;
    switch (type) {
    case MACH_MSG_PORT_DESCRIPTOR: {
      mach_msg_port_descriptor_t *pd = (void *)raw;
      if (!MACH_MSG_TYPE_PORT_ANY(pd->disposition)) return MACH_SEND_INVALID_TYPE;
      if (right_copyin(space, pd->name, pd->disposition, &d->port, &d->disp) != KERN_SUCCESS)
        return MACH_SEND_INVALID_RIGHT;
      break;
    }
    case MACH_MSG_GUARDED_PORT_DESCRIPTOR:
      mr = copyin_guarded_port(space, d, (void *)raw);
      break;
    case MACH_MSG_OOL_DESCRIPTOR:
    case MACH_MSG_OOL_VOLATILE_DESCRIPTOR: {
      mach_msg_ool_descriptor_t *od = (void *)raw;
      bool dealloc = od->deallocate && type == MACH_MSG_OOL_DESCRIPTOR;
      if (kmsg->stage) /* copied already, before the lock (ool_stage_claim) */
        ool_stage_take(d, od->address, od->size, dealloc);
      else
        mr = ool_copyin(od->address, od->size, dealloc, &d->addr);
      d->size = od->size;
      break;
    }
    default: /* MACH_MSG_OOL_PORTS_DESCRIPTOR */
      mr = copyin_port_array(space, d, (void *)raw);
      break;
    }
    if (mr != MACH_MSG_SUCCESS) return mr;
    if (d->disp == MACH_MSG_TYPE_PORT_RECEIVE) kmsg->carries_receive = true;
    *done = i + 1;
    offset += dsize;
  }
  return MACH_MSG_SUCCESS;
}

/* Writes the rights and regions of kmsg's descriptors into buf (the message being returned to
 * user space) as names and addresses of space. Consumes them. */
/* XNU's ipc_kmsg_copyout_guarded_port_descriptor: a receiver that did not ask for guarded
 * descriptors (MACH_RCV_GUARDED_DESC) loses the right (destroyed, name and context 0); with
 * IMMOVABLE_RECEIVE the right lands guarded (not strictly) by the address of the receive
 * buffer, and immovable, and the descriptor carries that guard. */
static void copyout_guarded_port(struct ipc_space *space, struct kmsg_desc *d,
                                 mach_msg_guarded_port_descriptor_t *gd, const void *rcv_buf,
                                 mach_msg_option_t option, bool pseudo) {
  if (!pseudo && !(option & MACH_RCV_GUARDED_DESC)) {
    right_destroy(d->port, d->disp);
    gd->name = MACH_PORT_NULL;
    gd->context = 0;
    gd->disposition = d->disp;
    return;
  }
  struct ipc_port *port = d->port;
  mach_port_name_t name;
  right_copyout(space, port, d->disp, &name);
  gd->name = name;
  gd->disposition = d->disp;
  if (MACH_PORT_VALID(name) && d->disp == MACH_MSG_TYPE_PORT_RECEIVE &&
      (gd->flags & MACH_MSG_GUARD_FLAGS_IMMOVABLE_RECEIVE)) {
    port->guarded = true;
    port->strict_guard = false;
    if (!pseudo) port->immovable_receive = true;
    port->context = (mach_port_context_t)(uintptr_t)rcv_buf;
    gd->context = port->context;
    gd->flags &= (mach_msg_guard_flags_t)~MACH_MSG_GUARD_FLAGS_UNGUARDED_ON_SEND;
  }
}

/* targets (may be NULL): the receiver's own buffers for out-of-line data (scatter_targets).
 * option: the receive options (MACH_RCV_GUARDED_DESC); pseudo: the message goes back to its
 * sender (a send that timed out). */
static void copyout_body(struct ipc_space *space, struct ipc_kmsg *kmsg, unsigned char *buf,
                         void *const *targets, mach_msg_option_t option, bool pseudo) {
  for (uint32_t i = 0; i < kmsg->ndesc; i++) {
    void *target = targets ? targets[i] : NULL;
    struct kmsg_desc *d = &kmsg->desc[i];
    unsigned char *raw = buf + d->offset;
    mach_port_name_t name;
    switch (d->type) {
    case MACH_MSG_PORT_DESCRIPTOR: {
      mach_msg_port_descriptor_t *pd = (void *)raw;
      right_copyout(space, d->port, d->disp, &name);
      pd->name = name;
      pd->disposition = d->disp;
      break;
    }
    case MACH_MSG_GUARDED_PORT_DESCRIPTOR:
      copyout_guarded_port(space, d, (void *)raw, buf, option, pseudo);
      break;
    case MACH_MSG_OOL_DESCRIPTOR:
    case MACH_MSG_OOL_VOLATILE_DESCRIPTOR: {
      mach_msg_ool_descriptor_t *od = (void *)raw;
      od->address = target ? ool_copyout_into(d->addr, d->size, target) : NULL;
      if (!od->address) od->address = ool_copyout(d->addr, d->size);
      od->size = d->size;
      break;
    }
    default: { /* OOL ports */
      mach_msg_ool_ports_descriptor_t *od = (void *)raw;
      mach_port_name_t *names = NULL;
      if (d->count > 0) names = vm_region_alloc(d->count * sizeof *names, false);
      for (mach_msg_size_t j = 0; j < d->count; j++) {
        if (names)
          right_copyout(space, d->ports[j], d->disp, &names[j]);
        else
          right_destroy(d->ports[j], d->disp);
      }
      if (names && target && ool_write_user(target, names, d->count * sizeof *names)) {
        vm_region_free(names, d->count * sizeof *names);
        names = target;
      } else if (names) {
        vm_region_register(names, d->count * sizeof *names);
      }
      free(d->ports);
      od->address = names;
      od->count = names ? d->count : 0;
      od->disposition = d->disp;
      break;
    }
    }
    d->port = NULL;
    d->addr = NULL;
    d->ports = NULL;
    d->count = 0;
  }
}

/* Gives a message that could not be queued back to its sender (pseudo-receive): rights and
 * regions come back into space, the header keeps destination and reply in place. */
static void copyout_pseudo(struct ipc_space *space, struct ipc_kmsg *kmsg, mach_msg_header_t *msg) {
  ool_stage_unstage(kmsg); /* staged regions come back as regions of the sender */
  memcpy(msg, kmsg->data, kmsg->size);
  mach_port_name_t remote, local;
  right_copyout(space, kmsg->remote, kmsg->remote_type, &remote);
  right_copyout(space, kmsg->local, kmsg->local_type, &local);
  msg->msgh_bits = MACH_MSGH_BITS_SET(kmsg->remote_type, kmsg->local ? kmsg->local_type : 0, 0,
                                      kmsg->bits);
  msg->msgh_remote_port = remote;
  msg->msgh_local_port = local;
  msg->msgh_voucher_port = MACH_PORT_NULL;
  msg->msgh_size = kmsg->size;
  copyout_body(space, kmsg, (unsigned char *)msg, NULL, 0, true);
  kmsg_free(kmsg);
}

/* plan: OOL regions staged before the lock for a remote destination (ool_stage_prepare). */
static mach_msg_return_t msg_send(struct ipc_space *space, mach_msg_header_t *msg,
                                  mach_msg_option_t option, mach_msg_size_t send_size,
                                  mach_msg_timeout_t timeout, struct ool_stage_plan *plan,
                                  const struct ipc_msg_aux *aux) {
  if (send_size < sizeof(mach_msg_header_t) || (send_size & 3)) return MACH_SEND_MSG_TOO_SMALL;
  if (send_size > IPC_MSG_SIZE_MAX) return MACH_SEND_TOO_LARGE;
  mach_msg_header_t h = *msg;
  mach_msg_bits_t bits = h.msgh_bits & MACH_MSGH_BITS_USER;
  mach_msg_return_t mr = check_header(space, &h, bits);
  if (mr != MACH_MSG_SUCCESS) return mr;
  uint32_t ndesc = 0;
  if (bits & MACH_MSGH_BITS_COMPLEX) {
    if (send_size < sizeof(mach_msg_base_t)) return MACH_SEND_MSG_TOO_SMALL;
    ndesc = ((mach_msg_base_t *)msg)->body.msgh_descriptor_count;
    if (ndesc > (send_size - sizeof(mach_msg_base_t)) / DESC_PORT_SIZE)
      return MACH_SEND_MSG_TOO_SMALL;
  }
  struct ipc_kmsg *kmsg = kmsg_alloc(send_size, ndesc);
  if (!kmsg) return MACH_SEND_NO_BUFFER;
  /* Large bodies are copied through the checked path: a send_size running past mapped memory
   * gets MACH_SEND_INVALID_DATA (small ones are read like any buffer the caller passes). */
  if (send_size > OOL_DIRECT_COPY_MAX ? !ool_read_user(kmsg->data, msg, send_size)
                                      : (memcpy(kmsg->data, msg, send_size), false)) {
    kmsg_free(kmsg);
    return MACH_SEND_INVALID_DATA;
  }
  /* Both checked above: these cannot fail. */
  right_copyin(space, h.msgh_remote_port, MACH_MSGH_BITS_REMOTE(bits), &kmsg->remote,
               &kmsg->remote_type);
  if (h.msgh_local_port != MACH_PORT_NULL)
    right_copyin(space, h.msgh_local_port, MACH_MSGH_BITS_LOCAL(bits), &kmsg->local,
                 &kmsg->local_type);
  kmsg->bits = MACH_MSGH_BITS_OTHER(bits) & MACH_MSGH_BITS_COMPLEX;
  kmsg->id = h.msgh_id;
  kmsg->audit = space->audit;
  kmsg->sec = space->sec;
  if (ndesc > 0 || (bits & MACH_MSGH_BITS_COMPLEX)) {
    (void)ool_stage_claim(plan, kmsg);
    uint32_t done;
    mr = copyin_body(space, kmsg, &done);
    if (mr != MACH_MSG_SUCCESS) {
      /* As XNU's ipc_kmsg_clean_partial: what was taken is destroyed, the destination too
       * (a send-once destination, like a reply right, sends MACH_NOTIFY_SEND_ONCE). */
      kmsg_clean_descriptors(kmsg, done);
      right_destroy(kmsg->remote, kmsg->remote_type);
      right_destroy(kmsg->local, kmsg->local_type);
      kmsg_free(kmsg);
      return mr;
    }
  }
  if (aux && aux->send_size > 0) {
    kmsg->aux = malloc(aux->send_size);
    if (!kmsg->aux) {
      kmsg_destroy(kmsg);
      return MACH_SEND_NO_BUFFER;
    }
    memcpy(kmsg->aux, aux->send, aux->send_size);
    ((mach_msg_aux_header_t *)kmsg->aux)->msgdh_size = aux->send_size;
    kmsg->aux_size = aux->send_size;
  }
  mr = mqueue_send(kmsg, option, timeout);
  if (mr == MACH_SEND_TIMED_OUT) copyout_pseudo(space, kmsg, msg);
  return mr;
}

static mach_msg_return_t check_trailer_request(mach_msg_option_t option) {
  if (((uint32_t)option >> 28) != MACH_MSG_TRAILER_FORMAT_0) return MACH_RCV_INVALID_TRAILER;
  if (GET_RCV_ELEMENTS(option) > MACH_RCV_TRAILER_LABELS) return MACH_RCV_INVALID_TRAILER;
  return MACH_MSG_SUCCESS;
}

void ipc_msg_trailer(mach_msg_max_trailer_t *t, const struct ipc_kmsg *kmsg,
                     mach_port_seqno_t seqno, mach_port_context_t context, mach_msg_size_t tsize) {
  memset(t, 0, sizeof *t);
  t->msgh_trailer_type = MACH_MSG_TRAILER_FORMAT_0;
  t->msgh_trailer_size = tsize;
  t->msgh_seqno = seqno;
  if (kmsg->from_kernel) {
    t->msgh_sender = (security_token_t)KERNEL_SECURITY_TOKEN_VALUE;
    t->msgh_audit = (audit_token_t)KERNEL_AUDIT_TOKEN_VALUE;
  } else {
    t->msgh_sender = kmsg->sec;
    t->msgh_audit = kmsg->audit;
  }
  t->msgh_context = context;
  /* msgh_ad (message filter policy) and msgh_labels stay 0: no filters, no MAC labels. */
}

static void write_trailer(unsigned char *at, const struct ipc_kmsg *kmsg, mach_port_seqno_t seqno,
                          mach_port_context_t context, mach_msg_size_t tsize) {
  mach_msg_max_trailer_t t;
  ipc_msg_trailer(&t, kmsg, seqno, context, tsize);
  memcpy(at, &t, tsize);
}

/* scatter_size > 0: buf starts with the receiver's scatter list (mach_msg_overwrite). */
static mach_msg_return_t msg_receive(struct ipc_space *space, mach_msg_header_t *buf,
                                     mach_msg_size_t rcv_size, mach_port_name_t rcv_name,
                                     mach_msg_option_t option, mach_msg_timeout_t timeout,
                                     mach_msg_size_t scatter_size, const struct ipc_msg_aux *aux) {
  mach_msg_return_t mr = check_trailer_request(option);
  if (mr != MACH_MSG_SUCCESS) return mr;
  mach_msg_size_t tsize = REQUESTED_TRAILER_SIZE(option);
  struct mqueue_rcv r;
  mr = mqueue_receive(space, rcv_name, option, timeout, rcv_size, tsize, &r);
  if (mr == MACH_RCV_TOO_LARGE) {
    if (rcv_size >= offsetof(mach_msg_header_t, msgh_remote_port)) buf->msgh_size = r.needed;
    if ((option & MACH_RCV_LARGE_IDENTITY) && rcv_size >= offsetof(mach_msg_header_t, msgh_voucher_port))
      buf->msgh_local_port = r.port_name;
    if (r.kmsg) kmsg_destroy(r.kmsg);
    return mr;
  }
  if (mr != MACH_MSG_SUCCESS) return mr;
  struct ipc_kmsg *kmsg = r.kmsg;
  /* Auxiliary data that does not fit the receiver's vector (mach_msg2). */
  if (aux && aux->vector && kmsg->aux_size > aux->rcv_size) {
    kmsg_destroy(kmsg);
    return MACH_RCV_TOO_LARGE;
  }
  /* The destination right is consumed by the receive. */
  mach_msg_type_name_t dest_type = kmsg->remote_type;
  if (dest_type == MACH_MSG_TYPE_PORT_SEND_ONCE)
    port_release_send_once(kmsg->remote);
  else
    port_release_send(kmsg->remote);
  kmsg->remote = NULL;
  /* Read before the message overwrites the buffer that holds the list. */
  void **targets = scatter_size > 0 ? scatter_targets(buf, scatter_size, kmsg) : NULL;
  mach_port_name_t reply;
  right_copyout(space, kmsg->local, kmsg->local_type, &reply);
  memcpy(buf, kmsg->data, kmsg->size);
  buf->msgh_bits = MACH_MSGH_BITS_SET(kmsg->local ? kmsg->local_type : 0, dest_type, 0, kmsg->bits);
  buf->msgh_size = kmsg->size;
  buf->msgh_remote_port = reply;
  buf->msgh_local_port = r.port_name;
  buf->msgh_voucher_port = MACH_PORT_NULL;
  buf->msgh_id = kmsg->id;
  copyout_body(space, kmsg, (unsigned char *)buf, targets, option, false);
  free(targets);
  write_trailer((unsigned char *)buf + round_msg(kmsg->size), kmsg, r.seqno, r.port->context, tsize);
  if (aux && aux->rcv) { /* the payload, or an empty header as end of data (dropped if too big) */
    const mach_msg_aux_header_t eof = { 0, 0 };
    if (kmsg->aux && kmsg->aux_size <= aux->rcv_size)
      memcpy(aux->rcv, kmsg->aux, kmsg->aux_size);
    else
      memcpy(aux->rcv, &eof, sizeof eof);
  }
  kmsg_free(kmsg);
  return MACH_MSG_SUCCESS;
}

mach_msg_return_t ipc_mach_msg(struct ipc_space *space, mach_msg_header_t *msg,
                               mach_msg_option_t option, mach_msg_size_t send_size,
                               mach_msg_size_t rcv_size, mach_port_name_t rcv_name,
                               mach_msg_timeout_t timeout, mach_msg_header_t *rcv_msg,
                               mach_msg_size_t scatter_size) {
  return ipc_mach_msg_aux(space, msg, option, send_size, rcv_size, rcv_name, timeout, rcv_msg,
                          scatter_size, NULL);
}

mach_msg_return_t ipc_mach_msg_aux(struct ipc_space *space, mach_msg_header_t *msg,
                                   mach_msg_option_t option, mach_msg_size_t send_size,
                                   mach_msg_size_t rcv_size, mach_port_name_t rcv_name,
                                   mach_msg_timeout_t timeout, mach_msg_header_t *rcv_msg,
                                   mach_msg_size_t scatter_size, const struct ipc_msg_aux *aux) {
  mach_msg_return_t mr = MACH_MSG_SUCCESS;
  ipc_busy_enter(); /* a fault in here is not raised as a Mach exception (ipc_thread_busy) */
  /* Large OOL regions for another process are copied before the lock (ool_stage_internal.h). */
  struct ool_stage_plan plan;
  if (option & MACH_SEND_MSG) ool_stage_prepare(space, msg, send_size, &plan);
  ipc_lock();
  if (option & MACH_SEND_MSG) mr = msg_send(space, msg, option, send_size, timeout, &plan, aux);
  if (mr == MACH_MSG_SUCCESS && (option & MACH_RCV_MSG))
    mr = msg_receive(space, rcv_msg, rcv_size, rcv_name, option, timeout, scatter_size, aux);
  ipc_unlock();
  if (option & MACH_SEND_MSG) ool_stage_release(&plan); /* not claimed: freed without the lock */
  ipc_busy_leave();
  return mr;
}

mach_msg_return_t mach_msg_overwrite(mach_msg_header_t *msg, mach_msg_option_t option,
                                     mach_msg_size_t send_size, mach_msg_size_t rcv_size,
                                     mach_port_name_t rcv_name, mach_msg_timeout_t timeout,
                                     mach_port_name_t notify, mach_msg_header_t *rcv_msg,
                                     mach_msg_size_t rcv_limit) {
  (void)notify;
  /* rcv_limit is the size of the scatter list at rcv_msg (MACH_RCV_OVERWRITE is 0, as on
   * Darwin: a list is read whenever one is given). */
  return ipc_mach_msg(ipc_space_current(), msg, option, send_size, rcv_size, rcv_name, timeout,
                      rcv_msg ? rcv_msg : msg, rcv_msg ? rcv_limit : 0);
}

mach_msg_return_t mach_msg(mach_msg_header_t *msg, mach_msg_option_t option,
                           mach_msg_size_t send_size, mach_msg_size_t rcv_size,
                           mach_port_name_t rcv_name, mach_msg_timeout_t timeout,
                           mach_port_name_t notify) {
  (void)notify;
  return ipc_mach_msg(ipc_space_current(), msg, option, send_size, rcv_size, rcv_name, timeout,
                      msg, 0);
}

mach_msg_return_t mach_msg_send(mach_msg_header_t *msg) {
  return mach_msg(msg, MACH_SEND_MSG, msg->msgh_size, 0, MACH_PORT_NULL, MACH_MSG_TIMEOUT_NONE,
                  MACH_PORT_NULL);
}

mach_msg_return_t mach_msg_receive(mach_msg_header_t *msg) {
  return mach_msg(msg, MACH_RCV_MSG, 0, msg->msgh_size, msg->msgh_local_port,
                  MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL);
}

/* Releases one right as a received (or unsent) message holds it, Darwin's rules. */
static void destroy_port_field(mach_port_name_t name, mach_msg_type_name_t disp) {
  if (!MACH_PORT_VALID(name)) return;
  mach_port_t task = mach_task_self();
  switch (disp) {
  case MACH_MSG_TYPE_MOVE_SEND:
  case MACH_MSG_TYPE_MOVE_SEND_ONCE:
    mach_port_deallocate(task, name);
    break;
  case MACH_MSG_TYPE_MOVE_RECEIVE:
    mach_port_mod_refs(task, name, MACH_PORT_RIGHT_RECEIVE, -1);
    break;
  case MACH_MSG_TYPE_MAKE_SEND:
    if (mach_port_insert_right(task, name, name, MACH_MSG_TYPE_MAKE_SEND) == KERN_SUCCESS)
      mach_port_deallocate(task, name);
    break;
  case MACH_MSG_TYPE_MAKE_SEND_ONCE: {
    mach_port_t so;
    mach_msg_type_name_t type;
    if (mach_port_extract_right(task, name, MACH_MSG_TYPE_MAKE_SEND_ONCE, &so, &type) ==
        KERN_SUCCESS)
      mach_port_deallocate(task, so);
    break;
  }
  default:
    break;
  }
}

/* What a received message holds: its rights (rights false: left alone, for a message whose
 * rights are not names in this task's space) and its out-of-line memory. */
static void destroy_received(mach_msg_header_t *msg, bool rights) {
  mach_msg_bits_t bits = msg->msgh_bits;
  if (rights) {
    destroy_port_field(msg->msgh_remote_port, MACH_MSGH_BITS_REMOTE(bits));
    destroy_port_field(msg->msgh_voucher_port, MACH_MSGH_BITS_VOUCHER(bits));
  }
  if (!(bits & MACH_MSGH_BITS_COMPLEX)) return;
  mach_msg_base_t *base = (mach_msg_base_t *)msg;
  unsigned char *at = (unsigned char *)(base + 1);
  unsigned char *end = (unsigned char *)msg + msg->msgh_size;
  for (mach_msg_size_t i = 0; i < base->body.msgh_descriptor_count; i++) {
    if (at + DESC_PORT_SIZE > end) return;
    mach_msg_descriptor_type_t type = ((mach_msg_type_descriptor_t *)(void *)at)->type;
    mach_msg_size_t dsize = type == MACH_MSG_PORT_DESCRIPTOR ? DESC_PORT_SIZE : DESC_LONG_SIZE;
    if (at + dsize > end) return;
    switch (type) {
    case MACH_MSG_PORT_DESCRIPTOR: {
      mach_msg_port_descriptor_t *pd = (void *)at;
      if (rights) destroy_port_field(pd->name, pd->disposition);
      break;
    }
    case MACH_MSG_GUARDED_PORT_DESCRIPTOR: {
      mach_msg_guarded_port_descriptor_t *gd = (void *)at;
      if (!rights) break;
      /* As Darwin's: a right that arrived guarded is unguarded first. */
      if (!(gd->flags & MACH_MSG_GUARD_FLAGS_UNGUARDED_ON_SEND))
        mach_port_unguard(mach_task_self(), gd->name, gd->context);
      destroy_port_field(gd->name, gd->disposition);
      break;
    }
    case MACH_MSG_OOL_DESCRIPTOR:
    case MACH_MSG_OOL_VOLATILE_DESCRIPTOR: {
      mach_msg_ool_descriptor_t *od = (void *)at;
      if (od->size > 0) vm_deallocate(mach_task_self(), (vm_address_t)od->address, od->size);
      break;
    }
    case MACH_MSG_OOL_PORTS_DESCRIPTOR: {
      mach_msg_ool_ports_descriptor_t *od = (void *)at;
      mach_port_name_t *names = od->address;
      if (names) {
        for (mach_msg_size_t j = 0; rights && j < od->count; j++)
          destroy_port_field(names[j], od->disposition);
        vm_deallocate(mach_task_self(), (vm_address_t)names, od->count * sizeof *names);
      }
      break;
    }
    default:
      return;
    }
    at += dsize;
  }
}

void mach_msg_destroy(mach_msg_header_t *msg) { destroy_received(msg, true); }

void ipc_msg_destroy_memory(mach_msg_header_t *msg) { destroy_received(msg, false); }

/* mach_msg2 as XNU's mach_msg2_trap (osfmk/ipc/mach_msg.c): the header comes from the packed
 * arguments, the body from the data; the vector form reads the message and auxiliary vectors. */
#define MSG2_OPTION_CALL_MASK \
  (MACH64_SEND_KOBJECT_CALL | MACH64_SEND_MQ_CALL | MACH64_SEND_ANY | MACH64_SEND_DK_CALL)
#define MSG2_AUX_MAX ((mach_msg_size_t)1024)

/* ipc_preflight_msg_option64: a send names exactly one kind of call; vectors go to queues. */
static mach_msg_return_t msg2_check_options(mach_msg_option64_t option64) {
  if (!(option64 & MACH64_SEND_MSG)) return MACH_MSG_SUCCESS;
  mach_msg_option64_t call = option64 & MSG2_OPTION_CALL_MASK;
  if (call == 0 || (call & (call - 1)) != 0) return MACH_SEND_INVALID_OPTIONS;
  if ((option64 & MACH64_MSG_VECTOR) && !(option64 & (MACH64_SEND_MQ_CALL | MACH64_SEND_ANY)))
    return MACH_SEND_INVALID_OPTIONS;
  return MACH_MSG_SUCCESS;
}

/* mach_msg_copyin_data_vectors and mach_msg_validate_data_vectors. */
static mach_msg_return_t msg2_vectors(const void *data, mach_msg_option64_t option64,
                                      uint32_t snd_count, uint32_t rcv_count,
                                      mach_msg_vector_t *msgv, mach_msg_vector_t *auxv) {
  bool sending = (option64 & MACH64_SEND_MSG) != 0;
  uint32_t n = snd_count > rcv_count ? snd_count : rcv_count;
  if (n > MACH_MSGV_MAX_COUNT || !data)
    return sending ? MACH_SEND_INVALID_DATA : MACH_RCV_INVALID_ARGUMENTS;
  if (n == 0) return sending ? MACH_SEND_MSG_TOO_SMALL : MACH_RCV_INVALID_ARGUMENTS;
  mach_msg_vector_t v[MACH_MSGV_MAX_COUNT];
  memset(v, 0, sizeof v);
  memcpy(v, data, n * sizeof *v);
  *msgv = v[MACH_MSGV_IDX_MSG];
  *auxv = v[MACH_MSGV_IDX_AUX];
  if (sending) {
    if (snd_count == 0) return MACH_SEND_MSG_TOO_SMALL;
    if (msgv->msgv_data == 0) return MACH_SEND_INVALID_DATA;
    if (msgv->msgv_send_size < sizeof(mach_msg_header_t) || (msgv->msgv_send_size & 3))
      return MACH_SEND_MSG_TOO_SMALL;
    if (msgv->msgv_send_size > IPC_MSG_SIZE_MAX) return MACH_SEND_TOO_LARGE;
    if (snd_count == MACH_MSGV_MAX_COUNT) {
      mach_msg_size_t a = auxv->msgv_send_size;
      if (a != 0 && auxv->msgv_data == 0) return MACH_SEND_INVALID_DATA;
      if (a != 0 && a < sizeof(mach_msg_aux_header_t)) return MACH_SEND_AUX_TOO_SMALL;
      if (a > MSG2_AUX_MAX) return MACH_SEND_AUX_TOO_LARGE;
    } else {
      auxv->msgv_send_size = 0;
    }
  }
  return MACH_MSG_SUCCESS;
}

static mach_msg_return_t msg2_check_receive_vectors(const mach_msg_vector_t *auxv,
                                                    uint32_t rcv_count) {
  if (rcv_count == 0) return MACH_RCV_INVALID_ARGUMENTS;
  if (rcv_count == MACH_MSGV_MAX_COUNT) {
    mach_vm_address_t at = auxv->msgv_rcv_addr ? auxv->msgv_rcv_addr : auxv->msgv_data;
    if (at == 0 || auxv->msgv_rcv_size < sizeof(mach_msg_aux_header_t))
      return MACH_RCV_INVALID_ARGUMENTS;
  }
  return MACH_MSG_SUCCESS;
}

mach_msg_return_t mach_msg2_internal(void *data, mach_msg_option64_t option64,
                                     uint64_t msgh_bits_and_send_size,
                                     uint64_t msgh_remote_and_local_port,
                                     uint64_t msgh_voucher_and_id, uint64_t desc_count_and_rcv_name,
                                     uint64_t rcv_size_and_priority, uint64_t timeout) {
  mach_msg_return_t mr = msg2_check_options(option64);
  if (mr != MACH_MSG_SUCCESS) return mr;
  bool vector = (option64 & MACH64_MSG_VECTOR) != 0;
  mach_msg_vector_t msgv, auxv;
  memset(&msgv, 0, sizeof msgv);
  memset(&auxv, 0, sizeof auxv);
  if (vector) {
    mr = msg2_vectors(data, option64, (uint32_t)(msgh_bits_and_send_size >> 32),
                      (uint32_t)rcv_size_and_priority, &msgv, &auxv);
    if (mr != MACH_MSG_SUCCESS) return mr;
  }
  /* The 32-bit options keep their meaning; the call kinds and vectors are handled here. */
  mach_msg_option_t option = (mach_msg_option_t)(option64 & 0xffffffffu);
  mach_msg_timeout_t ms = (mach_msg_timeout_t)timeout;
  struct ipc_msg_aux aux;
  memset(&aux, 0, sizeof aux);
  aux.vector = vector;
  unsigned char *copy = NULL;
  void *user_msg = vector ? (void *)(uintptr_t)msgv.msgv_data : data;
  mach_msg_size_t send_size = 0;
  if (option & MACH_SEND_MSG) {
    send_size = vector ? msgv.msgv_send_size : (mach_msg_size_t)(msgh_bits_and_send_size >> 32);
    if (send_size < sizeof(mach_msg_header_t) || (send_size & 3)) return MACH_SEND_MSG_TOO_SMALL;
    if (send_size > IPC_MSG_SIZE_MAX) return MACH_SEND_TOO_LARGE;
    if (!user_msg) return MACH_SEND_INVALID_DATA;
    /* The header (and descriptor count) of the arguments replace those in the buffer. */
    copy = malloc(send_size);
    if (!copy) return MACH_SEND_NO_BUFFER;
    memcpy(copy, user_msg, send_size);
    mach_msg_header_t h = {
      .msgh_bits = (mach_msg_bits_t)msgh_bits_and_send_size,
      .msgh_size = send_size,
      .msgh_remote_port = (mach_port_name_t)msgh_remote_and_local_port,
      .msgh_local_port = (mach_port_name_t)(msgh_remote_and_local_port >> 32),
      .msgh_voucher_port = (mach_port_name_t)msgh_voucher_and_id,
      .msgh_id = (mach_msg_id_t)(msgh_voucher_and_id >> 32),
    };
    memcpy(copy, &h, sizeof h);
    if ((h.msgh_bits & MACH_MSGH_BITS_COMPLEX) && send_size >= sizeof(mach_msg_base_t)) {
      mach_msg_size_t dsc = (mach_msg_size_t)desc_count_and_rcv_name;
      memcpy(copy + offsetof(mach_msg_base_t, body.msgh_descriptor_count), &dsc, sizeof dsc);
    }
    aux.send = (const void *)(uintptr_t)auxv.msgv_data;
    aux.send_size = auxv.msgv_send_size;
  }
  mach_msg_header_t *rcv_buf = NULL;
  mach_msg_size_t rcv_size = 0;
  if (option & MACH_RCV_MSG) {
    if (vector) {
      mr = msg2_check_receive_vectors(&auxv, (uint32_t)rcv_size_and_priority);
      if (mr != MACH_MSG_SUCCESS && !(option & MACH_SEND_MSG)) return mr;
      rcv_buf = (mach_msg_header_t *)(uintptr_t)(msgv.msgv_rcv_addr ? msgv.msgv_rcv_addr
                                                                    : msgv.msgv_data);
      rcv_size = msgv.msgv_rcv_size;
      if ((uint32_t)rcv_size_and_priority == MACH_MSGV_MAX_COUNT) {
        aux.rcv = (void *)(uintptr_t)(auxv.msgv_rcv_addr ? auxv.msgv_rcv_addr : auxv.msgv_data);
        aux.rcv_size = auxv.msgv_rcv_size;
      }
    } else {
      rcv_buf = data;
      rcv_size = (mach_msg_size_t)rcv_size_and_priority;
    }
  }
  mach_port_name_t rcv_name = (mach_port_name_t)(desc_count_and_rcv_name >> 32);
  /* A bad receive vector does not stop the send of a combined call (XNU checks it after). */
  mach_msg_option_t first = option;
  if (vector && (option & MACH_RCV_MSG) && mr != MACH_MSG_SUCCESS) first &= ~MACH_RCV_MSG;
  mach_msg_return_t r = ipc_mach_msg_aux(ipc_space_current(), (mach_msg_header_t *)copy, first,
                                         send_size, rcv_size, rcv_name, ms, rcv_buf, 0, &aux);
  if (r == MACH_SEND_TIMED_OUT && copy) memcpy(user_msg, copy, send_size); /* given back */
  free(copy);
  return r == MACH_MSG_SUCCESS && first != option ? mr : r;
}
