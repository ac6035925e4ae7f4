/* Wire test of OpenMIG's server for task routines against Apple's layouts (task.facts):
 * out-of-line port arrays in and out, and task_get_exception_ports' bounded port array (32
 * descriptors, always) followed by three SameCount arrays packed one after the other. */
#include <mach/mig_errors.h>
#include <mach/ndr.h>

#include "wire_check.h"
#include "wire_msg.h"
#include WIRE_SERVER_HEADER

enum {
  /* __Reply__task_get_exception_ports_t: 32 descriptors from 28, NDR 412, masksCnt 420, then
   * masks, old_behaviors, old_flavors packed from 424. */
  GET_EXC_MASKS_CNT = 420,
  GET_EXC_PACKED = 424,
};

static mach_port_t threads_out[2] = {0x3303, 0x3307};

static struct {
  int calls;
  mach_port_t task, port;
  mach_msg_type_number_t count;
  mach_port_t first;
  exception_mask_t mask;
  exception_behavior_t behavior;
  thread_state_flavor_t flavor;
} seen;

kern_return_t wire_srv_task_threads(task_t target_task, thread_act_array_t *act_list,
                                    mach_msg_type_number_t *act_listCnt) {
  seen.calls++;
  seen.task = target_task;
  *act_list = threads_out;
  *act_listCnt = 2;
  return KERN_SUCCESS;
}

kern_return_t wire_srv_mach_ports_register(task_t target_task, mach_port_array_t init_port_set,
                                           mach_msg_type_number_t init_port_setCnt) {
  seen.calls++;
  seen.task = target_task;
  seen.count = init_port_setCnt;
  seen.first = init_port_setCnt > 0 ? init_port_set[0] : MACH_PORT_NULL;
  return KERN_SUCCESS;
}

kern_return_t wire_srv_mach_ports_lookup(task_t target_task, mach_port_array_t *init_port_set,
                                         mach_msg_type_number_t *init_port_setCnt) {
  (void)target_task, (void)init_port_set, (void)init_port_setCnt;
  seen.calls++;
  return KERN_FAILURE;
}

kern_return_t wire_srv_task_set_exception_ports(task_t task, exception_mask_t exception_mask,
                                                mach_port_t new_port, exception_behavior_t behavior,
                                                thread_state_flavor_t new_flavor) {
  seen.calls++;
  seen.task = task;
  seen.mask = exception_mask;
  seen.port = new_port;
  seen.behavior = behavior;
  seen.flavor = new_flavor;
  return KERN_SUCCESS;
}

/* Two handlers: masks {0x2, 0x4}, behaviors {1, 3}, flavors {7, 9}. */
static kern_return_t answer_exception_ports(exception_mask_array_t masks, mach_msg_type_number_t *masksCnt,
                                            exception_handler_array_t handlers,
                                            exception_behavior_array_t behaviors,
                                            exception_flavor_array_t flavors) {
  seen.count = *masksCnt;
  masks[0] = 0x2, masks[1] = 0x4;
  handlers[0] = 0x4403, handlers[1] = 0x4407;
  behaviors[0] = 1, behaviors[1] = 3;
  flavors[0] = 7, flavors[1] = 9;
  *masksCnt = 2;
  return KERN_SUCCESS;
}

kern_return_t wire_srv_task_get_exception_ports(task_t task, exception_mask_t exception_mask,
                                                exception_mask_array_t masks, mach_msg_type_number_t *masksCnt,
                                                exception_handler_array_t old_handlers,
                                                exception_behavior_array_t old_behaviors,
                                                exception_flavor_array_t old_flavors) {
  seen.calls++;
  seen.task = task;
  seen.mask = exception_mask;
  return answer_exception_ports(masks, masksCnt, old_handlers, old_behaviors, old_flavors);
}

kern_return_t wire_srv_task_swap_exception_ports(task_t task, exception_mask_t exception_mask,
                                                 mach_port_t new_port, exception_behavior_t behavior,
                                                 thread_state_flavor_t new_flavor, exception_mask_array_t masks,
                                                 mach_msg_type_number_t *masksCnt,
                                                 exception_handler_array_t old_handlerss,
                                                 exception_behavior_array_t old_behaviors,
                                                 exception_flavor_array_t old_flavors) {
  (void)task, (void)exception_mask, (void)new_port, (void)behavior, (void)new_flavor;
  seen.calls++;
  return answer_exception_ports(masks, masksCnt, old_handlerss, old_behaviors, old_flavors);
}

static int serve(union wire_buffer *in, union wire_buffer *out) {
  memset(&seen, 0, sizeof seen);
  return wire_serve(task_server, in, out);
}

static void build(union wire_buffer *in, uint32_t bits, uint32_t size, int32_t id) {
  memset(in, 0, sizeof *in);
  wire_put_header(in, bits, size, WIRE_REPLY_PORT, WIRE_REQUEST_PORT, id);
}

/* A request Apple's server rejects with <code> (see wire_expect_rejected). */
static void expect_rejected(union wire_buffer *in, int32_t id, kern_return_t code, const char *why) {
  wire_expect_rejected(why, task_server, in, &seen.calls, WIRE_REPLY_BITS, WIRE_REPLY_PORT, id, code);
}

static void test_ool_ports(void) {
  union wire_buffer in, out;
  build(&in, WIRE_RECEIVED_BITS, 24, 3402);
  WIRE_EXPECT("task_threads handled", serve(&in, &out), 1);
  WIRE_EXPECT("task from msgh_local_port", seen.task, WIRE_REQUEST_PORT);
  wire_expect_reply_header(WIRE_HERE, &out, MACH_MSGH_BITS_COMPLEX | WIRE_REPLY_BITS, WIRE_REPLY_PORT, 3402, 56);
  WIRE_EXPECT("one descriptor", wire_get32(&out, 24), 1);
  uint64_t address;
  memcpy(&address, out.bytes + 28, sizeof address);
  WIRE_EXPECT("act_list address", address == (uint64_t)(uintptr_t)threads_out, 1);
  WIRE_EXPECT("act_list deallocate FALSE", out.bytes[28 + WIRE_OOL_DEALLOCATE], 0);
  WIRE_EXPECT("act_list copy PHYSICAL", out.bytes[28 + WIRE_OOL_COPY], MACH_MSG_PHYSICAL_COPY);
  WIRE_EXPECT("act_list disposition 19", out.bytes[28 + WIRE_OOL_DISPOSITION], WIRE_COPY_SEND);
  WIRE_EXPECT("act_list type OOL ports", out.bytes[28 + WIRE_OOL_TYPE], MACH_MSG_OOL_PORTS_DESCRIPTOR);
  WIRE_EXPECT("act_list count", wire_get32(&out, 28 + WIRE_OOL_SIZE), 2);
  WIRE_EXPECT("NDR int_rep at 48", out.bytes[48], NDR_record.int_rep);
  WIRE_EXPECT("act_listCnt at 52", wire_get32(&out, 52), 2);

  /* mach_ports_register: one OOL ports descriptor at 28 (received send rights), count at 52. */
  mach_port_t ports[3] = {0x5503, 0x5507, 0x550b};
  uint64_t ports_address = (uint64_t)(uintptr_t)ports;
  build(&in, MACH_MSGH_BITS_COMPLEX | WIRE_RECEIVED_BITS, 56, 3403);
  wire_put32(&in, 24, 1);
  memcpy(in.bytes + 28, &ports_address, sizeof ports_address);
  in.bytes[28 + WIRE_OOL_DISPOSITION] = WIRE_PORT_SEND;
  in.bytes[28 + WIRE_OOL_TYPE] = MACH_MSG_OOL_PORTS_DESCRIPTOR;
  wire_put32(&in, 28 + WIRE_OOL_SIZE, 3);
  memcpy(in.bytes + 44, &NDR_record, 8);
  wire_put32(&in, 52, 3);
  WIRE_EXPECT("mach_ports_register handled", serve(&in, &out), 1);
  WIRE_EXPECT("mach_ports_register called", seen.calls, 1);
  WIRE_EXPECT("init_port_setCnt", seen.count, 3);
  WIRE_EXPECT("init_port_set[0]", seen.first, 0x5503);
  wire_expect_reply_header(WIRE_HERE, &out, WIRE_REPLY_BITS, WIRE_REPLY_PORT, 3403, 36);
  in.bytes[28 + WIRE_OOL_TYPE] = MACH_MSG_OOL_DESCRIPTOR;
  expect_rejected(&in, 3403, MIG_TYPE_ERROR, "mach_ports_register with a plain OOL descriptor");

  /* A complex reply's error: a simple mig_reply_error_t. */
  build(&in, WIRE_RECEIVED_BITS, 24, 3404);
  WIRE_EXPECT("mach_ports_lookup handled", serve(&in, &out), 1);
  wire_expect_reply_header(WIRE_HERE, &out, WIRE_REPLY_BITS, WIRE_REPLY_PORT, 3404, 36);
  WIRE_EXPECT("error RetCode", wire_reply_retcode(&out), KERN_FAILURE);
}

static void build_set_exception_ports(union wire_buffer *in, int32_t id, unsigned disposition) {
  build(in, MACH_MSGH_BITS_COMPLEX | WIRE_RECEIVED_BITS, 60, id);
  wire_put32(in, 24, 1);
  wire_put_port_desc(in, 28, 0x6603, disposition, MACH_MSG_PORT_DESCRIPTOR);
  memcpy(in->bytes + 40, &NDR_record, 8);
  wire_put32(in, 48, 0x3fe);
  wire_put32(in, 52, 0x80000003u);
  wire_put32(in, 56, 7);
}

/* The reply of get/swap: 32 descriptors (2 named, 30 null), three arrays of two packed at 424. */
static void expect_exception_ports_reply(const char *where, const union wire_buffer *out, int32_t id) {
  wire_expect_reply_header(where, out, MACH_MSGH_BITS_COMPLEX | WIRE_REPLY_BITS, WIRE_REPLY_PORT, id, GET_EXC_PACKED + 24);
  wire_expect(where, "descriptor count is always 32", wire_get32(out, 24), 32);
  wire_expect(where, "old_handlers[1] name", wire_get32(out, 28 + 12), 0x4407);
  wire_expect(where, "old_handlers[1] type", out->bytes[28 + 12 + WIRE_PORT_DESC_TYPE], MACH_MSG_PORT_DESCRIPTOR);
  wire_expect(where, "old_handlers[1] disposition", out->bytes[28 + 12 + WIRE_PORT_DESC_DISPOSITION], WIRE_COPY_SEND);
  wire_expect(where, "old_handlers[31] is a null port descriptor", wire_get32(out, 28 + 31 * 12), MACH_PORT_NULL);
  wire_expect(where, "old_handlers[31] type", out->bytes[28 + 31 * 12 + WIRE_PORT_DESC_TYPE], MACH_MSG_PORT_DESCRIPTOR);
  wire_expect(where, "masksCnt at 420", wire_get32(out, GET_EXC_MASKS_CNT), 2);
  wire_expect(where, "masks[1] at 428", wire_get32(out, GET_EXC_PACKED + 4), 0x4);
  wire_expect(where, "old_behaviors[0] at 432 (packed after 2 masks)", wire_get32(out, GET_EXC_PACKED + 8), 1);
  wire_expect(where, "old_flavors[1] at 444", wire_get32(out, GET_EXC_PACKED + 20), 9);
}

static void test_exception_ports(void) {
  union wire_buffer in, out;
  build_set_exception_ports(&in, 3413, WIRE_PORT_SEND);
  WIRE_EXPECT("set_exception_ports handled", serve(&in, &out), 1);
  WIRE_EXPECT("new_port from the descriptor", seen.port, 0x6603);
  WIRE_EXPECT("exception_mask at 48", seen.mask, 0x3fe);
  WIRE_EXPECT("behavior at 52", (uint32_t)seen.behavior, 0x80000003u);
  WIRE_EXPECT("new_flavor at 56", seen.flavor, 7);
  wire_expect_reply_header(WIRE_HERE, &out, WIRE_REPLY_BITS, WIRE_REPLY_PORT, 3413, 36);
  build_set_exception_ports(&in, 3413, WIRE_PORT_SEND_ONCE);
  expect_rejected(&in, 3413, MIG_TYPE_ERROR, "new_port as a send-once right (Apple: != 17)");

  build(&in, WIRE_RECEIVED_BITS, 36, 3414);
  memcpy(in.bytes + 24, &NDR_record, 8);
  wire_put32(&in, 32, 0x3fe);
  WIRE_EXPECT("get_exception_ports handled", serve(&in, &out), 1);
  WIRE_EXPECT("exception_mask at 32", seen.mask, 0x3fe);
  WIRE_EXPECT("masksCnt preset to 32", seen.count, 32);
  expect_exception_ports_reply(WIRE_HERE, &out, 3414);

  build_set_exception_ports(&in, 3415, WIRE_PORT_SEND);
  WIRE_EXPECT("swap_exception_ports handled", serve(&in, &out), 1);
  expect_exception_ports_reply(WIRE_HERE, &out, 3415);
}

int main(void) {
  wire_check_facts();
  test_ool_ports();
  test_exception_ports();
  return wire_report(WIRE_CASE);
}
