/* test_mach_error.c: mach_error_string / mach_error_type / mach_error name every KERN_*,
 * MACH_SEND_*, MACH_RCV_*, MIG_* and BOOTSTRAP_* code, and nothing else. */
#include <mach/mach.h>
#include <mach/mach_error.h>
#include <servers/bootstrap.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const mach_error_t known_codes[] = {
    KERN_SUCCESS, KERN_INVALID_ADDRESS, KERN_PROTECTION_FAILURE, KERN_NO_SPACE,
    KERN_INVALID_ARGUMENT, KERN_FAILURE, KERN_RESOURCE_SHORTAGE, KERN_NOT_RECEIVER,
    KERN_NO_ACCESS, KERN_MEMORY_FAILURE, KERN_MEMORY_ERROR, KERN_ALREADY_IN_SET, KERN_NOT_IN_SET,
    KERN_NAME_EXISTS, KERN_ABORTED, KERN_INVALID_NAME, KERN_INVALID_TASK, KERN_INVALID_RIGHT,
    KERN_INVALID_VALUE, KERN_UREFS_OVERFLOW, KERN_INVALID_CAPABILITY, KERN_RIGHT_EXISTS,
    KERN_INVALID_HOST, KERN_MEMORY_PRESENT, KERN_MEMORY_DATA_MOVED, KERN_MEMORY_RESTART_COPY,
    KERN_INVALID_PROCESSOR_SET, KERN_POLICY_LIMIT, KERN_INVALID_POLICY, KERN_INVALID_OBJECT,
    KERN_ALREADY_WAITING, KERN_DEFAULT_SET, KERN_EXCEPTION_PROTECTED, KERN_INVALID_LEDGER,
    KERN_INVALID_MEMORY_CONTROL, KERN_INVALID_SECURITY, KERN_NOT_DEPRESSED, KERN_TERMINATED,
    KERN_LOCK_SET_DESTROYED, KERN_LOCK_UNSTABLE, KERN_LOCK_OWNED, KERN_LOCK_OWNED_SELF,
    KERN_SEMAPHORE_DESTROYED, KERN_RPC_SERVER_TERMINATED, KERN_RPC_TERMINATE_ORPHAN,
    KERN_RPC_CONTINUE_ORPHAN, KERN_NOT_SUPPORTED, KERN_NODE_DOWN, KERN_NOT_WAITING,
    KERN_OPERATION_TIMED_OUT, KERN_CODESIGN_ERROR, KERN_POLICY_STATIC,
    KERN_INSUFFICIENT_BUFFER_SIZE, KERN_DENIED, KERN_MISSING_KC, KERN_INVALID_KC, KERN_NOT_FOUND,
    MACH_SEND_IN_PROGRESS, MACH_SEND_INVALID_DATA, MACH_SEND_INVALID_DEST, MACH_SEND_TIMED_OUT,
    MACH_SEND_INVALID_VOUCHER, MACH_SEND_INTERRUPTED, MACH_SEND_MSG_TOO_SMALL,
    MACH_SEND_INVALID_REPLY, MACH_SEND_INVALID_RIGHT, MACH_SEND_INVALID_NOTIFY,
    MACH_SEND_INVALID_MEMORY, MACH_SEND_NO_BUFFER, MACH_SEND_TOO_LARGE, MACH_SEND_INVALID_TYPE,
    MACH_SEND_INVALID_HEADER, MACH_SEND_INVALID_TRAILER, MACH_SEND_INVALID_CONTEXT,
    MACH_SEND_INVALID_OPTIONS, MACH_SEND_INVALID_RT_OOL_SIZE, MACH_SEND_NO_GRANT_DEST,
    MACH_SEND_MSG_FILTERED, MACH_SEND_AUX_TOO_SMALL, MACH_SEND_AUX_TOO_LARGE,
    MACH_RCV_IN_PROGRESS, MACH_RCV_INVALID_NAME, MACH_RCV_TIMED_OUT, MACH_RCV_TOO_LARGE,
    MACH_RCV_INTERRUPTED, MACH_RCV_PORT_CHANGED, MACH_RCV_INVALID_NOTIFY, MACH_RCV_INVALID_DATA,
    MACH_RCV_PORT_DIED, MACH_RCV_IN_SET, MACH_RCV_HEADER_ERROR, MACH_RCV_BODY_ERROR,
    MACH_RCV_INVALID_TYPE, MACH_RCV_SCATTER_SMALL, MACH_RCV_INVALID_TRAILER,
    MACH_RCV_IN_PROGRESS_TIMED, MACH_RCV_INVALID_REPLY, MACH_RCV_INVALID_ARGUMENTS,
    MIG_TYPE_ERROR, MIG_REPLY_MISMATCH, MIG_REMOTE_ERROR, MIG_BAD_ID, MIG_BAD_ARGUMENTS,
    MIG_NO_REPLY, MIG_EXCEPTION, MIG_ARRAY_TOO_LARGE, MIG_SERVER_DIED, MIG_TRAILER_ERROR,
    BOOTSTRAP_NOT_PRIVILEGED, BOOTSTRAP_NAME_IN_USE, BOOTSTRAP_UNKNOWN_SERVICE,
    BOOTSTRAP_SERVICE_ACTIVE, BOOTSTRAP_BAD_COUNT, BOOTSTRAP_NO_MEMORY, BOOTSTRAP_NO_CHILDREN,
};
#define KNOWN_COUNT (sizeof known_codes / sizeof known_codes[0])

static void test_exact_strings(void **state) {
    (void)state;
    assert_string_equal(mach_error_string(KERN_SUCCESS), "(os/kern) successful");
    assert_string_equal(mach_error_string(KERN_INVALID_NAME), "(os/kern) invalid name");
    assert_string_equal(mach_error_string(MACH_SEND_INVALID_DEST),
                        "(ipc/send) invalid destination port");
    assert_string_equal(mach_error_string(MACH_RCV_TIMED_OUT), "(ipc/rcv) timed out");
    assert_string_equal(mach_error_string(MIG_BAD_ID), "(ipc/mig) bad request message id");
    assert_string_equal(mach_error_string(BOOTSTRAP_UNKNOWN_SERVICE),
                        "(bootstrap) unknown service name");
}

static void test_types(void **state) {
    (void)state;
    assert_string_equal(mach_error_type(KERN_FAILURE), "(os/kern)");
    assert_string_equal(mach_error_type(MACH_SEND_TIMED_OUT), "(ipc/send)");
    assert_string_equal(mach_error_type(MACH_RCV_TOO_LARGE), "(ipc/rcv)");
    assert_string_equal(mach_error_type(MIG_TYPE_ERROR), "(ipc/mig)");
    assert_string_equal(mach_error_type(BOOTSTRAP_BAD_COUNT), "(bootstrap)");
    assert_string_equal(mach_error_type(err_system(0x2a) | 7), "(?/?)");
}

/* Every known code has its own description, labelled with its own type. */
static void test_every_code_named_once(void **state) {
    (void)state;
    for (size_t i = 0; i < KNOWN_COUNT; i++) {
        const char *text = mach_error_string(known_codes[i]);
        const char *type = mach_error_type(known_codes[i]);
        assert_non_null(text);
        assert_string_not_equal(text, "unknown error code");
        assert_string_not_equal(type, "(?/?)");
        assert_int_equal(strncmp(text, type, strlen(type)), 0);
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(text, mach_error_string(known_codes[j]));
    }
}

static void test_unknown_codes(void **state) {
    (void)state;
    assert_string_equal(mach_error_string(KERN_RETURN_MAX), "unknown error code");
    assert_string_equal(mach_error_string(0x10000006), "unknown error code"); /* gap in send */
    assert_string_equal(mach_error_string(-299), "unknown error code");
    assert_string_equal(mach_error_string(-310), "unknown error code");
    assert_string_equal(mach_error_string(1099), "unknown error code");
    assert_string_equal(mach_error_string(1107), "unknown error code");
    assert_string_equal(mach_error_string((mach_error_t)0xffffffff), "unknown error code");
}

/* The IPC layer may OR MACH_MSG_IPC_SPACE and friends into a send/receive error. */
static void test_detail_bits_ignored(void **state) {
    (void)state;
    assert_string_equal(mach_error_string(MACH_RCV_HEADER_ERROR | MACH_MSG_IPC_SPACE),
                        mach_error_string(MACH_RCV_HEADER_ERROR));
    assert_string_equal(mach_error_string(MACH_SEND_INVALID_DATA | MACH_MSG_VM_SPACE),
                        mach_error_string(MACH_SEND_INVALID_DATA));
    assert_string_equal(mach_error_type(MACH_RCV_BODY_ERROR | MACH_MSG_VM_KERNEL), "(ipc/rcv)");
}

/* mach_error prints one line to stderr: prefix, string, type and hex code. */
static void test_mach_error_prints(void **state) {
    (void)state;
    FILE *capture = tmpfile();
    assert_non_null(capture);
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    assert_true(saved >= 0);
    assert_int_equal(dup2(fileno(capture), STDERR_FILENO), STDERR_FILENO);
    mach_error("lookup:", BOOTSTRAP_UNKNOWN_SERVICE);
    mach_error(NULL, MACH_SEND_INVALID_DEST);
    fflush(stderr);
    assert_int_equal(dup2(saved, STDERR_FILENO), STDERR_FILENO);
    close(saved);
    char text[512] = {0};
    rewind(capture);
    size_t n = fread(text, 1, sizeof text - 1, capture);
    fclose(capture);
    text[n] = '\0';
    assert_string_equal(text,
                        "lookup: (bootstrap) unknown service name ((bootstrap): 0x44e)\n"
                        "(ipc/send) invalid destination port ((ipc/send): 0x10000003)\n");
}

static void test_bootstrap_strerror(void **state) {
    (void)state;
    assert_string_equal(bootstrap_strerror(BOOTSTRAP_SUCCESS), "Success");
    assert_string_equal(bootstrap_strerror(BOOTSTRAP_UNKNOWN_SERVICE), "Unknown service name");
    assert_string_equal(bootstrap_strerror(BOOTSTRAP_SERVICE_ACTIVE), "Service already active");
    assert_string_equal(bootstrap_strerror(MACH_SEND_INVALID_DEST),
                        mach_error_string(MACH_SEND_INVALID_DEST));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_strings),       cmocka_unit_test(test_types),
        cmocka_unit_test(test_every_code_named_once), cmocka_unit_test(test_unknown_codes),
        cmocka_unit_test(test_detail_bits_ignored), cmocka_unit_test(test_mach_error_prints),
        cmocka_unit_test(test_bootstrap_strerror),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
