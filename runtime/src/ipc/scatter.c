/* Reading and checking a receiver's scatter list (see scatter_internal.h). */
#include "ipc/scatter_internal.h"
#include "ipc/ool_internal.h"

#include <stdlib.h>
#include <string.h>

#define SCATTER_PORT_SIZE ((mach_msg_size_t)sizeof(mach_msg_port_descriptor_t))
#define SCATTER_LONG_SIZE ((mach_msg_size_t)sizeof(mach_msg_ool_descriptor_t))

/* One descriptor of the list, read safely; false at the end of the list's bytes. */
static bool read_descriptor(const unsigned char *list, mach_msg_size_t list_size,
                            mach_msg_size_t *at, mach_msg_ool_descriptor_t *out) {
  memset(out, 0, sizeof *out);
  if (*at > list_size || list_size - *at < SCATTER_PORT_SIZE) return false;
  if (!ool_read_user(out, list + *at, SCATTER_PORT_SIZE)) return false;
  mach_msg_size_t size = out->type == MACH_MSG_PORT_DESCRIPTOR ? SCATTER_PORT_SIZE
                                                                : SCATTER_LONG_SIZE;
  if (list_size - *at < size || !ool_read_user(out, list + *at, size)) return false;
  *at += size;
  return true;
}

static bool is_ool_memory(mach_msg_descriptor_type_t type) {
  return type == MACH_MSG_OOL_DESCRIPTOR || type == MACH_MSG_OOL_VOLATILE_DESCRIPTOR;
}

/* Checks one received descriptor against its scatter entry; sets *target for an overwrite. */
static bool match(const struct kmsg_desc *d, const mach_msg_ool_descriptor_t *s, void **target) {
  if (is_ool_memory(d->type)) {
    if (!is_ool_memory(s->type)) return false;
    if (s->copy == MACH_MSG_OVERWRITE && d->size > s->size) return false;
  } else {
    const mach_msg_ool_ports_descriptor_t *sp = (const void *)s;
    if (s->type != MACH_MSG_OOL_PORTS_DESCRIPTOR) return false;
    if (sp->copy == MACH_MSG_OVERWRITE && d->count > sp->count) return false;
  }
  if (s->copy == MACH_MSG_OVERWRITE) *target = s->address;
  return true;
}

void **scatter_targets(const mach_msg_header_t *list, mach_msg_size_t list_size,
                       const struct ipc_kmsg *kmsg) {
  mach_msg_body_t body;
  if (!list || kmsg->ndesc == 0 || list_size < sizeof(mach_msg_base_t)) return NULL;
  if (!ool_read_user(&body, (const unsigned char *)list + sizeof *list, sizeof body)) return NULL;
  /* A list with no descriptor at all is a mismatch (Mach); ports never take an entry. */
  if (body.msgh_descriptor_count == 0) return NULL;
  void **targets = calloc(kmsg->ndesc, sizeof *targets);
  if (!targets) return NULL;
  const unsigned char *bytes = (const unsigned char *)list;
  mach_msg_size_t at = sizeof(mach_msg_base_t);
  mach_msg_size_t left = body.msgh_descriptor_count;
  bool any = false;
  for (uint32_t i = 0; i < kmsg->ndesc; i++) {
    const struct kmsg_desc *d = &kmsg->desc[i];
    if (d->type == MACH_MSG_PORT_DESCRIPTOR || d->type == MACH_MSG_GUARDED_PORT_DESCRIPTOR)
      continue;
    mach_msg_ool_descriptor_t s;
    bool have = false;
    while (left > 0 && !have) { /* port entries of the list are skipped too */
      left--;
      if (!read_descriptor(bytes, list_size, &at, &s)) left = 0;
      else have = s.type != MACH_MSG_PORT_DESCRIPTOR;
    }
    if (!have) break; /* the list ended: the rest is allocated */
    if (!match(d, &s, &targets[i])) {
      free(targets);
      return NULL;
    }
    any |= targets[i] != NULL;
  }
  if (!any) {
    free(targets);
    return NULL;
  }
  return targets;
}
