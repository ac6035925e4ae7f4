/* mig_support.c: the small helpers that MIG-generated stubs and hand-written servers call:
 * bounded string copies, page allocation for out-of-line data, and the error-reply header. */
#include "services/server_internal.h"

#include <mach/mach.h>
#include <mach/mig.h>
#include <mach/mig_errors.h>
#include <mach/ndr.h>

#include <stdbool.h>
#include <stddef.h>

int mig_strncpy(char *dest, const char *src, int len) {
    /* Darwin: copy at most len - 1 characters, always terminate, and return the number of bytes
     * written including the NUL (len when the source was truncated). */
    if (len <= 0 || dest == NULL)
        return 0;
    if (src == NULL) {
        dest[0] = '\0';
        return 0;
    }
    int i;
    for (i = 1; i < len; i++) {
        if ((*dest++ = *src++) == '\0')
            return i;
    }
    *dest = '\0';
    return i;
}

int mig_strncpy_zerofill(char *dest, const char *src, int len) {
    /* As mig_strncpy, but every byte of dest[0..len) is written, so no stale memory leaks into
     * a message. A NULL source gives an all-zero buffer and 0. */
    if (len <= 0 || dest == NULL)
        return 0;
    int copied = 0;
    bool terminated = (src == NULL);
    int i;
    for (i = 1; i < len; i++) {
        if (terminated) {
            *dest++ = '\0';
        } else if ((*dest++ = *src++) == '\0') {
            terminated = true;
            copied = i;
        }
    }
    *dest = '\0';
    return terminated ? copied : i;
}

void mig_allocate(vm_address_t *addr_p, vm_size_t size) {
    if (vm_allocate(mach_task_self(), addr_p, size, VM_FLAGS_ANYWHERE) != KERN_SUCCESS)
        *addr_p = 0;
}

void mig_deallocate(vm_address_t addr, vm_size_t size) {
    (void)vm_deallocate(mach_task_self(), addr, size);
}

void mig_reply_setup(mach_msg_header_t *request, mach_msg_header_t *reply) {
    /* The default reply a demux leaves behind for an unknown id: a simple mig_reply_error_t to
     * the request's reply port, id + 100, RetCode MIG_BAD_ID. */
    mig_reply_error_t *out = (mig_reply_error_t *)reply;
    out->Head.msgh_bits = MACH_MSGH_BITS(MACH_MSGH_BITS_REMOTE(request->msgh_bits), 0);
    out->Head.msgh_size = (mach_msg_size_t)sizeof(mig_reply_error_t);
    out->Head.msgh_remote_port = request->msgh_remote_port;
    out->Head.msgh_local_port = MACH_PORT_NULL;
    out->Head.msgh_voucher_port = MACH_PORT_NULL;
    out->Head.msgh_id = request->msgh_id + 100;
    out->NDR = NDR_record;
    out->RetCode = MIG_BAD_ID;
}
