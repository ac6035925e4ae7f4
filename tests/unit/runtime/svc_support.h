/* svc_support.h: helpers shared by the rt-svc runtime tests (server loops, reply ports,
 * bootstrap, stress, echo): leak baselines from the core's live-object counters, port set-up,
 * and the small request/reply layouts the hand-written clients and servers use. */
#ifndef OPENMIG_TESTS_SVC_SUPPORT_H
#define OPENMIG_TESTS_SVC_SUPPORT_H

#include <mach/mach.h>
#include <mach/openmig_stats.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#pragma pack(push, 4)
/* A simple request or reply: one integer after the NDR record. */
typedef struct {
    mach_msg_header_t Head;
    NDR_record_t NDR;
    int value;
} svc_simple_msg_t;

/* A simple reply with a RetCode, as MIG lays one out. */
typedef struct {
    mach_msg_header_t Head;
    NDR_record_t NDR;
    kern_return_t RetCode;
    int value;
} svc_simple_reply_t;

/* A complex message: out-of-line bytes and one port right, then an integer. */
typedef struct {
    mach_msg_header_t Head;
    mach_msg_body_t body;
    mach_msg_ool_descriptor_t ool;
    mach_msg_port_descriptor_t port;
    NDR_record_t NDR;
    int value;
} svc_complex_msg_t;
#pragma pack(pop)

/* Room for any of the above plus the largest trailer. */
typedef union {
    mach_msg_header_t Head;
    svc_simple_msg_t simple;
    svc_simple_reply_t reply;
    svc_complex_msg_t complex;
    mig_reply_error_t error;
    char bytes[sizeof(svc_complex_msg_t) + sizeof(mach_msg_max_trailer_t) + 64];
} svc_buffer_t;

static inline struct openmig_ipc_stats svc_stats(void) {
    /* The core makes the task's space (and its self port) on first use: count after that. */
    mach_port_type_t type;
    (void)mach_port_type(mach_task_self(), mach_task_self(), &type);
    struct openmig_ipc_stats stats;
    openmig_ipc_stats_get(&stats);
    return stats;
}

/* Asserts that no port, set, name, queued message or memory region outlived the test step. */
static inline void svc_assert_no_leaks(const struct openmig_ipc_stats *before) {
    struct openmig_ipc_stats now = svc_stats();
    assert_int_equal(now.ports, before->ports);
    assert_int_equal(now.port_sets, before->port_sets);
    assert_int_equal(now.entries, before->entries);
    assert_int_equal(now.messages, before->messages);
    assert_int_equal(now.ool_regions, before->ool_regions);
    assert_int_equal(now.vm_regions, before->vm_regions);
    assert_int_equal(now.vm_bytes, before->vm_bytes);
}

/* A new receive right. */
static inline mach_port_t svc_make_port(void) {
    mach_port_t port = MACH_PORT_NULL;
    assert_int_equal(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &port),
                     KERN_SUCCESS);
    return port;
}

/* A new receive right with one send reference under the same name. */
static inline mach_port_t svc_make_port_with_send(void) {
    mach_port_t port = svc_make_port();
    assert_int_equal(
        mach_port_insert_right(mach_task_self(), port, port, MACH_MSG_TYPE_MAKE_SEND),
        KERN_SUCCESS);
    return port;
}

/* Destroys a receive right (and the name, if nothing else is left under it). */
static inline void svc_destroy_port(mach_port_t port) {
    assert_int_equal(mach_port_mod_refs(mach_task_self(), port, MACH_PORT_RIGHT_RECEIVE, -1),
                     KERN_SUCCESS);
}

static inline mach_port_urefs_t svc_refs(mach_port_t port, mach_port_right_t right) {
    mach_port_urefs_t refs = 0;
    if (mach_port_get_refs(mach_task_self(), port, right, &refs) != KERN_SUCCESS)
        return (mach_port_urefs_t)-1;
    return refs;
}

static inline void svc_set_qlimit(mach_port_t port, mach_port_msgcount_t limit) {
    mach_port_limits_t limits = {.mpl_qlimit = limit};
    assert_int_equal(mach_port_set_attributes(mach_task_self(), port, MACH_PORT_LIMITS_INFO,
                                              (mach_port_info_t)&limits,
                                              MACH_PORT_LIMITS_INFO_COUNT),
                     KERN_SUCCESS);
}

/* Sends a simple request {id, value} to dest; reply_port gets a send-once right (NULL: none).
 * Returns mach_msg's result. */
static inline mach_msg_return_t svc_send_simple(mach_port_t dest, mach_port_t reply_port,
                                                mach_msg_id_t id, int value) {
    svc_simple_msg_t msg;
    memset(&msg, 0, sizeof msg);
    msg.Head.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND,
                                        reply_port ? MACH_MSG_TYPE_MAKE_SEND_ONCE : 0);
    msg.Head.msgh_size = sizeof msg;
    msg.Head.msgh_remote_port = dest;
    msg.Head.msgh_local_port = reply_port;
    msg.Head.msgh_id = id;
    msg.NDR = NDR_record;
    msg.value = value;
    return mach_msg(&msg.Head, MACH_SEND_MSG, sizeof msg, 0, MACH_PORT_NULL,
                    MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL);
}

/* Sends a complex request carrying ool_size bytes out of line (copied) and a send right to
 * carried (made from its receive right), to dest (receive right held by the caller). */
static inline mach_msg_return_t svc_send_complex(mach_port_t dest, mach_port_t reply_port,
                                                 mach_msg_id_t id, const void *ool,
                                                 mach_msg_size_t ool_size, mach_port_t carried,
                                                 mach_msg_type_name_t carried_disposition) {
    svc_complex_msg_t msg;
    memset(&msg, 0, sizeof msg);
    msg.Head.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND,
                                        reply_port ? MACH_MSG_TYPE_MAKE_SEND_ONCE : 0) |
                         MACH_MSGH_BITS_COMPLEX;
    msg.Head.msgh_size = sizeof msg;
    msg.Head.msgh_remote_port = dest;
    msg.Head.msgh_local_port = reply_port;
    msg.Head.msgh_id = id;
    msg.body.msgh_descriptor_count = 2;
    msg.ool.address = (void *)(uintptr_t)ool;
    msg.ool.size = ool_size;
    msg.ool.deallocate = FALSE;
    msg.ool.copy = MACH_MSG_VIRTUAL_COPY;
    msg.ool.type = MACH_MSG_OOL_DESCRIPTOR;
    msg.port.name = carried;
    msg.port.disposition = carried_disposition;
    msg.port.type = MACH_MSG_PORT_DESCRIPTOR;
    msg.NDR = NDR_record;
    msg.value = (int)id;
    return mach_msg(&msg.Head, MACH_SEND_MSG, sizeof msg, 0, MACH_PORT_NULL,
                    MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL);
}

/* Receives one message on port into *buffer with a timeout in ms (0: poll). */
static inline mach_msg_return_t svc_receive(mach_port_t port, svc_buffer_t *buffer,
                                            mach_msg_timeout_t timeout_ms) {
    memset(buffer, 0, sizeof *buffer);
    return mach_msg(&buffer->Head, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof *buffer, port,
                    timeout_ms, MACH_PORT_NULL);
}

#endif /* OPENMIG_TESTS_SVC_SUPPORT_H */
