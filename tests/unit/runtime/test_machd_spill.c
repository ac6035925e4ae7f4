/* Unit tests for spilled payloads (runtime/src/machd_spill.c and the codec's spilled form): the
 * memfd layout, the descriptor checks machd and the runtime apply, descriptor passing, and the
 * datagram size that decides when a payload must spill. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "wire/machd_proto.h"
#include "wire/machd_conn.h"
#include "wire/machd_spill.h"

static uint8_t buf[MACHD_MAX_PACKET];
static struct machd_msg in, out;

static void make_spilled_send(struct machd_msg *m, uint32_t body_len) {
    memset(m, 0, sizeof *m);
    m->type = MACHD_MSG_SEND;
    m->u.send.dest = (struct machd_right){0x105, MACHD_DISP_COPY_SEND, 0};
    struct machd_payload *p = &m->u.send.p;
    p->msgh_bits = MACHD_MSGH_BITS_COMPLEX | MACHD_PAYLOAD_SPILLED;
    p->msgh_id = 77;
    p->body_len = body_len;
    p->ool_count = 3;
    p->ool[0].size = 3u << 20;
    p->ool[1].size = 0;
    p->ool[2].size = 5;
}

static void spilled_send_round_trips_without_its_bytes(void **state) {
    (void)state;
    make_spilled_send(&in, 1u << 20);
    size_t len = machd_proto_encode(&in, buf, sizeof buf);
    assert_int_equal(len, machd_deliver_size(&in.u.send.p) - 16); /* MSG_SEND has no audit part: 16 bytes shorter */
    assert_int_equal(machd_proto_decode(buf, len, &out), MACHD_DECODE_OK);
    const struct machd_payload *p = &out.u.send.p;
    assert_int_equal(p->msgh_bits, MACHD_MSGH_BITS_COMPLEX | MACHD_PAYLOAD_SPILLED);
    assert_int_equal(p->body_len, 1u << 20);
    assert_null(p->body);
    assert_int_equal(p->ool_count, 3);
    assert_int_equal(p->ool[0].size, 3u << 20);
    assert_null(p->ool[0].data);
    assert_int_equal(p->ool[2].size, 5);
    assert_int_equal(p->spill_fd, -1);
    assert_int_equal(p->fds_received, 0);
    /* Bytes after a spilled payload are refused: they belong in the memfd. */
    buf[len] = 0;
    uint32_t total = (uint32_t)len + 1;
    memcpy(buf + 8, &total, sizeof total);
    assert_int_equal(machd_proto_decode(buf, len + 1, &out), MACHD_DECODE_BAD_LENGTH);
}

static void spilled_sizes_are_bounded(void **state) {
    (void)state;
    make_spilled_send(&in, MACHD_MAX_SPILL_BODY + 1);
    assert_int_equal(machd_proto_encode(&in, buf, sizeof buf), 0);
    make_spilled_send(&in, MACHD_MAX_SPILL_BODY);
    size_t len = machd_proto_encode(&in, buf, sizeof buf);
    assert_true(len > 0);
    assert_int_equal(machd_proto_decode(buf, len, &out), MACHD_DECODE_OK);
    uint32_t too_big = MACHD_MAX_SPILL_BODY + 1;
    size_t off_body_len = len - 3 * MACHD_OOL_ITEM_SIZE - 4;
    memcpy(buf + off_body_len, &too_big, sizeof too_big);
    assert_int_equal(machd_proto_decode(buf, len, &out), MACHD_DECODE_TOO_LARGE);
    /* The whole memfd is bounded too: 64 regions of 4 GiB - 1. */
    make_spilled_send(&in, 16);
    in.u.send.p.ool_count = MACHD_MAX_OOL;
    for (uint32_t i = 0; i < MACHD_MAX_OOL; i++)
        in.u.send.p.ool[i].size = UINT32_MAX;
    assert_true(machd_spill_layout(&in.u.send.p, NULL) > MACHD_MAX_SPILL_BYTES);
    assert_int_equal(machd_proto_encode(&in, buf, sizeof buf), 0);
}

static void layout_aligns_every_region(void **state) {
    (void)state;
    make_spilled_send(&in, 10);
    uint64_t off[3];
    uint64_t size = machd_spill_layout(&in.u.send.p, off);
    assert_int_equal(off[0], MACHD_SPILL_ALIGN);
    assert_int_equal(off[1], MACHD_SPILL_ALIGN + (3u << 20));
    assert_int_equal(off[2], off[1]); /* an empty region takes no room */
    assert_int_equal(size, off[2] + MACHD_SPILL_ALIGN);
    in.u.send.p.body_len = 0;
    in.u.send.p.ool_count = 0;
    assert_int_equal(machd_spill_layout(&in.u.send.p, NULL), 0);
}

static void delivery_size_matches_the_encoder(void **state) {
    (void)state;
    static const uint8_t body[100], ool[7];
    memset(&in, 0, sizeof in);
    in.type = MACHD_MSG_DELIVER;
    in.u.deliver.dest = (struct machd_right){0x80000001, MACHD_DISP_MOVE_SEND, 0};
    struct machd_payload *p = &in.u.deliver.p;
    p->msgh_bits = MACHD_MSGH_BITS_COMPLEX;
    p->right_count = 1;
    static const struct machd_right right = {0x401, MACHD_DISP_MOVE_SEND, 0};
    p->rights = &right;
    p->body = body;
    p->body_len = sizeof body;
    p->ool_count = 1;
    p->ool[0] = (struct machd_ool){sizeof ool, ool};
    assert_int_equal(machd_proto_encode(&in, buf, sizeof buf), machd_deliver_size(p));
    p->msgh_bits |= MACHD_PAYLOAD_SPILLED;
    assert_int_equal(machd_proto_encode(&in, buf, sizeof buf), machd_deliver_size(p));
}

static int sealed_memfd(uint64_t size, int seals) {
    int fd = memfd_create("t", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, (off_t)size), 0);
    if (seals)
        assert_int_equal(fcntl(fd, F_ADD_SEALS, seals), 0);
    return fd;
}

static void only_sealed_memfds_of_the_right_size_pass(void **state) {
    (void)state;
    int good = sealed_memfd(8192, MACHD_SPILL_SEALS_REQUIRED);
    assert_true(machd_spill_fd_ok(good, 8192));
    assert_false(machd_spill_fd_ok(good, 4096)); /* size mismatch */
    close(good);
    int unsealed = sealed_memfd(8192, 0);
    assert_false(machd_spill_fd_ok(unsealed, 8192));
    close(unsealed);
    /* Future-write alone leaves the sender's existing shared mappings writable. */
    int future = sealed_memfd(8192, F_SEAL_FUTURE_WRITE | F_SEAL_SHRINK | F_SEAL_GROW);
    assert_false(machd_spill_fd_ok(future, 8192));
    close(future);
    int pipefd[2];
    assert_int_equal(pipe(pipefd), 0);
    assert_false(machd_spill_fd_ok(pipefd[0], 0));
    close(pipefd[0]);
    close(pipefd[1]);
    char path[] = "/tmp/machd-spill-XXXXXX";
    int file = mkstemp(path);
    assert_true(file >= 0);
    unlink(path);
    assert_false(machd_spill_fd_ok(file, 0));
    close(file);
}

static void descriptors_travel_and_extras_are_reported(void **state) {
    (void)state;
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
    int memfd = sealed_memfd(4096, MACHD_SPILL_SEALS_REQUIRED);
    assert_int_equal(machd_send_with_fd(sv[0], "abc", 3, memfd, 0), 3);
    int fds[MACHD_MAX_FDS_PER_PACKET], nfds;
    bool extra;
    char got[8];
    assert_int_equal(machd_recv_with_fds(sv[1], got, sizeof got, 0, fds, &nfds, &extra), 3);
    assert_int_equal(nfds, 1);
    assert_false(extra);
    assert_true(machd_spill_fd_ok(fds[0], 4096));
    machd_close_fds(fds, nfds);
    /* More descriptors than a datagram may carry: the first ones arrive, the rest are closed. */
    int many[MACHD_MAX_FDS_PER_PACKET + 2];
    for (int i = 0; i < MACHD_MAX_FDS_PER_PACKET + 2; i++)
        many[i] = memfd;
    union {
        struct cmsghdr align;
        char bytes[CMSG_SPACE(sizeof many)];
    } control;
    memset(&control, 0, sizeof control);
    struct iovec iov = {"x", 1};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.bytes,
                        .msg_controllen = sizeof control.bytes};
    struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof many);
    memcpy(CMSG_DATA(cm), many, sizeof many);
    assert_int_equal(sendmsg(sv[0], &mh, 0), 1);
    assert_int_equal(machd_recv_with_fds(sv[1], got, sizeof got, 0, fds, &nfds, &extra), 1);
    assert_int_equal(nfds, MACHD_MAX_FDS_PER_PACKET);
    assert_true(extra);
    machd_close_fds(fds, nfds);
    close(memfd);
    close(sv[0]);
    close(sv[1]);
}

/* The most rights a message may carry, with the most OOL regions, still fit one datagram both
 * ways (the bytes spilled); one more right is refused by the decoder. */
static void the_rights_limit_fits_one_datagram(void **state) {
    (void)state;
    static struct machd_right rights[MACHD_MAX_RIGHTS];
    for (uint32_t i = 0; i < MACHD_MAX_RIGHTS; i++)
        rights[i] = (struct machd_right){0x400u + i, MACHD_DISP_MOVE_SEND, 0};
    memset(&in, 0, sizeof in);
    in.type = MACHD_MSG_DELIVER;
    in.u.deliver.dest = (struct machd_right){0x80000001, MACHD_DISP_MOVE_SEND, 0};
    struct machd_payload *p = &in.u.deliver.p;
    p->msgh_bits = MACHD_MSGH_BITS_COMPLEX | MACHD_PAYLOAD_SPILLED;
    p->right_count = MACHD_MAX_RIGHTS;
    p->rights = rights;
    p->body_len = 1u << 20;
    p->ool_count = MACHD_MAX_OOL;
    for (uint32_t i = 0; i < MACHD_MAX_OOL; i++)
        p->ool[i].size = 4096;
    size_t len = machd_proto_encode(&in, buf, sizeof buf);
    assert_int_equal(len, machd_deliver_size(p));
    assert_true(len <= MACHD_MAX_PACKET);
    assert_int_equal(machd_proto_decode(buf, len, &out), MACHD_DECODE_OK);
    assert_int_equal(out.u.deliver.p.right_count, MACHD_MAX_RIGHTS);
    assert_null(out.u.deliver.p.rights); /* decoded items stay in the datagram */
    for (uint32_t i = 0; i < MACHD_MAX_RIGHTS; i++)
        assert_int_equal(machd_payload_right(&out.u.deliver.p, i).name, 0x400u + i);
    uint32_t over = MACHD_MAX_RIGHTS + 1; /* the right count field, after the fixed fields */
    size_t at = MACHD_HEADER_SIZE + 2 * MACHD_RIGHT_ITEM_SIZE + 8 + 20;
    memcpy(buf + at, &over, sizeof over);
    assert_int_equal(machd_proto_decode(buf, len, &out), MACHD_DECODE_TOO_LARGE);
}

static int open_fd_count(void) {
    int n = 0;
    for (int fd = 0; fd < 1024; fd++)
        n += fcntl(fd, F_GETFD) >= 0;
    return n;
}

/* Sends a CHANNEL datagram with nfds descriptors (copies of one memfd) on sock. */
static void send_channel(int sock, int memfd, int nfds) {
    struct machd_msg m;
    memset(&m, 0, sizeof m);
    m.type = MACHD_CHANNEL;
    m.u.channel.channel = 3;
    m.u.channel.side = 1;
    static uint8_t wire[256];
    size_t len = machd_proto_encode(&m, wire, sizeof wire);
    assert_true(len > 0);
    int fds[MACHD_MAX_FDS_PER_PACKET] = {memfd, memfd, memfd, memfd};
    assert_int_equal(machd_send_with_fds(sock, wire, len, fds, nfds, 0), (ssize_t)len);
}

/* A CHANNEL hands the task its 4 descriptors, in order; with any other number it is a protocol
 * error and nothing is left open. More than a datagram may carry is refused by the sender. */
static void channel_takes_exactly_four_descriptors(void **state) {
    (void)state;
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
    int memfd = sealed_memfd(4096, MACHD_SPILL_SEALS_REQUIRED);
    struct machd_conn c = {.fd = sv[1], .next_seq = 1};
    static uint8_t rbuf[MACHD_MAX_PACKET];
    static struct machd_msg got;
    int before = open_fd_count();
    send_channel(sv[0], memfd, MACHD_CHANNEL_FDS);
    assert_int_equal(machd_conn_recv(&c, rbuf, &got, 1000), 0);
    assert_int_equal(got.type, MACHD_CHANNEL);
    assert_int_equal(got.u.channel.channel, 3);
    for (int i = 0; i < MACHD_CHANNEL_FDS; i++) {
        assert_true(machd_spill_fd_ok(got.u.channel.fds[i], 4096));
        for (int j = 0; j < i; j++)
            assert_true(got.u.channel.fds[i] != got.u.channel.fds[j]);
    }
    assert_int_equal(open_fd_count(), before + MACHD_CHANNEL_FDS);
    machd_close_fds(got.u.channel.fds, MACHD_CHANNEL_FDS);
    for (int n = 0; n < MACHD_CHANNEL_FDS; n++) {
        send_channel(sv[0], memfd, n);
        assert_int_equal(machd_conn_recv(&c, rbuf, &got, 1000), EPROTO);
        assert_int_equal(open_fd_count(), before);
    }
    int many[MACHD_MAX_FDS_PER_PACKET + 1];
    for (int i = 0; i <= MACHD_MAX_FDS_PER_PACKET; i++)
        many[i] = memfd;
    assert_int_equal(machd_send_with_fds(sv[0], "x", 1, many, MACHD_MAX_FDS_PER_PACKET + 1, 0), -1);
    assert_int_equal(errno, EINVAL);
    close(memfd);
    close(sv[0]);
    close(sv[1]);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(spilled_send_round_trips_without_its_bytes),
        cmocka_unit_test(spilled_sizes_are_bounded),
        cmocka_unit_test(layout_aligns_every_region),
        cmocka_unit_test(delivery_size_matches_the_encoder),
        cmocka_unit_test(the_rights_limit_fits_one_datagram),
        cmocka_unit_test(only_sealed_memfds_of_the_right_size_pass),
        cmocka_unit_test(descriptors_travel_and_extras_are_reported),
        cmocka_unit_test(channel_takes_exactly_four_descriptors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
