/* C types for tests/golden/kernel_user.defs, and the kernel's side of a KernelUser stub: its
 * outputs are compiled as kernel code (__MigKernelSpecificCode), against these declarations of
 * the kernel functions (xnu's <kern/ipc_mig.h> has them). Test-only. */
#define __MigKernelSpecificCode 1
#include <mach/message.h>
typedef char *ku_blob_t;
#ifdef __cplusplus
extern "C" {
#endif
mach_msg_return_t mach_msg_rpc_from_kernel(mach_msg_header_t *msg, mach_msg_size_t send_size,
                                           mach_msg_size_t rcv_size);
mach_msg_return_t mach_msg_send_from_kernel(mach_msg_header_t *msg, mach_msg_size_t send_size);
void mach_msg_destroy_from_kernel(mach_msg_header_t *msg);
#ifdef __cplusplus
}
#endif
