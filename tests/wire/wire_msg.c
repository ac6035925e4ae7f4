/* Wire tests: running a generated demux on hand-built requests and checking the reply header
 * against Apple's (see wire_msg.h). */
#include "wire_msg.h"

#include "wire_check.h"

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

int32_t wire_reply_retcode(const union wire_buffer *out) {
  return (int32_t)wire_get32(out, 32);
}
