/* Umbrella header (<mach/mach.h>): every libmach interface, plus the message helpers Darwin
 * declares here (mach_msg_destroy, mach_msg_send/receive, mach_msg_server*). */
#ifndef OPENMIG_MACH_MACH_H
#define OPENMIG_MACH_MACH_H

#include <mach/openmig_export.h>
#include <mach/std_types.h>
#include <mach/mach_types.h>
#include <mach/kern_return.h>
#include <mach/message.h>
#include <mach/port.h>
#include <mach/notify.h>
#include <mach/ndr.h>
#include <mach/mig.h>
#include <mach/mig_errors.h>
#include <mach/mach_init.h>
#include <mach/mach_interface.h>
#include <mach/mach_port.h>
#include <mach/task.h>
#include <mach/task_special_ports.h>
#include <mach/vm_map.h>
#if defined(__has_include)
#if __has_include(<mach/mach_error.h>)
#include <mach/mach_error.h>
#endif
#endif

__BEGIN_DECLS

/* mach_msg(msg, MACH_SEND_MSG, msg->msgh_size, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL). */
extern OPENMIG_API mach_msg_return_t mach_msg_send(mach_msg_header_t *msg);

/* mach_msg(msg, MACH_RCV_MSG, 0, msg->msgh_size, msg->msgh_local_port, 0, MACH_PORT_NULL). */
extern OPENMIG_API mach_msg_return_t mach_msg_receive(mach_msg_header_t *msg);

/* Server loops (implemented by the server module, docs/server-loops.md): receive on
 * rcv_name, call demux(request, reply), send the reply, destroy what the rules say. */
extern OPENMIG_API mach_msg_return_t mach_msg_server_once(
    boolean_t (*demux)(mach_msg_header_t *, mach_msg_header_t *), mach_msg_size_t max_size,
    mach_port_t rcv_name, mach_msg_options_t options);
extern OPENMIG_API mach_msg_return_t mach_msg_server(
    boolean_t (*demux)(mach_msg_header_t *, mach_msg_header_t *), mach_msg_size_t max_size,
    mach_port_t rcv_name, mach_msg_options_t options);

__END_DECLS

#endif /* OPENMIG_MACH_MACH_H */
