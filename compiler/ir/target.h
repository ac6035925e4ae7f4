// Target ABI facts for message layout: header, descriptor, NDR and trailer sizes. The check steps
// lay messages out for one target (Darwin's 64-bit user ABI, "lp64"); emitters read the numbers
// from the IR and never from here.
#ifndef MIGC_TARGET_H
#define MIGC_TARGET_H

#include <stdint.h>

struct target_abi {
    const char *name;               // "lp64"
    uint32_t header_size;           // mach_msg_header_t: 24
    uint32_t body_size;             // mach_msg_body_t: 4
    uint32_t port_desc_size;        // mach_msg_port_descriptor_t: 12
    uint32_t ool_desc_size;         // mach_msg_ool_descriptor_t: 16
    uint32_t ool_ports_desc_size;   // mach_msg_ool_ports_descriptor_t: 16
    uint32_t ndr_size;              // NDR_record_t: 8
    uint32_t retcode_size;          // kern_return_t: 4
    uint32_t count_size;            // mach_msg_type_number_t: 4
    uint32_t port_name_size;        // mach_port_name_t / mach_port_t in a message: 4
    uint32_t pointer_size;          // 8
    uint32_t inline_align;          // every inline field is padded to this (natural_t): 4
    uint32_t trailer_size;          // mach_msg_trailer_t: 8
    uint32_t max_trailer_size;      // mach_msg_max_trailer_t (mac trailer, pack(4)): 68
    uint32_t seqno_trailer_offset;  // msgh_seqno inside the trailer: 8
    uint32_t sender_trailer_offset; // msgh_sender (security_token_t): 12
    uint32_t audit_trailer_offset;  // msgh_audit (audit_token_t): 20
    uint32_t context_trailer_offset;// msgh_context (mach_port_context_t): 52
    uint32_t security_token_size;   // security_token_t: 8
    uint32_t audit_token_size;      // audit_token_t: 32
    uint32_t context_size;          // mach_port_context_t: 8
    uint32_t error_reply_size;      // mig_reply_error_t: header + NDR + RetCode = 36
    uint32_t native_type_size;      // default size assumed for PointerTo/ValueOf (UserTypeLimit)
};

// The Darwin 64-bit user ABI (x86_64 and arm64), the only target the compiler lays out for.
const struct target_abi *target_lp64(void);

#endif
