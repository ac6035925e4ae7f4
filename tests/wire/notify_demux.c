/* Wire test of OpenMIG's notify server against Apple's layouts: notifications are built byte by
 * byte as the kernel sends them to an Apple MIG server (notify.facts) and fed to the generated
 * notify_server(); the replies are compared with what Apple's server writes. */
#include <mach/mig_errors.h>
#include <mach/ndr.h>

#include "wire_check.h"
#include "wire_msg.h"
#include WIRE_SERVER_HEADER


enum {
  NOTIFY_PORT = 0x5503,
  /* A notification has no reply port: MACH_MSGH_BITS(0, received send-once). */
  NOTIFY_BITS = MACH_MSGH_BITS(0, WIRE_PORT_SEND_ONCE),
};

static struct {
  int calls;
  mach_port_t notify;
  mach_port_name_t name;
  mach_port_mscount_t mscount;
  kern_return_t answer;
} seen;

static kern_return_t record(mach_port_t notify, mach_port_name_t name, mach_port_mscount_t mscount) {
  seen.calls++;
  seen.notify = notify;
  seen.name = name;
  seen.mscount = mscount;
  return seen.answer;
}

kern_return_t do_mach_notify_port_deleted(mach_port_t notify, mach_port_name_t name) {
  return record(notify, name, 0);
}

kern_return_t do_mach_notify_port_destroyed(mach_port_t notify, mach_port_t rights) {
  return record(notify, rights, 0);
}

kern_return_t do_mach_notify_no_senders(mach_port_t notify, mach_port_mscount_t mscount) {
  return record(notify, 0, mscount);
}

kern_return_t do_mach_notify_send_once(mach_port_t notify) {
  return record(notify, 0, 0);
}

kern_return_t do_mach_notify_dead_name(mach_port_t notify, mach_port_name_t name) {
  return record(notify, name, 0);
}

static int serve(union wire_buffer *in, union wire_buffer *out) {
  seen.calls = 0;
  return wire_serve(notify_server, in, out);
}

/* A simple notification: header, NDR, one 32-bit value (36 bytes), or the bare header. */
static void build(union wire_buffer *in, int32_t id, uint32_t size, uint32_t value) {
  memset(in, 0, sizeof *in);
  wire_put_header(in, NOTIFY_BITS, size, MACH_PORT_NULL, NOTIFY_PORT, id);
  if (size >= 36) {
    memcpy(in->bytes + 24, &NDR_record, 8);
    wire_put32(in, 32, value);
  }
}

/* MACH_NOTIFY_PORT_DESTROYED: complex, one port descriptor carrying the receive right. */
static void build_port_destroyed(union wire_buffer *in, unsigned disposition) {
  memset(in, 0, sizeof *in);
  wire_put_header(in, MACH_MSGH_BITS_COMPLEX | NOTIFY_BITS, 40, MACH_PORT_NULL, NOTIFY_PORT, 69);
  wire_put32(in, 24, 1);
  wire_put_port_desc(in, 28, 0x6607, disposition, MACH_MSG_PORT_DESCRIPTOR);
}

/* The reply of a notification: Apple's demux answers MACH_MSGH_BITS(0, 0) to MACH_PORT_NULL with
 * the work function's result in a 36-byte mig_reply_error_t (never sent: no reply port). */
#define expect_reply(out, id, retcode)                                                      \
  do {                                                                                      \
    wire_expect_reply_header(WIRE_HERE, out, MACH_MSGH_BITS(0, 0), MACH_PORT_NULL, id, 36); \
    WIRE_EXPECT("reply RetCode", wire_reply_retcode(out), retcode);                              \
  } while (0)

static void test_accepted(void) {
  union wire_buffer in, out;
  seen.answer = KERN_SUCCESS;
  build(&in, 70, 36, 5);
  WIRE_EXPECT("no-senders handled", serve(&in, &out), 1);
  WIRE_EXPECT("no-senders work function called", seen.calls, 1);
  WIRE_EXPECT("notify = msgh_local_port", seen.notify, NOTIFY_PORT);
  WIRE_EXPECT("mscount at offset 32", seen.mscount, 5);
  expect_reply(&out, 70, KERN_SUCCESS);

  build(&in, 72, 36, 0x7703);
  WIRE_EXPECT("dead-name handled", serve(&in, &out), 1);
  WIRE_EXPECT("dead name at offset 32", seen.name, 0x7703);
  expect_reply(&out, 72, KERN_SUCCESS);

  build(&in, 65, 36, 0x8803);
  seen.answer = KERN_FAILURE;
  WIRE_EXPECT("port-deleted handled", serve(&in, &out), 1);
  WIRE_EXPECT("deleted name at offset 32", seen.name, 0x8803);
  expect_reply(&out, 65, KERN_FAILURE);
  seen.answer = KERN_SUCCESS;

  build(&in, 71, 24, 0);
  WIRE_EXPECT("send-once handled", serve(&in, &out), 1);
  WIRE_EXPECT("send-once work function called", seen.calls, 1);
  expect_reply(&out, 71, KERN_SUCCESS);

  build_port_destroyed(&in, WIRE_PORT_RECEIVE);
  WIRE_EXPECT("port-destroyed handled", serve(&in, &out), 1);
  WIRE_EXPECT("receive right from the descriptor", seen.name, 0x6607);
  expect_reply(&out, 69, KERN_SUCCESS);
}

/* A request Apple's server rejects with <code> (see wire_expect_rejected). */
static void expect_rejected(union wire_buffer *in, int32_t id, kern_return_t code, const char *why) {
  wire_expect_rejected(why, notify_server, in, &seen.calls, MACH_MSGH_BITS(0, 0), MACH_PORT_NULL, id, code);
}

static void test_rejected(void) {
  union wire_buffer in;
  build(&in, 70, 40, 5);
  expect_rejected(&in, 70, MIG_BAD_ARGUMENTS, "no-senders of 40 bytes");
  build(&in, 70, 32, 5);
  expect_rejected(&in, 70, MIG_BAD_ARGUMENTS, "no-senders of 32 bytes");
  build(&in, 72, 36, 1);
  wire_put32(&in, WIRE_HEAD_BITS, MACH_MSGH_BITS_COMPLEX | NOTIFY_BITS);
  expect_rejected(&in, 72, MIG_BAD_ARGUMENTS, "dead-name with the complex bit");
  build(&in, 71, 28, 0);
  expect_rejected(&in, 71, MIG_BAD_ARGUMENTS, "send-once of 28 bytes");
  build_port_destroyed(&in, WIRE_PORT_RECEIVE);
  wire_put32(&in, WIRE_HEAD_BITS, NOTIFY_BITS);
  expect_rejected(&in, 69, MIG_BAD_ARGUMENTS, "port-destroyed without the complex bit");
  build_port_destroyed(&in, WIRE_PORT_RECEIVE);
  wire_put32(&in, 24, 2);
  expect_rejected(&in, 69, MIG_BAD_ARGUMENTS, "port-destroyed with 2 descriptors");
  build_port_destroyed(&in, WIRE_PORT_SEND);
  expect_rejected(&in, 69, MIG_TYPE_ERROR, "port-destroyed carrying a send right");
}

static void test_bad_ids(void) {
  const int32_t ids[] = {63, 64, 66, 67, 68, 73, 170};
  for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
    union wire_buffer in, out;
    build(&in, ids[i], 36, 1);
    WIRE_EXPECT("unknown id: demux returns FALSE", serve(&in, &out), 0);
    WIRE_EXPECT("unknown id: no work function", seen.calls, 0);
    expect_reply(&out, ids[i], MIG_BAD_ID);
  }
}

int main(void) {
  wire_check_facts();
  test_accepted();
  test_rejected();
  test_bad_ids();
  return wire_report(WIRE_CASE);
}
