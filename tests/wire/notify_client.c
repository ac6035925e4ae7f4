/* Wire test of OpenMIG's notify user stubs (simpleroutines, notify.facts): each notification our
 * notifyUser.c sends through the in-process runtime is received and checked byte by byte against
 * Apple's layout (sender bits MACH_MSGH_BITS(MOVE_SEND_ONCE, 0), no reply port). */
#include <mach/mach.h>
#include <mach/mach_port.h>
#include <mach/ndr.h>

#include "wire_check.h"
#include "wire_msg.h"
#include WIRE_USER_HEADER

/* A send-once right to <port> (the notify argument is mach_port_move_send_once_t). */
static mach_port_t send_once_to(mach_port_t port) {
  mach_port_t name = MACH_PORT_NULL;
  mach_msg_type_name_t type = 0;
  WIRE_EXPECT("send-once right made",
              mach_port_extract_right(mach_task_self(), port, MACH_MSG_TYPE_MAKE_SEND_ONCE, &name, &type),
              KERN_SUCCESS);
  return name;
}

/* Receives the notification on <port>; checks the header as received: the send-once right as
 * local port (18), no reply port, <size> and <id>. */
static void receive_notification(mach_port_t port, union wire_buffer *in, uint32_t complex, uint32_t size,
                                 int32_t id) {
  wire_receive(port, in);
  WIRE_EXPECT("bits as received", wire_get32(in, WIRE_HEAD_BITS),
              complex | MACH_MSGH_BITS(0, WIRE_PORT_SEND_ONCE));
  WIRE_EXPECT("no reply port", wire_get32(in, WIRE_HEAD_REMOTE), MACH_PORT_NULL);
  WIRE_EXPECT("local port is the notify port", wire_get32(in, WIRE_HEAD_LOCAL), port);
  WIRE_EXPECT("size", wire_get32(in, WIRE_HEAD_SIZE), size);
  WIRE_EXPECT("id", (int32_t)wire_get32(in, WIRE_HEAD_ID), id);
}

int main(void) {
  union wire_buffer in;
  mach_port_t port = wire_new_port();

  WIRE_EXPECT("no_senders sent", mach_notify_no_senders(send_once_to(port), 7), MACH_MSG_SUCCESS);
  receive_notification(port, &in, 0, 36, 70);
  WIRE_EXPECT("NDR int_rep at 28", in.bytes[28], NDR_record.int_rep);
  WIRE_EXPECT("mscount at 32", wire_get32(&in, 32), 7);

  WIRE_EXPECT("dead_name sent", mach_notify_dead_name(send_once_to(port), 0x7703), MACH_MSG_SUCCESS);
  receive_notification(port, &in, 0, 36, 72);
  WIRE_EXPECT("name at 32", wire_get32(&in, 32), 0x7703);

  WIRE_EXPECT("send_once sent", mach_notify_send_once(send_once_to(port)), MACH_MSG_SUCCESS);
  receive_notification(port, &in, 0, 24, 71);

  mach_port_t rights = MACH_PORT_NULL;
  mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &rights);
  WIRE_EXPECT("port_destroyed sent", mach_notify_port_destroyed(send_once_to(port), rights), MACH_MSG_SUCCESS);
  receive_notification(port, &in, MACH_MSGH_BITS_COMPLEX, 40, 69);
  WIRE_EXPECT("one descriptor", wire_get32(&in, 24), 1);
  WIRE_EXPECT("rights type", in.bytes[28 + WIRE_PORT_DESC_TYPE], MACH_MSG_PORT_DESCRIPTOR);
  WIRE_EXPECT("rights disposition as received (MOVE_RECEIVE)", in.bytes[28 + WIRE_PORT_DESC_DISPOSITION],
              WIRE_PORT_RECEIVE);
  mach_port_mod_refs(mach_task_self(), wire_get32(&in, 28), MACH_PORT_RIGHT_RECEIVE, -1);
  return wire_report(WIRE_CASE "-client");
}
