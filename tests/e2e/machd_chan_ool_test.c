/* Out-of-line memory on direct channels (docs/machd.md 9.4), between two libmach processes:
 * every size class (inline, arena, memfd), copied and moved, many in flight, a sender killed
 * mid-stream. CTest runs each test on direct channels and again through the relay
 * (MACHD_DIRECT=0, the reference); the peers (machd_chan_ool_peer) check every byte, the order,
 * the path taken and that nothing leaks, and exit with the failed step. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <time.h>

#include <cmocka.h>

#include "machd_harness.h"

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

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(copied_regions_of_every_size_arrive_intact, mh_setup, mh_teardown),
        cmocka_unit_test_setup_teardown(moved_regions_of_every_size_arrive_intact, mh_setup, mh_teardown),
        cmocka_unit_test_setup_teardown(many_in_flight_keep_their_order, mh_setup, mh_teardown),
        cmocka_unit_test_setup_teardown(a_sender_killed_mid_stream_leaves_nothing_behind, mh_setup, mh_teardown),
    };
    return mh_run_tests("machd_chan_ool", tests, sizeof tests / sizeof tests[0], argc, argv);
}
