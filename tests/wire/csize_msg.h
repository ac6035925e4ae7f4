/* The csize messages of the wire tests, laid out as Apple's stubs pack them (csize.facts): the
 * struct members take the 24 bytes of their C types (declared 16 and 20 in csize.defs), ints
 * carries three of its eight elements and moves tail up by 20 bytes. */
#ifndef OPENMIG_TESTS_WIRE_CSIZE_MSG_H
#define OPENMIG_TESTS_WIRE_CSIZE_MSG_H

#include "csize_types.h"
#include "wire_msg.h"

enum {
  CSIZE_PUT_ID = 7700,
  CSIZE_GET_ID = 7701,
  CSIZE_INTS = 3,
  /* csize_put request: sizeof(__Request__csize_put_t) 120 - 32 + 4 * 3 */
  CSIZE_PUT_REC = 32,
  CSIZE_PUT_AFTER = 56,
  CSIZE_PUT_INTS_CNT = 60,
  CSIZE_PUT_INTS = 64,
  CSIZE_PUT_TAIL = 76,
  CSIZE_PUT_SIZE = 100,
  /* csize_get reply: sizeof(__Reply__csize_get_t) 124 - 32 + 4 * 3 */
  CSIZE_GET_REC = 36,
  CSIZE_GET_AFTER = 60,
  CSIZE_GET_INTS_CNT = 64,
  CSIZE_GET_INTS = 68,
  CSIZE_GET_TAIL = 80,
  CSIZE_GET_SIZE = 104,
};

/* The values every csize test sends and expects. */
static const csize_rec_t csize_rec = {0x1122334455667788ull, 0xa1b2c3d4u, {1, 2, 3, 4, 5}};
static const csize_tail_ct csize_tail = {0x0102030405060708ull, 0x1112131415161718ull, 0x21222324u};
static const int32_t csize_after = -7;
static const int32_t csize_ints[CSIZE_INTS] = {10, 20, 30};

/* Writes rec, after, intsCnt, ints and tail at <rec>, <rec> + 24, ... as Apple's stubs do. */
static inline void csize_put_values(union wire_buffer *m, size_t rec) {
  memcpy(m->bytes + rec, &csize_rec, sizeof csize_rec);
  wire_put32(m, rec + 24, (uint32_t)csize_after);
  wire_put32(m, rec + 28, CSIZE_INTS);
  memcpy(m->bytes + rec + 32, csize_ints, sizeof csize_ints);
  memcpy(m->bytes + rec + 32 + sizeof csize_ints, &csize_tail, sizeof csize_tail);
}

/* 0 when <m> holds the values of csize_put_values at <rec>, else the number of the first that
 * differs (1 rec, 2 after, 3 intsCnt, 4 ints, 5 tail). The padding at the end of the structs
 * (rec 17..23, tail 20..23) is not compared: C assignment need not copy it. */
static inline int csize_values_differ(const union wire_buffer *m, size_t rec) {
  union wire_buffer expected;
  const size_t spans[][2] = {{0, 17}, {24, 4}, {28, 4}, {32, sizeof csize_ints},
                             {32 + sizeof csize_ints, 20}};
  memset(&expected, 0, sizeof expected);
  csize_put_values(&expected, rec);
  for (int i = 0; i < 5; i++) {
    if (memcmp(m->bytes + rec + spans[i][0], expected.bytes + rec + spans[i][0], spans[i][1]) != 0) {
      return i + 1;
    }
  }
  return 0;
}

#endif /* OPENMIG_TESTS_WIRE_CSIZE_MSG_H */
