/* Byte-level access to Mach messages laid out as Apple's MIG lays them out on LP64 (offsets from
 * tests/wire/<interface>.facts), so the wire tests build requests without OpenMIG's generated typedefs. */
#ifndef OPENMIG_TESTS_WIRE_MSG_H
#define OPENMIG_TESTS_WIRE_MSG_H

#include <mach/message.h>

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* A message buffer, aligned like mach_msg_header_t, large enough for every tested message. */
union wire_buffer {
  uint64_t align;
  unsigned char bytes[8192];
};

/* Darwin's mach_msg_header_t on LP64: bits, size, remote, local, voucher, id (24 bytes). */
enum {
  WIRE_HEAD_BITS = 0,
  WIRE_HEAD_SIZE = 4,
  WIRE_HEAD_REMOTE = 8,
  WIRE_HEAD_LOCAL = 12,
  WIRE_HEAD_VOUCHER = 16,
  WIRE_HEAD_ID = 20,
  WIRE_HEAD_END = 24,
  /* mach_msg_port_descriptor_t: name, pad1, pad2:16, disposition:8, type:8 (12 bytes). */
  WIRE_PORT_DESC_NAME = 0,
  WIRE_PORT_DESC_DISPOSITION = 10,
  WIRE_PORT_DESC_TYPE = 11,
  /* mach_msg_ool_descriptor_t and mach_msg_ool_ports_descriptor_t (16 bytes): address (8),
   * deallocate, copy, pad (OOL) or disposition (OOL ports), type, then size or count. */
  WIRE_OOL_DEALLOCATE = 8,
  WIRE_OOL_COPY = 9,
  WIRE_OOL_DISPOSITION = 10,
  WIRE_OOL_TYPE = 11,
  WIRE_OOL_SIZE = 12,
  /* Dispositions as received (Apple's checks compare against these numbers). */
  WIRE_PORT_RECEIVE = 16,
  WIRE_PORT_SEND = 17,
  WIRE_PORT_SEND_ONCE = 18,
  WIRE_COPY_SEND = 19,
  /* Names of the request and reply ports in hand-built requests. */
  WIRE_REQUEST_PORT = 0x1103,
  WIRE_REPLY_PORT = 0x2207,
};

/* A received request: the reply right (send-once) remote, the request port (send) local. */
#define WIRE_RECEIVED_BITS MACH_MSGH_BITS(WIRE_PORT_SEND_ONCE, WIRE_PORT_SEND)
/* A reply to it, as Apple's demux sets it up. */
#define WIRE_REPLY_BITS MACH_MSGH_BITS(WIRE_PORT_SEND_ONCE, 0)

static inline void wire_put32(union wire_buffer *m, size_t off, uint32_t v) {
  memcpy(m->bytes + off, &v, sizeof v);
}

static inline void wire_put64(union wire_buffer *m, size_t off, uint64_t v) {
  memcpy(m->bytes + off, &v, sizeof v);
}

static inline uint32_t wire_get32(const union wire_buffer *m, size_t off) {
  uint32_t v;
  memcpy(&v, m->bytes + off, sizeof v);
  return v;
}

static inline void wire_put_header(union wire_buffer *m, uint32_t bits, uint32_t size,
                                   uint32_t remote, uint32_t local, int32_t id) {
  wire_put32(m, WIRE_HEAD_BITS, bits);
  wire_put32(m, WIRE_HEAD_SIZE, size);
  wire_put32(m, WIRE_HEAD_REMOTE, remote);
  wire_put32(m, WIRE_HEAD_LOCAL, local);
  wire_put32(m, WIRE_HEAD_VOUCHER, 0);
  wire_put32(m, WIRE_HEAD_ID, (uint32_t)id);
}

static inline void wire_put_port_desc(union wire_buffer *m, size_t off, uint32_t name,
                                      unsigned disposition, unsigned type) {
  memset(m->bytes + off, 0, 12);
  wire_put32(m, off + WIRE_PORT_DESC_NAME, name);
  m->bytes[off + WIRE_PORT_DESC_DISPOSITION] = (unsigned char)disposition;
  m->bytes[off + WIRE_PORT_DESC_TYPE] = (unsigned char)type;
}

/* A generated <subsys>_server() demux. */
typedef boolean_t (*wire_demux_fn)(mach_msg_header_t *request, mach_msg_header_t *reply);

/* Runs <demux> on <in> with <out> prefilled with 0xa5 bytes; returns the demux's result. */
int wire_serve(wire_demux_fn demux, union wire_buffer *in, union wire_buffer *out);

/* Checks the reply header Apple's demux and stub write: msgh_bits
 * MACH_MSGH_BITS(<reply_disposition>, 0) (the request's remote disposition, plus COMPLEX for a
 * complex reply), remote port <reply_port>, no local port, id <request_id> + 100 and <size>. */
void wire_expect_reply_header(const char *where, const union wire_buffer *out,
                              uint32_t reply_bits, uint32_t reply_port, int32_t request_id,
                              uint32_t size);

/* Receives one message on <port> into <in> (blocking); records a failure as a mismatch and
 * returns 0 then, 1 on success. */
int wire_receive(mach_port_t port, union wire_buffer *in);

/* Sends <reply> (filled after the NDR record) as Apple's server sends a reply to <request>:
 * MACH_MSGH_BITS(MOVE_SEND_ONCE, 0) to the request's reply right, id + 100, NDR_record, <size>. */
void wire_send_reply(const union wire_buffer *request, union wire_buffer *reply, uint32_t size);

/* wire_send_reply with <extra_bits> (MACH_MSGH_BITS_COMPLEX) ORed into msgh_bits; the NDR record
 * is not written (a complex reply places its own after the descriptors, if any). */
void wire_send_reply_bits(const union wire_buffer *request, union wire_buffer *reply, uint32_t size,
                          uint32_t extra_bits);

/* A client test's server thread: receives <count> messages on <port> and hands each to <answer>. */
struct wire_server {
  mach_port_t port;
  int count;
  void (*answer)(union wire_buffer *in);
};

/* pthread start routine running a struct wire_server; stops early (recording a mismatch) when a
 * receive fails. Returns NULL. */
void *wire_server_thread(void *server);

/* A new receive right with one send right under the same name (a server or a stand-in port). */
mach_port_t wire_new_port(void);

/* Runs <demux> on a request Apple's server rejects (<why> names the case): the demux handles it,
 * the work function is not called (*calls stays 0) and the reply is a 36-byte mig_reply_error_t
 * with <code>, header as in wire_expect_reply_header. */
void wire_expect_rejected(const char *why, wire_demux_fn demux, union wire_buffer *in, int *calls,
                          uint32_t reply_bits, uint32_t reply_port, int32_t request_id, int32_t code);

/* The RetCode of a simple reply (offset 32, after the header and the NDR record). */
int32_t wire_reply_retcode(const union wire_buffer *out);

#endif /* OPENMIG_TESTS_WIRE_MSG_H */
