/* Wire test of OpenMIG's csize server against Apple's layout of struct members whose C type is
 * larger than the .defs declares (csize.facts): a csize_put request packed at Apple's (the C)
 * offsets is served by the generated csize_server(), the request at the declared-size offsets is
 * refused as Apple's server refuses it, and the csize_get reply is checked byte by byte. */
#include <mach/mig_errors.h>
#include <mach/ndr.h>

#include "csize_msg.h"
#include "wire_check.h"
#include WIRE_SERVER_HEADER

static struct {
  int calls;
  union wire_buffer values; /* what csize_put received, stored at CSIZE_PUT_REC as in a request */
} seen;

/* The message puts the structs at 4-byte offsets: read and write them with memcpy. */
kern_return_t csize_put(mach_port_t server, csize_rec_t rec, int32_t after, csize_ints_t ints,
                        mach_msg_type_number_t intsCnt, csize_tail_ct tail) {
  (void)server;
  seen.calls++;
  memset(&seen.values, 0, sizeof seen.values);
  memcpy(seen.values.bytes + CSIZE_PUT_REC, &rec, sizeof rec);
  wire_put32(&seen.values, CSIZE_PUT_AFTER, (uint32_t)after);
  wire_put32(&seen.values, CSIZE_PUT_INTS_CNT, intsCnt);
  memcpy(seen.values.bytes + CSIZE_PUT_INTS, ints, 4 * (intsCnt < 8 ? intsCnt : 8));
  memcpy(seen.values.bytes + CSIZE_PUT_INTS + 4 * CSIZE_INTS, &tail, sizeof tail);
  return KERN_SUCCESS;
}

kern_return_t csize_get(mach_port_t server, csize_rec_t *rec, int32_t *after, csize_ints_t ints,
                        mach_msg_type_number_t *intsCnt, csize_tail_ct *tail) {
  (void)server;
  seen.calls++;
  memcpy(rec, &csize_rec, sizeof csize_rec);
  memcpy(after, &csize_after, sizeof csize_after);
  memcpy(ints, csize_ints, sizeof csize_ints);
  *intsCnt = CSIZE_INTS;
  *tail = csize_tail; /* a local of the stub, copied into the message after the shift */
  return KERN_SUCCESS;
}

static void build_put(union wire_buffer *in, uint32_t size) {
  memset(in, 0, sizeof *in);
  wire_put_header(in, WIRE_RECEIVED_BITS, size, WIRE_REPLY_PORT, WIRE_REQUEST_PORT, CSIZE_PUT_ID);
  memcpy(in->bytes + 24, &NDR_record, 8);
  csize_put_values(in, CSIZE_PUT_REC);
}

static void expect_rejected(union wire_buffer *in, const char *why) {
  wire_expect_rejected(why, csize_server, in, &seen.calls, WIRE_REPLY_BITS, WIRE_REPLY_PORT,
                       (int32_t)wire_get32(in, WIRE_HEAD_ID), MIG_BAD_ARGUMENTS);
}

int main(void) {
  union wire_buffer in, out;
  wire_check_facts();

  build_put(&in, CSIZE_PUT_SIZE);
  seen.calls = 0;
  WIRE_EXPECT("csize_put handled", wire_serve(csize_server, &in, &out), 1);
  WIRE_EXPECT("csize_put called", seen.calls, 1);
  WIRE_EXPECT("values read at the C offsets (0: all; else the first that differs)",
              csize_values_differ(&seen.values, CSIZE_PUT_REC), 0);
  wire_expect_reply_header(WIRE_HERE, &out, WIRE_REPLY_BITS, WIRE_REPLY_PORT, CSIZE_PUT_ID, 36);
  WIRE_EXPECT("csize_put RetCode", wire_reply_retcode(&out), KERN_SUCCESS);

  /* The sizes a MIG laying the structs out at their .defs sizes would send: 108 - 32 + 12. */
  build_put(&in, 88);
  expect_rejected(&in, "csize_put at the declared sizes (88 bytes)");
  build_put(&in, CSIZE_PUT_SIZE + 4);
  expect_rejected(&in, "csize_put with 4 bytes more than intsCnt says");
  build_put(&in, CSIZE_PUT_SIZE);
  wire_put32(&in, CSIZE_PUT_INTS_CNT, 9);
  expect_rejected(&in, "csize_put with intsCnt 9 > 8");

  memset(&in, 0, sizeof in);
  wire_put_header(&in, WIRE_RECEIVED_BITS, 24, WIRE_REPLY_PORT, WIRE_REQUEST_PORT, CSIZE_GET_ID);
  seen.calls = 0;
  WIRE_EXPECT("csize_get handled", wire_serve(csize_server, &in, &out), 1);
  WIRE_EXPECT("csize_get called", seen.calls, 1);
  wire_expect_reply_header(WIRE_HERE, &out, WIRE_REPLY_BITS, WIRE_REPLY_PORT, CSIZE_GET_ID,
                           CSIZE_GET_SIZE);
  WIRE_EXPECT("NDR int_rep at 28 (NDR at 24)", out.bytes[28], NDR_record.int_rep);
  WIRE_EXPECT("csize_get RetCode", wire_reply_retcode(&out), KERN_SUCCESS);
  WIRE_EXPECT("reply values at the C offsets (0: all; else the first that differs)",
              csize_values_differ(&out, CSIZE_GET_REC), 0);
  return wire_report(WIRE_CASE);
}
