/* The handler side: catch_* routines for the generated exc_server / mach_exc_server. */
#include "exc_handler.h"

#include <string.h>
#include <sys/mman.h>

#include "excServer.h"
#include "mach_excServer.h"

struct exc_plan exc_plan;
struct exc_seen exc_seen;
volatile int exc_count;
mach_port_t exc_ports_seen[8];

static void record(int id, mach_port_t port, mach_port_t thread, mach_port_t task,
                   exception_type_t type, const int64_t *code, mach_msg_type_number_t count) {
  memset(&exc_seen, 0, sizeof exc_seen);
  exc_seen.id = id;
  exc_seen.port = port;
  exc_seen.thread = thread;
  exc_seen.task = task;
  exc_seen.type = type;
  exc_seen.code_count = count;
  for (mach_msg_type_number_t i = 0; i < count && i < 2; i++) exc_seen.code[i] = code[i];
  if (exc_count < 8) exc_ports_seen[exc_count] = port;
  exc_count++;
}

static kern_return_t answer(void) {
  return exc_plan.fail_port && exc_seen.port == exc_plan.fail_port ? KERN_FAILURE : exc_plan.reply;
}

static void unprotect(void) {
  if (exc_plan.fix == FIX_UNPROTECT) mprotect(exc_plan.page, exc_plan.page_size, PROT_READ | PROT_WRITE);
}

/* Applies the plan to a state of the machine's flavor. */
static kern_return_t fix_state(int *flavor, const natural_t *old_state, mach_msg_type_number_t old_count,
                               natural_t *new_state, mach_msg_type_number_t *new_count) {
  exc_seen.flavor = *flavor;
  if (*flavor == MACHINE_THREAD_STATE && old_count >= MACHINE_THREAD_STATE_COUNT) {
#if defined(__x86_64__)
    x86_thread_state64_t s;
    memcpy(&s, old_state, sizeof s);
    exc_seen.pc = s.__rip;
    if (answer() != KERN_SUCCESS) return answer();
    if (exc_plan.fix == FIX_SKIP_BYTES) s.__rip += exc_plan.skip;
    if (exc_plan.fix == FIX_REDIRECT) {
      s.__rip = exc_plan.target;
      s.__rsp = (s.__rsp & ~(uint64_t)15) - 8; /* as at a function's entry */
    }
#else
    arm_thread_state64_t s;
    memcpy(&s, old_state, sizeof s);
    exc_seen.pc = s.__pc;
    if (answer() != KERN_SUCCESS) return answer();
    if (exc_plan.fix == FIX_SKIP_BYTES) s.__pc += exc_plan.skip;
    if (exc_plan.fix == FIX_REDIRECT) {
      s.__pc = exc_plan.target;
      s.__sp &= ~(uint64_t)15;
    }
#endif
    memcpy(new_state, &s, sizeof s);
    *new_count = MACHINE_THREAD_STATE_COUNT;
  } else {
    *new_count = 0;
  }
  if (answer() != KERN_SUCCESS) return answer();
  unprotect();
  return KERN_SUCCESS;
}

static void widen(const exception_data_t code, mach_msg_type_number_t count, int64_t out[2]) {
  out[0] = out[1] = 0;
  for (mach_msg_type_number_t i = 0; i < count && i < 2; i++) out[i] = code[i];
}

kern_return_t catch_exception_raise(mach_port_t port, mach_port_t thread, mach_port_t task,
                                    exception_type_t type, exception_data_t code,
                                    mach_msg_type_number_t count) {
  int64_t c[2];
  widen(code, count, c);
  record(2401, port, thread, task, type, c, count);
  if (answer() == KERN_SUCCESS) unprotect();
  return answer();
}

kern_return_t catch_exception_raise_state(mach_port_t port, exception_type_t type,
                                          const exception_data_t code, mach_msg_type_number_t count,
                                          int *flavor, const thread_state_t old_state,
                                          mach_msg_type_number_t old_count, thread_state_t new_state,
                                          mach_msg_type_number_t *new_count) {
  int64_t c[2];
  widen(code, count, c);
  record(2402, port, MACH_PORT_NULL, MACH_PORT_NULL, type, c, count);
  return fix_state(flavor, old_state, old_count, new_state, new_count);
}

kern_return_t catch_exception_raise_state_identity(
    mach_port_t port, mach_port_t thread, mach_port_t task, exception_type_t type,
    exception_data_t code, mach_msg_type_number_t count, int *flavor, thread_state_t old_state,
    mach_msg_type_number_t old_count, thread_state_t new_state, mach_msg_type_number_t *new_count) {
  int64_t c[2];
  widen(code, count, c);
  record(2403, port, thread, task, type, c, count);
  return fix_state(flavor, old_state, old_count, new_state, new_count);
}

kern_return_t catch_mach_exception_raise(mach_port_t port, mach_port_t thread, mach_port_t task,
                                         exception_type_t type, mach_exception_data_t code,
                                         mach_msg_type_number_t count) {
  record(2405, port, thread, task, type, code, count);
  if (answer() == KERN_SUCCESS) unprotect();
  return answer();
}

kern_return_t catch_mach_exception_raise_state(mach_port_t port, exception_type_t type,
                                               const mach_exception_data_t code,
                                               mach_msg_type_number_t count, int *flavor,
                                               const thread_state_t old_state,
                                               mach_msg_type_number_t old_count,
                                               thread_state_t new_state,
                                               mach_msg_type_number_t *new_count) {
  record(2406, port, MACH_PORT_NULL, MACH_PORT_NULL, type, code, count);
  return fix_state(flavor, old_state, old_count, new_state, new_count);
}

kern_return_t catch_mach_exception_raise_state_identity(
    mach_port_t port, mach_port_t thread, mach_port_t task, exception_type_t type,
    mach_exception_data_t code, mach_msg_type_number_t count, int *flavor, thread_state_t old_state,
    mach_msg_type_number_t old_count, thread_state_t new_state, mach_msg_type_number_t *new_count) {
  record(2407, port, thread, task, type, code, count);
  return fix_state(flavor, old_state, old_count, new_state, new_count);
}

static boolean_t demux(mach_msg_header_t *in, mach_msg_header_t *out) {
  return mach_exc_server(in, out) || exc_server(in, out);
}

kern_return_t exc_serve_one(mach_port_t port) {
  return mach_msg_server_once(demux, 8192, port, 0);
}

mach_port_t exc_new_port(void) {
  mach_port_t p = MACH_PORT_NULL;
  if (mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &p) != KERN_SUCCESS) return MACH_PORT_NULL;
  if (mach_port_insert_right(mach_task_self(), p, p, MACH_MSG_TYPE_MAKE_SEND) != KERN_SUCCESS) return MACH_PORT_NULL;
  return p;
}
