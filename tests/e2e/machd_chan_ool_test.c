/* Out-of-line memory on direct channels (docs/machd.md 9.5), between two libmach processes:
 * every size class (inline, arena, memfd), copied and moved, many in flight, a sender killed
 * mid-stream. CTest runs each test on direct channels and again through the relay
 * (MACHD_DIRECT=0, the reference); the peers (machd_chan_ool_peer) check every byte, the order,
 * the path taken and that nothing leaks, and exit with the failed step. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <mach/message.h>

#include "machd_harness.h"
#include "wire/chan_ring.h"
#include "wire/machd_spill.h"

/* 0, 1, the inline limit (16 KiB) -1/+1, 1 MiB, the arena limit (2 MiB) -1/+1, 64 MiB. */
#define SIZES "0,1,16383,16384,16385,1048576,2097151,2097152,2097153,67108864"
#define SIZES_COUNT "10"

static pid_t peer(const char *const args[]) { return mh_spawn_program(&mh_daemon, MACHD_CHAN_OOL_PEER, args); }

static void round_trip(const char *how, const char *rounds, const char *total, const char *sizes, const char *qlimit) {
    pid_t receiver = peer((const char *const[]){"recv", "ool.sizes", total, qlimit, NULL});
    assert_int_equal(mh_wait(peer((const char *const[]){"send", "ool.sizes", rounds, how, sizes, NULL})), 0);
    assert_int_equal(mh_wait(receiver), 0);
}

/* Copied regions of every size class arrive intact, in order, as the receiver's own memory. */
static void copied_regions_of_every_size_arrive_intact(void **state) {
    (void)state;
    round_trip("copy", "2", "20", SIZES, "5");
}

/* Moved regions (vm_allocate, deallocate): the sender keeps nothing, large ones are handed over
 * without a copy (their memfd), the receiver gets the bytes. */
static void moved_regions_of_every_size_arrive_intact(void **state) {
    (void)state;
    round_trip("move", "2", "20", SIZES, "5");
}

/* Many messages in flight at once (a queue limit of 64): the arena fills and comes back, memfds
 * queue on the link, records keep their order. */
static void many_in_flight_keep_their_order(void **state) {
    (void)state;
    round_trip("copy", "40", "120", "65536,1048576,3000000", "64");
}

/* A sender killed while it streams 1 MiB regions: what arrived is intact and in order, the
 * channel goes with its descriptors and nothing stays mapped. */
static void a_sender_killed_mid_stream_leaves_nothing_behind(void **state) {
    (void)state;
    pid_t receiver = peer((const char *const[]){"recv_until_quiet", "ool.kill", NULL});
    pid_t sender = peer((const char *const[]){"stream", "ool.kill", "1048576", NULL});
    nanosleep(&(struct timespec){0, 300 * 1000 * 1000}, NULL);
    kill(sender, SIGKILL);
    assert_int_equal(mh_wait(sender), 128 + SIGKILL);
    assert_int_equal(mh_wait(receiver), 0);
}

/* ---- a hostile peer: a raw task on a channel with a libmach receiver ---- */

/* The raw task's side of the channel to the libmach peer that checked in `name`. */
struct raw_chan {
    struct tc *t;
    uint32_t send, slot, serial;
    int fds[MACHD_CHANNEL_FDS];
    uint8_t *map;
    struct chan_end end;
    uint64_t fd_seq;
};

static void raw_connect(struct raw_chan *rc, const char *name) {
    rc->t = tc_open_direct(&mh_daemon);
    assert_int_equal(tc_look_up(rc->t, name, &rc->send), 0);
    memset(&rc->t->out, 0, sizeof rc->t->out);
    rc->t->out.type = MACHD_ROUTE;
    rc->t->out.u.route.name = rc->send;
    tc_send(rc->t);
    const struct machd_msg *m = tc_expect(rc->t, MACHD_CHANNEL);
    unsigned side = m->u.channel.side;
    memcpy(rc->fds, m->u.channel.fds, sizeof rc->fds);
    m = tc_expect(rc->t, MACHD_ROUTE_REPLY);
    assert_int_equal(m->u.route_reply.status, KERN_SUCCESS);
    rc->slot = m->u.route_reply.slot;
    rc->serial = m->u.route_reply.serial;
    rc->map = mmap(NULL, CHAN_SHARED_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, rc->fds[MACHD_CHANNEL_FD_MEMORY], 0);
    assert_true(rc->map != MAP_FAILED);
    chan_end_init(&rc->end, rc->map, side);
    for (int i = 0; i < 400 && !chan_route_active(&rc->end, rc->slot, rc->serial); i++)
        nanosleep(&(struct timespec){0, 5 * 1000 * 1000}, NULL);
    assert_true(chan_route_active(&rc->end, rc->slot, rc->serial));
}

static void raw_close(struct raw_chan *rc) {
    munmap(rc->map, CHAN_SHARED_SIZE);
    for (int i = 0; i < MACHD_CHANNEL_FDS; i++)
        close(rc->fds[i]);
    tc_close(rc->t);
}

/* A memfd of `size` bytes holding the pattern of machd_chan_ool_peer (message 0, region 0),
 * sealed with `seals`. */
static int pattern_memfd(uint64_t size, uint32_t pattern_bytes, int seals) {
    int fd = memfd_create("hostile-ool", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, (off_t)size), 0);
    uint8_t *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    assert_true(p != MAP_FAILED);
    for (uint32_t i = 0; i < pattern_bytes; i++)
        p[i] = (uint8_t)(i * 7u + (i >> 12));
    munmap(p, size);
    if (seals)
        assert_int_equal(fcntl(fd, F_ADD_SEALS, seals), 0);
    return fd;
}

/* Publishes an OOL record of one 8 KiB region travelling as a memfd (CHAN_OOL_FD), with the
 * given descriptors in its LINK datagram (nfds < 0: no datagram), and rings the doorbell. */
static void raw_ool_record(struct raw_chan *rc, const int *fds, int nfds) {
    uint8_t body[64] = {0};
    const uint32_t m = sizeof(mach_msg_body_t) + sizeof(mach_msg_ool_descriptor_t);
    uint32_t one = 1;
    memcpy(body, &one, sizeof one);
    mach_msg_ool_descriptor_t d = {.size = 8192, .type = MACH_MSG_OOL_DESCRIPTOR};
    memcpy(body + sizeof(mach_msg_body_t), &d, sizeof d);
    struct chan_ool_entry e = {.size = 8192, .how = CHAN_OOL_FD};
    uint32_t table = (m + 7u) & ~7u;
    memcpy(body + table, &e, sizeof e);
    if (nfds >= 0) {
        struct chan_fd_note note = {.seq = ++rc->fd_seq, .nfds = (uint32_t)nfds};
        assert_int_equal(machd_send_with_fds(rc->fds[MACHD_CHANNEL_FD_LINK], &note, sizeof note, fds, nfds, 0),
                         (ssize_t)sizeof note);
    }
    struct chan_record rec = {.kind = CHAN_REC_MSG, .flags = CHAN_MSG_OOL, .dest = rc->slot, .msgh_id = 9,
                              .ticket = m, .body_len = table + (uint32_t)sizeof e};
    bool wake;
    assert_int_equal(chan_produce(&rc->end, &rec, body, &wake), CHAN_OK);
    uint64_t bell = 1;
    assert_int_equal(write(rc->fds[MACHD_CHANNEL_FD_WAKE_PEER], &bell, sizeof bell), (ssize_t)sizeof bell);
}

/* The libmach peer dropped the channel: its LINK end hangs up (within 5 s). */
static void expect_dropped(struct raw_chan *rc) {
    struct pollfd p = {.fd = rc->fds[MACHD_CHANNEL_FD_LINK], .events = POLLRDHUP};
    assert_int_equal(poll(&p, 1, 5000), 1);
    assert_true(p.revents & (POLLRDHUP | POLLHUP));
}

/* One hostile record after a good one: the good one arrives intact, the hostile one drops only
 * this channel (the peer still gets the message relayed afterwards) and nothing leaks. */
static void hostile_case(int seals, uint64_t size, int nfds_sent, bool extra) {
    pid_t receiver = mh_spawn_program(&mh_daemon, MACHD_CHAN_OOL_PEER,
                                      (const char *const[]){"hostile_recv", "ool.hostile", "1", NULL});
    struct raw_chan rc = {0};
    raw_connect(&rc, "ool.hostile");
    int good = pattern_memfd(8192, 8192, F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
    raw_ool_record(&rc, &good, 1);
    close(good);
    int bad[2] = {pattern_memfd(size, 8192, seals), pattern_memfd(8192, 8192, seals)};
    raw_ool_record(&rc, bad, nfds_sent < 0 ? -1 : extra ? 2 : nfds_sent);
    close(bad[0]);
    close(bad[1]);
    expect_dropped(&rc);
    assert_int_equal(tc_msg(rc.t, mh_right(rc.send, MACHD_DISP_COPY_SEND, 0), MH_NO_RIGHT, 77, "abcd", NULL, 0, 0),
                     MACH_MSG_SUCCESS);
    assert_int_equal(mh_wait(receiver), 0);
    raw_close(&rc);
}

static void a_memfd_without_seals_drops_the_channel(void **state) {
    (void)state;
    hostile_case(F_SEAL_SHRINK | F_SEAL_GROW, 8192, 1, false); /* no F_SEAL_WRITE */
}

static void a_memfd_that_can_be_unsealed_drops_the_channel(void **state) {
    (void)state;
    hostile_case(F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW, 8192, 1, false); /* no F_SEAL_SEAL */
}

static void a_memfd_of_the_wrong_size_drops_the_channel(void **state) {
    (void)state;
    hostile_case(F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL, 16384, 1, false);
}

static void extra_descriptors_drop_the_channel(void **state) {
    (void)state;
    hostile_case(F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL, 8192, 1, true);
}

static void a_record_without_its_descriptors_drops_the_channel(void **state) {
    (void)state;
    hostile_case(F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL, 8192, -1, false);
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(copied_regions_of_every_size_arrive_intact, mh_setup, mh_teardown),
        cmocka_unit_test_setup_teardown(moved_regions_of_every_size_arrive_intact, mh_setup, mh_teardown),
        cmocka_unit_test_setup_teardown(many_in_flight_keep_their_order, mh_setup, mh_teardown),
        cmocka_unit_test_setup_teardown(a_sender_killed_mid_stream_leaves_nothing_behind, mh_setup, mh_teardown),
        cmocka_unit_test_setup_teardown(a_memfd_without_seals_drops_the_channel, mh_setup, mh_teardown),
        cmocka_unit_test_setup_teardown(a_memfd_that_can_be_unsealed_drops_the_channel, mh_setup, mh_teardown),
        cmocka_unit_test_setup_teardown(a_memfd_of_the_wrong_size_drops_the_channel, mh_setup, mh_teardown),
        cmocka_unit_test_setup_teardown(extra_descriptors_drop_the_channel, mh_setup, mh_teardown),
        cmocka_unit_test_setup_teardown(a_record_without_its_descriptors_drops_the_channel, mh_setup, mh_teardown),
    };
    return mh_run_tests("machd_chan_ool", tests, sizeof tests / sizeof tests[0], argc, argv);
}
