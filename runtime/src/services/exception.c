/* Exception ports, the raising side (docs/exceptions.md): task_/thread_{set,get,swap}_exception_ports
 * over the storage in api/exception.c, and the signal handler that turns a hardware fault
 * (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP) into the exc / mach_exc request the handler asked
 * for, sent through the client stubs our mig generates from defs/mach/exc.defs and mach_exc.defs.
 *
 * What the signal handler relies on (it is not async-signal-safe in POSIX's sense): it runs only
 * for faults the kernel raised (si_code > 0) on a thread that is neither inside mach_msg nor
 * holding the IPC lock (ipc_thread_busy, a thread-local counter) nor already raising (a
 * thread-local flag); otherwise it falls back at once. Raising then takes the IPC lock, may
 * malloc (a kmsg, a reply or thread port made on first use) and sleeps on a futex for the reply:
 * a fault inside malloc or inside another library holding a lock the raise needs can deadlock
 * (documented in docs/exceptions.md). */
#include "services/exception_stubs.h"
#include "api/exception_internal.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>

#include <mach/mach.h>
#include <mach/exception.h>
#include <mach/thread_act.h>

#include "exc.h"
#include "mach_exc.h"

#define EXC_ALTSTACK_SIZE (64 * 1024)

/* The signals that carry hardware faults, and the exception type each raises. */
static const struct {
  int sig;
  exception_mask_t mask;
} exc_signals[] = {
  {SIGSEGV, EXC_MASK_BAD_ACCESS},    {SIGBUS, EXC_MASK_BAD_ACCESS},
  {SIGILL, EXC_MASK_BAD_INSTRUCTION}, {SIGFPE, EXC_MASK_ARITHMETIC},
  {SIGTRAP, EXC_MASK_BREAKPOINT},
};
#define EXC_NSIGNALS (sizeof exc_signals / sizeof exc_signals[0])

static pthread_mutex_t install_mu = PTHREAD_MUTEX_INITIALIZER;
static bool installed[EXC_NSIGNALS];           /* install_mu */
static struct sigaction previous[EXC_NSIGNALS]; /* the actions ours replaced */
static __thread bool raising;

/* Darwin's type and codes for a fault (docs/exceptions.md has the table). */
static exception_type_t exc_from_signal(int sig, const siginfo_t *info,
                                        mach_exception_data_type_t codes[2]) {
  codes[0] = 0;
  codes[1] = 0;
  switch (sig) {
  case SIGSEGV:
    codes[1] = (mach_exception_data_type_t)(uintptr_t)info->si_addr;
    if (info->si_code == SEGV_ACCERR) {
      codes[0] = KERN_PROTECTION_FAILURE;
    } else if (info->si_code == SEGV_MAPERR) {
      codes[0] = KERN_INVALID_ADDRESS;
    } else {
#if defined(__x86_64__)
      codes[0] = EXC_I386_GPFLT; /* a general protection fault: no address */
      codes[1] = 0;
#else
      codes[0] = KERN_INVALID_ADDRESS;
#endif
    }
    return EXC_BAD_ACCESS;
  case SIGBUS:
    codes[1] = (mach_exception_data_type_t)(uintptr_t)info->si_addr;
#if defined(__x86_64__)
    codes[0] = info->si_code == BUS_ADRALN ? EXC_I386_ALIGNFLT : KERN_MEMORY_ERROR;
#else
    codes[0] = info->si_code == BUS_ADRALN ? EXC_ARM_DA_ALIGN : KERN_MEMORY_ERROR;
#endif
    return EXC_BAD_ACCESS;
  case SIGILL:
#if defined(__x86_64__)
    codes[0] = EXC_I386_INVOP;
#else
    codes[0] = EXC_ARM_UNDEFINED;
    codes[1] = (mach_exception_data_type_t)(uintptr_t)info->si_addr;
#endif
    return EXC_BAD_INSTRUCTION;
  case SIGFPE:
#if defined(__x86_64__)
    codes[0] = info->si_code == FPE_INTDIV   ? EXC_I386_DIV
               : info->si_code == FPE_INTOVF ? EXC_I386_INTO
                                             : EXC_I386_SSEEXTERR;
#else
    codes[0] = info->si_code == FPE_FLTDIV   ? EXC_ARM_FP_DZ
               : info->si_code == FPE_FLTOVF ? EXC_ARM_FP_OF
               : info->si_code == FPE_FLTUND ? EXC_ARM_FP_UF
               : info->si_code == FPE_FLTRES ? EXC_ARM_FP_IX
               : info->si_code == FPE_FLTINV ? EXC_ARM_FP_IO
                                             : EXC_ARM_FP_UNDEFINED;
#endif
    return EXC_ARITHMETIC;
  default: /* SIGTRAP */
#if defined(__x86_64__)
    codes[0] = info->si_code == TRAP_TRACE ? EXC_I386_SGL : EXC_I386_BPT;
#else
    codes[0] = EXC_ARM_BREAKPOINT;
    codes[1] = (mach_exception_data_type_t)(uintptr_t)info->si_addr;
#endif
    return EXC_BREAKPOINT;
  }
}

/* MACHINE_THREAD_STATE of the interrupted thread, from and to its signal frame. */
static void state_get(const ucontext_t *uc, thread_state_t out) {
#if defined(__x86_64__)
  const greg_t *g = uc->uc_mcontext.gregs;
  x86_thread_state64_t s = {
    .__rax = (uint64_t)g[REG_RAX], .__rbx = (uint64_t)g[REG_RBX], .__rcx = (uint64_t)g[REG_RCX],
    .__rdx = (uint64_t)g[REG_RDX], .__rdi = (uint64_t)g[REG_RDI], .__rsi = (uint64_t)g[REG_RSI],
    .__rbp = (uint64_t)g[REG_RBP], .__rsp = (uint64_t)g[REG_RSP], .__r8 = (uint64_t)g[REG_R8],
    .__r9 = (uint64_t)g[REG_R9], .__r10 = (uint64_t)g[REG_R10], .__r11 = (uint64_t)g[REG_R11],
    .__r12 = (uint64_t)g[REG_R12], .__r13 = (uint64_t)g[REG_R13], .__r14 = (uint64_t)g[REG_R14],
    .__r15 = (uint64_t)g[REG_R15], .__rip = (uint64_t)g[REG_RIP], .__rflags = (uint64_t)g[REG_EFL],
    .__cs = (uint64_t)g[REG_CSGSFS] & 0xffff, .__gs = ((uint64_t)g[REG_CSGSFS] >> 16) & 0xffff,
    .__fs = ((uint64_t)g[REG_CSGSFS] >> 32) & 0xffff,
  };
#else
  const mcontext_t *m = &uc->uc_mcontext;
  arm_thread_state64_t s;
  memset(&s, 0, sizeof s);
  for (int i = 0; i < 29; i++) s.__x[i] = m->regs[i];
  s.__fp = m->regs[29];
  s.__lr = m->regs[30];
  s.__sp = m->sp;
  s.__pc = m->pc;
  s.__cpsr = (uint32_t)m->pstate;
#endif
  memcpy(out, &s, sizeof s);
}

/* Applies a handler's new state; segment registers (x86_64) are left as they were. */
static void state_set(ucontext_t *uc, const natural_t *in) {
#if defined(__x86_64__)
  x86_thread_state64_t s;
  memcpy(&s, in, sizeof s);
  greg_t *g = uc->uc_mcontext.gregs;
  g[REG_RAX] = (greg_t)s.__rax;
  g[REG_RBX] = (greg_t)s.__rbx;
  g[REG_RCX] = (greg_t)s.__rcx;
  g[REG_RDX] = (greg_t)s.__rdx;
  g[REG_RDI] = (greg_t)s.__rdi;
  g[REG_RSI] = (greg_t)s.__rsi;
  g[REG_RBP] = (greg_t)s.__rbp;
  g[REG_RSP] = (greg_t)s.__rsp;
  g[REG_R8] = (greg_t)s.__r8;
  g[REG_R9] = (greg_t)s.__r9;
  g[REG_R10] = (greg_t)s.__r10;
  g[REG_R11] = (greg_t)s.__r11;
  g[REG_R12] = (greg_t)s.__r12;
  g[REG_R13] = (greg_t)s.__r13;
  g[REG_R14] = (greg_t)s.__r14;
  g[REG_R15] = (greg_t)s.__r15;
  g[REG_RIP] = (greg_t)s.__rip;
  g[REG_EFL] = (greg_t)s.__rflags;
#else
  arm_thread_state64_t s;
  memcpy(&s, in, sizeof s);
  mcontext_t *m = &uc->uc_mcontext;
  for (int i = 0; i < 29; i++) m->regs[i] = s.__x[i];
  m->regs[29] = s.__fp;
  m->regs[30] = s.__lr;
  m->sp = s.__sp;
  m->pc = s.__pc;
  m->pstate = s.__cpsr;
#endif
}

/* Sends the exception to the handler of one level (0 the thread's, 1 the task's) and waits for
 * its answer. True when there was a handler and it replied KERN_SUCCESS (the new state, for a
 * STATE behavior, is then in uc). */
static bool raise_to(int level, exception_type_t type, const mach_exception_data_type_t codes[2],
                     ucontext_t *uc) {
  mach_port_t port;
  exception_behavior_t behavior;
  thread_state_flavor_t flavor;
  if (!exc_ports_handler(type, level, &port, &behavior, &flavor)) return false;
  bool codes64 = (behavior & MACH_EXCEPTION_CODES) != 0;
  int kind = behavior & ~MACH_EXCEPTION_MASK;
  mach_port_t task = mach_task_self();
  mach_port_t thread = kind == EXCEPTION_STATE ? MACH_PORT_NULL : mach_thread_self();
  mach_exception_data_type_t c64[2] = {codes[0], codes[1]};
  exception_data_type_t c32[2] = {(exception_data_type_t)codes[0], (exception_data_type_t)codes[1]};
  kern_return_t kr;
  if (kind == EXCEPTION_DEFAULT) {
    kr = codes64 ? mach_exception_raise(port, thread, task, type, c64, 2)
                 : exception_raise(port, thread, task, type, c32, 2);
  } else {
    natural_t old_state[MACHINE_THREAD_STATE_COUNT];
    natural_t new_state[THREAD_STATE_MAX];
    mach_msg_type_number_t old_count = 0, new_count = THREAD_STATE_MAX;
    int fl = flavor;
    if (flavor == MACHINE_THREAD_STATE) {
      state_get(uc, old_state);
      old_count = MACHINE_THREAD_STATE_COUNT;
    }
    if (kind == EXCEPTION_STATE) {
      kr = codes64 ? mach_exception_raise_state(port, type, c64, 2, &fl, old_state, old_count,
                                                new_state, &new_count)
                   : exception_raise_state(port, type, c32, 2, &fl, old_state, old_count,
                                           new_state, &new_count);
    } else {
      kr = codes64 ? mach_exception_raise_state_identity(port, thread, task, type, c64, 2, &fl,
                                                         old_state, old_count, new_state,
                                                         &new_count)
                   : exception_raise_state_identity(port, thread, task, type, c32, 2, &fl,
                                                    old_state, old_count, new_state, &new_count);
    }
    if (kr == KERN_SUCCESS && fl == MACHINE_THREAD_STATE && new_count >= MACHINE_THREAD_STATE_COUNT)
      state_set(uc, new_state);
  }
  if (MACH_PORT_VALID(thread)) mach_port_deallocate(task, thread);
  mach_port_deallocate(task, port);
  return kr == KERN_SUCCESS;
}

static size_t signal_index(int sig) {
  for (size_t i = 0; i < EXC_NSIGNALS; i++)
    if (exc_signals[i].sig == sig) return i;
  return 0;
}

/* No handler took the fault: the action we replaced comes back (the default one, usually) and
 * the fault happens again under it: a faulting instruction runs again on return, a trap or a
 * signal someone sent is raised again. */
static void fall_back(int sig, const siginfo_t *info) {
  size_t i = signal_index(sig);
  struct sigaction back = previous[i];
  if (!installed[i]) {
    memset(&back, 0, sizeof back);
    back.sa_handler = SIG_DFL;
  }
  sigaction(sig, &back, NULL);
  if (!info || info->si_code <= 0 || sig == SIGTRAP) raise(sig);
}

static void on_fault(int sig, siginfo_t *info, void *context) {
  int saved_errno = errno;
  bool handled = false;
  if (info && info->si_code > 0 && !raising && !exc_thread_in_ipc()) {
    mach_exception_data_type_t codes[2];
    exception_type_t type = exc_from_signal(sig, info, codes);
    raising = true;
    /* Darwin's order: the thread's handler, then the task's when the thread's fails. */
    handled = raise_to(0, type, codes, context) || raise_to(1, type, codes, context);
    raising = false;
  }
  if (!handled) fall_back(sig, info);
  errno = saved_errno;
}

/* Gives the calling thread an alternate signal stack (if it has none) so that a stack overflow
 * can still be reported. The stack lives as long as the process. */
static void ensure_altstack(void) {
  stack_t cur;
  if (sigaltstack(NULL, &cur) != 0 || !(cur.ss_flags & SS_DISABLE)) return;
  void *mem = mmap(NULL, EXC_ALTSTACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                   -1, 0);
  if (mem == MAP_FAILED) return;
  stack_t ss = {.ss_sp = mem, .ss_size = EXC_ALTSTACK_SIZE, .ss_flags = 0};
  if (sigaltstack(&ss, NULL) != 0) munmap(mem, EXC_ALTSTACK_SIZE);
}

/* Installs our handler for the signals whose exception type has a handler somewhere, and puts
 * back the previous action of those whose last handler went. */
static void signals_update(void) {
  ensure_altstack();
  exception_mask_t in_use = exc_ports_in_use();
  pthread_mutex_lock(&install_mu);
  for (size_t i = 0; i < EXC_NSIGNALS; i++) {
    bool want = (in_use & exc_signals[i].mask) != 0;
    if (want && !installed[i]) {
      struct sigaction sa;
      memset(&sa, 0, sizeof sa);
      sa.sa_sigaction = on_fault;
      sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
      sigemptyset(&sa.sa_mask);
      if (sigaction(exc_signals[i].sig, &sa, &previous[i]) == 0) installed[i] = true;
    } else if (!want && installed[i]) {
      sigaction(exc_signals[i].sig, &previous[i], NULL);
      installed[i] = false;
    }
  }
  pthread_mutex_unlock(&install_mu);
}

static kern_return_t set_ports(mach_port_t target, bool thread, exception_mask_t mask,
                               mach_port_t port, exception_behavior_t behavior,
                               thread_state_flavor_t flavor, bool get,
                               exception_mask_array_t masks, mach_msg_type_number_t *count,
                               exception_handler_array_t ports, exception_behavior_array_t behaviors,
                               exception_flavor_array_t flavors) {
  kern_return_t kr = exc_ports_access(target, thread, mask, true, port, behavior, flavor, get,
                                      masks, count, ports, behaviors, flavors);
  if (kr == KERN_SUCCESS) signals_update();
  return kr;
}

kern_return_t task_set_exception_ports(task_t task, exception_mask_t exception_mask,
                                       mach_port_t new_port, exception_behavior_t behavior,
                                       thread_state_flavor_t new_flavor) {
  return set_ports(task, false, exception_mask, new_port, behavior, new_flavor, false, NULL, NULL,
                   NULL, NULL, NULL);
}

kern_return_t task_get_exception_ports(task_t task, exception_mask_t exception_mask,
                                       exception_mask_array_t masks,
                                       mach_msg_type_number_t *masksCnt,
                                       exception_handler_array_t old_handlers,
                                       exception_behavior_array_t old_behaviors,
                                       exception_flavor_array_t old_flavors) {
  return exc_ports_access(task, false, exception_mask, false, MACH_PORT_NULL, 0, 0, true, masks,
                          masksCnt, old_handlers, old_behaviors, old_flavors);
}

kern_return_t task_swap_exception_ports(task_t task, exception_mask_t exception_mask,
                                        mach_port_t new_port, exception_behavior_t behavior,
                                        thread_state_flavor_t new_flavor,
                                        exception_mask_array_t masks,
                                        mach_msg_type_number_t *masksCnt,
                                        exception_handler_array_t old_handlers,
                                        exception_behavior_array_t old_behaviors,
                                        exception_flavor_array_t old_flavors) {
  return set_ports(task, false, exception_mask, new_port, behavior, new_flavor, true, masks,
                   masksCnt, old_handlers, old_behaviors, old_flavors);
}

kern_return_t thread_set_exception_ports(thread_act_t thread, exception_mask_t exception_mask,
                                         mach_port_t new_port, exception_behavior_t behavior,
                                         thread_state_flavor_t new_flavor) {
  return set_ports(thread, true, exception_mask, new_port, behavior, new_flavor, false, NULL,
                   NULL, NULL, NULL, NULL);
}

kern_return_t thread_get_exception_ports(thread_act_t thread, exception_mask_t exception_mask,
                                         exception_mask_array_t masks,
                                         mach_msg_type_number_t *masksCnt,
                                         exception_handler_array_t old_handlers,
                                         exception_behavior_array_t old_behaviors,
                                         exception_flavor_array_t old_flavors) {
  return exc_ports_access(thread, true, exception_mask, false, MACH_PORT_NULL, 0, 0, true, masks,
                          masksCnt, old_handlers, old_behaviors, old_flavors);
}

kern_return_t thread_swap_exception_ports(thread_act_t thread, exception_mask_t exception_mask,
                                          mach_port_t new_port, exception_behavior_t behavior,
                                          thread_state_flavor_t new_flavor,
                                          exception_mask_array_t masks,
                                          mach_msg_type_number_t *masksCnt,
                                          exception_handler_array_t old_handlers,
                                          exception_behavior_array_t old_behaviors,
                                          exception_flavor_array_t old_flavors) {
  return set_ports(thread, true, exception_mask, new_port, behavior, new_flavor, true, masks,
                   masksCnt, old_handlers, old_behaviors, old_flavors);
}
