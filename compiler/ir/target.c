// Target ABI facts: the Darwin 64-bit user ABI that message layouts are computed for
// (mach/message.h with its #pragma pack(4) descriptors and trailers, mig_errors.h).
#include "ir/target.h"

const struct target_abi *target_lp64(void) {
    static const struct target_abi lp64 = {
        .name = "lp64",
        .header_size = 24,
        .body_size = 4,
        .port_desc_size = 12,
        .ool_desc_size = 16,
        .ool_ports_desc_size = 16,
        .ndr_size = 8,
        .retcode_size = 4,
        .count_size = 4,
        .port_name_size = 4,
        .pointer_size = 8,
        .inline_align = 4,
        .trailer_size = 8,
        .max_trailer_size = 68,
        .seqno_trailer_offset = 8,
        .sender_trailer_offset = 12,
        .audit_trailer_offset = 20,
        .context_trailer_offset = 52,
        .security_token_size = 8,
        .audit_token_size = 32,
        .context_size = 8,
        .error_reply_size = 36,
        .native_type_size = 4,
    };
    return &lp64;
}
