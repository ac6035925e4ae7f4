/* Wire test of OpenMIG's server for mach_port routines against Apple's layouts
 * (mach_port.facts): out-of-line arrays and port-only replies without RetCode, polymorphic ports
 * in and out, CountInOut and a bounded inline array, each request built byte by byte and served
 * by the generated mach_port_server(). */
#include <mach/mig_errors.h>
#include <mach/ndr.h>

#include "wire_check.h"
#include "wire_msg.h"
#include WIRE_SERVER_HEADER

static mach_port_name_t names_out[3] = {0x103, 0x207, 0x30b};
static mach_port_type_t types_out[3] = {0x10000, 0x20000, 0x30000};

static struct {
  int calls;
  mach_port_t task, port;
  mach_port_name_t name;
  mach_msg_type_name_t poly;
  mach_msg_id_t msgid;
  mach_port_mscount_t sync;
  mach_port_flavor_t flavor;
  mach_msg_type_number_t count_on_entry;
  integer_t info[17];
} seen;

kern_return_t wire_srv_mach_port_names(ipc_space_t task, mach_port_name_array_t *names,
                                       mach_msg_type_number_t *namesCnt, mach_port_type_array_t *types,
                                       mach_msg_type_number_t *typesCnt) {
  seen.calls++;
  seen.task = task;
  *names = names_out;
  *namesCnt = 3;
  *types = types_out;
  *typesCnt = 2;
  return KERN_SUCCESS;
}

kern_return_t wire_srv_mach_port_allocate(ipc_space_t task, mach_port_right_t right, mach_port_name_t *name) {
  seen.calls++;
  seen.task = task;
  seen.name = right;
  *name = 0x4407;
  return KERN_SUCCESS;
}

kern_return_t wire_srv_mach_port_get_set_status(ipc_space_read_t task, mach_port_name_t name,
                                                mach_port_name_array_t *members,
                                                mach_msg_type_number_t *membersCnt) {
  (void)task, (void)name, (void)members, (void)membersCnt;
  seen.calls++;
  return KERN_INVALID_RIGHT;
}

kern_return_t wire_srv_mach_port_request_notification(ipc_space_t task, mach_port_name_t name,
                                                      mach_msg_id_t msgid, mach_port_mscount_t sync,
                                                      mach_port_t notify, mach_port_t *previous) {
  seen.calls++;
  seen.task = task;
  seen.name = name;
  seen.msgid = msgid;
  seen.sync = sync;
  seen.port = notify;
  *previous = 0x5503;
  return KERN_SUCCESS;
}

kern_return_t wire_srv_mach_port_insert_right(ipc_space_t task, mach_port_name_t name, mach_port_t poly,
                                              mach_msg_type_name_t polyPoly) {
  seen.calls++;
  seen.task = task;
  seen.name = name;
  seen.port = poly;
  seen.poly = polyPoly;
  return KERN_SUCCESS;
}

kern_return_t wire_srv_mach_port_extract_right(ipc_space_t task, mach_port_name_t name,
                                               mach_msg_type_name_t msgt_name, mach_port_t *poly,
                                               mach_msg_type_name_t *polyPoly) {
  seen.calls++;
  seen.name = name;
  seen.poly = msgt_name;
  *poly = 0x6603;
  *polyPoly = MACH_MSG_TYPE_MOVE_SEND;
  (void)task;
  return KERN_SUCCESS;
}

kern_return_t wire_srv_mach_port_get_attributes(ipc_space_read_t task, mach_port_name_t name,
                                                mach_port_flavor_t flavor, mach_port_info_t port_info_out,
                                                mach_msg_type_number_t *port_info_outCnt) {
  (void)task;
  seen.calls++;
  seen.name = name;
  seen.flavor = flavor;
  seen.count_on_entry = *port_info_outCnt;
  port_info_out[0] = 11;
  port_info_out[1] = 22;
  *port_info_outCnt = 2;
  return KERN_SUCCESS;
}

kern_return_t wire_srv_mach_port_set_attributes(ipc_space_t task, mach_port_name_t name,
                                                mach_port_flavor_t flavor, mach_port_info_t port_info,
                                                mach_msg_type_number_t port_infoCnt) {
  (void)task;
  seen.calls++;
  seen.name = name;
  seen.flavor = flavor;
  seen.count_on_entry = port_infoCnt;
  for (mach_msg_type_number_t i = 0; i < port_infoCnt && i < 17; i++) {
    seen.info[i] = port_info[i];
  }
  return KERN_SUCCESS;
}

static int serve(union wire_buffer *in, union wire_buffer *out) {
  memset(&seen, 0, sizeof seen);
  return wire_serve(mach_port_server, in, out);
}

/* A simple request: header, NDR (when longer than the header) and zeroed data. */
static void build_simple(union wire_buffer *in, int32_t id, uint32_t size) {
  memset(in, 0, sizeof *in);
  wire_put_header(in, WIRE_RECEIVED_BITS, size, WIRE_REPLY_PORT, WIRE_REQUEST_PORT, id);
  if (size > WIRE_HEAD_END) {
    memcpy(in->bytes + 24, &NDR_record, 8);
  }
}

/* A request with one port descriptor at 28, the NDR record at 40 and <name> at 48. */
static void build_one_port(union wire_buffer *in, int32_t id, uint32_t size, uint32_t port,
                           unsigned disposition) {
  memset(in, 0, sizeof *in);
  wire_put_header(in, MACH_MSGH_BITS_COMPLEX | WIRE_RECEIVED_BITS, size, WIRE_REPLY_PORT, WIRE_REQUEST_PORT, id);
  wire_put32(in, 24, 1);
  wire_put_port_desc(in, 28, port, disposition, MACH_MSG_PORT_DESCRIPTOR);
  memcpy(in->bytes + 40, &NDR_record, 8);
  wire_put32(in, 48, 0x7703);
}

/* A request Apple's server rejects with <code> (see wire_expect_rejected). */
static void expect_rejected(union wire_buffer *in, int32_t id, kern_return_t code, const char *why) {
  wire_expect_rejected(why, mach_port_server, in, &seen.calls, WIRE_REPLY_BITS, WIRE_REPLY_PORT, id, code);
}

/* mach_port_names: a 24-byte request; the reply carries two OOL descriptors, NDR at 60 and the
 * counts at 68 and 72, no RetCode (76 bytes, complex). */
static void test_names(void) {
  union wire_buffer in, out;
  build_simple(&in, 3200, 24);
  WIRE_EXPECT("names handled", serve(&in, &out), 1);
  WIRE_EXPECT("names called", seen.calls, 1);
  WIRE_EXPECT("task = msgh_local_port", seen.task, WIRE_REQUEST_PORT);
  wire_expect_reply_header(WIRE_HERE, &out, MACH_MSGH_BITS_COMPLEX | WIRE_REPLY_BITS, WIRE_REPLY_PORT,
                           3200, 76);
  WIRE_EXPECT("descriptor count", wire_get32(&out, 24), 2);
  uint64_t address;
  memcpy(&address, out.bytes + 28 + 0, sizeof address);
  WIRE_EXPECT("names address", address == (uint64_t)(uintptr_t)names_out, 1);
  WIRE_EXPECT("names size = 4 * count", wire_get32(&out, 28 + WIRE_OOL_SIZE), 12);
  WIRE_EXPECT("names type OOL", out.bytes[28 + WIRE_OOL_TYPE], MACH_MSG_OOL_DESCRIPTOR);
  WIRE_EXPECT("names copy VIRTUAL", out.bytes[28 + WIRE_OOL_COPY], MACH_MSG_VIRTUAL_COPY);
  WIRE_EXPECT("names deallocate FALSE", out.bytes[28 + WIRE_OOL_DEALLOCATE], 0);
  memcpy(&address, out.bytes + 44 + 0, sizeof address);
  WIRE_EXPECT("types address (descriptor at 44)", address == (uint64_t)(uintptr_t)types_out, 1);
  WIRE_EXPECT("types size", wire_get32(&out, 44 + WIRE_OOL_SIZE), 8);
  WIRE_EXPECT("reply NDR int_rep at 64", out.bytes[64], NDR_record.int_rep);
  WIRE_EXPECT("namesCnt at 68", wire_get32(&out, 68), 3);
  WIRE_EXPECT("typesCnt at 72", wire_get32(&out, 72), 2);

  build_simple(&in, 3200, 36);
  expect_rejected(&in, 3200, MIG_BAD_ARGUMENTS, "names request of 36 bytes");
}

/* An error from a routine whose reply is complex goes back as a simple mig_reply_error_t. */
static void test_complex_reply_error(void) {
  union wire_buffer in, out;
  build_simple(&in, 3211, 36);
  wire_put32(&in, 32, 0x8803);
  WIRE_EXPECT("get_set_status handled", serve(&in, &out), 1);
  wire_expect_reply_header(WIRE_HERE, &out, WIRE_REPLY_BITS, WIRE_REPLY_PORT, 3211, 36);
  WIRE_EXPECT("error RetCode", wire_reply_retcode(&out), KERN_INVALID_RIGHT);
}

static void test_allocate(void) {
  union wire_buffer in, out;
  build_simple(&in, 3204, 36);
  wire_put32(&in, 32, MACH_PORT_RIGHT_RECEIVE);
  WIRE_EXPECT("allocate handled", serve(&in, &out), 1);
  WIRE_EXPECT("right at 32", seen.name, MACH_PORT_RIGHT_RECEIVE);
  wire_expect_reply_header(WIRE_HERE, &out, WIRE_REPLY_BITS, WIRE_REPLY_PORT, 3204, 40);
  WIRE_EXPECT("RetCode", wire_reply_retcode(&out), KERN_SUCCESS);
  WIRE_EXPECT("name at 36", wire_get32(&out, 36), 0x4407);
}

/* Polymorphic in: the received disposition is passed as polyPoly; polymorphic out: the
 * disposition goes into the reply descriptor; a port-only reply has no NDR and no RetCode. */
static void test_poly(void) {
  union wire_buffer in, out;
  build_one_port(&in, 3214, 52, 0x9903, WIRE_PORT_SEND);
  WIRE_EXPECT("insert_right handled", serve(&in, &out), 1);
  WIRE_EXPECT("insert_right called", seen.calls, 1);
  WIRE_EXPECT("poly from the descriptor", seen.port, 0x9903);
  WIRE_EXPECT("polyPoly = received disposition", seen.poly, WIRE_PORT_SEND);
  WIRE_EXPECT("name at 48", seen.name, 0x7703);
  wire_expect_reply_header(WIRE_HERE, &out, WIRE_REPLY_BITS, WIRE_REPLY_PORT, 3214, 36);
  WIRE_EXPECT("RetCode", wire_reply_retcode(&out), KERN_SUCCESS);
  build_one_port(&in, 3214, 52, 0x9903, WIRE_PORT_SEND);
  wire_put32(&in, WIRE_HEAD_BITS, WIRE_RECEIVED_BITS);
  expect_rejected(&in, 3214, MIG_BAD_ARGUMENTS, "insert_right without the complex bit");

  build_simple(&in, 3215, 40);
  wire_put32(&in, 32, 0x7703);
  wire_put32(&in, 36, MACH_MSG_TYPE_MAKE_SEND);
  WIRE_EXPECT("extract_right handled", serve(&in, &out), 1);
  WIRE_EXPECT("msgt_name at 36", seen.poly, MACH_MSG_TYPE_MAKE_SEND);
  wire_expect_reply_header(WIRE_HERE, &out, MACH_MSGH_BITS_COMPLEX | WIRE_REPLY_BITS, WIRE_REPLY_PORT,
                           3215, 40);
  WIRE_EXPECT("one descriptor", wire_get32(&out, 24), 1);
  WIRE_EXPECT("poly name at 28", wire_get32(&out, 28), 0x6603);
  WIRE_EXPECT("poly disposition = polyPoly", out.bytes[28 + WIRE_PORT_DESC_DISPOSITION], MACH_MSG_TYPE_MOVE_SEND);
  WIRE_EXPECT("poly type", out.bytes[28 + WIRE_PORT_DESC_TYPE], MACH_MSG_PORT_DESCRIPTOR);

  build_one_port(&in, 3213, 60, 0xaa03, WIRE_PORT_SEND_ONCE);
  wire_put32(&in, 52, 72);  /* msgid */
  wire_put32(&in, 56, 1);   /* sync */
  WIRE_EXPECT("request_notification handled", serve(&in, &out), 1);
  WIRE_EXPECT("notify from the descriptor", seen.port, 0xaa03);
  WIRE_EXPECT("msgid at 52", seen.msgid, 72);
  WIRE_EXPECT("sync at 56", seen.sync, 1);
  wire_expect_reply_header(WIRE_HERE, &out, MACH_MSGH_BITS_COMPLEX | WIRE_REPLY_BITS, WIRE_REPLY_PORT,
                           3213, 40);
  WIRE_EXPECT("previous name at 28", wire_get32(&out, 28), 0x5503);
  WIRE_EXPECT("previous disposition MOVE_SEND_ONCE", out.bytes[28 + WIRE_PORT_DESC_DISPOSITION],
         MACH_MSG_TYPE_MOVE_SEND_ONCE);
  build_one_port(&in, 3213, 60, 0xaa03, WIRE_PORT_SEND);
  expect_rejected(&in, 3213, MIG_TYPE_ERROR, "notify arriving as a send right");
}

/* CountInOut: the request's count caps the reply's; a bounded inline array in the request. */
static void test_counts(void) {
  union wire_buffer in, out;
  build_simple(&in, 3217, 44);
  wire_put32(&in, 32, 0x7703);
  wire_put32(&in, 36, 5);  /* flavor */
  wire_put32(&in, 40, 10); /* port_info_outCnt */
  WIRE_EXPECT("get_attributes handled", serve(&in, &out), 1);
  WIRE_EXPECT("flavor at 36", seen.flavor, 5);
  WIRE_EXPECT("count on entry = min(request count, 17)", seen.count_on_entry, 10);
  wire_expect_reply_header(WIRE_HERE, &out, WIRE_REPLY_BITS, WIRE_REPLY_PORT, 3217, 40 + 8);
  WIRE_EXPECT("port_info_outCnt at 36", wire_get32(&out, 36), 2);
  WIRE_EXPECT("port_info_out[1] at 44", wire_get32(&out, 44), 22);
  build_simple(&in, 3217, 44);
  wire_put32(&in, 40, 40);
  WIRE_EXPECT("get_attributes with count 40 handled", serve(&in, &out), 1);
  WIRE_EXPECT("count on entry capped at 17", seen.count_on_entry, 17);

  build_simple(&in, 3218, 44 + 12);
  wire_put32(&in, 32, 0x7703);
  wire_put32(&in, 36, 6);
  wire_put32(&in, 40, 3);
  wire_put32(&in, 44, 100);
  wire_put32(&in, 52, 300);
  WIRE_EXPECT("set_attributes handled", serve(&in, &out), 1);
  WIRE_EXPECT("port_infoCnt", seen.count_on_entry, 3);
  WIRE_EXPECT("port_info[2] at 52", seen.info[2], 300);
  wire_expect_reply_header(WIRE_HERE, &out, WIRE_REPLY_BITS, WIRE_REPLY_PORT, 3218, 36);
  build_simple(&in, 3218, 44 + 72);
  wire_put32(&in, 40, 18);
  expect_rejected(&in, 3218, MIG_BAD_ARGUMENTS, "port_infoCnt 18 > 17");
  build_simple(&in, 3218, 44 + 16);
  wire_put32(&in, 40, 3);
  expect_rejected(&in, 3218, MIG_BAD_ARGUMENTS, "size not 44 + 4 * port_infoCnt");
}

int main(void) {
  wire_check_facts();
  test_names();
  test_complex_reply_error();
  test_allocate();
  test_poly();
  test_counts();
  return wire_report(WIRE_CASE);
}
