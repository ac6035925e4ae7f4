/* The two processes of the exception tests across processes (exc_machd_test.c), through machd:
 *   reporter NAME      checks in NAME, prints "ready", serves one exception: the faulting write
 *                      is skipped (STATE_IDENTITY reply); exits 0 if it saw EXC_BAD_ACCESS at 0x40
 *   reporter-dies NAME checks in NAME, prints "ready", takes one request and exits unanswered
 *   crasher NAME       looks NAME up, sets it as the task's EXC_MASK_BAD_ACCESS handler, prints
 *                      "ready", writes to 0x40; exits 0 if the write was skipped
 * Exit codes above 0 name the step that failed. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mach/mach.h>
#include <mach/exception.h>
#include <servers/bootstrap.h>

#include "exc_handler.h"

#if defined(__x86_64__)
static int write_near_null(void) {
  int r;
  __asm__ volatile("mov $0x40, %%eax\n\t"
                   "movl $42, (%%rax)\n\t" /* 6 bytes */
                   "mov $7, %0\n\t"
                   : "=r"(r)
                   :
                   : "rax", "memory");
  return r;
}
#define WRITE_LEN 6
#else
static volatile int *volatile bad_pointer = (volatile int *)(uintptr_t)0x40;
static int write_near_null(void) {
  *bad_pointer = 42; /* one 4-byte instruction on arm64 */
  return 7;
}
#define WRITE_LEN 4
#endif

static void ready(void) {
  printf("ready\n");
  fflush(stdout);
}

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  const char *mode = argv[1], *name = argv[2];
  mach_port_t port = MACH_PORT_NULL;
  if (strncmp(mode, "reporter", 8) == 0) {
    if (bootstrap_check_in(bootstrap_port, name, &port) != KERN_SUCCESS) return 3;
    ready();
    if (strcmp(mode, "reporter-dies") == 0) {
      union {
        mach_msg_header_t h;
        char buf[8192];
      } m;
      if (mach_msg(&m.h, MACH_RCV_MSG, 0, sizeof m, port, 0, MACH_PORT_NULL) != MACH_MSG_SUCCESS) return 4;
      _exit(m.h.msgh_id == 2407 ? 0 : 5); /* the reply right dies with this process */
    }
    exc_plan = (struct exc_plan){.reply = KERN_SUCCESS, .fix = FIX_SKIP_BYTES, .skip = WRITE_LEN};
    if (exc_serve_one(port) != KERN_SUCCESS) return 6;
    if (exc_seen.id != 2407 || exc_seen.type != EXC_BAD_ACCESS) return 7;
    if (exc_seen.code[0] != KERN_INVALID_ADDRESS || exc_seen.code[1] != 0x40) return 8;
    if (exc_seen.flavor != MACHINE_THREAD_STATE || !MACH_PORT_VALID(exc_seen.thread)) return 9;
    return 0;
  }
  if (strcmp(mode, "crasher") == 0) {
    if (bootstrap_look_up(bootstrap_port, name, &port) != KERN_SUCCESS) return 13;
    if (task_set_exception_ports(mach_task_self(), EXC_MASK_BAD_ACCESS, port,
                                 EXCEPTION_STATE_IDENTITY | MACH_EXCEPTION_CODES,
                                 MACHINE_THREAD_STATE) != KERN_SUCCESS)
      return 14;
    ready();
    alarm(60); /* never hang */
    return write_near_null() == 7 ? 0 : 15;
  }
  return 2;
}
