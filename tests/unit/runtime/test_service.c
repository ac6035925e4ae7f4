/* Service and connection ports (mach_port_construct with MPO_SERVICE_PORT / MPO_CONNECTION_PORT,
 * mach_port_get_service_port_info, mach_port_is_connection_for_service),
 * mach_port_assert_attributes and mach_port_kobject / mach_port_kernel_object, with the answers
 * of XNU's mach_port.c, ipc_service_port.c and mach_debug.c. */
#include "core_test_util.h"

static mach_port_t new_service_port(const char *name) {
  mach_service_port_info_data_t info;
  memset(&info, 0, sizeof info);
  strncpy(info.mspi_string_name, name, sizeof info.mspi_string_name - 1);
  info.mspi_domain_type = 7;
  mach_port_options_t opts = { .flags = MPO_SERVICE_PORT | MPO_INSERT_SEND_RIGHT |
                                        MPO_CONTEXT_AS_GUARD | MPO_STRICT };
  opts.service_port_info = &info;
  mach_port_t p;
  assert_int_equal(mach_port_construct(SELF, &opts, 0x5e, &p), KERN_SUCCESS);
  return p;
}

/* mach_port_get_service_port_info: the name and domain given at construction; a receive right
 * that is no service port is KERN_INVALID_CAPABILITY, NULL / DEAD KERN_INVALID_RIGHT, a NULL
 * buffer KERN_INVALID_ARGUMENT. */
static void test_service_port_info(void **state) {
  (void)state;
  mach_port_t svc = new_service_port("com.example.openmig");
  mach_service_port_info_data_t out;
  memset(&out, 0xff, sizeof out);
  assert_int_equal(mach_port_get_service_port_info(SELF, svc, &out), KERN_SUCCESS);
  assert_string_equal(out.mspi_string_name, "com.example.openmig");
  assert_int_equal(out.mspi_domain_type, 7);
  mach_port_t plain = new_port();
  assert_int_equal(mach_port_get_service_port_info(SELF, plain, &out), KERN_INVALID_CAPABILITY);
  assert_int_equal(mach_port_get_service_port_info(SELF, MACH_PORT_NULL, &out), KERN_INVALID_RIGHT);
  assert_int_equal(mach_port_get_service_port_info(SELF, 0x5555503, &out), KERN_INVALID_NAME);
  assert_int_equal(mach_port_get_service_port_info(SELF, svc, NULL), KERN_INVALID_ARGUMENT);
  assert_int_equal(mach_port_destroy(SELF, plain), KERN_SUCCESS);
  assert_int_equal(mach_port_destruct(SELF, svc, -1, 0x5e), KERN_SUCCESS);
}

/* A connection port derives from a send right to a service port the caller holds
 * (ipc_service_port_derive_sblabel: no such name KERN_INVALID_NAME, no send right
 * KERN_INVALID_RIGHT, not a service port KERN_INVALID_CAPABILITY).
 * mach_port_is_connection_for_service: NULL names KERN_INVALID_NAME, no result pointer
 * KERN_INVALID_ARGUMENT, the service name must be a service port's receive right; no sandbox
 * label, so the policy id is 0. */
static void test_connection_ports(void **state) {
  (void)state;
  mach_port_t svc = new_service_port("com.example.conn");
  mach_port_options_t opts = { .flags = MPO_CONNECTION_PORT | MPO_INSERT_SEND_RIGHT };
  opts.service_port_name = svc;
  mach_port_t conn;
  assert_int_equal(mach_port_construct(SELF, &opts, 0, &conn), KERN_SUCCESS);
  assert_int_equal(type_of(conn), MACH_PORT_TYPE_SEND_RECEIVE);
  uint64_t policy = 99;
  assert_int_equal(mach_port_is_connection_for_service(SELF, conn, svc, &policy), KERN_SUCCESS);
  assert_true(policy == 0);
  assert_int_equal(mach_port_is_connection_for_service(SELF, MACH_PORT_NULL, svc, &policy),
                   KERN_INVALID_NAME);
  assert_int_equal(mach_port_is_connection_for_service(SELF, conn, svc, NULL),
                   KERN_INVALID_ARGUMENT);
  assert_int_equal(mach_port_is_connection_for_service(SELF, svc, conn, &policy),
                   KERN_INVALID_CAPABILITY);

  mach_port_t plain = new_port_with_send();
  opts.service_port_name = plain;
  mach_port_t c2;
  assert_int_equal(mach_port_construct(SELF, &opts, 0, &c2), KERN_INVALID_CAPABILITY);
  opts.service_port_name = 0x5555503;
  assert_int_equal(mach_port_construct(SELF, &opts, 0, &c2), KERN_INVALID_NAME);
  /* Only the receive right of the service port: no send right to derive from. */
  assert_int_equal(mach_port_mod_refs(SELF, svc, MACH_PORT_RIGHT_SEND, -1), KERN_SUCCESS);
  opts.service_port_name = svc;
  assert_int_equal(mach_port_construct(SELF, &opts, 0, &c2), KERN_INVALID_RIGHT);

  assert_int_equal(mach_port_destroy(SELF, plain), KERN_SUCCESS);
  assert_int_equal(mach_port_destruct(SELF, conn, -1, 0), KERN_SUCCESS);
  assert_int_equal(mach_port_destruct(SELF, svc, 0, 0x5e), KERN_SUCCESS);
}

/* mach_port_assert_attributes: MACH_PORT_GUARD_INFO only (else KERN_INVALID_ARGUMENT), count at
 * least MACH_PORT_GUARD_INFO_COUNT (else KERN_FAILURE), NULL KERN_INVALID_RIGHT; the right must
 * be strictly guarded by that guard (else KERN_INVALID_ARGUMENT). */
static void test_assert_attributes(void **state) {
  (void)state;
  mach_port_t p = new_port();
  mach_port_guard_info_t gi = { 0x33 };
  assert_int_equal(mach_port_assert_attributes(SELF, p, MACH_PORT_LIMITS_INFO,
                                               (mach_port_info_t)&gi, MACH_PORT_GUARD_INFO_COUNT),
                   KERN_INVALID_ARGUMENT);
  assert_int_equal(mach_port_assert_attributes(SELF, p, MACH_PORT_GUARD_INFO,
                                               (mach_port_info_t)&gi, 0),
                   KERN_FAILURE);
  assert_int_equal(mach_port_assert_attributes(SELF, MACH_PORT_NULL, MACH_PORT_GUARD_INFO,
                                               (mach_port_info_t)&gi, MACH_PORT_GUARD_INFO_COUNT),
                   KERN_INVALID_RIGHT);
  assert_int_equal(mach_port_assert_attributes(SELF, p, MACH_PORT_GUARD_INFO,
                                               (mach_port_info_t)&gi, MACH_PORT_GUARD_INFO_COUNT),
                   KERN_INVALID_ARGUMENT);
  assert_int_equal(mach_port_guard(SELF, p, 0x33, FALSE), KERN_SUCCESS);
  assert_int_equal(mach_port_assert_attributes(SELF, p, MACH_PORT_GUARD_INFO,
                                               (mach_port_info_t)&gi, MACH_PORT_GUARD_INFO_COUNT),
                   KERN_INVALID_ARGUMENT);
  assert_int_equal(mach_port_unguard(SELF, p, 0x33), KERN_SUCCESS);
  assert_int_equal(mach_port_guard(SELF, p, 0x33, TRUE), KERN_SUCCESS);
  assert_int_equal(mach_port_assert_attributes(SELF, p, MACH_PORT_GUARD_INFO,
                                               (mach_port_info_t)&gi, MACH_PORT_GUARD_INFO_COUNT),
                   KERN_SUCCESS);
  gi.mpgi_guard = 0x34;
  assert_int_equal(mach_port_assert_attributes(SELF, p, MACH_PORT_GUARD_INFO,
                                               (mach_port_info_t)&gi, MACH_PORT_GUARD_INFO_COUNT),
                   KERN_INVALID_ARGUMENT);
  assert_int_equal(mach_port_destruct(SELF, p, 0, 0x33), KERN_SUCCESS);
}

/* mach_port_kobject (mach_debug.c): the kernel-object type of a send or receive right
 * (IKOT_TASK_CONTROL, 2, for a task port; 0 for an ordinary port), address 0 as on release
 * kernels; a name without send or receive right KERN_INVALID_RIGHT, none KERN_INVALID_NAME. */
static void test_kobject(void **state) {
  (void)state;
  natural_t type = 9;
  mach_vm_address_t addr = 9;
  assert_int_equal(mach_port_kobject(SELF, SELF, &type, &addr), KERN_SUCCESS);
  assert_int_equal(type, 2);
  assert_true(addr == 0);
  mach_port_t p = new_port();
  assert_int_equal(mach_port_kobject(SELF, p, &type, &addr), KERN_SUCCESS);
  assert_int_equal(type, 0);
  unsigned t32 = 9, a32 = 9;
  assert_int_equal(mach_port_kernel_object(SELF, SELF, &t32, &a32), KERN_SUCCESS);
  assert_int_equal(t32, 2);
  assert_int_equal(a32, 0);
  mach_port_t so;
  mach_msg_type_name_t t;
  assert_int_equal(mach_port_extract_right(SELF, p, MACH_MSG_TYPE_MAKE_SEND_ONCE, &so, &t),
                   KERN_SUCCESS);
  assert_int_equal(mach_port_kobject(SELF, so, &type, &addr), KERN_INVALID_RIGHT);
  assert_int_equal(mach_port_kobject(SELF, 0x5555503, &type, &addr), KERN_INVALID_NAME);
  assert_int_equal(mach_port_kernel_object(SELF, MACH_PORT_NULL, &t32, &a32), KERN_INVALID_NAME);
  assert_int_equal(mach_port_deallocate(SELF, so), KERN_SUCCESS);
  assert_int_equal(mach_port_destroy(SELF, p), KERN_SUCCESS);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    LEAK_CHECKED_TEST(test_service_port_info),
    LEAK_CHECKED_TEST(test_connection_ports),
    LEAK_CHECKED_TEST(test_assert_attributes),
    LEAK_CHECKED_TEST(test_kobject),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
