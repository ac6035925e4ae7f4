/* Wire test of OpenMIG's user stubs for mach_port routines (mach_port.facts): a server thread
 * receives what our mach_port_subsetUser.c sends through the in-process runtime, checks it at
 * Apple's offsets and answers as Apple's server lays replies out: two out-of-line arrays, a
 * polymorphic port, a port-only reply, a CountInOut array. */
#include <mach/mach.h>
#include <mach/mach_port.h>
#include <mach/mig_errors.h>
#include <mach/ndr.h>
#include <mach/openmig_stats.h>
#include <mach/vm_map.h>

#include "wire_check.h"
#include "wire_msg.h"
#include WIRE_USER_HEADER

#include <pthread.h>

enum { REQUESTS = 9 };

/* How the server thread answers the next mach_port_names / request_notification request. */
static enum {
  REPLY_APPLE,           /* as Apple's server does */
  REPLY_ERROR,           /* mig_reply_error_t with KERN_FAILURE */
  REPLY_ONE_DESCRIPTOR,  /* complex, but descriptor count 1 */
  REPLY_WRONG_TYPE,      /* types sent in a port descriptor */
  REPLY_WRONG_DISPOSITION, /* previous arrives as a send right instead of a send-once right */
} reply_variant;

static mach_port_t server_port;
static mach_port_t extracted_right; /* the receive right whose send right extract_right returns */
static const mach_port_name_t names_sent[3] = {0x103, 0x207, 0x30b};
static const mach_port_type_t types_sent[3] = {0x10000, 0x20000, 0x30000};

static void put_ool(union wire_buffer *m, size_t off, const void *address, uint32_t size) {
  uint64_t a = (uint64_t)(uintptr_t)address;
  memset(m->bytes + off, 0, 16);
  memcpy(m->bytes + off, &a, sizeof a);
  m->bytes[off + WIRE_OOL_DEALLOCATE] = 0;
  m->bytes[off + WIRE_OOL_COPY] = MACH_MSG_VIRTUAL_COPY;
  m->bytes[off + WIRE_OOL_TYPE] = MACH_MSG_OOL_DESCRIPTOR;
  wire_put32(m, off + WIRE_OOL_SIZE, size);
}

/* Checks the request header as received: bits, size, id, the task port as local port. */
static void expect_request(const union wire_buffer *in, int complex, uint32_t size, int32_t id) {
  WIRE_EXPECT("request bits", wire_get32(in, WIRE_HEAD_BITS),
              (complex ? MACH_MSGH_BITS_COMPLEX : 0) | MACH_MSGH_BITS(WIRE_PORT_SEND_ONCE, WIRE_PORT_SEND));
  WIRE_EXPECT("request size", wire_get32(in, WIRE_HEAD_SIZE), size);
  WIRE_EXPECT("request id", (int32_t)wire_get32(in, WIRE_HEAD_ID), id);
}

static void send_complex(const union wire_buffer *in, union wire_buffer *reply, uint32_t size) {
  wire_send_reply_bits(in, reply, size, MACH_MSGH_BITS_COMPLEX);
}

static void answer(union wire_buffer *in) {
  union wire_buffer reply;
  memset(&reply, 0, sizeof reply);
  switch ((int32_t)wire_get32(in, WIRE_HEAD_ID)) {
  case 3200: /* names: header only; reply with two OOL arrays, NDR at 60, counts at 68/72 */
    expect_request(in, 0, 24, 3200);
    if (reply_variant == REPLY_ERROR) {
      wire_put32(&reply, 32, KERN_FAILURE);
      break;
    }
    wire_put32(&reply, 24, reply_variant == REPLY_ONE_DESCRIPTOR ? 1 : 2);
    put_ool(&reply, 28, names_sent, sizeof names_sent);
    if (reply_variant == REPLY_WRONG_TYPE) {
      wire_put_port_desc(&reply, 44, MACH_PORT_NULL, MACH_MSG_TYPE_COPY_SEND, MACH_MSG_PORT_DESCRIPTOR);
    } else {
      put_ool(&reply, 44, types_sent, sizeof types_sent);
    }
    memcpy(reply.bytes + 60, &NDR_record, 8);
    wire_put32(&reply, 68, 3);
    wire_put32(&reply, 72, 3);
    send_complex(in, &reply, 76);
    return;
  case 3214: /* insert_right: poly descriptor at 28 carrying MAKE_SEND, name at 48 */
    expect_request(in, 1, 52, 3214);
    WIRE_EXPECT("one descriptor", wire_get32(in, 24), 1);
    WIRE_EXPECT("poly disposition as received (MAKE_SEND -> WIRE_PORT_SEND)",
                in->bytes[28 + WIRE_PORT_DESC_DISPOSITION], WIRE_PORT_SEND);
    WIRE_EXPECT("name at 48", wire_get32(in, 48), 0x7703);
    mach_port_deallocate(mach_task_self(), wire_get32(in, 28));
    break;
  case 3215: /* extract_right: msgt_name at 36; reply with one port descriptor, no NDR */
    expect_request(in, 0, 40, 3215);
    WIRE_EXPECT("msgt_name at 36", wire_get32(in, 36), MACH_MSG_TYPE_MAKE_SEND);
    wire_put32(&reply, 24, 1);
    wire_put_port_desc(&reply, 28, extracted_right, MACH_MSG_TYPE_MAKE_SEND, MACH_MSG_PORT_DESCRIPTOR);
    send_complex(in, &reply, 40);
    return;
  case 3217: /* get_attributes: port_info_outCnt 10 at 40; reply Cnt 2 + 2 words */
    expect_request(in, 0, 44, 3217);
    WIRE_EXPECT("flavor at 36", wire_get32(in, 36), 5);
    WIRE_EXPECT("port_info_outCnt at 40 (CountInOut)", wire_get32(in, 40), 10);
    wire_put32(&reply, 36, 2);
    wire_put32(&reply, 40, 11);
    wire_put32(&reply, 44, 22);
    wire_send_reply(in, &reply, 48);
    return;
  case 3213: /* request_notification: notify descriptor (send-once) at 28, msgid at 52 */
    expect_request(in, 1, 60, 3213);
    WIRE_EXPECT("notify disposition as received", in->bytes[28 + WIRE_PORT_DESC_DISPOSITION], WIRE_PORT_SEND_ONCE);
    WIRE_EXPECT("msgid at 52", wire_get32(in, 52), 72);
    mach_port_deallocate(mach_task_self(), wire_get32(in, 28));
    wire_put32(&reply, 24, 1);
    if (reply_variant == REPLY_WRONG_DISPOSITION) {
      wire_put_port_desc(&reply, 28, extracted_right, MACH_MSG_TYPE_MAKE_SEND, MACH_MSG_PORT_DESCRIPTOR);
    } else {
      wire_put_port_desc(&reply, 28, MACH_PORT_NULL, MACH_MSG_TYPE_MOVE_SEND_ONCE, MACH_MSG_PORT_DESCRIPTOR);
    }
    send_complex(in, &reply, 40);
    return;
  default:
    WIRE_EXPECT("known request id", wire_get32(in, WIRE_HEAD_ID), 0);
    break;
  }
  wire_send_reply(in, &reply, 36);
}

int main(void) {
  pthread_t server;
  server_port = wire_new_port();
  mach_port_t some_port = wire_new_port();
  mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &extracted_right);
  struct wire_server server_loop = {server_port, REQUESTS, answer};
  if (pthread_create(&server, NULL, wire_server_thread, &server_loop) != 0) {
    return 2;
  }

  mach_port_name_array_t names = NULL;
  mach_port_type_array_t types = NULL;
  mach_msg_type_number_t names_count = 0, types_count = 0;
  WIRE_EXPECT("names", wire_mach_port_names(server_port, &names, &names_count, &types, &types_count),
              KERN_SUCCESS);
  WIRE_EXPECT("namesCnt", names_count, 3);
  WIRE_EXPECT("typesCnt", types_count, 3);
  WIRE_EXPECT("names copied out of line", names != NULL && names[2] == 0x30b, 1);
  WIRE_EXPECT("types copied out of line", types != NULL && types[1] == 0x20000, 1);
  if (names != NULL) {
    vm_deallocate(mach_task_self(), (vm_address_t)names, sizeof names_sent);
  }
  if (types != NULL) {
    vm_deallocate(mach_task_self(), (vm_address_t)types, sizeof types_sent);
  }

  WIRE_EXPECT("insert_right", wire_mach_port_insert_right(server_port, 0x7703, some_port, MACH_MSG_TYPE_MAKE_SEND),
              KERN_SUCCESS);

  mach_port_t poly = MACH_PORT_NULL;
  mach_msg_type_name_t poly_poly = 0;
  WIRE_EXPECT("extract_right", wire_mach_port_extract_right(server_port, 0x7703, MACH_MSG_TYPE_MAKE_SEND,
                                                            &poly, &poly_poly), KERN_SUCCESS);
  WIRE_EXPECT("polyPoly as received", poly_poly, WIRE_PORT_SEND);
  WIRE_EXPECT("a send right arrived", poly != MACH_PORT_NULL, 1);
  if (poly != MACH_PORT_NULL) {
    mach_port_deallocate(mach_task_self(), poly);
  }

  integer_t info[17] = {0};
  mach_msg_type_number_t info_count = 10;
  WIRE_EXPECT("get_attributes", wire_mach_port_get_attributes(server_port, 0x7703, 5, info, &info_count),
              KERN_SUCCESS);
  WIRE_EXPECT("port_info_outCnt from reply offset 36", info_count, 2);
  WIRE_EXPECT("port_info_out[1] from reply offset 44", info[1], 22);

  mach_port_t previous = 0x1234;
  WIRE_EXPECT("request_notification",
              wire_mach_port_request_notification(server_port, 0x7703, 72, 0, some_port,
                                                  MACH_MSG_TYPE_MAKE_SEND_ONCE, &previous), KERN_SUCCESS);
  WIRE_EXPECT("previous (a null port descriptor)", previous, MACH_PORT_NULL);

  /* Apple's client checks of a complex reply: a simple reply must be a mig_reply_error_t with a
   * nonzero RetCode (returned), otherwise the complex bit, descriptor count, size, descriptor
   * types and received dispositions must match, else MIG_TYPE_ERROR. */
  struct openmig_ipc_stats before, after;
  openmig_ipc_stats_get(&before);
  reply_variant = REPLY_ERROR;
  WIRE_EXPECT("names answered with mig_reply_error_t",
              wire_mach_port_names(server_port, &names, &names_count, &types, &types_count), KERN_FAILURE);
  reply_variant = REPLY_ONE_DESCRIPTOR;
  WIRE_EXPECT("names reply with descriptor count 1",
              wire_mach_port_names(server_port, &names, &names_count, &types, &types_count), MIG_TYPE_ERROR);
  reply_variant = REPLY_WRONG_TYPE;
  WIRE_EXPECT("names reply with a port descriptor for types",
              wire_mach_port_names(server_port, &names, &names_count, &types, &types_count), MIG_TYPE_ERROR);
  reply_variant = REPLY_WRONG_DISPOSITION;
  WIRE_EXPECT("request_notification reply with a send right as previous",
              wire_mach_port_request_notification(server_port, 0x7703, 72, 0, some_port,
                                                  MACH_MSG_TYPE_MAKE_SEND_ONCE, &previous), MIG_TYPE_ERROR);
  pthread_join(server, NULL);
  /* A rejected reply is destroyed (Apple: mach_msg_destroy): its out-of-line arrays are gone. */
  openmig_ipc_stats_get(&after);
  WIRE_EXPECT("no out-of-line region left by rejected replies", after.vm_regions, before.vm_regions);
  WIRE_EXPECT("no out-of-line bytes left by rejected replies", after.vm_bytes, before.vm_bytes);
  WIRE_EXPECT("no out-of-line region in transit", after.ool_regions, before.ool_regions);
  return wire_report(WIRE_CASE "-client");
}
