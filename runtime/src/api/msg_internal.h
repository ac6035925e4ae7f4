/* mach_msg on an explicit space: the send half (header and body copyin, then the queue) and
 * the receive half (queue, then copyout and trailer). A broker can drive any space with it. */
#ifndef OPENMIG_MSG_INTERNAL_H
#define OPENMIG_MSG_INTERNAL_H

#include "ipc/ipc.h"

/* mach_msg_overwrite for space: sends msg (send_size bytes) if MACH_SEND_MSG, then receives
 * into rcv_msg (rcv_size bytes) from rcv_name if MACH_RCV_MSG. scatter_size > 0: rcv_msg first
 * holds a scatter list of that many bytes (scatter_internal.h). Takes the IPC lock. */
mach_msg_return_t ipc_mach_msg(struct ipc_space *space, mach_msg_header_t *msg,
                               mach_msg_option_t option, mach_msg_size_t send_size,
                               mach_msg_size_t rcv_size, mach_port_name_t rcv_name,
                               mach_msg_timeout_t timeout, mach_msg_header_t *rcv_msg,
                               mach_msg_size_t scatter_size);

/* mach_msg2's auxiliary data: what to send (send_size bytes, a mach_msg_aux_header_t first, 0:
 * none) and where to receive it (rcv_size bytes, NULL: dropped); vector: the receiver used the
 * vector form, so auxiliary data larger than rcv_size is MACH_RCV_TOO_LARGE. */
struct ipc_msg_aux {
  const void *send;
  mach_msg_size_t send_size;
  void *rcv;
  mach_msg_size_t rcv_size;
  bool vector;
};

/* ipc_mach_msg with auxiliary data (NULL: none). */
mach_msg_return_t ipc_mach_msg_aux(struct ipc_space *space, mach_msg_header_t *msg,
                                   mach_msg_option_t option, mach_msg_size_t send_size,
                                   mach_msg_size_t rcv_size, mach_port_name_t rcv_name,
                                   mach_msg_timeout_t timeout, mach_msg_header_t *rcv_msg,
                                   mach_msg_size_t scatter_size, const struct ipc_msg_aux *aux);

/* The trailer a receiver of kmsg gets: format 0, tsize bytes requested, the sequence number,
 * the sender's security and audit tokens (the kernel's for runtime messages), the port's
 * context; the filter id and labels 0. */
void ipc_msg_trailer(mach_msg_max_trailer_t *t, const struct ipc_kmsg *kmsg,
                     mach_port_seqno_t seqno, mach_port_context_t context, mach_msg_size_t tsize);

/* mach_msg_destroy for a message received in another space than this task's (a server's own,
 * api/task_server.c): frees its out-of-line memory (regions and port arrays) and leaves its
 * rights, which that space's owner destroys. */
void ipc_msg_destroy_memory(mach_msg_header_t *msg);

#endif /* OPENMIG_MSG_INTERNAL_H */
