#define _GNU_SOURCE
/* Exception ports in one process (docs/exceptions.md): a handler thread served by the stubs our
 * mig generates from exc.defs / mach_exc.defs gets the Mach exception of a hardware fault of
 * another thread, with Darwin's codes and thread state, and the faulting thread resumes as the
 * reply says, or dies of its signal. Run one test with its name as argument. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <pthread.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mach/mach.h>
#include <mach/exception.h>
#include <mach/thread_act.h>

#include "exc_handler.h"

/* One exception served by a thread; joined by stop(). */
struct server {
  pthread_t thread;
  mach_port_t port;
  int count; /* how many to serve */
};

static void *serve(void *arg) {
  struct server *s = arg;
  for (int i = 0; i < s->count; i++) exc_serve_one(s->port);
  return NULL;
}

static void start(struct server *s, mach_port_t port, int count) {
  s->port = port;
  s->count = count;
  assert_int_equal(pthread_create(&s->thread, NULL, serve, s), 0);
}

static void stop(struct server *s) { pthread_join(s->thread, NULL); }

static void clear_task_ports(void) {
  assert_int_equal(task_set_exception_ports(mach_task_self(), EXC_MASK_ALL, MACH_PORT_NULL,
                                            EXCEPTION_DEFAULT, THREAD_STATE_NONE),
                   KERN_SUCCESS);
}

static jmp_buf landing_jb;
static void landing(void) { longjmp(landing_jb, 1); }

#if defined(__x86_64__)
/* A 6-byte write (movl $42, (%rax)) to address 0x40; the handler skips it and 7 is returned. */
static int write_near_null(void) {
  int r;
  __asm__ volatile("mov $0x40, %%eax\n\t"
                   "movl $42, (%%rax)\n\t"
                   "mov $7, %0\n\t"
                   : "=r"(r)
                   :
                   : "rax", "memory");
  return r;
}
#define WRITE_LEN 6
#endif

static void the_null_write_is_skipped_after_a_state_identity_reply(void **state) {
  (void)state;
#if defined(__x86_64__)
  mach_port_t port = exc_new_port();
  assert_int_equal(task_set_exception_ports(mach_task_self(), EXC_MASK_BAD_ACCESS, port,
                                            EXCEPTION_STATE_IDENTITY | MACH_EXCEPTION_CODES,
                                            MACHINE_THREAD_STATE),
                   KERN_SUCCESS);
  exc_plan = (struct exc_plan){.reply = KERN_SUCCESS, .fix = FIX_SKIP_BYTES, .skip = WRITE_LEN};
  struct server s;
  start(&s, port, 1);
  assert_int_equal(write_near_null(), 7);
  stop(&s);
  mach_port_t me = mach_thread_self();
  assert_int_equal(exc_seen.id, 2407);
  assert_int_equal(exc_seen.type, EXC_BAD_ACCESS);
  assert_int_equal(exc_seen.code[0], KERN_INVALID_ADDRESS);
  assert_int_equal(exc_seen.code[1], 0x40);
  assert_int_equal(exc_seen.code_count, 2);
  assert_int_equal(exc_seen.flavor, MACHINE_THREAD_STATE);
  assert_int_equal(exc_seen.thread, me);
  assert_int_equal(exc_seen.task, mach_task_self());
  assert_int_equal(exc_seen.port, port);
  mach_port_deallocate(mach_task_self(), me);
  clear_task_ports();
  mach_port_destroy(mach_task_self(), port);
#else
  skip();
#endif
}

static void a_default_handler_that_fixes_the_page_lets_the_write_run_again(void **state) {
  (void)state;
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  volatile int *p = mmap(NULL, page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  assert_true(p != MAP_FAILED);
  mach_port_t port = exc_new_port();
  assert_int_equal(task_set_exception_ports(mach_task_self(), EXC_MASK_BAD_ACCESS, port,
                                            EXCEPTION_DEFAULT | MACH_EXCEPTION_CODES,
                                            THREAD_STATE_NONE),
                   KERN_SUCCESS);
  exc_plan = (struct exc_plan){.reply = KERN_SUCCESS, .fix = FIX_UNPROTECT, .page = (void *)p, .page_size = page};
  struct server s;
  start(&s, port, 1);
  p[3] = 99;
  stop(&s);
  assert_int_equal(p[3], 99);
  assert_int_equal(exc_seen.id, 2405);
  assert_int_equal(exc_seen.type, EXC_BAD_ACCESS);
  assert_int_equal(exc_seen.code[0], KERN_PROTECTION_FAILURE);
  assert_int_equal(exc_seen.code[1], (int64_t)(uintptr_t)&p[3]); /* 64 bits, not truncated */
  clear_task_ports();
  mach_port_destroy(mach_task_self(), port);
  munmap((void *)p, page);
}

static volatile int divisor;

static void integer_division_by_zero_is_exc_arithmetic_with_32_bit_codes(void **state) {
  (void)state;
#if defined(__x86_64__)
  mach_port_t port = exc_new_port();
  assert_int_equal(task_set_exception_ports(mach_task_self(), EXC_MASK_ARITHMETIC, port,
                                            EXCEPTION_STATE, MACHINE_THREAD_STATE),
                   KERN_SUCCESS);
  exc_plan = (struct exc_plan){.reply = KERN_SUCCESS, .fix = FIX_REDIRECT, .target = (uint64_t)(uintptr_t)landing};
  struct server s;
  start(&s, port, 1);
  volatile int quotient = 0;
  if (setjmp(landing_jb) == 0) {
    divisor = 0;
    quotient = 10 / divisor;
    fail_msg("the division went on (%d)", quotient);
  }
  stop(&s);
  assert_int_equal(exc_seen.id, 2402);
  assert_int_equal(exc_seen.type, EXC_ARITHMETIC);
  assert_int_equal(exc_seen.code[0], EXC_I386_DIV);
  assert_int_equal(exc_seen.thread, MACH_PORT_NULL);
  clear_task_ports();
  mach_port_destroy(mach_task_self(), port);
#else
  skip(); /* arm64 integer division does not trap */
#endif
}

static void int3_is_exc_breakpoint_and_trap_is_exc_bad_instruction(void **state) {
  (void)state;
  mach_port_t port = exc_new_port();
  assert_int_equal(task_set_exception_ports(mach_task_self(), EXC_MASK_BREAKPOINT | EXC_MASK_BAD_INSTRUCTION,
                                            port, EXCEPTION_STATE_IDENTITY, MACHINE_THREAD_STATE),
                   KERN_SUCCESS);
#if defined(__x86_64__)
  /* int3: the pc is already past the instruction; a success reply resumes after it. */
  exc_plan = (struct exc_plan){.reply = KERN_SUCCESS, .fix = FIX_NONE};
  struct server s;
  start(&s, port, 1);
  __asm__ volatile("int3");
  stop(&s);
  assert_int_equal(exc_seen.id, 2403);
  assert_int_equal(exc_seen.type, EXC_BREAKPOINT);
  assert_int_equal(exc_seen.code[0], EXC_I386_BPT);
#endif
  /* __builtin_trap: ud2 on x86_64 (EXC_BAD_INSTRUCTION), brk on arm64 (EXC_BREAKPOINT). */
  exc_plan = (struct exc_plan){.reply = KERN_SUCCESS, .fix = FIX_REDIRECT, .target = (uint64_t)(uintptr_t)landing};
  struct server s2;
  start(&s2, port, 1);
  if (setjmp(landing_jb) == 0) {
    __builtin_trap();
  }
  stop(&s2);
#if defined(__x86_64__)
  assert_int_equal(exc_seen.type, EXC_BAD_INSTRUCTION);
  assert_int_equal(exc_seen.code[0], EXC_I386_INVOP);
#else
  assert_int_equal(exc_seen.type, EXC_BREAKPOINT);
#endif
  clear_task_ports();
  mach_port_destroy(mach_task_self(), port);
}

static void get_returns_what_was_set_and_swap_returns_the_old_handlers(void **state) {
  (void)state;
  mach_port_t a = exc_new_port(), b = exc_new_port(), c = exc_new_port();
  assert_int_equal(task_set_exception_ports(mach_task_self(), EXC_MASK_BAD_ACCESS | EXC_MASK_SOFTWARE, a,
                                            EXCEPTION_DEFAULT, THREAD_STATE_NONE), KERN_SUCCESS);
  assert_int_equal(task_set_exception_ports(mach_task_self(), EXC_MASK_ARITHMETIC, b,
                                            EXCEPTION_STATE | MACH_EXCEPTION_CODES, MACHINE_THREAD_STATE),
                   KERN_SUCCESS);
  exception_mask_t masks[EXC_TYPES_COUNT];
  mach_port_t ports[EXC_TYPES_COUNT];
  exception_behavior_t behaviors[EXC_TYPES_COUNT];
  thread_state_flavor_t flavors[EXC_TYPES_COUNT];
  mach_msg_type_number_t n = EXC_TYPES_COUNT;
  assert_int_equal(task_get_exception_ports(mach_task_self(),
                                            EXC_MASK_BAD_ACCESS | EXC_MASK_SOFTWARE | EXC_MASK_ARITHMETIC | EXC_MASK_BREAKPOINT,
                                            masks, &n, ports, behaviors, flavors), KERN_SUCCESS);
  assert_int_equal(n, 3);
  assert_int_equal(masks[0], EXC_MASK_BAD_ACCESS | EXC_MASK_SOFTWARE);
  assert_int_equal(ports[0], a);
  assert_int_equal(behaviors[0], EXCEPTION_DEFAULT);
  assert_int_equal(flavors[0], THREAD_STATE_NONE);
  assert_int_equal(masks[1], EXC_MASK_ARITHMETIC);
  assert_int_equal(ports[1], b);
  assert_int_equal((unsigned)behaviors[1], (unsigned)(EXCEPTION_STATE | MACH_EXCEPTION_CODES));
  assert_int_equal(flavors[1], MACHINE_THREAD_STATE);
  assert_int_equal(masks[2], EXC_MASK_BREAKPOINT);
  assert_int_equal(ports[2], MACH_PORT_NULL);
  /* each port returned is a send right the caller owns: a's urefs went 1 -> 2 */
  mach_port_urefs_t refs = 0;
  assert_int_equal(mach_port_get_refs(mach_task_self(), a, MACH_PORT_RIGHT_SEND, &refs), KERN_SUCCESS);
  assert_int_equal(refs, 2);
  mach_port_deallocate(mach_task_self(), a);
  mach_port_deallocate(mach_task_self(), b);

  n = EXC_TYPES_COUNT;
  assert_int_equal(task_swap_exception_ports(mach_task_self(), EXC_MASK_BAD_ACCESS, c,
                                             EXCEPTION_STATE_IDENTITY, MACHINE_THREAD_STATE,
                                             masks, &n, ports, behaviors, flavors), KERN_SUCCESS);
  assert_int_equal(n, 1);
  assert_int_equal(masks[0], EXC_MASK_BAD_ACCESS);
  assert_int_equal(ports[0], a);
  mach_port_deallocate(mach_task_self(), a);
  n = 1; /* capacity 1 */
  assert_int_equal(task_get_exception_ports(mach_task_self(), EXC_MASK_BAD_ACCESS | EXC_MASK_ARITHMETIC,
                                            masks, &n, ports, behaviors, flavors), KERN_SUCCESS);
  assert_int_equal(n, 1);
  assert_int_equal(ports[0], c);
  assert_int_equal(behaviors[0], EXCEPTION_STATE_IDENTITY);
  mach_port_deallocate(mach_task_self(), c);

  /* Darwin's argument checks */
  assert_int_equal(task_set_exception_ports(mach_task_self(), 1u << 20, a, EXCEPTION_DEFAULT, THREAD_STATE_NONE),
                   KERN_INVALID_ARGUMENT);
  assert_int_equal(task_set_exception_ports(mach_task_self(), EXC_MASK_BAD_ACCESS, a, 9, THREAD_STATE_NONE),
                   KERN_INVALID_ARGUMENT);
  assert_int_equal(task_set_exception_ports(mach_task_self(), EXC_MASK_BAD_ACCESS, a, EXCEPTION_STATE, 99),
                   KERN_INVALID_ARGUMENT);
  assert_int_equal(task_set_exception_ports(a, EXC_MASK_BAD_ACCESS, a, EXCEPTION_DEFAULT, THREAD_STATE_NONE),
                   KERN_INVALID_ARGUMENT); /* not a task */
  assert_int_equal(thread_set_exception_ports(a, EXC_MASK_BAD_ACCESS, a, EXCEPTION_DEFAULT, THREAD_STATE_NONE),
                   KERN_INVALID_ARGUMENT); /* not a thread */
  assert_int_equal(task_set_exception_ports(mach_task_self(), EXC_MASK_BAD_ACCESS, 0x12345678, EXCEPTION_DEFAULT,
                                            THREAD_STATE_NONE), KERN_INVALID_NAME);
  clear_task_ports();
  mach_port_destroy(mach_task_self(), a);
  mach_port_destroy(mach_task_self(), b);
  mach_port_destroy(mach_task_self(), c);
}

static void the_thread_handler_comes_first_and_the_task_handler_when_it_fails(void **state) {
  (void)state;
#if defined(__x86_64__)
  mach_port_t task_port = exc_new_port(), thread_port = exc_new_port(), set;
  assert_int_equal(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_PORT_SET, &set), KERN_SUCCESS);
  mach_port_move_member(mach_task_self(), task_port, set);
  mach_port_move_member(mach_task_self(), thread_port, set);
  mach_port_t me = mach_thread_self();
  assert_int_equal(task_set_exception_ports(mach_task_self(), EXC_MASK_BAD_ACCESS, task_port,
                                            EXCEPTION_STATE_IDENTITY | MACH_EXCEPTION_CODES, MACHINE_THREAD_STATE),
                   KERN_SUCCESS);
  assert_int_equal(thread_set_exception_ports(me, EXC_MASK_BAD_ACCESS, thread_port,
                                              EXCEPTION_STATE_IDENTITY | MACH_EXCEPTION_CODES, MACHINE_THREAD_STATE),
                   KERN_SUCCESS);
  exception_mask_t masks[EXC_TYPES_COUNT];
  mach_port_t ports[EXC_TYPES_COUNT];
  exception_behavior_t behaviors[EXC_TYPES_COUNT];
  thread_state_flavor_t flavors[EXC_TYPES_COUNT];
  mach_msg_type_number_t n = EXC_TYPES_COUNT;
  assert_int_equal(thread_get_exception_ports(me, EXC_MASK_BAD_ACCESS, masks, &n, ports, behaviors, flavors),
                   KERN_SUCCESS);
  assert_int_equal(n, 1);
  assert_int_equal(ports[0], thread_port);
  mach_port_deallocate(mach_task_self(), thread_port);

  exc_plan = (struct exc_plan){.reply = KERN_SUCCESS, .fix = FIX_SKIP_BYTES, .skip = WRITE_LEN};
  struct server s;
  start(&s, set, 1);
  assert_int_equal(write_near_null(), 7);
  stop(&s);
  assert_int_equal(exc_seen.port, thread_port);

  /* the thread's handler fails: Darwin asks the task's next */
  exc_plan.fail_port = thread_port;
  exc_count = 0;
  start(&s, set, 2);
  assert_int_equal(write_near_null(), 7);
  stop(&s);
  assert_int_equal(exc_count, 2);
  assert_int_equal(exc_ports_seen[0], thread_port);
  assert_int_equal(exc_ports_seen[1], task_port);
  assert_int_equal(thread_set_exception_ports(me, EXC_MASK_BAD_ACCESS, MACH_PORT_NULL, EXCEPTION_DEFAULT,
                                              THREAD_STATE_NONE), KERN_SUCCESS);
  mach_port_deallocate(mach_task_self(), me);
  clear_task_ports();
  mach_port_destroy(mach_task_self(), task_port);
  mach_port_destroy(mach_task_self(), thread_port);
  mach_port_destroy(mach_task_self(), set);
#else
  skip();
#endif
}

/* Runs body in a child with the default actions back (cmocka catches SIGSEGV itself) and
 * returns the signal that killed it (0: it exited). The child is killed after 30 s. */
static int child_signal(void (*body)(void)) {
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    signal(SIGSEGV, SIG_DFL);
    signal(SIGBUS, SIG_DFL);
    alarm(30);
    body();
    _exit(0);
  }
  int status = 0;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  return WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

static volatile int *volatile bad_pointer = (volatile int *)(uintptr_t)0x40;
static void null_write(void) { *bad_pointer = 1; }

static void failure_reply_body(void) {
  mach_port_t port = exc_new_port();
  task_set_exception_ports(mach_task_self(), EXC_MASK_BAD_ACCESS, port, EXCEPTION_DEFAULT | MACH_EXCEPTION_CODES,
                           THREAD_STATE_NONE);
  exc_plan = (struct exc_plan){.reply = KERN_FAILURE};
  struct server s;
  start(&s, port, 1);
  null_write();
}

static void a_failure_reply_kills_the_task_with_the_original_signal(void **state) {
  (void)state;
  assert_int_equal(child_signal(failure_reply_body), SIGSEGV);
}

/* The handler takes the request, then its port dies with the reply right unanswered. */
static void *die_while_holding(void *arg) {
  mach_port_t port = *(mach_port_t *)arg;
  union {
    mach_msg_header_t h;
    char buf[8192];
  } m;
  if (mach_msg(&m.h, MACH_RCV_MSG, 0, sizeof m, port, 0, MACH_PORT_NULL) == MACH_MSG_SUCCESS) {
    mach_port_destroy(mach_task_self(), port);
    mach_msg_destroy(&m.h); /* the reply send-once right: MACH_NOTIFY_SEND_ONCE */
  }
  return NULL;
}

static mach_port_t dying_port;

static void dying_handler_body(void) {
  dying_port = exc_new_port();
  task_set_exception_ports(mach_task_self(), EXC_MASK_BAD_ACCESS, dying_port,
                           EXCEPTION_STATE_IDENTITY | MACH_EXCEPTION_CODES, MACHINE_THREAD_STATE);
  pthread_t t;
  pthread_create(&t, NULL, die_while_holding, &dying_port);
  null_write();
}

static void a_handler_dying_before_it_replies_leaves_the_default_action(void **state) {
  (void)state;
  assert_int_equal(child_signal(dying_handler_body), SIGSEGV);
}

static void no_handler_body(void) {
  mach_port_t port = exc_new_port();
  task_set_exception_ports(mach_task_self(), EXC_MASK_BAD_ACCESS, port, EXCEPTION_DEFAULT, THREAD_STATE_NONE);
  mach_port_mod_refs(mach_task_self(), port, MACH_PORT_RIGHT_RECEIVE, -1); /* nobody will answer */
  null_write();
}

static void a_dead_handler_port_leaves_the_default_action(void **state) {
  (void)state;
  assert_int_equal(child_signal(no_handler_body), SIGSEGV);
}

static void on_usr_segv(int sig) { (void)sig; }

static void clearing_the_last_handler_puts_the_previous_signal_action_back(void **state) {
  (void)state;
  struct sigaction mine, now, before;
  memset(&mine, 0, sizeof mine);
  mine.sa_handler = on_usr_segv;
  sigaction(SIGFPE, &mine, &before);
  mach_port_t port = exc_new_port();
  assert_int_equal(task_set_exception_ports(mach_task_self(), EXC_MASK_ARITHMETIC, port, EXCEPTION_DEFAULT,
                                            THREAD_STATE_NONE), KERN_SUCCESS);
  sigaction(SIGFPE, NULL, &now);
  assert_true(now.sa_handler != on_usr_segv);
  assert_true(now.sa_flags & SA_ONSTACK);
  clear_task_ports();
  sigaction(SIGFPE, NULL, &now);
  assert_true(now.sa_handler == on_usr_segv);
  sigaction(SIGFPE, &before, NULL);
  mach_port_destroy(mach_task_self(), port);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(the_null_write_is_skipped_after_a_state_identity_reply),
    cmocka_unit_test(a_default_handler_that_fixes_the_page_lets_the_write_run_again),
    cmocka_unit_test(integer_division_by_zero_is_exc_arithmetic_with_32_bit_codes),
    cmocka_unit_test(int3_is_exc_breakpoint_and_trap_is_exc_bad_instruction),
    cmocka_unit_test(get_returns_what_was_set_and_swap_returns_the_old_handlers),
    cmocka_unit_test(the_thread_handler_comes_first_and_the_task_handler_when_it_fails),
    cmocka_unit_test(a_failure_reply_kills_the_task_with_the_original_signal),
    cmocka_unit_test(a_handler_dying_before_it_replies_leaves_the_default_action),
    cmocka_unit_test(a_dead_handler_port_leaves_the_default_action),
    cmocka_unit_test(clearing_the_last_handler_puts_the_previous_signal_action_back),
  };
  if (argc > 1) cmocka_set_test_filter(argv[1]);
  return cmocka_run_group_tests(tests, NULL, NULL);
}
