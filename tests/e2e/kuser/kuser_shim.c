/* A test stand-in for the kernel's side of KernelUser stubs, over the runtime: as xnu does, the
 * RPC uses a reply port of its own (the stub's msgh_local_port is not used) and the send needs
 * no reply port. Counts the calls so the test can see that the kernel path ran. */
#include <mach/mach.h>
#include <mach/mach_port.h>

#include "kuser_kernel.h"

int kuser_rpc_calls, kuser_send_calls, kuser_destroy_calls;
int kuser_corrupt_next_reply;

mach_msg_return_t mach_msg_rpc_from_kernel(mach_msg_header_t *msg, mach_msg_size_t send_size,
                                           mach_msg_size_t rcv_size) {
    kuser_rpc_calls++;
    mach_port_t stub_reply = msg->msgh_local_port;
    mach_port_t reply = MACH_PORT_NULL;
    if (mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &reply) != KERN_SUCCESS)
        return MACH_SEND_NO_BUFFER;
    msg->msgh_local_port = reply;
    mach_msg_return_t mr = mach_msg(msg, MACH_SEND_MSG | MACH_RCV_MSG, send_size, rcv_size,
                                    reply, MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL);
    (void)mach_port_mod_refs(mach_task_self(), reply, MACH_PORT_RIGHT_RECEIVE, -1);
    if (mr != MACH_MSG_SUCCESS) {
        msg->msgh_local_port = stub_reply; /* the stub's error path looks at its own */
        return mr;
    }
    if (kuser_corrupt_next_reply) {
        kuser_corrupt_next_reply = 0;
        msg->msgh_id += 1;
    }
    return MACH_MSG_SUCCESS;
}

mach_msg_return_t mach_msg_send_from_kernel(mach_msg_header_t *msg, mach_msg_size_t send_size) {
    kuser_send_calls++;
    return mach_msg(msg, MACH_SEND_MSG, send_size, 0, MACH_PORT_NULL, MACH_MSG_TIMEOUT_NONE,
                    MACH_PORT_NULL);
}

void mach_msg_destroy_from_kernel(mach_msg_header_t *msg) {
    kuser_destroy_calls++;
    mach_msg_destroy(msg);
}
