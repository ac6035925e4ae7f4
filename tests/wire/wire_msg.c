/* Wire tests: running a generated demux on hand-built requests and checking the reply header
 * against Apple's (see wire_msg.h). */
#include "wire_msg.h"

#include "wire_check.h"

#include <mach/mach.h>
#include <mach/mach_port.h>
#include <mach/ndr.h>

int wire_serve(wire_demux_fn demux, union wire_buffer *in, union wire_buffer *out) {
  memset(out, 0xa5, sizeof *out);
  return demux((mach_msg_header_t *)(void *)in->bytes, (mach_msg_header_t *)(void *)out->bytes) ? 1 : 0;
}

void wire_expect_reply_header(const char *where, const union wire_buffer *out,
                              uint32_t reply_bits, uint32_t reply_port, int32_t request_id,
                              uint32_t size) {
  wire_expect(where, "reply msgh_bits", wire_get32(out, WIRE_HEAD_BITS), reply_bits);
  wire_expect(where, "reply msgh_size", wire_get32(out, WIRE_HEAD_SIZE), size);
  wire_expect(where, "reply msgh_remote_port", wire_get32(out, WIRE_HEAD_REMOTE), reply_port);
  wire_expect(where, "reply msgh_local_port", wire_get32(out, WIRE_HEAD_LOCAL), 0);
  wire_expect(where, "reply msgh_id", (int32_t)wire_get32(out, WIRE_HEAD_ID),
              (long long)request_id + 100);
}

void wire_expect_rejected(const char *why, wire_demux_fn demux, union wire_buffer *in, int *calls,
                          uint32_t reply_bits, uint32_t reply_port, int32_t request_id, int32_t code) {
  union wire_buffer out;
  *calls = 0;
  wire_expect(why, "demux handles the id", wire_serve(demux, in, &out), 1);
  wire_expect(why, "work function calls", *calls, 0);
  wire_expect_reply_header(why, &out, reply_bits, reply_port, request_id, 36);
  wire_expect(why, "mig_reply_error_t RetCode", wire_reply_retcode(&out), code);
}

int32_t wire_reply_retcode(const union wire_buffer *out) {
  return (int32_t)wire_get32(out, 32);
}

int wire_receive(mach_port_t port, union wire_buffer *in) {
  mach_msg_return_t mr = mach_msg((mach_msg_header_t *)(void *)in->bytes, MACH_RCV_MSG, 0,
                                  sizeof in->bytes, port, MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL);
  wire_expect("wire_receive", "mach_msg receive", mr, MACH_MSG_SUCCESS);
  return mr == MACH_MSG_SUCCESS;
}

void *wire_server_thread(void *server) {
  const struct wire_server *s = server;
  for (int i = 0; i < s->count; i++) {
    union wire_buffer in;
    if (!wire_receive(s->port, &in)) {
      break;
    }
    s->answer(&in);
  }
  return NULL;
}

mach_port_t wire_new_port(void) {
  mach_port_t port = MACH_PORT_NULL;
  wire_expect("wire_new_port", "mach_port_allocate",
              mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &port), KERN_SUCCESS);
  wire_expect("wire_new_port", "mach_port_insert_right",
              mach_port_insert_right(mach_task_self(), port, port, MACH_MSG_TYPE_MAKE_SEND), KERN_SUCCESS);
  return port;
}

void wire_send_reply(const union wire_buffer *request, union wire_buffer *reply, uint32_t size) {
  memcpy(reply->bytes + 24, &NDR_record, 8);
  wire_send_reply_bits(request, reply, size, 0);
}

void wire_send_reply_bits(const union wire_buffer *request, union wire_buffer *reply, uint32_t size,
                          uint32_t extra_bits) {
  wire_put_header(reply, extra_bits | MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0), size,
                  wire_get32(request, WIRE_HEAD_REMOTE), MACH_PORT_NULL,
                  (int32_t)wire_get32(request, WIRE_HEAD_ID) + 100);
  wire_expect("wire_send_reply", "mach_msg send",
              mach_msg((mach_msg_header_t *)(void *)reply->bytes, MACH_SEND_MSG, size, 0,
                       MACH_PORT_NULL, MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL),
              MACH_MSG_SUCCESS);
}
