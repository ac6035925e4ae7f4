// libFuzzer target for machd's request decoding (runtime/src/machd_proto.c): any datagram is
// either refused or decodes to a message whose encoding is byte-for-byte the input (the format
// is canonical), so the decoder can neither crash nor accept something it would not produce.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wire/machd_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static struct machd_msg msg;
    static uint8_t again[MACHD_MAX_PACKET];
    // Decode from a private copy, as machd does with its receive buffer.
    uint8_t *copy = malloc(size ? size : 1);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    if (machd_proto_decode(copy, size, &msg) == MACHD_DECODE_OK) {
        size_t len = machd_proto_encode(&msg, again, sizeof again);
        if (len != size || memcmp(again, copy, size) != 0)
            abort();
        (void)machd_proto_is_request(msg.type);
    }
    free(copy);
    return 0;
}
