/* Thread state flavors and layouts of the build machine's architecture
 * (<mach/machine/thread_status.h>): the x86_64 flavors (x86_THREAD_STATE64, ...) on x86_64, the
 * arm64 ones (ARM_THREAD_STATE64, ...) on aarch64, with Darwin's values, struct layouts (the
 * __DARWIN_UNIX03 member names, __rip / __pc) and counts in natural_t units. Exception messages
 * with a STATE behavior carry these (docs/exceptions.md). */
#ifndef OPENMIG_MACH_MACHINE_THREAD_STATUS_H
#define OPENMIG_MACH_MACHINE_THREAD_STATUS_H

#include <stdint.h>
#include <mach/machine/vm_types.h>

#if defined(__x86_64__) || defined(__i386__)

#define x86_THREAD_STATE32 1
#define x86_FLOAT_STATE32 2
#define x86_EXCEPTION_STATE32 3
#define x86_THREAD_STATE64 4
#define x86_FLOAT_STATE64 5
#define x86_EXCEPTION_STATE64 6
#define x86_THREAD_STATE 7
#define x86_FLOAT_STATE 8
#define x86_EXCEPTION_STATE 9
#define x86_DEBUG_STATE32 10
#define x86_DEBUG_STATE64 11
#define x86_DEBUG_STATE 12
#define THREAD_STATE_NONE 13

/* The general registers of an x86_64 thread (21 x 64 bits). */
typedef struct __darwin_x86_thread_state64 {
  uint64_t __rax, __rbx, __rcx, __rdx, __rdi, __rsi, __rbp, __rsp;
  uint64_t __r8, __r9, __r10, __r11, __r12, __r13, __r14, __r15;
  uint64_t __rip, __rflags, __cs, __fs, __gs;
} x86_thread_state64_t;
#define x86_THREAD_STATE64_COUNT ((mach_msg_type_number_t)(sizeof(x86_thread_state64_t) / sizeof(int)))

/* What the processor reported for the last exception. */
typedef struct __darwin_x86_exception_state64 {
  uint16_t __trapno;
  uint16_t __cpu;
  uint32_t __err;
  uint64_t __faultvaddr;
} x86_exception_state64_t;
#define x86_EXCEPTION_STATE64_COUNT \
  ((mach_msg_type_number_t)(sizeof(x86_exception_state64_t) / sizeof(int)))

#define MACHINE_THREAD_STATE x86_THREAD_STATE64
#define MACHINE_THREAD_STATE_COUNT x86_THREAD_STATE64_COUNT

#elif defined(__aarch64__)

#define ARM_THREAD_STATE 1
#define ARM_UNIFIED_THREAD_STATE ARM_THREAD_STATE
#define ARM_VFP_STATE 2
#define ARM_EXCEPTION_STATE 3
#define ARM_DEBUG_STATE 4
#define THREAD_STATE_NONE 5
#define ARM_THREAD_STATE64 6
#define ARM_EXCEPTION_STATE64 7
#define ARM_THREAD_STATE32 9
#define ARM_NEON_STATE64 17

/* The general registers of an arm64 thread: x0-x28, fp (x29), lr (x30), sp, pc, cpsr. */
typedef struct __darwin_arm_thread_state64 {
  uint64_t __x[29];
  uint64_t __fp;
  uint64_t __lr;
  uint64_t __sp;
  uint64_t __pc;
  uint32_t __cpsr;
  uint32_t __pad;
} arm_thread_state64_t;
#define ARM_THREAD_STATE64_COUNT ((mach_msg_type_number_t)(sizeof(arm_thread_state64_t) / sizeof(uint32_t)))

/* What the processor reported for the last exception. */
typedef struct __darwin_arm_exception_state64 {
  uint64_t __far;
  uint32_t __esr;
  uint32_t __exception;
} arm_exception_state64_t;
#define ARM_EXCEPTION_STATE64_COUNT \
  ((mach_msg_type_number_t)(sizeof(arm_exception_state64_t) / sizeof(uint32_t)))

#define MACHINE_THREAD_STATE ARM_THREAD_STATE64
#define MACHINE_THREAD_STATE_COUNT ARM_THREAD_STATE64_COUNT

#else
#error "OpenMIG: thread states are defined for x86_64 and arm64 only"
#endif

#endif /* OPENMIG_MACH_MACHINE_THREAD_STATUS_H */
