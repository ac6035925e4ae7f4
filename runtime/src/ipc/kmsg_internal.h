/* Kernel form of a message in transit: the user's bytes, with every port right held as a port
 * reference instead of a name, and out-of-line regions owned by the message. */
#ifndef OPENMIG_KMSG_INTERNAL_H
#define OPENMIG_KMSG_INTERNAL_H

#include "ipc/ipc_internal.h"

/* Largest message accepted (header and inline body). */
#define IPC_MSG_SIZE_MAX ((mach_msg_size_t)64 << 20)

struct ool_stage_ops;

struct kmsg_desc {
  mach_msg_descriptor_type_t type;
  uint32_t offset;              /* offset of the descriptor in the message */
  mach_msg_type_name_t disp;    /* right carried: MACH_MSG_TYPE_PORT_{RECEIVE,SEND,SEND_ONCE} */
  struct ipc_port *port;        /* port / guarded port: NULL, IPC_PORT_DEAD or a right */
  void *addr;                   /* OOL region (vm registry, in transit) or OOL port array */
  mach_msg_size_t size;         /* OOL bytes */
  struct ipc_port **ports;      /* OOL ports: count rights (NULL / IPC_PORT_DEAD allowed) */
  mach_msg_size_t count;
  bool staged;                  /* OOL memory held by the message's stage (addr NULL) */
};

struct ipc_kmsg {
  struct ipc_kmsg *next;        /* in a port queue */
  mach_msg_size_t size;         /* header + body, as sent */
  mach_msg_bits_t bits;         /* other bits (COMPLEX); dispositions are in the fields below */
  struct ipc_port *remote;      /* destination right */
  mach_msg_type_name_t remote_type; /* PORT_SEND or PORT_SEND_ONCE */
  struct ipc_port *local;       /* reply right: NULL, IPC_PORT_DEAD or a right */
  mach_msg_type_name_t local_type;
  mach_msg_id_t id;
  bool from_kernel;             /* notification: kernel security and audit tokens */
  bool carries_receive;         /* some descriptor carries a receive right */
  audit_token_t audit;
  security_token_t sec;
  uint32_t ndesc;
  struct kmsg_desc *desc;       /* ndesc descriptors (inside the same allocation) */
  unsigned char *data;          /* size bytes: the message as sent (header fields stale) */
  void *stage;                  /* OOL regions copied for a remote destination, or NULL */
  void *aux;                    /* mach_msg2 auxiliary data (its header first), or NULL */
  mach_msg_size_t aux_size;
  const struct ool_stage_ops *stage_ops; /* (ool_stage_internal.h) */
};

/* Allocates a message of size bytes with room for ndesc descriptors (zeroed). NULL on OOM. */
struct ipc_kmsg *kmsg_alloc(mach_msg_size_t size, uint32_t ndesc);

/* Frees the message storage only (rights and regions must have been dealt with) and its stage
 * of OOL regions, if any. */
void kmsg_free(struct ipc_kmsg *kmsg);

/* Destroys a message that will never be received: releases the destination right, destroys the
 * reply right (send-once notification), every descriptor right and OOL region. Lock held. */
void kmsg_destroy(struct ipc_kmsg *kmsg);

/* Releases the rights and regions of descriptors [0, n) only (partial copyin). Lock held. */
void kmsg_clean_descriptors(struct ipc_kmsg *kmsg, uint32_t n);

/* Builds a notification message of size bytes with id, addressed to the send-once right
 * notify (consumed). Body bytes after the header are zero. NULL on OOM (right destroyed). */
struct ipc_kmsg *kmsg_notification(struct ipc_port *notify, mach_msg_id_t id, mach_msg_size_t size);

#endif /* OPENMIG_KMSG_INTERNAL_H */
