/* Wire test of OpenMIG's exc server (32-bit codes) against Apple's layouts (exc.facts): an
 * exception_raise request built byte by byte is served by the generated exc_server(). */
#include <mach/mig_errors.h>
#include <mach/ndr.h>

#include "wire_check.h"
#include "wire_msg.h"
#include WIRE_SERVER_HEADER


enum { RAISE_SIZE = 76 };

static struct {
  int calls;
  mach_port_t thread;
  integer_t code1;
  mach_msg_type_number_t codeCnt;
} seen;

kern_return_t catch_exception_raise(mach_port_t exception_port, mach_port_t thread, mach_port_t task,
                                    exception_type_t exception, exception_data_t code,
                                    mach_msg_type_number_t codeCnt) {
  (void)exception_port, (void)task, (void)exception;
  seen.calls++;
  seen.thread = thread;
  seen.codeCnt = codeCnt;
  seen.code1 = codeCnt > 1 ? code[1] : 0;
  return KERN_SUCCESS;
}

kern_return_t catch_exception_raise_state(mach_port_t exception_port, exception_type_t exception,
                                          const exception_data_t code, mach_msg_type_number_t codeCnt,
                                          int *flavor, const thread_state_t old_state,
                                          mach_msg_type_number_t old_stateCnt, thread_state_t new_state,
                                          mach_msg_type_number_t *new_stateCnt) {
  (void)exception_port, (void)exception, (void)code, (void)codeCnt, (void)flavor;
  (void)old_state, (void)old_stateCnt, (void)new_state, (void)new_stateCnt;
  seen.calls++;
  return KERN_FAILURE;
}

kern_return_t catch_exception_raise_state_identity(
    mach_port_t exception_port, mach_port_t thread, mach_port_t task, exception_type_t exception,
    exception_data_t code, mach_msg_type_number_t codeCnt, int *flavor, thread_state_t old_state,
    mach_msg_type_number_t old_stateCnt, thread_state_t new_state, mach_msg_type_number_t *new_stateCnt) {
  (void)exception_port, (void)thread, (void)task, (void)exception, (void)code, (void)codeCnt;
  (void)flavor, (void)old_state, (void)old_stateCnt, (void)new_state, (void)new_stateCnt;
  seen.calls++;
  return KERN_FAILURE;
}

/* exception_raise as Apple lays it out: two port descriptors, NDR at 52, codes (4 bytes) at 68. */
static void build_raise(union wire_buffer *in, uint32_t code_count, uint32_t size) {
  memset(in, 0, sizeof *in);
  wire_put_header(in, MACH_MSGH_BITS_COMPLEX | MACH_MSGH_BITS(WIRE_PORT_SEND_ONCE, WIRE_PORT_SEND), size,
                  WIRE_REPLY_PORT, WIRE_REQUEST_PORT, 2401);
  wire_put32(in, 24, 2);
  wire_put_port_desc(in, 28, 0x3303, WIRE_PORT_SEND, MACH_MSG_PORT_DESCRIPTOR);
  wire_put_port_desc(in, 40, 0x4403, WIRE_PORT_SEND, MACH_MSG_PORT_DESCRIPTOR);
  memcpy(in->bytes + 52, &NDR_record, 8);
  wire_put32(in, 60, 1);
  wire_put32(in, 64, code_count);
  wire_put32(in, 68, 0x11);
  wire_put32(in, 72, 0x22);
}

static int serve(union wire_buffer *in, union wire_buffer *out) {
  seen.calls = 0;
  return wire_serve(exc_server, in, out);
}

int main(void) {
  union wire_buffer in, out;
  wire_check_facts();

  build_raise(&in, 2, RAISE_SIZE);
  WIRE_EXPECT("exception_raise handled", serve(&in, &out), 1);
  WIRE_EXPECT("work function called", seen.calls, 1);
  WIRE_EXPECT("thread", seen.thread, 0x3303);
  WIRE_EXPECT("codeCnt", seen.codeCnt, 2);
  WIRE_EXPECT("code[1] at offset 72", seen.code1, 0x22);
  wire_expect_reply_header(WIRE_HERE, &out, MACH_MSGH_BITS(WIRE_PORT_SEND_ONCE, 0), WIRE_REPLY_PORT, 2401, 36);
  WIRE_EXPECT("RetCode", wire_reply_retcode(&out), KERN_SUCCESS);

  /* 4-byte codes: size 68 + 4 * codeCnt, exactly. */
  build_raise(&in, 1, RAISE_SIZE - 4);
  WIRE_EXPECT("codeCnt 1 handled", serve(&in, &out), 1);
  WIRE_EXPECT("codeCnt 1 accepted", seen.calls, 1);
  build_raise(&in, 1, RAISE_SIZE);
  WIRE_EXPECT("size 76 with codeCnt 1 handled", serve(&in, &out), 1);
  WIRE_EXPECT("size 76 with codeCnt 1: no call", seen.calls, 0);
  WIRE_EXPECT("size 76 with codeCnt 1: MIG_BAD_ARGUMENTS", wire_reply_retcode(&out), MIG_BAD_ARGUMENTS);

  /* The state routine's failure comes back as a mig_reply_error_t. */
  memset(&in, 0, sizeof in);
  wire_put_header(&in, MACH_MSGH_BITS(WIRE_PORT_SEND_ONCE, WIRE_PORT_SEND), 48, WIRE_REPLY_PORT, WIRE_REQUEST_PORT, 2402);
  WIRE_EXPECT("exception_raise_state (no code, no state: 48 bytes) handled", serve(&in, &out), 1);
  WIRE_EXPECT("exception_raise_state called", seen.calls, 1);
  wire_expect_reply_header(WIRE_HERE, &out, MACH_MSGH_BITS(WIRE_PORT_SEND_ONCE, 0), WIRE_REPLY_PORT, 2402, 36);
  WIRE_EXPECT("error RetCode", wire_reply_retcode(&out), KERN_FAILURE);

  build_raise(&in, 2, RAISE_SIZE);
  wire_put32(&in, WIRE_HEAD_ID, 2404);
  WIRE_EXPECT("id 2404 not handled", serve(&in, &out), 0);
  WIRE_EXPECT("MIG_BAD_ID", wire_reply_retcode(&out), MIG_BAD_ID);
  return wire_report(WIRE_CASE);
}
