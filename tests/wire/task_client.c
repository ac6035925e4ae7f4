/* Wire test of OpenMIG's user stubs for task routines (task.facts): our mach_ports_register
 * sends an out-of-line port array that a server thread checks at Apple's offsets, and our
 * task_get_exception_ports decodes a reply built as Apple's server builds it (32 port
 * descriptors, two of them named, then three SameCount arrays packed from offset 424). */
#include <mach/mach.h>
#include <mach/mach_port.h>
#include <mach/mig_errors.h>
#include <mach/ndr.h>
#include <mach/vm_map.h>

#include "wire_check.h"
#include "wire_msg.h"
#include WIRE_USER_HEADER

#include <pthread.h>

enum { REQUESTS = 2, GET_EXC_PACKED = 424 };

static mach_port_t server_port;
static mach_port_t handler_rights[2]; /* receive rights whose send rights the reply carries */

static void answer_register(const union wire_buffer *in) {
  union wire_buffer reply;
  WIRE_EXPECT("register bits", wire_get32(in, WIRE_HEAD_BITS), MACH_MSGH_BITS_COMPLEX | WIRE_RECEIVED_BITS);
  WIRE_EXPECT("register size", wire_get32(in, WIRE_HEAD_SIZE), 56);
  WIRE_EXPECT("one descriptor", wire_get32(in, 24), 1);
  WIRE_EXPECT("OOL ports type", in->bytes[28 + WIRE_OOL_TYPE], MACH_MSG_OOL_PORTS_DESCRIPTOR);
  WIRE_EXPECT("OOL ports disposition as received (COPY_SEND -> PORT_SEND)",
              in->bytes[28 + WIRE_OOL_DISPOSITION], WIRE_PORT_SEND);
  WIRE_EXPECT("OOL ports count", wire_get32(in, 28 + WIRE_OOL_SIZE), 2);
  WIRE_EXPECT("NDR int_rep at 48", in->bytes[48], NDR_record.int_rep);
  WIRE_EXPECT("init_port_setCnt at 52", wire_get32(in, 52), 2);
  uint64_t address;
  memcpy(&address, in->bytes + 28, sizeof address);
  mach_port_t *ports = (mach_port_t *)(uintptr_t)address;
  if (ports != NULL) {
    WIRE_EXPECT("received rights are valid names", ports[0] != MACH_PORT_NULL && ports[1] != MACH_PORT_NULL, 1);
    mach_port_deallocate(mach_task_self(), ports[0]);
    mach_port_deallocate(mach_task_self(), ports[1]);
    vm_deallocate(mach_task_self(), (vm_address_t)address, 2 * sizeof(mach_port_t));
  }
  memset(&reply, 0, sizeof reply);
  wire_send_reply(in, &reply, 36);
}

static void answer_get_exception_ports(const union wire_buffer *in) {
  union wire_buffer reply;
  WIRE_EXPECT("get_exception_ports bits", wire_get32(in, WIRE_HEAD_BITS), WIRE_RECEIVED_BITS);
  WIRE_EXPECT("get_exception_ports size", wire_get32(in, WIRE_HEAD_SIZE), 36);
  WIRE_EXPECT("exception_mask at 32", wire_get32(in, 32), 0x3fe);
  memset(&reply, 0, sizeof reply);
  wire_put32(&reply, 24, 32);
  for (uint32_t i = 0; i < 32; i++) {
    mach_port_t name = i < 2 ? handler_rights[i] : MACH_PORT_NULL;
    wire_put_port_desc(&reply, 28 + 12 * i, name, i < 2 ? MACH_MSG_TYPE_MAKE_SEND : MACH_MSG_TYPE_COPY_SEND,
                       MACH_MSG_PORT_DESCRIPTOR);
  }
  memcpy(reply.bytes + 412, &NDR_record, 8);
  wire_put32(&reply, 420, 2);                  /* masksCnt */
  wire_put32(&reply, GET_EXC_PACKED, 0x2);      /* masks */
  wire_put32(&reply, GET_EXC_PACKED + 4, 0x4);
  wire_put32(&reply, GET_EXC_PACKED + 8, 1);    /* old_behaviors */
  wire_put32(&reply, GET_EXC_PACKED + 12, 3);
  wire_put32(&reply, GET_EXC_PACKED + 16, 7);   /* old_flavors */
  wire_put32(&reply, GET_EXC_PACKED + 20, 9);
  wire_send_reply_bits(in, &reply, GET_EXC_PACKED + 24, MACH_MSGH_BITS_COMPLEX);
}

static void answer(union wire_buffer *in) {
  if (wire_get32(in, WIRE_HEAD_ID) == 3403) {
    answer_register(in);
  } else {
    answer_get_exception_ports(in);
  }
}

int main(void) {
  pthread_t server;
  server_port = wire_new_port();
  mach_port_t registered[2] = {wire_new_port(), wire_new_port()};
  for (int i = 0; i < 2; i++) {
    mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &handler_rights[i]);
  }
  struct wire_server server_loop = {server_port, REQUESTS, answer};
  if (pthread_create(&server, NULL, wire_server_thread, &server_loop) != 0) {
    return 2;
  }

  WIRE_EXPECT("mach_ports_register", wire_mach_ports_register(server_port, registered, 2), KERN_SUCCESS);

  exception_mask_t masks[32] = {0};
  mach_port_t handlers[32] = {0};
  exception_behavior_t behaviors[32] = {0};
  thread_state_flavor_t flavors[32] = {0};
  mach_msg_type_number_t count = 32;
  WIRE_EXPECT("task_get_exception_ports",
              wire_task_get_exception_ports(server_port, 0x3fe, masks, &count, handlers, behaviors, flavors),
              KERN_SUCCESS);
  WIRE_EXPECT("masksCnt from offset 420", count, 2);
  WIRE_EXPECT("masks[1] from offset 428", masks[1], 0x4);
  WIRE_EXPECT("old_behaviors[1] from offset 436 (packed)", behaviors[1], 3);
  WIRE_EXPECT("old_flavors[1] from offset 444 (packed)", flavors[1], 9);
  WIRE_EXPECT("old_handlers[0] is a send right", handlers[0] != MACH_PORT_NULL, 1);
  WIRE_EXPECT("old_handlers[1] is a send right", handlers[1] != MACH_PORT_NULL, 1);
  for (int i = 0; i < 2; i++) {
    if (handlers[i] != MACH_PORT_NULL) {
      mach_port_deallocate(mach_task_self(), handlers[i]);
    }
  }
  pthread_join(server, NULL);
  return wire_report(WIRE_CASE "-client");
}
