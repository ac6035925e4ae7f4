/* Receive-side overwrite (Mach's scatter list): a receiver names its own buffers for the
 * out-of-line data of the message it is about to receive, in descriptors with copy
 * MACH_MSG_OVERWRITE at the start of its receive buffer (mach_msg_overwrite's rcv_msg and
 * scatter size). MIG's `overwrite` stubs use it. */
#ifndef OPENMIG_SCATTER_INTERNAL_H
#define OPENMIG_SCATTER_INTERNAL_H

#include "ipc/kmsg_internal.h"

/* Where the out-of-line data of kmsg should land: targets[i] is the receiver's buffer for
 * kmsg->desc[i], NULL to allocate as usual. Reads the list (list_size bytes at list, a message
 * header then a body and descriptors) and checks it against kmsg as Mach did: a list that does
 * not match (type, or an overwrite buffer too small for what arrived) is ignored whole, as is a
 * list that cannot be read. Returns NULL when nothing lands in a receiver's buffer; else a
 * malloc'd array of kmsg->ndesc entries for the caller to free. Lock held. */
void **scatter_targets(const mach_msg_header_t *list, mach_msg_size_t list_size,
                       const struct ipc_kmsg *kmsg);

#endif /* OPENMIG_SCATTER_INTERNAL_H */
