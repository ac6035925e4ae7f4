/* -n round trip: requests for tests/golden/ndr.defs built by hand with a native and with a
 * byte-swapped (big-endian) NDR record go through the generated demux. The program's hook for
 * nd_add's `a` runs exactly when the int_rep differs, the default hooks convert `b` and the
 * variable array's count before the size check uses it, and the work functions see native
 * values either way. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <mach/mach.h>
#include <mach/mig.h>

#include "ndr.h"
#include "ndr_hooks.h"

extern boolean_t ndr_test_server(mach_msg_header_t *InHeadP, mach_msg_header_t *OutHeadP);

int ndr_hook_calls;

void ndr_test_convert_a(int32_t *value, unsigned char int_rep) {
  (void)int_rep;
  ndr_hook_calls++;
  int32_t v;
  memcpy(&v, value, sizeof v);
  v = (int32_t)__builtin_bswap32((uint32_t)v);
  memcpy(value, &v, sizeof v);
}

kern_return_t nd_add(mach_port_t server, nd_value_t a, int b, int *sum);
kern_return_t nd_add(mach_port_t server, nd_value_t a, int b, int *sum) {
  (void)server;
  *sum = a + b;
  return KERN_SUCCESS;
}

kern_return_t nd_list(mach_port_t server, nd_list_t list, mach_msg_type_number_t listCnt,
                      nd_block_t block, mach_msg_type_number_t blockCnt, nd_name_t name,
                      int *count);
kern_return_t nd_list(mach_port_t server, nd_list_t list, mach_msg_type_number_t listCnt,
                      nd_block_t block, mach_msg_type_number_t blockCnt, nd_name_t name,
                      int *count) {
  (void)server, (void)list, (void)block, (void)blockCnt, (void)name;
  *count = (int)listCnt;
  return KERN_SUCCESS;
}

static uint32_t swapped(uint32_t v) { return __builtin_bswap32(v); }

static int add_with(unsigned char int_rep, int32_t a, int32_t b, int *sum) {
  union {
    __Request__nd_add_t req;
    char bytes[256];
  } in;
  union {
    __Reply__nd_add_t rep;
    char bytes[256];
  } out;
  memset(&in, 0, sizeof in);
  memset(&out, 0, sizeof out);
  in.req.Head.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE);
  in.req.Head.msgh_size = (mach_msg_size_t)sizeof in.req;
  in.req.Head.msgh_id = 4400;
  in.req.NDR = NDR_record;
  in.req.NDR.int_rep = int_rep;
  uint32_t wa = (uint32_t)a, wb = (uint32_t)b;
  if (int_rep != NDR_record.int_rep) {
    wa = swapped(wa);
    wb = swapped(wb);
  }
  memcpy(&in.req.a, &wa, 4);
  memcpy(&in.req.b, &wb, 4);
  assert_true(ndr_test_server(&in.req.Head, &out.rep.Head));
  *sum = out.rep.sum;
  return out.rep.RetCode;
}

static void hook_runs_only_for_a_foreign_int_rep(void **state) {
  (void)state;
  int sum = 0;
  ndr_hook_calls = 0;
  assert_int_equal(add_with(NDR_record.int_rep, 5, 7, &sum), KERN_SUCCESS);
  assert_int_equal(sum, 12);
  assert_int_equal(ndr_hook_calls, 0);

  unsigned char foreign = NDR_record.int_rep == NDR_INT_LITTLE_ENDIAN ? NDR_INT_BIG_ENDIAN
                                                                      : NDR_INT_LITTLE_ENDIAN;
  assert_int_equal(add_with(foreign, 5, 7, &sum), KERN_SUCCESS);
  assert_int_equal(sum, 12); /* a through the program's hook, b through <mach/ndr.h>'s */
  assert_int_equal(ndr_hook_calls, 1);
  assert_int_equal(add_with(foreign, -300, 1000000, &sum), KERN_SUCCESS);
  assert_int_equal(sum, 999700);
  assert_int_equal(ndr_hook_calls, 2);
}

/* The count of a variable array is converted before the size check reads it. */
static void count_converted_before_the_size_check(void **state) {
  (void)state;
  unsigned char reps[2] = {NDR_record.int_rep, (unsigned char)!NDR_record.int_rep};
  for (int r = 0; r < 2; r++) {
    union {
      __Request__nd_list_t req;
      char bytes[512];
    } in;
    union {
      __Reply__nd_list_t rep;
      char bytes[512];
    } out;
    memset(&in, 0, sizeof in);
    memset(&out, 0, sizeof out);
    int block[2] = {1, 2};
    /* 3 list entries: everything after the list moves up by 5 entries. */
    mach_msg_type_number_t n = 3, shift = (8 - n) * 4;
    in.req.Head.msgh_bits = MACH_MSGH_BITS_COMPLEX |
                            MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE);
    in.req.Head.msgh_size = (mach_msg_size_t)(sizeof in.req - shift);
    in.req.Head.msgh_id = 4401;
    in.req.msgh_body.msgh_descriptor_count = 1;
    in.req.block.address = block;
    in.req.block.size = sizeof block;
    in.req.block.type = MACH_MSG_OOL_DESCRIPTOR;
    in.req.NDR = NDR_record;
    in.req.NDR.int_rep = reps[r];
    uint32_t wire_n = r ? swapped(n) : n, wire_block = r ? swapped(2) : 2;
    memcpy(&in.req.listCnt, &wire_n, 4);
    char *after = (char *)&in.req.blockCnt - shift;
    memcpy(after, &wire_block, 4);
    memcpy(after + 4, "name", 5);
    assert_true(ndr_test_server(&in.req.Head, &out.rep.Head));
    assert_int_equal(out.rep.RetCode, KERN_SUCCESS);
    assert_int_equal(out.rep.count, 3);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(hook_runs_only_for_a_foreign_int_rep),
      cmocka_unit_test(count_converted_before_the_size_check),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
