/* fuzz_mach_msg.c: libFuzzer target for mach_msg copy-in, delivery and copy-out. Each input
 * builds one hostile message (header bits and names, sizes, descriptor counts and types,
 * dispositions, names the task does not hold, OOL ranges) over a fresh palette of ports, sends
 * it, receives whatever was delivered, and tears everything down. Checked after every input:
 * the send returns a Mach code, a delivered message is the one sent, and the core's live-object
 * counters are back at their baseline. Memory the message points at is always ours: OOL ranges
 * lie inside a vm_allocate'd arena, so the fuzzer tests the runtime, not the harness. */
#include <mach/mach.h>
#include <mach/mach_error.h>
#include <mach/openmig_stats.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ARENA_SIZE (4 * 4096)
#define MAX_DESCRIPTORS 16
#define MAX_INLINE 255
#define MAX_OOL_PORTS 32
#define MAX_MESSAGES 4

/* ---- input reader: every read succeeds; past the end it yields zeros ---- */

struct reader {
    const uint8_t *data;
    size_t size;
    size_t pos;
};

static uint8_t read_u8(struct reader *r) {
    return r->pos < r->size ? r->data[r->pos++] : 0;
}

static uint16_t read_u16(struct reader *r) {
    uint16_t lo = read_u8(r);
    return (uint16_t)(lo | (uint16_t)read_u8(r) << 8);
}

static uint32_t read_u32(struct reader *r) {
    uint32_t lo = read_u16(r);
    return lo | (uint32_t)read_u16(r) << 16;
}

/* ---- the palette: rights the message may name ---- */

enum {
    PAL_NULL,
    PAL_DEAD,       /* MACH_PORT_DEAD */
    PAL_DEST,       /* receive + send */
    PAL_OTHER,      /* receive only */
    PAL_SET,        /* port set holding PAL_MEMBER */
    PAL_MEMBER,     /* receive + send, in PAL_SET */
    PAL_DEAD_NAME,  /* a dead name */
    PAL_SEND_ONCE,  /* a send-once right to PAL_OTHER */
    PAL_BOGUS,      /* a name the task does not hold */
    PAL_COUNT,
};

struct palette {
    mach_port_t names[PAL_COUNT];
};

/* Names that existed before the first input (the bootstrap port, ...): never touched. */
static mach_port_name_t *preexisting;
static mach_msg_type_number_t preexisting_count;

static bool is_preexisting(mach_port_name_t name) {
    for (mach_msg_type_number_t i = 0; i < preexisting_count; i++)
        if (preexisting[i] == name)
            return true;
    return false;
}

static void fail(const char *what, kern_return_t kr) {
    fprintf(stderr, "fuzz_mach_msg: %s (0x%x %s)\n", what, (unsigned)kr, mach_error_string(kr));
    abort();
}

static void must(kern_return_t kr, const char *what) {
    if (kr != KERN_SUCCESS)
        fail(what, kr);
}

static void snapshot_names(mach_port_name_t **names, mach_msg_type_number_t *count) {
    mach_port_name_array_t array = NULL;
    mach_port_type_array_t types = NULL;
    mach_msg_type_number_t types_count = 0;
    must(mach_port_names(mach_task_self(), &array, count, &types, &types_count),
         "mach_port_names");
    *names = malloc((*count + 1) * sizeof **names);
    if (*names == NULL)
        abort();
    memcpy(*names, array, *count * sizeof **names);
    must(vm_deallocate(mach_task_self(), (vm_address_t)array, *count * sizeof *array),
         "vm_deallocate names");
    must(vm_deallocate(mach_task_self(), (vm_address_t)types, types_count * sizeof *types),
         "vm_deallocate types");
}

static mach_port_t new_port(void) {
    mach_port_t port = MACH_PORT_NULL;
    must(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &port), "allocate");
    return port;
}

static void make_palette(struct palette *p) {
    mach_port_t task = mach_task_self();
    p->names[PAL_NULL] = MACH_PORT_NULL;
    p->names[PAL_DEAD] = MACH_PORT_DEAD;
    p->names[PAL_DEST] = new_port();
    must(mach_port_insert_right(task, p->names[PAL_DEST], p->names[PAL_DEST],
                                MACH_MSG_TYPE_MAKE_SEND),
         "make send");
    p->names[PAL_OTHER] = new_port();
    must(mach_port_allocate(task, MACH_PORT_RIGHT_PORT_SET, &p->names[PAL_SET]), "set");
    p->names[PAL_MEMBER] = new_port();
    must(mach_port_insert_right(task, p->names[PAL_MEMBER], p->names[PAL_MEMBER],
                                MACH_MSG_TYPE_MAKE_SEND),
         "make send member");
    must(mach_port_move_member(task, p->names[PAL_MEMBER], p->names[PAL_SET]), "move member");
    mach_port_t doomed = new_port();
    must(mach_port_insert_right(task, doomed, doomed, MACH_MSG_TYPE_MAKE_SEND), "send doomed");
    must(mach_port_mod_refs(task, doomed, MACH_PORT_RIGHT_RECEIVE, -1), "kill doomed");
    p->names[PAL_DEAD_NAME] = doomed;
    mach_msg_type_name_t acquired = 0;
    must(mach_port_extract_right(task, p->names[PAL_OTHER], MACH_MSG_TYPE_MAKE_SEND_ONCE,
                                 &p->names[PAL_SEND_ONCE], &acquired),
         "send-once");
    mach_port_t bogus = 0x00abcd03;
    while (is_preexisting(bogus) || bogus == p->names[PAL_DEST] || bogus == p->names[PAL_OTHER] ||
           bogus == p->names[PAL_SET] || bogus == p->names[PAL_MEMBER] || bogus == doomed ||
           bogus == p->names[PAL_SEND_ONCE])
        bogus += 0x100;
    p->names[PAL_BOGUS] = bogus;
}

static mach_port_t pick_name(const struct palette *p, uint8_t selector) {
    return p->names[selector % PAL_COUNT];
}

/* Destroys every name the input left behind, whatever rights it holds. */
static void tear_down_names(void) {
    mach_port_name_t *names = NULL;
    mach_msg_type_number_t count = 0;
    snapshot_names(&names, &count);
    for (mach_msg_type_number_t i = 0; i < count; i++)
        if (!is_preexisting(names[i]))
            must(mach_port_destroy(mach_task_self(), names[i]), "destroy leftover name");
    free(names);
}

/* ---- building the message ---- */

struct built {
    uint8_t *buffer;          /* exactly send_size bytes (ASan sees any over-read) */
    mach_msg_size_t send_size;
    mach_msg_id_t id;
    uint8_t inline_bytes[MAX_INLINE];
    mach_msg_size_t inline_len;
    mach_msg_size_t inline_offset; /* where the inline bytes start in the message */
    vm_address_t arena;            /* OOL data lives here */
    vm_address_t name_page;        /* OOL port arrays live here */
    bool was_sent;                 /* mach_msg accepted it */
};

static mach_msg_type_name_t read_disposition(struct reader *r) {
    uint8_t raw = read_u8(r);
    /* Mostly the real dispositions (16..21, 24, 25), sometimes anything at all. */
    static const mach_msg_type_name_t valid[] = {
        MACH_MSG_TYPE_MOVE_RECEIVE, MACH_MSG_TYPE_MOVE_SEND, MACH_MSG_TYPE_MOVE_SEND_ONCE,
        MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE,
        0};
    if (raw & 0x80)
        return raw & 0x1f;
    return valid[raw % (sizeof valid / sizeof valid[0])];
}

/* Writes one descriptor at *cursor (inside buffer of `capacity`); returns its size. */
static size_t write_descriptor(struct reader *r, const struct palette *p, struct built *b,
                               uint8_t *at, bool *arena_given_away, bool *names_given_away) {
    uint8_t kind = read_u8(r);
    switch (kind % 5) {
    case 0: { /* port */
        mach_msg_port_descriptor_t d;
        memset(&d, 0, sizeof d);
        d.name = pick_name(p, read_u8(r));
        d.disposition = read_disposition(r);
        d.type = MACH_MSG_PORT_DESCRIPTOR;
        memcpy(at, &d, sizeof d);
        return sizeof d;
    }
    case 1: { /* OOL data inside the arena; giving the whole arena away only once */
        mach_msg_ool_descriptor_t d;
        memset(&d, 0, sizeof d);
        uint16_t offset = read_u16(r) % ARENA_SIZE;
        uint16_t length = read_u16(r) % (ARENA_SIZE - offset + 1);
        uint8_t flags = read_u8(r);
        d.address = (void *)(b->arena + offset);
        d.size = length;
        d.copy = (flags & 1) ? MACH_MSG_PHYSICAL_COPY : MACH_MSG_VIRTUAL_COPY;
        if (flags & 2)
            d.copy = flags >> 4; /* any value */
        if ((flags & 4) && !*arena_given_away) {
            d.address = (void *)b->arena;
            d.size = ARENA_SIZE;
            d.deallocate = TRUE;
            *arena_given_away = true;
        } else if (*arena_given_away) {
            d.address = NULL;
            d.size = 0;
        }
        if (flags & 8) {
            d.address = NULL; /* NULL with a size: must be refused, not read */
        }
        d.type = (flags & 0x40) ? MACH_MSG_OOL_VOLATILE_DESCRIPTOR : MACH_MSG_OOL_DESCRIPTOR;
        memcpy(at, &d, sizeof d);
        return sizeof d;
    }
    case 2: { /* OOL port array inside the name page */
        mach_msg_ool_ports_descriptor_t d;
        memset(&d, 0, sizeof d);
        uint8_t count = read_u8(r) % (MAX_OOL_PORTS + 1);
        uint8_t flags = read_u8(r);
        mach_port_name_t *names = (mach_port_name_t *)b->name_page;
        if (!*names_given_away)
            for (uint8_t i = 0; i < count; i++)
                names[i] = pick_name(p, read_u8(r));
        d.address = *names_given_away ? NULL : names;
        d.count = *names_given_away ? 0 : count;
        d.disposition = read_disposition(r);
        d.copy = (flags & 1) ? MACH_MSG_PHYSICAL_COPY : MACH_MSG_VIRTUAL_COPY;
        if ((flags & 2) && !*names_given_away && count == MAX_OOL_PORTS) {
            d.deallocate = TRUE;
            *names_given_away = true;
        }
        if (flags & 8)
            d.count = read_u32(r); /* a count beyond the array: must be refused */
        d.type = MACH_MSG_OOL_PORTS_DESCRIPTOR;
        if (flags & 8)
            d.address = NULL;
        memcpy(at, &d, sizeof d);
        return sizeof d;
    }
    case 3: { /* a guarded port descriptor, or garbage with a chosen type */
        uint8_t raw[16];
        for (size_t i = 0; i < sizeof raw; i++)
            raw[i] = read_u8(r);
        /* keep any address-looking field harmless: zero the first 8 bytes */
        memset(raw, 0, 8);
        memcpy(at, raw, sizeof raw);
        return sizeof raw;
    }
    default: { /* a port descriptor of a 12-byte type field value chosen by the input */
        mach_msg_port_descriptor_t d;
        memset(&d, 0, sizeof d);
        d.name = pick_name(p, read_u8(r));
        d.disposition = read_disposition(r);
        d.type = read_u8(r) & 0xff;
        if (d.type == MACH_MSG_OOL_DESCRIPTOR || d.type == MACH_MSG_OOL_PORTS_DESCRIPTOR ||
            d.type == MACH_MSG_OOL_VOLATILE_DESCRIPTOR)
            d.type = MACH_MSG_PORT_DESCRIPTOR; /* 12 bytes must not pass as a 16-byte OOL */
        memcpy(at, &d, sizeof d);
        return sizeof d;
    }
    }
}

/* Builds the message described by the input; returns mach_msg options to use. */
static mach_msg_option_t build_message(struct reader *r, const struct palette *p, struct built *b) {
    uint8_t flags = read_u8(r);
    bool complex = flags & 1, honest_size = flags & 2, honest_send_size = flags & 4;
    mach_port_t remote = pick_name(p, read_u8(r));
    mach_msg_type_name_t remote_disp = read_disposition(r);
    mach_port_t local = pick_name(p, read_u8(r));
    mach_msg_type_name_t local_disp = read_disposition(r);
    mach_port_t voucher = (flags & 0x20) ? pick_name(p, read_u8(r)) : MACH_PORT_NULL;
    mach_msg_type_name_t voucher_disp = (flags & 0x20) ? read_disposition(r) : 0;
    b->id = (mach_msg_id_t)read_u32(r);

    uint8_t scratch[sizeof(mach_msg_header_t) + sizeof(mach_msg_body_t) +
                    MAX_DESCRIPTORS * 16 + MAX_INLINE + 8];
    memset(scratch, 0, sizeof scratch);
    size_t length = sizeof(mach_msg_header_t);
    bool arena_given_away = false, names_given_away = false;
    if (complex) {
        uint8_t count = read_u8(r) % (MAX_DESCRIPTORS + 1);
        mach_msg_body_t body = {.msgh_descriptor_count = count};
        if (flags & 0x40)
            body.msgh_descriptor_count = read_u32(r); /* a lie */
        memcpy(scratch + length, &body, sizeof body);
        length += sizeof body;
        for (uint8_t i = 0; i < count; i++)
            length += write_descriptor(r, p, b, scratch + length, &arena_given_away,
                                       &names_given_away);
    }
    b->inline_offset = (mach_msg_size_t)length;
    b->inline_len = read_u8(r);
    for (mach_msg_size_t i = 0; i < b->inline_len; i++)
        b->inline_bytes[i] = read_u8(r);
    memcpy(scratch + length, b->inline_bytes, b->inline_len);
    length += b->inline_len;

    mach_msg_header_t header = {
        .msgh_bits = MACH_MSGH_BITS_SET(remote_disp, local_disp, voucher_disp,
                                        complex ? MACH_MSGH_BITS_COMPLEX : 0),
        .msgh_size = (mach_msg_size_t)length,
        .msgh_remote_port = remote,
        .msgh_local_port = local,
        .msgh_voucher_port = voucher,
        .msgh_id = b->id,
    };
    if (flags & 0x80)
        header.msgh_bits ^= (mach_msg_bits_t)read_u32(r) & ~MACH_MSGH_BITS_PORTS_MASK;
    if (!honest_size)
        header.msgh_size = read_u32(r) % (sizeof scratch + 64);
    memcpy(scratch, &header, sizeof header);

    b->send_size = honest_send_size ? header.msgh_size : read_u16(r) % (sizeof scratch + 1);
    /* The buffer holds send_size bytes exactly (at least one), copied from scratch. */
    size_t allocated = b->send_size ? b->send_size : 1;
    b->buffer = calloc(1, allocated);
    if (b->buffer == NULL)
        abort();
    memcpy(b->buffer, scratch, allocated < sizeof scratch ? allocated : sizeof scratch);

    mach_msg_option_t options = MACH_SEND_MSG | MACH_SEND_TIMEOUT; /* never block */
    if (flags & 0x08)
        options |= MACH_SEND_TRAILER;
    if (flags & 0x10)
        options |= (mach_msg_option_t)(read_u8(r) & 0x60); /* OVERRIDE, INTERRUPT */
    return options;
}

/* ---- receiving what was delivered ---- */

static void check_delivered(const mach_msg_header_t *msg, mach_msg_size_t buffer_size,
                            const struct built *sent, int sent_count) {
    if (msg->msgh_size < sizeof(mach_msg_header_t) || msg->msgh_size > buffer_size)
        fail("delivered message has an impossible size", (kern_return_t)msg->msgh_size);
    const mach_msg_trailer_t *trailer =
        (const mach_msg_trailer_t *)((const char *)msg + round_msg(msg->msgh_size));
    if ((const char *)trailer + sizeof *trailer > (const char *)msg + buffer_size ||
        trailer->msgh_trailer_size < sizeof *trailer)
        fail("delivered message lacks its trailer", 0);
    /* The inline bytes that fit in msgh_size arrive as they were sent: one of the messages sent
     * with this id must match (others are notifications the input caused). */
    bool any_with_id = false;
    for (int i = 0; i < sent_count; i++) {
        const struct built *b = &sent[i];
        if (!b->was_sent || msg->msgh_id != b->id)
            continue;
        any_with_id = true;
        mach_msg_size_t end = b->inline_offset + b->inline_len;
        if (end > msg->msgh_size)
            end = msg->msgh_size;
        if (end <= b->inline_offset ||
            memcmp((const char *)msg + b->inline_offset, b->inline_bytes,
                   end - b->inline_offset) == 0)
            return;
    }
    if (any_with_id)
        fail("delivered inline data differs from what was sent", 0);
}

/* Receives and destroys everything queued on name; returns how many messages. */
static int drain(mach_port_t name, struct reader *r, const struct built *sent, int sent_count) {
    int received = 0;
    mach_msg_size_t size = 64 + read_u16(r) % 2048;
    for (int guard = 0; guard < 64; guard++) {
        mach_msg_option_t options = MACH_RCV_MSG | MACH_RCV_TIMEOUT;
        uint8_t choice = read_u8(r);
        if (choice & 1)
            options |= MACH_RCV_LARGE;
        if (choice & 2)
            options |= MACH_RCV_TRAILER_TYPE(MACH_MSG_TRAILER_FORMAT_0) |
                       MACH_RCV_TRAILER_ELEMENTS(choice >> 4);
        mach_msg_size_t capacity = size + MAX_TRAILER_SIZE;
        mach_msg_header_t *msg = calloc(1, capacity);
        if (msg == NULL)
            abort();
        mach_msg_return_t mr = mach_msg(msg, options, 0, size, name, 0, MACH_PORT_NULL);
        if (mr == MACH_RCV_TOO_LARGE && (options & MACH_RCV_LARGE)) {
            size = msg->msgh_size + MAX_TRAILER_SIZE;
            free(msg);
            continue; /* still queued: receive it with room */
        }
        if (mr == MACH_MSG_SUCCESS) {
            check_delivered(msg, capacity, sent, sent_count);
            mach_msg_destroy(msg);
            received++;
        }
        free(msg);
        if (mr == MACH_RCV_TIMED_OUT || mr == MACH_RCV_INVALID_NAME || mr == MACH_RCV_IN_SET ||
            mr == MACH_RCV_PORT_DIED || mr == MACH_RCV_INVALID_TRAILER)
            break;
        if (mr != MACH_MSG_SUCCESS && mr != MACH_RCV_TOO_LARGE)
            fail("unexpected receive result", mr);
    }
    return received;
}

/* ---- one input ---- */

static bool same_counts(const struct openmig_ipc_stats *a, const struct openmig_ipc_stats *b) {
    return a->ports == b->ports && a->port_sets == b->port_sets && a->entries == b->entries &&
           a->messages == b->messages && a->ool_regions == b->ool_regions &&
           a->ool_bytes == b->ool_bytes && a->vm_regions == b->vm_regions &&
           a->vm_bytes == b->vm_bytes;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (preexisting == NULL)
        snapshot_names(&preexisting, &preexisting_count);
    struct openmig_ipc_stats baseline;
    openmig_ipc_stats_get(&baseline);

    struct reader r = {data, size, 0};
    struct palette p;
    make_palette(&p);
    /* Up to MAX_MESSAGES messages (queues fill, sequence numbers move), then receive all. */
    struct built sent[MAX_MESSAGES];
    memset(sent, 0, sizeof sent);
    int count = 0;
    do {
        struct built *b = &sent[count++];
        must(vm_allocate(mach_task_self(), &b->arena, ARENA_SIZE, VM_FLAGS_ANYWHERE), "arena");
        must(vm_allocate(mach_task_self(), &b->name_page,
                         MAX_OOL_PORTS * sizeof(mach_port_name_t), VM_FLAGS_ANYWHERE),
             "name page");
        memset((void *)b->arena, 0xa5, ARENA_SIZE);
        mach_msg_option_t options = build_message(&r, &p, b);
        mach_msg_return_t mr = mach_msg((mach_msg_header_t *)b->buffer, options, b->send_size, 0,
                                        MACH_PORT_NULL, 0, MACH_PORT_NULL);
        if (mr != MACH_MSG_SUCCESS && strcmp(mach_error_string(mr), "unknown error code") == 0)
            fail("send returned something that is not a Mach code", mr);
        b->was_sent = (mr == MACH_MSG_SUCCESS);
        /* A timed-out or interrupted send hands the message back (docs/ownership.md): its
         * out-of-line regions are new regions of ours; names are swept by tear_down_names. */
        if (mr == MACH_SEND_TIMED_OUT || mr == MACH_SEND_INTERRUPTED)
            mach_msg_destroy((mach_msg_header_t *)b->buffer);
    } while (count < MAX_MESSAGES && (read_u8(&r) & 1));

    static const int receivers[] = {PAL_DEST, PAL_OTHER, PAL_SET, PAL_MEMBER};
    for (size_t i = 0; i < sizeof receivers / sizeof receivers[0]; i++)
        (void)drain(p.names[receivers[i]], &r, sent, count);

    tear_down_names(); /* destroys anything still queued, and the regions it holds */
    for (int i = 0; i < count; i++) {
        free(sent[i].buffer);
        (void)vm_deallocate(mach_task_self(), sent[i].arena, ARENA_SIZE); /* unless given away */
        (void)vm_deallocate(mach_task_self(), sent[i].name_page,
                            MAX_OOL_PORTS * sizeof(mach_port_name_t));
    }

    struct openmig_ipc_stats after;
    openmig_ipc_stats_get(&after);
    if (!same_counts(&baseline, &after)) {
        fprintf(stderr,
                "fuzz_mach_msg: leak after %d message(s): ports %llu->%llu sets %llu->%llu "
                "entries %llu->%llu messages %llu->%llu ool %llu->%llu vm %llu->%llu\n",
                count, (unsigned long long)baseline.ports,
                (unsigned long long)after.ports, (unsigned long long)baseline.port_sets,
                (unsigned long long)after.port_sets, (unsigned long long)baseline.entries,
                (unsigned long long)after.entries, (unsigned long long)baseline.messages,
                (unsigned long long)after.messages, (unsigned long long)baseline.ool_regions,
                (unsigned long long)after.ool_regions, (unsigned long long)baseline.vm_regions,
                (unsigned long long)after.vm_regions);
        abort();
    }
    return 0;
}
