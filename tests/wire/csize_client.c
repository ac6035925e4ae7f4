/* Wire test of OpenMIG's csize client stubs (csize.facts): a server thread checks that the
 * csize_put request our csizeUser.c sends puts the struct members at their C sizes, as Apple's
 * user stub does, and answers csize_get with a reply built at Apple's offsets, whose values the
 * stub must return. */
#include <mach/mach.h>
#include <mach/mach_port.h>
#include <mach/mig_errors.h>
#include <mach/ndr.h>

#include "csize_msg.h"
#include "wire_check.h"
#include WIRE_USER_HEADER

#include <pthread.h>

static void answer(union wire_buffer *in) {
  union wire_buffer reply;
  memset(&reply, 0, sizeof reply);
  if (wire_get32(in, WIRE_HEAD_ID) == CSIZE_PUT_ID) {
    WIRE_EXPECT("csize_put request size: 120 - 32 + 4 * 3", wire_get32(in, WIRE_HEAD_SIZE),
                CSIZE_PUT_SIZE);
    WIRE_EXPECT("csize_put bits", wire_get32(in, WIRE_HEAD_BITS), WIRE_RECEIVED_BITS);
    WIRE_EXPECT("NDR int_rep at 28 (NDR at 24)", in->bytes[28], NDR_record.int_rep);
    WIRE_EXPECT("request values at the C offsets (0: all; else the first that differs)",
                csize_values_differ(in, CSIZE_PUT_REC), 0);
    wire_send_reply(in, &reply, 36);
    return;
  }
  WIRE_EXPECT("csize_get id", wire_get32(in, WIRE_HEAD_ID), CSIZE_GET_ID);
  WIRE_EXPECT("csize_get request size", wire_get32(in, WIRE_HEAD_SIZE), 24);
  csize_put_values(&reply, CSIZE_GET_REC);
  wire_send_reply(in, &reply, CSIZE_GET_SIZE);
}

int main(void) {
  pthread_t server;
  mach_port_t port = wire_new_port();
  struct wire_server server_loop = {port, 2, answer};
  if (pthread_create(&server, NULL, wire_server_thread, &server_loop) != 0) {
    return 2;
  }
  int32_t ints[CSIZE_INTS];
  memcpy(ints, csize_ints, sizeof ints);
  WIRE_EXPECT("csize_put", csize_put(port, csize_rec, csize_after, ints, CSIZE_INTS, csize_tail),
              KERN_SUCCESS);

  csize_rec_t rec;
  csize_tail_ct tail;
  int32_t after = 0, got[8] = {0};
  mach_msg_type_number_t count = 8;
  memset(&rec, 0, sizeof rec);
  memset(&tail, 0, sizeof tail);
  WIRE_EXPECT("csize_get", csize_get(port, &rec, &after, got, &count, &tail), KERN_SUCCESS);
  WIRE_EXPECT("rec.id", rec.id == csize_rec.id, 1);
  WIRE_EXPECT("rec.flags", rec.flags, csize_rec.flags);
  WIRE_EXPECT("rec.tag", memcmp(rec.tag, csize_rec.tag, sizeof rec.tag), 0);
  WIRE_EXPECT("after", after, csize_after);
  WIRE_EXPECT("intsCnt", count, CSIZE_INTS);
  WIRE_EXPECT("ints", memcmp(got, csize_ints, sizeof csize_ints), 0);
  WIRE_EXPECT("tail.first", tail.first == csize_tail.first, 1);
  WIRE_EXPECT("tail.second", tail.second == csize_tail.second, 1);
  WIRE_EXPECT("tail.third", tail.third, csize_tail.third);
  pthread_join(server, NULL);
  return wire_report(WIRE_CASE "-client");
}
