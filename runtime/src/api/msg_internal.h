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

#endif /* OPENMIG_MSG_INTERNAL_H */
