/* C types of tests/wire/csize.defs: each is larger than the struct[N] declaring it. */
#ifndef OPENMIG_TESTS_WIRE_CSIZE_TYPES_H
#define OPENMIG_TESTS_WIRE_CSIZE_TYPES_H

#include <stdint.h>

/* Declared struct[16] of bytes; 8 + 4 + 5 = 17 bytes, 24 with the tail padding. */
typedef struct {
  uint64_t id;
  uint32_t flags;
  uint8_t tag[5];
} csize_rec_t;

/* Declared struct[20] of uint8_t; 20 bytes of members, 24 with the tail padding. */
typedef struct {
  uint64_t first;
  uint64_t second;
  uint32_t third;
} csize_tail_ct;

/* array[*:8] of int32_t: passed as a pointer to its elements. */
typedef int32_t *csize_ints_t;

#endif /* OPENMIG_TESTS_WIRE_CSIZE_TYPES_H */
