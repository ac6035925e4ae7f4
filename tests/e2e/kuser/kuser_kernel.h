/* The kernel functions a KernelUser client stub calls (xnu declares them in <kern/ipc_mig.h>),
 * pre-included into kuserUser.c, which is compiled as kernel code. kuser_shim.c implements them
 * with the runtime for the test. Test-only. */
#ifndef KUSER_KERNEL_H
#define KUSER_KERNEL_H
#include <mach/message.h>
#ifdef __cplusplus
extern "C" {
#endif
mach_msg_return_t mach_msg_rpc_from_kernel(mach_msg_header_t *msg, mach_msg_size_t send_size,
                                           mach_msg_size_t rcv_size);
mach_msg_return_t mach_msg_send_from_kernel(mach_msg_header_t *msg, mach_msg_size_t send_size);
void mach_msg_destroy_from_kernel(mach_msg_header_t *msg);

/* The shim's counters and test hooks. */
extern int kuser_rpc_calls, kuser_send_calls, kuser_destroy_calls;
extern int kuser_corrupt_next_reply; /* the next RPC's reply gets a wrong id */
#ifdef __cplusplus
}
#endif
#endif
