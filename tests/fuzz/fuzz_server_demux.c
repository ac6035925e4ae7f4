// libFuzzer target: arbitrary messages for the generated demux of a rich interface
// (tests/e2e/constructs), delivered through the runtime's real send and receive path and served
// by mach_msg_server_once, exactly as a server sees hostile clients. After every input the
// runtime's object counters and the reference counts of the test's ports must be back where they
// were: nothing leaked, nothing destroyed twice.
//
// Input: a 4-byte prefix {routine, flags, descriptor count, reserved}, then per descriptor 8 bytes
// {type, disposition, port selector, flags, size (4, little endian)}, then the inline bytes.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <mach/mach.h>
#include <mach/mach_port.h>
#include <mach/mig.h>
#include <mach/openmig_stats.h>

#include "constructs.h"
#include "constructs_server.h"

extern boolean_t constructs_server(mach_msg_header_t *InHeadP, mach_msg_header_t *OutHeadP);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define MAX_INLINE 4096
#define MAX_DESCRIPTORS 4
#define POOL 4

static mach_port_t server_port, reply_port;
static mach_port_t pool[POOL];          // a few names descriptors may carry
static mach_port_urefs_t pool_send_refs[POOL];
static struct openmig_ipc_stats baseline;
static char ool_source[8192];

static mach_msg_size_t max_message(void) {
    size_t req = sizeof(union __RequestUnion__constructs_subsystem);
    size_t rep = sizeof(union __ReplyUnion__constructs_subsystem);
    return (mach_msg_size_t)(req > rep ? req : rep);
}

static void check(int ok) {
    if (!ok)
        abort();
}

static mach_port_t new_port(void) {
    mach_port_t p = MACH_PORT_NULL;
    check(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &p) == KERN_SUCCESS);
    check(mach_port_insert_right(mach_task_self(), p, p, MACH_MSG_TYPE_MAKE_SEND) ==
          KERN_SUCCESS);
    return p;
}

static mach_port_urefs_t send_refs(mach_port_t p) {
    mach_port_urefs_t refs = 0;
    check(mach_port_get_refs(mach_task_self(), p, MACH_PORT_RIGHT_SEND, &refs) == KERN_SUCCESS);
    return refs;
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    constructs_max_delay_ms = 0;
    server_port = new_port();
    reply_port = new_port();
    pool[0] = new_port();
    pool[1] = new_port();
    pool[2] = MACH_PORT_NULL;
    pool[3] = MACH_PORT_DEAD;
    for (int i = 0; i < 2; i++)
        pool_send_refs[i] = send_refs(pool[i]);
    for (size_t i = 0; i < sizeof ool_source; i++)
        ool_source[i] = (char)i;
    openmig_ipc_stats_get(&baseline);
    return 0;
}

// Receives and destroys everything queued on `port` (replies, send-once notifications).
static void drain(mach_port_t port) {
    union {
        mach_msg_header_t head;
        char bytes[16384];
    } buf;
    for (;;) {
        mach_msg_return_t mr = mach_msg(&buf.head, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof buf,
                                        port, 0, MACH_PORT_NULL);
        if (mr != MACH_MSG_SUCCESS)
            break;
        mach_msg_destroy(&buf.head);
    }
}

// Mostly rights we can make from the receive rights we hold (so nothing of ours is consumed);
// sometimes any byte at all.
static mach_msg_type_name_t pick_disposition(uint8_t b) {
    switch (b % 4) {
    case 0:
        return MACH_MSG_TYPE_COPY_SEND;
    case 1:
        return MACH_MSG_TYPE_MAKE_SEND;
    case 2:
        return MACH_MSG_TYPE_MAKE_SEND_ONCE;
    default:
        return b;
    }
}

static uint32_t le32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

// Builds the message the input describes into `msg`; returns its size.
static mach_msg_size_t build(const uint8_t *data, size_t size, uint8_t *msg,
                             mach_port_t *ool_ports) {
    mach_msg_header_t *h = (mach_msg_header_t *)msg;
    uint8_t routine = data[0], flags = data[1];
    unsigned ndesc = data[2] % (MAX_DESCRIPTORS + 1);
    data += 4, size -= 4;
    memset(h, 0, sizeof *h);
    h->msgh_id = (routine & 0x80) ? (mach_msg_id_t)((uint32_t)routine << 24 | flags)
                                  : 4200 + (routine % 32);
    h->msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND,
                                  (flags & 2) ? 0 : MACH_MSG_TYPE_MAKE_SEND_ONCE);
    h->msgh_remote_port = server_port;
    h->msgh_local_port = (flags & 2) ? MACH_PORT_NULL : reply_port;
    mach_msg_size_t off = sizeof *h;
    if (flags & 1) {
        h->msgh_bits |= MACH_MSGH_BITS_COMPLEX;
        mach_msg_body_t *body = (mach_msg_body_t *)(msg + off);
        body->msgh_descriptor_count = ndesc;
        off += sizeof *body;
        for (unsigned i = 0; i < ndesc && size >= 8; i++, data += 8, size -= 8) {
            uint8_t type = data[0], disp = data[1], sel = data[2], dflags = data[3];
            uint32_t len = le32(data + 4);
            switch (type % 3) {
            case 0: {
                mach_msg_port_descriptor_t *d = (mach_msg_port_descriptor_t *)(msg + off);
                memset(d, 0, sizeof *d);
                d->name = pool[sel % POOL];
                d->disposition = pick_disposition(disp);
                d->type = MACH_MSG_PORT_DESCRIPTOR;
                off += sizeof *d;
                break;
            }
            case 1: {
                mach_msg_ool_descriptor_t *d = (mach_msg_ool_descriptor_t *)(msg + off);
                memset(d, 0, sizeof *d);
                d->address = ool_source;
                d->size = len % sizeof ool_source;
                d->deallocate = FALSE; // the source is ours and static
                d->copy = (dflags & 1) ? MACH_MSG_PHYSICAL_COPY : MACH_MSG_VIRTUAL_COPY;
                d->type = (dflags & 2) ? type : MACH_MSG_OOL_DESCRIPTOR;
                off += sizeof *d;
                break;
            }
            default: {
                mach_msg_ool_ports_descriptor_t *d = (mach_msg_ool_ports_descriptor_t *)(msg + off);
                memset(d, 0, sizeof *d);
                d->address = ool_ports;
                d->count = len % POOL;
                d->deallocate = FALSE;
                d->copy = MACH_MSG_PHYSICAL_COPY;
                d->disposition = pick_disposition(disp);
                d->type = MACH_MSG_OOL_PORTS_DESCRIPTOR;
                off += sizeof *d;
                break;
            }
            }
        }
    }
    size_t inline_bytes = size > MAX_INLINE ? MAX_INLINE : size;
    inline_bytes &= ~(size_t)3;
    memcpy(msg + off, data, inline_bytes);
    off += (mach_msg_size_t)inline_bytes;
    h->msgh_size = off;
    return off;
}

static void expect_baseline(void) {
    struct openmig_ipc_stats now;
    openmig_ipc_stats_get(&now);
    check(now.ports == baseline.ports);
    check(now.entries == baseline.entries);
    check(now.messages == baseline.messages);
    check(now.ool_regions == baseline.ool_regions);
    check(now.vm_regions == baseline.vm_regions);
    check(now.vm_bytes == baseline.vm_bytes);
    for (int i = 0; i < 2; i++)
        check(send_refs(pool[i]) == pool_send_refs[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static uint8_t msg[sizeof(mach_msg_header_t) + 4 + MAX_DESCRIPTORS * 16 + MAX_INLINE];
    mach_port_t ool_ports[POOL] = {pool[0], pool[1], pool[2], pool[3]};
    if (size < 4)
        return 0;
    mach_msg_size_t len = build(data, size, msg, ool_ports);
    mach_msg_return_t mr = mach_msg((mach_msg_header_t *)msg, MACH_SEND_MSG | MACH_SEND_TIMEOUT,
                                    len, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL);
    if (mr == MACH_MSG_SUCCESS) {
        mach_msg_options_t options = MACH_RCV_TRAILER_TYPE(MACH_MSG_TRAILER_FORMAT_0) |
                                     MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_AUDIT);
        (void)mach_msg_server_once(constructs_server, max_message(), server_port, options);
    } else if (mr == MACH_SEND_TIMED_OUT || mr == MACH_SEND_INTERRUPTED) {
        mach_msg_destroy((mach_msg_header_t *)msg); // returned to us by pseudo-receive
    }
    drain(reply_port);
    drain(pool[0]);
    drain(pool[1]);
    if (constructs_server_made_port != MACH_PORT_NULL) { // port_out keeps a receive right
        (void)mach_port_mod_refs(mach_task_self(), constructs_server_made_port,
                                 MACH_PORT_RIGHT_RECEIVE, -1);
        constructs_server_made_port = MACH_PORT_NULL;
    }
    expect_baseline();
    return 0;
}
