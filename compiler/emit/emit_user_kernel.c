// KernelUser subsystems: client stubs that also run inside a kernel. As Apple's MIG does, each
// stub carries the kernel's call next to the user-space one, chosen by __MigKernelSpecificCode:
// mach_msg_rpc_from_kernel for a routine (the kernel supplies the reply port), and
// mach_msg_send_from_kernel for a simpleroutine; a bad reply goes to mach_msg_destroy_from_kernel.
#include "emit/emit_common.h"

#define KERNEL_CONDITION "#if\t(__MigKernelSpecificCode) || (_MIG_KERNELSPECIFIC_CODE_)"
#define KERNEL_END "#endif /* __MigKernelSpecificCode */"

static const char *send_size(const struct ir_routine *rt) {
    return rt->request.is_variable ? "msgh_size" : "(mach_msg_size_t)sizeof(Request)";
}

void emit_kernel_rpc_begin(struct emitter *e, const struct ir_routine *rt) {
    em_pp(e, KERNEL_CONDITION);
    em_line(e, "msg_result = mach_msg_rpc_from_kernel(&InP->Head, %s, "
               "(mach_msg_size_t)sizeof(Reply));", send_size(rt));
    em_pp(e, "#else");
}

void emit_kernel_send_begin(struct emitter *e, const struct ir_routine *rt) {
    em_pp(e, "#if\t__MigKernelSpecificCode");
    em_line(e, "msg_result = mach_msg_send_from_kernel(&InP->Head, %s);", send_size(rt));
    em_pp(e, "#else");
}

void emit_kernel_end(struct emitter *e) {
    em_pp(e, KERNEL_END);
}

void emit_kernel_destroy_reply(struct emitter *e) {
    em_pp(e, KERNEL_CONDITION);
    em_line(e, "mach_msg_destroy_from_kernel(&Out0P->Head);");
    em_pp(e, "#else");
    em_line(e, "mach_msg_destroy(&Out0P->Head);");
    em_pp(e, KERNEL_END);
}
