/* mach_error.c: mach_error_string / mach_error_type / mach_error, the printable names of every
 * KERN_*, MACH_SEND_*, MACH_RCV_*, MIG_* and BOOTSTRAP_* code. Pure tables, no state. */
#include <mach/mach_error.h>

#include <mach/kern_return.h>
#include <mach/message.h>
#include <mach/mig_errors.h>
#include <servers/bootstrap.h>

#include <stdio.h>
#include <string.h>

struct error_name {
    mach_error_t code;
    const char *text;
};

#define ERROR_NAME(code, text) {code, text},

static const struct error_name kern_errors[] = {
    ERROR_NAME(KERN_SUCCESS, "(os/kern) successful")
    ERROR_NAME(KERN_INVALID_ADDRESS, "(os/kern) invalid address")
    ERROR_NAME(KERN_PROTECTION_FAILURE, "(os/kern) protection failure")
    ERROR_NAME(KERN_NO_SPACE, "(os/kern) no space available")
    ERROR_NAME(KERN_INVALID_ARGUMENT, "(os/kern) invalid argument")
    ERROR_NAME(KERN_FAILURE, "(os/kern) failure")
    ERROR_NAME(KERN_RESOURCE_SHORTAGE, "(os/kern) resource shortage")
    ERROR_NAME(KERN_NOT_RECEIVER, "(os/kern) not receiver")
    ERROR_NAME(KERN_NO_ACCESS, "(os/kern) no access")
    ERROR_NAME(KERN_MEMORY_FAILURE, "(os/kern) memory failure")
    ERROR_NAME(KERN_MEMORY_ERROR, "(os/kern) memory error")
    ERROR_NAME(KERN_ALREADY_IN_SET, "(os/kern) already in set")
    ERROR_NAME(KERN_NOT_IN_SET, "(os/kern) not in set")
    ERROR_NAME(KERN_NAME_EXISTS, "(os/kern) name exists")
    ERROR_NAME(KERN_ABORTED, "(os/kern) aborted")
    ERROR_NAME(KERN_INVALID_NAME, "(os/kern) invalid name")
    ERROR_NAME(KERN_INVALID_TASK, "(os/kern) invalid task")
    ERROR_NAME(KERN_INVALID_RIGHT, "(os/kern) invalid right")
    ERROR_NAME(KERN_INVALID_VALUE, "(os/kern) invalid value")
    ERROR_NAME(KERN_UREFS_OVERFLOW, "(os/kern) user references overflow")
    ERROR_NAME(KERN_INVALID_CAPABILITY, "(os/kern) invalid capability")
    ERROR_NAME(KERN_RIGHT_EXISTS, "(os/kern) right exists")
    ERROR_NAME(KERN_INVALID_HOST, "(os/kern) invalid host")
    ERROR_NAME(KERN_MEMORY_PRESENT, "(os/kern) memory present")
    ERROR_NAME(KERN_MEMORY_DATA_MOVED, "(os/kern) memory data moved")
    ERROR_NAME(KERN_MEMORY_RESTART_COPY, "(os/kern) memory restart copy")
    ERROR_NAME(KERN_INVALID_PROCESSOR_SET, "(os/kern) invalid processor set")
    ERROR_NAME(KERN_POLICY_LIMIT, "(os/kern) policy limit")
    ERROR_NAME(KERN_INVALID_POLICY, "(os/kern) invalid policy")
    ERROR_NAME(KERN_INVALID_OBJECT, "(os/kern) invalid object")
    ERROR_NAME(KERN_ALREADY_WAITING, "(os/kern) already waiting")
    ERROR_NAME(KERN_DEFAULT_SET, "(os/kern) default set")
    ERROR_NAME(KERN_EXCEPTION_PROTECTED, "(os/kern) exception protected")
    ERROR_NAME(KERN_INVALID_LEDGER, "(os/kern) invalid ledger")
    ERROR_NAME(KERN_INVALID_MEMORY_CONTROL, "(os/kern) invalid memory control")
    ERROR_NAME(KERN_INVALID_SECURITY, "(os/kern) invalid security")
    ERROR_NAME(KERN_NOT_DEPRESSED, "(os/kern) not depressed")
    ERROR_NAME(KERN_TERMINATED, "(os/kern) terminated")
    ERROR_NAME(KERN_LOCK_SET_DESTROYED, "(os/kern) lock set destroyed")
    ERROR_NAME(KERN_LOCK_UNSTABLE, "(os/kern) lock unstable")
    ERROR_NAME(KERN_LOCK_OWNED, "(os/kern) lock owned")
    ERROR_NAME(KERN_LOCK_OWNED_SELF, "(os/kern) lock owned by self")
    ERROR_NAME(KERN_SEMAPHORE_DESTROYED, "(os/kern) semaphore destroyed")
    ERROR_NAME(KERN_RPC_SERVER_TERMINATED, "(os/kern) RPC server terminated")
    ERROR_NAME(KERN_RPC_TERMINATE_ORPHAN, "(os/kern) RPC terminate orphan")
    ERROR_NAME(KERN_RPC_CONTINUE_ORPHAN, "(os/kern) RPC continue orphan")
    ERROR_NAME(KERN_NOT_SUPPORTED, "(os/kern) not supported")
    ERROR_NAME(KERN_NODE_DOWN, "(os/kern) node down")
    ERROR_NAME(KERN_NOT_WAITING, "(os/kern) not waiting")
    ERROR_NAME(KERN_OPERATION_TIMED_OUT, "(os/kern) operation timed out")
    ERROR_NAME(KERN_CODESIGN_ERROR, "(os/kern) code signing error")
    ERROR_NAME(KERN_POLICY_STATIC, "(os/kern) policy is static")
    ERROR_NAME(KERN_INSUFFICIENT_BUFFER_SIZE, "(os/kern) insufficient buffer size")
    ERROR_NAME(KERN_DENIED, "(os/kern) denied")
    ERROR_NAME(KERN_MISSING_KC, "(os/kern) missing kernel collection")
    ERROR_NAME(KERN_INVALID_KC, "(os/kern) invalid kernel collection")
    ERROR_NAME(KERN_NOT_FOUND, "(os/kern) not found")
};

static const struct error_name send_errors[] = {
    ERROR_NAME(MACH_SEND_IN_PROGRESS, "(ipc/send) send in progress")
    ERROR_NAME(MACH_SEND_INVALID_DATA, "(ipc/send) invalid data")
    ERROR_NAME(MACH_SEND_INVALID_DEST, "(ipc/send) invalid destination port")
    ERROR_NAME(MACH_SEND_TIMED_OUT, "(ipc/send) timed out")
    ERROR_NAME(MACH_SEND_INVALID_VOUCHER, "(ipc/send) invalid voucher")
    ERROR_NAME(MACH_SEND_INTERRUPTED, "(ipc/send) interrupted")
    ERROR_NAME(MACH_SEND_MSG_TOO_SMALL, "(ipc/send) message size smaller than header")
    ERROR_NAME(MACH_SEND_INVALID_REPLY, "(ipc/send) invalid reply port")
    ERROR_NAME(MACH_SEND_INVALID_RIGHT, "(ipc/send) invalid port right in body")
    ERROR_NAME(MACH_SEND_INVALID_NOTIFY, "(ipc/send) invalid notify port")
    ERROR_NAME(MACH_SEND_INVALID_MEMORY, "(ipc/send) invalid out-of-line memory")
    ERROR_NAME(MACH_SEND_NO_BUFFER, "(ipc/send) no message buffer")
    ERROR_NAME(MACH_SEND_TOO_LARGE, "(ipc/send) message too large")
    ERROR_NAME(MACH_SEND_INVALID_TYPE, "(ipc/send) invalid descriptor type")
    ERROR_NAME(MACH_SEND_INVALID_HEADER, "(ipc/send) invalid header")
    ERROR_NAME(MACH_SEND_INVALID_TRAILER, "(ipc/send) invalid trailer")
    ERROR_NAME(MACH_SEND_INVALID_CONTEXT, "(ipc/send) invalid context for reply")
    ERROR_NAME(MACH_SEND_INVALID_RT_OOL_SIZE, "(ipc/send) invalid out-of-line size")
    ERROR_NAME(MACH_SEND_NO_GRANT_DEST, "(ipc/send) destination does not accept port rights")
    ERROR_NAME(MACH_SEND_INVALID_OPTIONS, "(ipc/send) invalid options")
    ERROR_NAME(MACH_SEND_MSG_FILTERED, "(ipc/send) message filtered")
    ERROR_NAME(MACH_SEND_AUX_TOO_SMALL, "(ipc/send) auxiliary data too small")
    ERROR_NAME(MACH_SEND_AUX_TOO_LARGE, "(ipc/send) auxiliary data too large")
};

static const struct error_name rcv_errors[] = {
    ERROR_NAME(MACH_RCV_IN_PROGRESS, "(ipc/rcv) receive in progress")
    ERROR_NAME(MACH_RCV_INVALID_NAME, "(ipc/rcv) invalid name")
    ERROR_NAME(MACH_RCV_TIMED_OUT, "(ipc/rcv) timed out")
    ERROR_NAME(MACH_RCV_TOO_LARGE, "(ipc/rcv) message too large")
    ERROR_NAME(MACH_RCV_INTERRUPTED, "(ipc/rcv) interrupted")
    ERROR_NAME(MACH_RCV_PORT_CHANGED, "(ipc/rcv) port moved into a set")
    ERROR_NAME(MACH_RCV_INVALID_NOTIFY, "(ipc/rcv) invalid notify port")
    ERROR_NAME(MACH_RCV_INVALID_DATA, "(ipc/rcv) invalid message buffer")
    ERROR_NAME(MACH_RCV_PORT_DIED, "(ipc/rcv) port died")
    ERROR_NAME(MACH_RCV_IN_SET, "(ipc/rcv) port is in a set")
    ERROR_NAME(MACH_RCV_HEADER_ERROR, "(ipc/rcv) header error")
    ERROR_NAME(MACH_RCV_BODY_ERROR, "(ipc/rcv) body error")
    ERROR_NAME(MACH_RCV_INVALID_TYPE, "(ipc/rcv) invalid scatter list entry")
    ERROR_NAME(MACH_RCV_SCATTER_SMALL, "(ipc/rcv) scatter list too small")
    ERROR_NAME(MACH_RCV_INVALID_TRAILER, "(ipc/rcv) invalid trailer request")
    ERROR_NAME(MACH_RCV_IN_PROGRESS_TIMED, "(ipc/rcv) timed receive in progress")
    ERROR_NAME(MACH_RCV_INVALID_REPLY, "(ipc/rcv) invalid reply port")
    ERROR_NAME(MACH_RCV_INVALID_ARGUMENTS, "(ipc/rcv) invalid arguments")
};

static const struct error_name mig_errors[] = {
    ERROR_NAME(MIG_TYPE_ERROR, "(ipc/mig) client type check failure")
    ERROR_NAME(MIG_REPLY_MISMATCH, "(ipc/mig) wrong reply message id")
    ERROR_NAME(MIG_REMOTE_ERROR, "(ipc/mig) server detected error")
    ERROR_NAME(MIG_BAD_ID, "(ipc/mig) bad request message id")
    ERROR_NAME(MIG_BAD_ARGUMENTS, "(ipc/mig) server type check failure")
    ERROR_NAME(MIG_NO_REPLY, "(ipc/mig) no reply should be sent")
    ERROR_NAME(MIG_EXCEPTION, "(ipc/mig) server raised exception")
    ERROR_NAME(MIG_ARRAY_TOO_LARGE, "(ipc/mig) array not large enough")
    ERROR_NAME(MIG_SERVER_DIED, "(ipc/mig) server died")
    ERROR_NAME(MIG_TRAILER_ERROR, "(ipc/mig) trailer has an unknown format")
};

static const struct error_name bootstrap_errors[] = {
    ERROR_NAME(BOOTSTRAP_NOT_PRIVILEGED, "(bootstrap) not privileged")
    ERROR_NAME(BOOTSTRAP_NAME_IN_USE, "(bootstrap) service name already in use")
    ERROR_NAME(BOOTSTRAP_UNKNOWN_SERVICE, "(bootstrap) unknown service name")
    ERROR_NAME(BOOTSTRAP_SERVICE_ACTIVE, "(bootstrap) service already checked in")
    ERROR_NAME(BOOTSTRAP_BAD_COUNT, "(bootstrap) too many lookups")
    ERROR_NAME(BOOTSTRAP_NO_MEMORY, "(bootstrap) out of memory")
    ERROR_NAME(BOOTSTRAP_NO_CHILDREN, "(bootstrap) no child bootstrap")
};

/* One family of codes: which codes it holds and the label mach_error_type() gives it. */
struct error_family {
    const char *type;
    const struct error_name *names;
    size_t count;
};

#define FAMILY(type, table) {type, table, sizeof(table) / sizeof((table)[0])}

static const struct error_family kern_family = FAMILY("(os/kern)", kern_errors);
static const struct error_family send_family = FAMILY("(ipc/send)", send_errors);
static const struct error_family rcv_family = FAMILY("(ipc/rcv)", rcv_errors);
static const struct error_family mig_family = FAMILY("(ipc/mig)", mig_errors);
static const struct error_family bootstrap_family = FAMILY("(bootstrap)", bootstrap_errors);

/* The IPC layer ORs these "where it went wrong" bits into send/receive errors. */
static mach_error_t strip_ipc_detail_bits(mach_error_t code) {
    if (err_get_system(code) == err_get_system(err_mach_ipc))
        return code & ~(mach_error_t)MACH_MSG_MASK;
    return code;
}

/* Which family a code belongs to, from its system/subsystem fields (MIG and bootstrap codes
 * predate that encoding and are recognised by their ranges); NULL when none. */
static const struct error_family *family_of(mach_error_t code) {
    if (code >= MIG_TRAILER_ERROR && code <= MIG_TYPE_ERROR)
        return &mig_family;
    if (code >= BOOTSTRAP_NOT_PRIVILEGED && code <= BOOTSTRAP_NO_CHILDREN)
        return &bootstrap_family;
    if (err_get_system(code) == err_get_system(err_kern) && err_get_sub(code) == 0)
        return &kern_family;
    if (err_get_system(code) == err_get_system(err_mach_ipc)) {
        if (err_get_sub(code) == 0)
            return &send_family;
        if (err_get_sub(code) == 1)
            return &rcv_family;
    }
    return NULL;
}

char *mach_error_string(mach_error_t error_value) {
    mach_error_t code = strip_ipc_detail_bits(error_value);
    const struct error_family *family = family_of(code);
    if (family) {
        for (size_t i = 0; i < family->count; i++)
            if (family->names[i].code == code)
                return (char *)family->names[i].text;
    }
    return (char *)"unknown error code";
}

char *mach_error_type(mach_error_t error_value) {
    const struct error_family *family = family_of(strip_ipc_detail_bits(error_value));
    return (char *)(family ? family->type : "(?/?)");
}

void mach_error(const char *str, mach_error_t error_value) {
    /* One fprintf call: stdio locks the stream, so lines from several threads do not mix. */
    fprintf(stderr, "%s%s%s (%s: 0x%x)\n", str ? str : "", str && *str ? " " : "",
            mach_error_string(error_value), mach_error_type(error_value),
            (unsigned)error_value);
}
