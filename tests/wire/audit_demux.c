/* Wire test of OpenMIG's trailer handling against Apple's (audit.facts): the audit token comes
 * from the trailer after round_msg(msgh_size); a trailer of another format or one too small for
 * the token is answered with MIG_TRAILER_ERROR, as Apple's server does. */
#include <mach/mig_errors.h>
#include <mach/ndr.h>

#include "wire_check.h"
#include "wire_msg.h"
#include WIRE_SERVER_HEADER

enum {
  TRAILER = 36,            /* round_msg(36) */
  AUDIT_TRAILER_SIZE = 52, /* mach_msg_audit_trailer_t */
  AUDIT_OFFSET = 20,       /* msgh_audit in the trailer */
};

static struct {
  int calls;
  audit_token_t token;
  mach_port_seqno_t seqno;
  int value;
} seen;

/* Counts a call and keeps the value every routine takes. */
static kern_return_t record(int value) {
  seen.calls++;
  seen.value = value;
  return KERN_SUCCESS;
}

kern_return_t srv_audited_call(mach_port_t server, audit_token_t token, int value) {
  (void)server;
  seen.token = token;
  return record(value);
}

kern_return_t srv_seqno_call(mach_port_t server, mach_port_seqno_t seqno, int value) {
  (void)server;
  seen.seqno = seqno;
  return record(value);
}

/* audited_call(value 42) followed by a trailer of <type> and <size> with audit words 0x100+i. */
static void build(union wire_buffer *in, uint32_t type, uint32_t size) {
  memset(in, 0, sizeof *in);
  wire_put_header(in, WIRE_RECEIVED_BITS, 36, WIRE_REPLY_PORT, WIRE_REQUEST_PORT, 5000);
  memcpy(in->bytes + 24, &NDR_record, 8);
  wire_put32(in, 32, 42);
  wire_put32(in, TRAILER, type);
  wire_put32(in, TRAILER + 4, size);
  for (uint32_t i = 0; i < 8; i++) {
    wire_put32(in, TRAILER + AUDIT_OFFSET + 4 * i, 0x100 + i);
  }
}

static void expect_rejected(union wire_buffer *in, kern_return_t code, const char *why) {
  wire_expect_rejected(why, wire_audit_server, in, &seen.calls, WIRE_REPLY_BITS, WIRE_REPLY_PORT,
                       (int32_t)wire_get32(in, WIRE_HEAD_ID), code);
}

int main(void) {
  union wire_buffer in, out;
  wire_check_facts();

  build(&in, MACH_MSG_TRAILER_FORMAT_0, AUDIT_TRAILER_SIZE);
  seen.calls = 0;
  WIRE_EXPECT("audited_call handled", wire_serve(wire_audit_server, &in, &out), 1);
  WIRE_EXPECT("work function called", seen.calls, 1);
  WIRE_EXPECT("value at 32", seen.value, 42);
  WIRE_EXPECT("audit token word 0 from trailer offset 20", seen.token.val[0], 0x100);
  WIRE_EXPECT("audit token word 7", seen.token.val[7], 0x107);
  wire_expect_reply_header(WIRE_HERE, &out, WIRE_REPLY_BITS, WIRE_REPLY_PORT, 5000, 36);
  WIRE_EXPECT("RetCode", wire_reply_retcode(&out), KERN_SUCCESS);

  build(&in, 1, AUDIT_TRAILER_SIZE);
  expect_rejected(&in, MIG_TRAILER_ERROR, "trailer format 1");
  build(&in, MACH_MSG_TRAILER_FORMAT_0, 8);
  expect_rejected(&in, MIG_TRAILER_ERROR, "8-byte trailer (no audit token)");
  build(&in, MACH_MSG_TRAILER_FORMAT_0, 20);
  expect_rejected(&in, MIG_TRAILER_ERROR, "20-byte trailer (sender only)");

  /* msgseqno: the sequence number at trailer offset 8 (mach_msg_seqno_trailer_t). */
  build(&in, MACH_MSG_TRAILER_FORMAT_0, 12);
  wire_put32(&in, WIRE_HEAD_ID, 5001);
  wire_put32(&in, TRAILER + 8, 0x77);
  seen.calls = 0;
  WIRE_EXPECT("seqno_call handled", wire_serve(wire_audit_server, &in, &out), 1);
  WIRE_EXPECT("seqno_call called", seen.calls, 1);
  WIRE_EXPECT("seqno from trailer offset 8", seen.seqno, 0x77);
  WIRE_EXPECT("value", seen.value, 42);
  wire_put32(&in, TRAILER, 1);
  expect_rejected(&in, MIG_TRAILER_ERROR, "seqno_call with trailer format 1");
  return wire_report(WIRE_CASE);
}
