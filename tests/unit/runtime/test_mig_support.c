/* test_mig_support.c: mig_strncpy and mig_strncpy_zerofill (Darwin's return values,
 * termination and zero fill), mig_allocate / mig_deallocate, mig_reply_setup. */
#include "svc_support.h"

#include <mach/mig.h>

void mig_reply_setup(mach_msg_header_t *request, mach_msg_header_t *reply);

static void fill(char *buffer, size_t size) {
    memset(buffer, 0x5a, size);
}

static void test_strncpy_fits(void **state) {
    (void)state;
    char dest[8];
    fill(dest, sizeof dest);
    assert_int_equal(mig_strncpy(dest, "abc", 8), 4); /* bytes written, NUL included */
    assert_string_equal(dest, "abc");
    assert_int_equal((unsigned char)dest[4], 0x5a); /* no fill after the NUL */
}

static void test_strncpy_truncates(void **state) {
    (void)state;
    char dest[8];
    fill(dest, sizeof dest);
    assert_int_equal(mig_strncpy(dest, "abcdefghijk", 5), 5); /* len - 1 chars + NUL */
    assert_string_equal(dest, "abcd");
    assert_int_equal((unsigned char)dest[5], 0x5a); /* nothing written past len */
    fill(dest, sizeof dest);
    assert_int_equal(mig_strncpy(dest, "abcd", 5), 5); /* exactly fits */
    assert_string_equal(dest, "abcd");
}

static void test_strncpy_edges(void **state) {
    (void)state;
    char dest[4];
    fill(dest, sizeof dest);
    assert_int_equal(mig_strncpy(dest, "abc", 0), 0);
    assert_int_equal(mig_strncpy(dest, "abc", -3), 0);
    assert_int_equal((unsigned char)dest[0], 0x5a); /* len <= 0 writes nothing */
    assert_int_equal(mig_strncpy(dest, "abc", 1), 1); /* room for the NUL only */
    assert_int_equal(dest[0], '\0');
    assert_int_equal(mig_strncpy(dest, "", 4), 1);
    assert_int_equal(dest[0], '\0');
    assert_int_equal(mig_strncpy(NULL, "abc", 4), 0);
    fill(dest, sizeof dest);
    assert_int_equal(mig_strncpy(dest, NULL, 4), 0);
    assert_int_equal(dest[0], '\0');
}

static void test_zerofill(void **state) {
    (void)state;
    char dest[8];
    fill(dest, sizeof dest);
    assert_int_equal(mig_strncpy_zerofill(dest, "ab", 8), 3);
    assert_string_equal(dest, "ab");
    for (size_t i = 2; i < sizeof dest; i++)
        assert_int_equal(dest[i], '\0'); /* every byte written */
    fill(dest, sizeof dest);
    assert_int_equal(mig_strncpy_zerofill(dest, "abcdefghij", 6), 6);
    assert_string_equal(dest, "abcde");
    assert_int_equal((unsigned char)dest[6], 0x5a);
    fill(dest, sizeof dest);
    assert_int_equal(mig_strncpy_zerofill(dest, NULL, 8), 0);
    for (size_t i = 0; i < sizeof dest; i++)
        assert_int_equal(dest[i], '\0');
    fill(dest, sizeof dest);
    assert_int_equal(mig_strncpy_zerofill(dest, "x", 0), 0);
    assert_int_equal((unsigned char)dest[0], 0x5a);
    assert_int_equal(mig_strncpy_zerofill(dest, "x", 1), 1);
    assert_int_equal(dest[0], '\0');
    assert_int_equal(mig_strncpy_zerofill(NULL, "x", 8), 0);
}

static void test_allocate_deallocate(void **state) {
    (void)state;
    struct openmig_ipc_stats before = svc_stats();
    vm_address_t address = 0;
    mig_allocate(&address, 3 * vm_page_size + 1);
    assert_true(address != 0);
    assert_int_equal(address % vm_page_size, 0);
    memset((void *)address, 0xab, 3 * vm_page_size + 1); /* usable, whole pages */
    struct openmig_ipc_stats during = svc_stats();
    assert_int_equal(during.vm_regions, before.vm_regions + 1);
    mig_deallocate(address, 3 * vm_page_size + 1);
    svc_assert_no_leaks(&before);
}

static void test_allocate_failure_zeroes(void **state) {
    (void)state;
    vm_address_t address = 1234;
    mig_allocate(&address, (vm_size_t)-1 & ~(vm_page_size - 1)); /* cannot be satisfied */
    assert_int_equal(address, 0);
}

static void test_reply_setup(void **state) {
    (void)state;
    mach_msg_header_t request = {
        .msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_PORT_SEND_ONCE, MACH_MSG_TYPE_PORT_SEND) |
                     MACH_MSGH_BITS_COMPLEX,
        .msgh_size = 200,
        .msgh_remote_port = 0x1103,
        .msgh_local_port = 0x2207,
        .msgh_id = 4242,
    };
    mig_reply_error_t reply;
    memset(&reply, 0xee, sizeof reply);
    mig_reply_setup(&request, &reply.Head);
    assert_int_equal(reply.Head.msgh_bits, MACH_MSGH_BITS(MACH_MSG_TYPE_PORT_SEND_ONCE, 0));
    assert_int_equal(reply.Head.msgh_size, sizeof(mig_reply_error_t));
    assert_int_equal(reply.Head.msgh_remote_port, 0x1103);
    assert_int_equal(reply.Head.msgh_local_port, MACH_PORT_NULL);
    assert_int_equal(reply.Head.msgh_voucher_port, MACH_PORT_NULL);
    assert_int_equal(reply.Head.msgh_id, 4342);
    assert_memory_equal(&reply.NDR, &NDR_record, sizeof NDR_record);
    assert_int_equal(reply.RetCode, MIG_BAD_ID);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strncpy_fits),      cmocka_unit_test(test_strncpy_truncates),
        cmocka_unit_test(test_strncpy_edges),     cmocka_unit_test(test_zerofill),
        cmocka_unit_test(test_allocate_deallocate), cmocka_unit_test(test_allocate_failure_zeroes),
        cmocka_unit_test(test_reply_setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
