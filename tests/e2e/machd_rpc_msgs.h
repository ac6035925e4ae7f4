/* Messages of machd_rpc_peer's RPC (id 500 -> 600), shared by the programs that call it. */
#ifndef MACHD_RPC_MSGS_H
#define MACHD_RPC_MSGS_H

#include <stdint.h>

#include <mach/message.h>

struct request {
    mach_msg_header_t head;
    char text[32];
};

/* The reply as received: the echoed text, the sender pid the server saw in its audit trailer,
 * room for our trailer. */
struct reply_buf {
    mach_msg_header_t head;
    char text[32];
    int32_t sender_pid;
    uint8_t trailer[128];
};

#endif
