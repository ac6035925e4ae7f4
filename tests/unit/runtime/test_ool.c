/* Out-of-line memory: copy versus move (zero-copy hand-over of owned pages), memory the sender
 * does not own, size 0, invalid memory, OOL port arrays, vm_allocate / vm_deallocate. */
#include "core_test_util.h"

#include <stdlib.h>

typedef struct {
  mach_msg_header_t header;
  mach_msg_body_t body;
  mach_msg_ool_descriptor_t ool;
  mach_msg_max_trailer_t trailer;
} ool_msg_t;

static mach_msg_return_t send_ool(mach_port_t dest, void *addr, mach_msg_size_t size,
                                  boolean_t dealloc) {
  ool_msg_t m;
  memset(&m, 0, sizeof m);
  m.header.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND, 0) | MACH_MSGH_BITS_COMPLEX;
  m.header.msgh_remote_port = dest;
  m.header.msgh_id = 600;
  m.body.msgh_descriptor_count = 1;
  m.ool.address = addr;
  m.ool.size = size;
  m.ool.deallocate = dealloc;
  m.ool.copy = MACH_MSG_VIRTUAL_COPY;
  m.ool.type = MACH_MSG_OOL_DESCRIPTOR;
  return mach_msg(&m.header, MACH_SEND_MSG, offsetof(ool_msg_t, trailer), 0, 0, 0, 0);
}

static void recv_ool(mach_port_t port, ool_msg_t *m) {
  memset(m, 0, sizeof *m);
  assert_int_equal(mach_msg(&m->header, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof *m, port, 20000, 0),
                   MACH_MSG_SUCCESS);
  assert_int_equal(m->ool.type, MACH_MSG_OOL_DESCRIPTOR);
}

static void test_copy_is_a_snapshot(void **state) {
  (void)state;
  mach_port_t p = new_port();
  size_t len = 10000;
  unsigned char *buf = malloc(len);
  for (size_t i = 0; i < len; i++) buf[i] = (unsigned char)i;
  assert_int_equal(send_ool(p, buf, (mach_msg_size_t)len, FALSE), MACH_MSG_SUCCESS);
  assert_int_equal(stats_now().ool_regions, leak_baseline.ool_regions + 1);
  memset(buf, 0xee, len); /* after the send: the receiver must see the old bytes */
  ool_msg_t m;
  recv_ool(p, &m);
  assert_int_equal(m.ool.size, len);
  assert_ptr_not_equal(m.ool.address, buf);
  unsigned char *got = m.ool.address;
  for (size_t i = 0; i < len; i++) assert_int_equal(got[i], (unsigned char)i);
  /* The region is the receiver's, page-rounded and zero beyond the data. */
  assert_int_equal(((uintptr_t)got) % vm_page_size, 0);
  assert_int_equal(got[len], 0);
  assert_int_equal(stats_now().vm_regions, leak_baseline.vm_regions + 1);
  assert_int_equal(vm_deallocate(SELF, (vm_address_t)got, m.ool.size), KERN_SUCCESS);
  free(buf);
  assert_int_equal(mach_port_destroy(SELF, p), KERN_SUCCESS);
}

static void test_move_hands_over_owned_pages(void **state) {
  (void)state;
  mach_port_t p = new_port();
  vm_address_t addr = 0;
  size_t len = 3 * vm_page_size;
  assert_int_equal(vm_allocate(SELF, &addr, len, VM_FLAGS_ANYWHERE), KERN_SUCCESS);
  assert_int_equal(((unsigned char *)addr)[100], 0); /* zero-filled */
  memset((void *)addr, 0x5a, len);
  assert_int_equal(stats_now().vm_bytes, leak_baseline.vm_bytes + len);
  assert_int_equal(send_ool(p, (void *)addr, (mach_msg_size_t)len, TRUE), MACH_MSG_SUCCESS);
  /* The sender gave the pages up: they travel with the message, nothing copied. */
  assert_int_equal(stats_now().vm_bytes, leak_baseline.vm_bytes);
  assert_int_equal(stats_now().ool_bytes, leak_baseline.ool_bytes + len);
  ool_msg_t m;
  recv_ool(p, &m);
  assert_ptr_equal(m.ool.address, (void *)addr);
  assert_int_equal(((unsigned char *)m.ool.address)[len - 1], 0x5a);
  assert_int_equal(stats_now().vm_bytes, leak_baseline.vm_bytes + len);
  /* Moving part of a region: the pages sent leave, the rest stays the sender's. */
  assert_int_equal(send_ool(p, (char *)addr + vm_page_size, (mach_msg_size_t)vm_page_size, TRUE),
                   MACH_MSG_SUCCESS);
  assert_int_equal(stats_now().vm_bytes, leak_baseline.vm_bytes + 2 * vm_page_size);
  assert_int_equal(stats_now().vm_regions, leak_baseline.vm_regions + 2);
  recv_ool(p, &m);
  assert_int_equal(vm_deallocate(SELF, (vm_address_t)m.ool.address, m.ool.size), KERN_SUCCESS);
  assert_int_equal(vm_deallocate(SELF, addr, len), KERN_SUCCESS); /* frees what is left */
  assert_int_equal(mach_port_destroy(SELF, p), KERN_SUCCESS);
}

static void test_move_of_memory_not_owned_copies(void **state) {
  (void)state;
  mach_port_t p = new_port();
  char text[] = "not from vm_allocate";
  assert_int_equal(send_ool(p, text, sizeof text, TRUE), MACH_MSG_SUCCESS);
  assert_string_equal(text, "not from vm_allocate"); /* left alone */
  ool_msg_t m;
  recv_ool(p, &m);
  assert_string_equal(m.ool.address, "not from vm_allocate");
  /* Unaligned start inside an owned region: copied, then the covering pages are released. */
  vm_address_t addr = 0;
  assert_int_equal(vm_allocate(SELF, &addr, vm_page_size, VM_FLAGS_ANYWHERE), KERN_SUCCESS);
  strcpy((char *)addr + 8, "inside");
  assert_int_equal(send_ool(p, (char *)addr + 8, 7, TRUE), MACH_MSG_SUCCESS);
  assert_int_equal(stats_now().vm_regions, leak_baseline.vm_regions + 1); /* only m's region */
  ool_msg_t m2;
  recv_ool(p, &m2);
  assert_string_equal(m2.ool.address, "inside");
  mach_msg_destroy(&m.header);
  mach_msg_destroy(&m2.header);
  assert_int_equal(mach_port_destroy(SELF, p), KERN_SUCCESS);
}

static void test_size_zero_and_invalid_memory(void **state) {
  (void)state;
  mach_port_t p = new_port();
  assert_int_equal(send_ool(p, NULL, 0, FALSE), MACH_MSG_SUCCESS);
  ool_msg_t m;
  recv_ool(p, &m);
  assert_null(m.ool.address);
  assert_int_equal(m.ool.size, 0);
  assert_int_equal(send_ool(p, NULL, 16, FALSE), MACH_SEND_INVALID_MEMORY);
  assert_int_equal(send_ool(p, (void *)(uintptr_t)0x10, 4096, FALSE), MACH_SEND_INVALID_MEMORY);
  assert_int_equal(send_ool(p, (void *)(uintptr_t)0x10, 1 << 20, TRUE), MACH_SEND_INVALID_MEMORY);
  assert_int_equal(status_of(p).mps_msgcount, 0);
  /* The destination right (MAKE_SEND) was taken and destroyed: no send right lingers. */
  assert_int_equal(status_of(p).mps_srights, FALSE);
  assert_int_equal(mach_port_destroy(SELF, p), KERN_SUCCESS);
}

static void test_destroyed_message_frees_its_region(void **state) {
  (void)state;
  mach_port_t p = new_port();
  static char data[50000];
  assert_int_equal(send_ool(p, data, sizeof data, FALSE), MACH_MSG_SUCCESS);
  assert_int_equal(stats_now().ool_regions, leak_baseline.ool_regions + 1);
  assert_int_equal(mach_port_destroy(SELF, p), KERN_SUCCESS);
}

typedef struct {
  mach_msg_header_t header;
  mach_msg_body_t body;
  mach_msg_ool_ports_descriptor_t ports;
  mach_msg_max_trailer_t trailer;
} ports_msg_t;

static void test_ool_port_arrays(void **state) {
  (void)state;
  mach_port_t dest = new_port();
  mach_port_t a = new_port(), b = new_port();
  mach_port_t names[4] = { a, b, MACH_PORT_NULL, MACH_PORT_DEAD };
  ports_msg_t m;
  memset(&m, 0, sizeof m);
  m.header.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND, 0) | MACH_MSGH_BITS_COMPLEX;
  m.header.msgh_remote_port = dest;
  m.body.msgh_descriptor_count = 1;
  m.ports.address = names;
  m.ports.count = 4;
  m.ports.disposition = MACH_MSG_TYPE_MAKE_SEND;
  m.ports.type = MACH_MSG_OOL_PORTS_DESCRIPTOR;
  assert_int_equal(mach_msg(&m.header, MACH_SEND_MSG, offsetof(ports_msg_t, trailer), 0, 0, 0, 0),
                   MACH_MSG_SUCCESS);
  assert_int_equal(status_of(a).mps_srights, TRUE);
  memset(&m, 0, sizeof m);
  assert_int_equal(mach_msg(&m.header, MACH_RCV_MSG, 0, sizeof m, dest, 0, 0), MACH_MSG_SUCCESS);
  assert_int_equal(m.ports.count, 4);
  assert_int_equal(m.ports.disposition, MACH_MSG_TYPE_PORT_SEND);
  mach_port_t *got = m.ports.address;
  assert_int_equal(got[0], a);
  assert_int_equal(got[1], b);
  assert_int_equal(got[2], MACH_PORT_NULL);
  assert_int_equal(got[3], MACH_PORT_DEAD);
  assert_int_equal(type_of(a), MACH_PORT_TYPE_SEND_RECEIVE);
  mach_msg_destroy(&m.header); /* releases the rights and the array */
  assert_int_equal(type_of(a), MACH_PORT_TYPE_RECEIVE);
  /* A bad name in the array: the rights taken before it are destroyed, nothing leaks. */
  mach_port_t bad[3] = { a, 0x7777703, b };
  memset(&m, 0, sizeof m);
  m.header.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND, 0) | MACH_MSGH_BITS_COMPLEX;
  m.header.msgh_remote_port = dest;
  m.body.msgh_descriptor_count = 1;
  m.ports.address = bad;
  m.ports.count = 3;
  m.ports.disposition = MACH_MSG_TYPE_MAKE_SEND;
  m.ports.type = MACH_MSG_OOL_PORTS_DESCRIPTOR;
  assert_int_equal(mach_msg(&m.header, MACH_SEND_MSG, offsetof(ports_msg_t, trailer), 0, 0, 0, 0),
                   MACH_SEND_INVALID_RIGHT);
  assert_int_equal(status_of(a).mps_srights, FALSE);
  m.ports.address = (void *)(uintptr_t)0x20;
  assert_int_equal(mach_msg(&m.header, MACH_SEND_MSG, offsetof(ports_msg_t, trailer), 0, 0, 0, 0),
                   MACH_SEND_INVALID_MEMORY);
  m.ports.address = bad;
  m.ports.disposition = 3;
  assert_int_equal(mach_msg(&m.header, MACH_SEND_MSG, offsetof(ports_msg_t, trailer), 0, 0, 0, 0),
                   MACH_SEND_INVALID_TYPE);
  assert_int_equal(mach_port_destroy(SELF, dest), KERN_SUCCESS);
  assert_int_equal(mach_port_destroy(SELF, a), KERN_SUCCESS);
  assert_int_equal(mach_port_destroy(SELF, b), KERN_SUCCESS);
}

static void test_vm_allocate_and_deallocate(void **state) {
  (void)state;
  vm_address_t a = 1;
  assert_int_equal(vm_allocate(SELF, &a, 0, VM_FLAGS_ANYWHERE), KERN_SUCCESS);
  assert_int_equal(a, 0);
  assert_int_equal(vm_allocate(SELF, &a, 100, VM_FLAGS_ANYWHERE), KERN_SUCCESS);
  assert_int_equal(stats_now().vm_bytes, leak_baseline.vm_bytes + vm_page_size);
  /* Fixed placement at a taken address fails; at a free one works. */
  vm_address_t b = a;
  assert_int_equal(vm_allocate(SELF, &b, vm_page_size, VM_FLAGS_FIXED), KERN_NO_SPACE);
  b = a + 1;
  assert_int_equal(vm_allocate(SELF, &b, vm_page_size, VM_FLAGS_FIXED), KERN_INVALID_ARGUMENT);
  assert_int_equal(vm_deallocate(SELF, a, 100), KERN_SUCCESS);
  b = a;
  assert_int_equal(vm_allocate(SELF, &b, vm_page_size, VM_FLAGS_FIXED), KERN_SUCCESS);
  assert_int_equal(b, a);
  assert_int_equal(vm_deallocate(SELF, b, vm_page_size), KERN_SUCCESS);
  /* Memory libmach did not hand out is never unmapped. */
  char local[64] = "keep";
  assert_int_equal(vm_deallocate(SELF, (vm_address_t)local, sizeof local), KERN_SUCCESS);
  assert_string_equal(local, "keep");
  assert_int_equal(vm_deallocate(SELF, 0, 0), KERN_SUCCESS);
  assert_int_equal(vm_allocate(MACH_PORT_NULL, &a, 10, VM_FLAGS_ANYWHERE), KERN_INVALID_ARGUMENT);
  /* mig_allocate-style use: many regions, released out of order. */
  vm_address_t r[8];
  for (int i = 0; i < 8; i++)
    assert_int_equal(vm_allocate(SELF, &r[i], (i + 1) * 1000, VM_FLAGS_ANYWHERE), KERN_SUCCESS);
  for (int i = 7; i >= 0; i -= 2) assert_int_equal(vm_deallocate(SELF, r[i], (i + 1) * 1000), KERN_SUCCESS);
  for (int i = 0; i < 8; i += 2) assert_int_equal(vm_deallocate(SELF, r[i], (i + 1) * 1000), KERN_SUCCESS);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    LEAK_CHECKED_TEST(test_copy_is_a_snapshot),
    LEAK_CHECKED_TEST(test_move_hands_over_owned_pages),
    LEAK_CHECKED_TEST(test_move_of_memory_not_owned_copies),
    LEAK_CHECKED_TEST(test_size_zero_and_invalid_memory),
    LEAK_CHECKED_TEST(test_destroyed_message_frees_its_region),
    LEAK_CHECKED_TEST(test_ool_port_arrays),
    LEAK_CHECKED_TEST(test_vm_allocate_and_deallocate),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
