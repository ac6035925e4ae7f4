/* Pins the Darwin 64-bit user ABI of the public <mach/...> headers: sizes, offsets and
 * constant values that generated code and macOS programs depend on. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <mach/mach.h>
#include <mach/notify.h>
#include <mach/mig_errors.h>
#include <mach/ndr.h>

/* Sizes and offsets (Darwin LP64 user space). */
_Static_assert(sizeof(mach_port_name_t) == 4, "port names are 32-bit");
_Static_assert(sizeof(mach_port_t) == 4, "mach_port_t is a name in user space");
_Static_assert(sizeof(kern_return_t) == 4, "kern_return_t is int");
_Static_assert(sizeof(boolean_t) == 4, "boolean_t is 32-bit");
_Static_assert(sizeof(mach_msg_header_t) == 24, "header is 24 bytes");
_Static_assert(offsetof(mach_msg_header_t, msgh_size) == 4, "msgh_size");
_Static_assert(offsetof(mach_msg_header_t, msgh_remote_port) == 8, "msgh_remote_port");
_Static_assert(offsetof(mach_msg_header_t, msgh_local_port) == 12, "msgh_local_port");
_Static_assert(offsetof(mach_msg_header_t, msgh_voucher_port) == 16, "msgh_voucher_port");
_Static_assert(offsetof(mach_msg_header_t, msgh_id) == 20, "msgh_id");
_Static_assert(sizeof(mach_msg_body_t) == 4, "body");
_Static_assert(sizeof(mach_msg_base_t) == 28, "base");
_Static_assert(sizeof(mach_msg_type_descriptor_t) == 12, "type descriptor");
_Static_assert(sizeof(mach_msg_port_descriptor_t) == 12, "port descriptor");
_Static_assert(sizeof(mach_msg_ool_descriptor_t) == 16, "ool descriptor");
_Static_assert(offsetof(mach_msg_ool_descriptor_t, size) == 12, "ool size after the bits");
_Static_assert(sizeof(mach_msg_ool_ports_descriptor_t) == 16, "ool ports descriptor");
_Static_assert(offsetof(mach_msg_ool_ports_descriptor_t, count) == 12, "ool ports count");
_Static_assert(sizeof(mach_msg_guarded_port_descriptor_t) == 16, "guarded port descriptor");
_Static_assert(offsetof(mach_msg_guarded_port_descriptor_t, name) == 12, "guarded name");
_Static_assert(sizeof(mach_msg_ool_descriptor32_t) == 12, "ool32");
_Static_assert(sizeof(mach_msg_ool_descriptor64_t) == 16, "ool64");
_Static_assert(sizeof(mach_msg_ool_ports_descriptor32_t) == 12, "oolp32");
_Static_assert(sizeof(mach_msg_ool_ports_descriptor64_t) == 16, "oolp64");
_Static_assert(sizeof(mach_msg_guarded_port_descriptor32_t) == 12, "guarded32");
_Static_assert(sizeof(mach_msg_guarded_port_descriptor64_t) == 16, "guarded64");
_Static_assert(sizeof(mach_msg_descriptor_t) == 16, "descriptor union");
_Static_assert(_Alignof(mach_msg_ool_descriptor_t) == 4, "descriptors are packed to 4");
_Static_assert(sizeof(mach_msg_trailer_t) == 8, "trailer");
_Static_assert(sizeof(mach_msg_seqno_trailer_t) == 12, "seqno trailer");
_Static_assert(sizeof(security_token_t) == 8, "security token");
_Static_assert(sizeof(audit_token_t) == 32, "audit token");
_Static_assert(sizeof(mach_msg_security_trailer_t) == 20, "security trailer");
_Static_assert(sizeof(mach_msg_audit_trailer_t) == 52, "audit trailer");
_Static_assert(offsetof(mach_msg_audit_trailer_t, msgh_audit) == 20, "audit offset");
_Static_assert(sizeof(mach_msg_context_trailer_t) == 60, "context trailer");
_Static_assert(offsetof(mach_msg_context_trailer_t, msgh_context) == 52, "context offset");
_Static_assert(sizeof(mach_msg_mac_trailer_t) == 68, "mac trailer");
_Static_assert(MAX_TRAILER_SIZE == 68, "max trailer");
_Static_assert(sizeof(mach_msg_format_0_trailer_t) == 20, "format 0 trailer");
_Static_assert(sizeof(NDR_record_t) == 8, "NDR record");
_Static_assert(sizeof(mig_reply_error_t) == 36, "mig_reply_error_t");
_Static_assert(offsetof(mig_reply_error_t, RetCode) == 32, "RetCode");
_Static_assert(sizeof(mach_port_status_t) == 40, "port status");
_Static_assert(sizeof(mach_port_limits_t) == 4, "port limits");
_Static_assert(sizeof(mach_port_qos_t) == 8, "qos");
_Static_assert(sizeof(mach_port_options_t) == 24, "port options");
_Static_assert(sizeof(mach_port_info_ext_t) == 68, "info ext");
_Static_assert(MACH_PORT_RECEIVE_STATUS_COUNT == 10, "status count");
_Static_assert(sizeof(mach_no_senders_notification_t) == 56, "no-senders notification");
_Static_assert(sizeof(mach_dead_name_notification_t) == 56, "dead-name notification");
_Static_assert(sizeof(mach_port_destroyed_notification_t) == 60, "port-destroyed notification");
_Static_assert(sizeof(mach_send_once_notification_t) == 44, "send-once notification");
_Static_assert(sizeof(mach_port_context_t) == 8, "context is 64-bit");
_Static_assert(sizeof(vm_address_t) == sizeof(void *), "vm_address_t");
_Static_assert(sizeof(struct routine_descriptor) == 40, "routine descriptor");

/* Values. */
_Static_assert(MACH_PORT_DEAD == 0xffffffffu, "dead");
_Static_assert(MACH_PORT_TYPE_SEND == 0x10000 && MACH_PORT_TYPE_RECEIVE == 0x20000, "types");
_Static_assert(MACH_PORT_TYPE_SEND_ONCE == 0x40000 && MACH_PORT_TYPE_PORT_SET == 0x80000, "types");
_Static_assert(MACH_PORT_TYPE_DEAD_NAME == 0x100000, "dead name type");
_Static_assert(MACH_PORT_MAKE(1, MACH_PORT_GEN(3)) == 0x103, "name scheme");
_Static_assert(MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE) == 0x1513,
               "bits");
_Static_assert(MACH_MSGH_BITS_LOCAL(0x1513) == 21 && MACH_MSGH_BITS_REMOTE(0x1513) == 19, "bits");
_Static_assert(MACH_RCV_TRAILER_TYPE(MACH_MSG_TRAILER_FORMAT_0) == 0, "trailer type");
_Static_assert(MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_AUDIT) == 0x03000000, "elements");
_Static_assert(REQUESTED_TRAILER_SIZE(MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_AUDIT)) == 52,
               "requested size");
_Static_assert(REQUESTED_TRAILER_SIZE(0) == 8, "default trailer");
_Static_assert(round_msg(25) == 28 && round_msg(24) == 24, "round_msg");
_Static_assert(MACH_SEND_INVALID_DEST == 0x10000003 && MACH_RCV_TOO_LARGE == 0x10004004, "rc");
_Static_assert(MACH_SEND_TIMED_OUT == 0x10000004 && MACH_RCV_TIMED_OUT == 0x10004003, "rc");
_Static_assert(MACH_RCV_PORT_DIED == 0x10004009 && MACH_SEND_INVALID_RIGHT == 0x1000000a, "rc");
_Static_assert(MIG_TYPE_ERROR == -300 && MIG_TRAILER_ERROR == -309, "mig errors");
_Static_assert(MACH_NOTIFY_NO_SENDERS == 70 && MACH_NOTIFY_SEND_ONCE == 71, "notify ids");
_Static_assert(MACH_NOTIFY_DEAD_NAME == 72 && MACH_NOTIFY_PORT_DESTROYED == 69, "notify ids");
_Static_assert(MACH_NOTIFY_PORT_DELETED == 65 && MACH_NOTIFY_SEND_POSSIBLE == 66, "notify ids");
_Static_assert(KERN_UREFS_OVERFLOW == 19 && KERN_NOT_FOUND == 56, "kern codes");
_Static_assert(MACH_PORT_QLIMIT_DEFAULT == 5 && MACH_PORT_QLIMIT_MAX == 1024, "qlimits");
_Static_assert(MPO_INSERT_SEND_RIGHT == 0x10 && MPO_REPLY_PORT == 0x1000, "MPO");
_Static_assert(__MigPackStructs == 1, "MIG packs its structs");

static void test_ndr_record_describes_this_host(void **state) {
  (void)state;
  assert_int_equal(NDR_record.mig_vers, 0);
  assert_int_equal(NDR_record.int_rep, NDR_INT_LITTLE_ENDIAN);
  assert_int_equal(NDR_record.char_rep, NDR_CHAR_ASCII);
  assert_int_equal(NDR_record.float_rep, NDR_FLOAT_IEEE);
}

static void test_ndr_convert_swaps_unaligned_fields(void **state) {
  (void)state;
  unsigned char buf[12] = { 0 };
  uint32_t v = 0x11223344u;
  memcpy(buf + 2, &v, 4);
  __NDR_convert__int_rep__uint32_t((uint32_t *)(void *)(buf + 2), 0);
  memcpy(&v, buf + 2, 4);
  assert_int_equal(v, 0x44332211u);
  uint64_t w = 0x0102030405060708ull;
  __NDR_convert__int_rep__uint64_t(&w, 0);
  assert_true(w == 0x0807060504030201ull);
}

static void test_ool_descriptor_field_order(void **state) {
  (void)state;
  mach_msg_ool_descriptor_t d;
  memset(&d, 0, sizeof d);
  d.type = MACH_MSG_OOL_DESCRIPTOR;
  d.deallocate = 1;
  d.copy = MACH_MSG_VIRTUAL_COPY;
  d.size = 0x1234;
  unsigned char raw[16];
  memcpy(raw, &d, sizeof raw);
  /* Little endian: byte 8 deallocate, 9 copy, 10 pad, 11 type, then size. */
  assert_int_equal(raw[8], 1);
  assert_int_equal(raw[9], MACH_MSG_VIRTUAL_COPY);
  assert_int_equal(raw[11], MACH_MSG_OOL_DESCRIPTOR);
  assert_int_equal(raw[12], 0x34);
  assert_int_equal(raw[13], 0x12);
}

static void test_port_descriptor_field_order(void **state) {
  (void)state;
  mach_msg_port_descriptor_t d;
  memset(&d, 0, sizeof d);
  d.name = 0x103;
  d.disposition = MACH_MSG_TYPE_MOVE_SEND;
  d.type = MACH_MSG_PORT_DESCRIPTOR;
  unsigned char raw[12];
  memcpy(raw, &d, sizeof raw);
  assert_int_equal(raw[0], 0x03);
  assert_int_equal(raw[1], 0x01);
  assert_int_equal(raw[10], MACH_MSG_TYPE_MOVE_SEND);
  assert_int_equal(raw[11], MACH_MSG_PORT_DESCRIPTOR);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_ndr_record_describes_this_host),
    cmocka_unit_test(test_ndr_convert_swaps_unaligned_fields),
    cmocka_unit_test(test_ool_descriptor_field_order),
    cmocka_unit_test(test_port_descriptor_field_order),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
