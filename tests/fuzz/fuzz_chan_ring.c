// libFuzzer target for the shared ring of a direct channel (runtime/src/wire/chan_ring.c): the
// input plays the hostile peer. It sets direction 0's head and tail and its record data, then a
// consumer (side 1) peeks and consumes until EMPTY or BROKEN; it sets direction 1's tail under a
// producer (side 1) that publishes records until FULL or BROKEN, and pokes the doorbell and credit
// words. Nothing may crash or read outside the mapping (malloc'd exactly CHAN_SHARED_SIZE, so ASan
// sees any overrun), a consumer never takes more than was published, and every record it takes
// is well framed.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wire/chan_ring.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

// The input: this header, then bytes written into direction 0's data from tail on (wrapping).
struct fuzz_chan_input {
    uint64_t head, tail;   // direction 0: the peer's head, our (consumer's) tail
    uint64_t phead, ptail; // direction 1: our (producer's) head, the peer's tail
    uint32_t sleeping;     // direction 1's sleeping word, as the peer left it
    uint32_t slot;         // a credit slot (may be out of range)
    uint16_t sizes[6];     // body sizes the producer publishes (mod CHAN_MAX_BODY + 1)
};

_Static_assert(sizeof(struct fuzz_chan_input) == 56, "the seeds' layout (tests/fuzz/seeds/chan_ring_seeds.py)");

#define DIR_BYTES (CHAN_SHARED_SIZE / 2u)
#define DATA_OFF 8192u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static uint8_t body[CHAN_MAX_BODY];
    struct fuzz_chan_input in;
    if (size < sizeof in)
        return 0;
    memcpy(&in, data, sizeof in);
    data += sizeof in;
    size -= sizeof in;
    uint8_t *m = calloc(1, CHAN_SHARED_SIZE);
    if (!m)
        return 0;
    memcpy(m, &in.head, 8);
    memcpy(m + 128, &in.tail, 8);
    memcpy(m + DIR_BYTES, &in.phead, 8);
    memcpy(m + DIR_BYTES + 128, &in.ptail, 8);
    memcpy(m + DIR_BYTES + 136, &in.sleeping, 4);
    uint8_t *ring = m + DATA_OFF;
    for (size_t i = 0; i < size && i < CHAN_RING_BYTES; i++)
        ring[(in.tail + i) % CHAN_RING_BYTES] = data[i];

    // Consumer against the hostile producer.
    struct chan_end c;
    chan_end_init(&c, m, 1);
    uint64_t start = c.tail;
    struct chan_record r;
    enum chan_status st;
    size_t cap = in.sizes[0] & 1 ? CHAN_MAX_BODY : in.sizes[1] % (CHAN_MAX_BODY + 1);
    while ((st = chan_peek(&c, &r, body, cap)) == CHAN_OK) {
        if (r.len % 8 || r.len < CHAN_RECORD_HEADER || r.body_len > cap || c.next - start > CHAN_RING_BYTES ||
            c.next - start > in.head - in.tail)
            abort();
        chan_consume(&c);
    }
    if (st != CHAN_EMPTY && st != CHAN_BROKEN)
        abort();
    if (st == CHAN_EMPTY && c.tail != in.head)
        abort();
    (void)chan_sleep_prepare(&c);
    chan_sleep_done(&c);

    // Producer against the hostile consumer.
    struct chan_end p;
    chan_end_init(&p, m, 1);
    for (size_t i = 0; i < sizeof in.sizes / sizeof in.sizes[0]; i++) {
        struct chan_record h = {.kind = CHAN_REC_MSG, .dest = in.slot, .body_len = in.sizes[i] % (CHAN_MAX_BODY + 1)};
        bool wake, room = chan_has_room(&p, h.body_len);
        st = chan_produce(&p, &h, body, &wake);
        if ((st == CHAN_OK) != room || (wake && in.sleeping != 1))
            abort();
        if (st != CHAN_OK)
            break;
    }

    // Credits on a hostile slot number and grant words.
    chan_grant(&c, in.slot, in.sleeping);
    (void)chan_credit_ok(&p, in.slot, (uint32_t)in.ptail);
    (void)chan_credit_wait(&p, in.slot, (uint32_t)in.ptail, 0);
    free(m);
    return 0;
}
