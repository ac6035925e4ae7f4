/* Wire test of OpenMIG's mach_exc server against Apple's request/reply layouts: requests are
 * built byte by byte at the offsets recorded from Apple MIG output (mach_exc.facts,
 * mach_exc_sdk.facts), fed to the generated mach_exc_server(), and the reply bytes are compared
 * with what Apple's server writes. WIRE_STATE_MAX is THREAD_STATE_MAX of the case (614 or 1296). */
#include <mach/mig_errors.h>
#include <mach/ndr.h>

#include "wire_check.h"
#include "wire_msg.h"
#include WIRE_SERVER_HEADER

#ifndef WIRE_STATE_MAX
#error "WIRE_STATE_MAX (THREAD_STATE_MAX of the generated interface) must be defined"
#endif


enum {
  THREAD_NAME = 0x3303,
  TASK_NAME = 0x4403,
  /* Apple's __Request__mach_exception_raise_t (84 bytes) and the state routines. */
  RAISE_SIZE = 84,
  RAISE_STATE_IDENTITY_FIXED = 92, /* old_state offset with codeCnt 2 */
  REPLY_STATE_FIXED = 44,          /* new_state offset in the reply */
};

/* What the work functions saw and what they answer. */
static struct {
  int calls;
  mach_port_t exception_port, thread, task;
  exception_type_t exception;
  int64_t code[2];
  mach_msg_type_number_t codeCnt;
  int flavor_in;
  natural_t old_state[4];
  mach_msg_type_number_t old_stateCnt;
  mach_msg_type_number_t new_stateCnt_on_entry;
  kern_return_t answer;
} seen;

/* Records the arguments both identity routines share. */
static void record(mach_port_t exception_port, mach_port_t thread, mach_port_t task,
                   exception_type_t exception, const int64_t *code, mach_msg_type_number_t codeCnt) {
  seen.calls++;
  seen.exception_port = exception_port;
  seen.thread = thread;
  seen.task = task;
  seen.exception = exception;
  seen.codeCnt = codeCnt;
  /* The codes sit at offset 68 of a 4-byte aligned message (Apple's layout): copy, do not load
   * them as int64_t. */
  memcpy(seen.code, code, sizeof(int64_t) * (codeCnt < 2 ? codeCnt : 2));
}

kern_return_t catch_mach_exception_raise(mach_port_t exception_port, mach_port_t thread,
                                         mach_port_t task, exception_type_t exception,
                                         mach_exception_data_t code, mach_msg_type_number_t codeCnt) {
  record(exception_port, thread, task, exception, code, codeCnt);
  return seen.answer;
}

kern_return_t catch_mach_exception_raise_state(mach_port_t exception_port, exception_type_t exception,
                                               const mach_exception_data_t code,
                                               mach_msg_type_number_t codeCnt, int *flavor,
                                               const thread_state_t old_state,
                                               mach_msg_type_number_t old_stateCnt,
                                               thread_state_t new_state,
                                               mach_msg_type_number_t *new_stateCnt) {
  (void)exception_port, (void)exception, (void)code, (void)codeCnt, (void)flavor;
  (void)old_state, (void)old_stateCnt, (void)new_state, (void)new_stateCnt;
  seen.calls++;
  return seen.answer;
}

kern_return_t catch_mach_exception_raise_state_identity(
    mach_port_t exception_port, mach_port_t thread, mach_port_t task, exception_type_t exception,
    mach_exception_data_t code, mach_msg_type_number_t codeCnt, int *flavor,
    thread_state_t old_state, mach_msg_type_number_t old_stateCnt, thread_state_t new_state,
    mach_msg_type_number_t *new_stateCnt) {
  record(exception_port, thread, task, exception, code, codeCnt);
  seen.flavor_in = *flavor;
  seen.old_stateCnt = old_stateCnt;
  for (mach_msg_type_number_t i = 0; i < old_stateCnt && i < 4; i++) {
    seen.old_state[i] = old_state[i];
  }
  seen.new_stateCnt_on_entry = *new_stateCnt;
  *flavor = 7;
  new_state[0] = 0xabcd0001u;
  new_state[1] = 0xabcd0002u;
  *new_stateCnt = 2;
  return seen.answer;
}

/* A received mach_exception_raise request as Apple lays it out (facts: offsets 24..68). */
static void build_raise(union wire_buffer *in, mach_msg_type_number_t code_count, uint32_t size) {
  memset(in, 0, sizeof *in);
  wire_put_header(in, MACH_MSGH_BITS_COMPLEX | MACH_MSGH_BITS(WIRE_PORT_SEND_ONCE, WIRE_PORT_SEND), size,
                  WIRE_REPLY_PORT, WIRE_REQUEST_PORT, 2405);
  wire_put32(in, 24, 2); /* msgh_body.msgh_descriptor_count */
  wire_put_port_desc(in, 28, THREAD_NAME, WIRE_PORT_SEND, MACH_MSG_PORT_DESCRIPTOR);
  wire_put_port_desc(in, 40, TASK_NAME, WIRE_PORT_SEND, MACH_MSG_PORT_DESCRIPTOR);
  memcpy(in->bytes + 52, &NDR_record, 8);
  wire_put32(in, 60, 1); /* exception = EXC_BAD_ACCESS */
  wire_put32(in, 64, code_count);
  wire_put64(in, 68, 0x1122334455667788ull);
  wire_put64(in, 76, 0x99aabbccddeeff00ull);
}

/* Runs mach_exc_server() on <in>, counting work-function calls from zero. */
static int serve(union wire_buffer *in, union wire_buffer *out) {
  seen.calls = 0;
  return wire_serve(mach_exc_server, in, out);
}

/* Every mach_exc reply is simple and goes to the send-once reply right of the request. */
#define expect_reply_header(out, id, size) \
  wire_expect_reply_header(WIRE_HERE, out, MACH_MSGH_BITS(WIRE_PORT_SEND_ONCE, 0), WIRE_REPLY_PORT, id, size)

/* A request Apple's server rejects with <code> (see wire_expect_rejected). */
static void expect_rejected(union wire_buffer *in, int32_t id, kern_return_t code, const char *why) {
  wire_expect_rejected(why, mach_exc_server, in, &seen.calls, WIRE_REPLY_BITS, WIRE_REPLY_PORT, id, code);
}

static void test_raise(void) {
  union wire_buffer in, out;
  build_raise(&in, 2, RAISE_SIZE);
  seen.answer = KERN_SUCCESS;
  WIRE_EXPECT("demux result", serve(&in, &out), 1);
  WIRE_EXPECT("work function called", seen.calls, 1);
  WIRE_EXPECT("exception_port = msgh_local_port", seen.exception_port, WIRE_REQUEST_PORT);
  WIRE_EXPECT("thread from descriptor 1", seen.thread, THREAD_NAME);
  WIRE_EXPECT("task from descriptor 2", seen.task, TASK_NAME);
  WIRE_EXPECT("exception", seen.exception, 1);
  WIRE_EXPECT("codeCnt", seen.codeCnt, 2);
  WIRE_EXPECT("code[1]", seen.code[1] == (int64_t)0x99aabbccddeeff00ull, 1);
  expect_reply_header(&out, 2405, 36);
  WIRE_EXPECT("reply RetCode", wire_reply_retcode(&out), KERN_SUCCESS);

  /* A shorter code array: size 84 - 16 + 8 * codeCnt is exact. */
  build_raise(&in, 1, RAISE_SIZE - 8);
  WIRE_EXPECT("demux result (codeCnt 1)", serve(&in, &out), 1);
  WIRE_EXPECT("work function called (codeCnt 1)", seen.calls, 1);
  WIRE_EXPECT("codeCnt 1 passed", seen.codeCnt, 1);

  /* The work function's error goes back as mig_reply_error_t. */
  build_raise(&in, 2, RAISE_SIZE);
  seen.answer = KERN_FAILURE;
  serve(&in, &out);
  expect_reply_header(&out, 2405, 36);
  WIRE_EXPECT("error RetCode", wire_reply_retcode(&out), KERN_FAILURE);
  seen.answer = KERN_SUCCESS;

  build_raise(&in, 1, RAISE_SIZE);
  expect_rejected(&in, 2405, MIG_BAD_ARGUMENTS, "size not 68 + 8 * codeCnt");
  build_raise(&in, 3, RAISE_SIZE);
  expect_rejected(&in, 2405, MIG_BAD_ARGUMENTS, "codeCnt 3 > 2");
  build_raise(&in, 2, RAISE_SIZE + 4);
  expect_rejected(&in, 2405, MIG_BAD_ARGUMENTS, "larger than sizeof(__Request)");
  build_raise(&in, 2, RAISE_SIZE);
  wire_put32(&in, WIRE_HEAD_BITS, MACH_MSGH_BITS(WIRE_PORT_SEND_ONCE, WIRE_PORT_SEND));
  expect_rejected(&in, 2405, MIG_BAD_ARGUMENTS, "complex bit missing");
  build_raise(&in, 2, RAISE_SIZE);
  wire_put32(&in, 24, 1);
  expect_rejected(&in, 2405, MIG_BAD_ARGUMENTS, "descriptor count 1");
  build_raise(&in, 2, RAISE_SIZE);
  wire_put_port_desc(&in, 28, THREAD_NAME, WIRE_COPY_SEND, MACH_MSG_PORT_DESCRIPTOR);
  expect_rejected(&in, 2405, MIG_TYPE_ERROR, "thread disposition 19, Apple wants 17");
  build_raise(&in, 2, RAISE_SIZE);
  wire_put_port_desc(&in, 40, TASK_NAME, WIRE_PORT_SEND, MACH_MSG_OOL_DESCRIPTOR);
  expect_rejected(&in, 2405, MIG_TYPE_ERROR, "task is not a port descriptor");
}

/* mach_exception_raise_state_identity with codeCnt 1: everything after code moves 8 bytes down
 * (Apple's In1P shift), so flavor is at 76, old_stateCnt at 80, old_state at 84. */
static void test_raise_state_identity(void) {
  union wire_buffer in, out;
  const uint32_t shift = 8;
  const uint32_t old_count = 3;
  const uint32_t size = RAISE_STATE_IDENTITY_FIXED - shift + 4 * old_count;
  build_raise(&in, 1, size);
  wire_put32(&in, WIRE_HEAD_ID, 2407);
  wire_put32(&in, 84 - shift, 4); /* flavor */
  wire_put32(&in, 88 - shift, old_count);
  for (uint32_t i = 0; i < old_count; i++) {
    wire_put32(&in, RAISE_STATE_IDENTITY_FIXED - shift + 4 * i, 0x5000u + i);
  }
  seen.answer = KERN_SUCCESS;
  WIRE_EXPECT("demux result (state identity)", serve(&in, &out), 1);
  WIRE_EXPECT("work function called (state identity)", seen.calls, 1);
  WIRE_EXPECT("codeCnt", seen.codeCnt, 1);
  WIRE_EXPECT("flavor read after the shift", seen.flavor_in, 4);
  WIRE_EXPECT("old_stateCnt read after the shift", seen.old_stateCnt, old_count);
  WIRE_EXPECT("old_state[2]", seen.old_state[2], 0x5002u);
  WIRE_EXPECT("new_stateCnt preset to THREAD_STATE_MAX", seen.new_stateCnt_on_entry, WIRE_STATE_MAX);
  /* Apple: OutP->Head.msgh_size = (sizeof(Reply) - 4 * MAX) + 4 * new_stateCnt = 44 + 4n. */
  expect_reply_header(&out, 2407, REPLY_STATE_FIXED + 4 * 2);
  WIRE_EXPECT("reply RetCode", wire_reply_retcode(&out), KERN_SUCCESS);
  WIRE_EXPECT("reply NDR int_rep", out.bytes[24 + 4], NDR_record.int_rep);
  WIRE_EXPECT("reply flavor (offset 36)", wire_get32(&out, 36), 7);
  WIRE_EXPECT("reply new_stateCnt (offset 40)", wire_get32(&out, 40), 2);
  WIRE_EXPECT("reply new_state[1] (offset 48)", wire_get32(&out, 48), 0xabcd0002u);

  build_raise(&in, 2, RAISE_STATE_IDENTITY_FIXED + 4 * (WIRE_STATE_MAX + 1));
  wire_put32(&in, WIRE_HEAD_ID, 2407);
  wire_put32(&in, 88, WIRE_STATE_MAX + 1);
  expect_rejected(&in, 2407, MIG_BAD_ARGUMENTS, "old_stateCnt > THREAD_STATE_MAX");
  build_raise(&in, 2, RAISE_STATE_IDENTITY_FIXED + 4);
  wire_put32(&in, WIRE_HEAD_ID, 2407);
  wire_put32(&in, 88, 2);
  expect_rejected(&in, 2407, MIG_BAD_ARGUMENTS, "size not 92 + 4 * old_stateCnt");
}

/* mach_exception_raise_state is a simple message: the complex bit is refused. */
static void test_raise_state_simple(void) {
  union wire_buffer in;
  memset(&in, 0, sizeof in);
  wire_put_header(&in, MACH_MSGH_BITS_COMPLEX | MACH_MSGH_BITS(WIRE_PORT_SEND_ONCE, WIRE_PORT_SEND), 48,
                  WIRE_REPLY_PORT, WIRE_REQUEST_PORT, 2406);
  expect_rejected(&in, 2406, MIG_BAD_ARGUMENTS, "raise_state with the complex bit");
  wire_put32(&in, WIRE_HEAD_BITS, MACH_MSGH_BITS(WIRE_PORT_SEND_ONCE, WIRE_PORT_SEND));
  union wire_buffer out;
  WIRE_EXPECT("raise_state, no code and no state (48 bytes)", serve(&in, &out), 1);
  WIRE_EXPECT("work function called (raise_state)", seen.calls, 1);
  /* The work function left new_stateCnt at its preset THREAD_STATE_MAX: a full-size reply. */
  expect_reply_header(&out, 2406, REPLY_STATE_FIXED + 4 * WIRE_STATE_MAX);
}

/* Ids outside the table and skip slots: FALSE, MIG_BAD_ID in a mig_reply_error_t. */
static void test_bad_ids(void) {
  const int32_t ids[] = {2404, 2408, 2409, 2411, 2505, -1};
  for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
    union wire_buffer in, out;
    build_raise(&in, 2, RAISE_SIZE);
    wire_put32(&in, WIRE_HEAD_ID, (uint32_t)ids[i]);
    WIRE_EXPECT("demux returns FALSE for an unknown id", serve(&in, &out), 0);
    WIRE_EXPECT("work function not called for an unknown id", seen.calls, 0);
    expect_reply_header(&out, ids[i], 36);
    WIRE_EXPECT("MIG_BAD_ID RetCode", wire_reply_retcode(&out), MIG_BAD_ID);
  }
}

int main(void) {
  wire_check_facts();
  test_raise();
  test_raise_state_identity();
  test_raise_state_simple();
  test_bad_ids();
  return wire_report(WIRE_CASE);
}
