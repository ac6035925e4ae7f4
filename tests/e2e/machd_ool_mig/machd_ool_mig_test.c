/* Cross-process MIG test through machd (docs/machd.md 8): a real client program and a real
 * server program (fork/exec), both built on the stubs mig generates from machd_ool_mig.defs,
 * move out-of-line data (1 MiB and 5 bytes, copied and moved, both ways), out-of-line port
 * arrays of 100 send rights both ways and an inline array; each program checks every byte and
 * right and its own space; this one checks machd holds nothing of them afterwards. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "machd_harness.h"

static void mig_client_and_server_move_ool_data_and_port_arrays(void **state) {
    (void)state;
    struct tc *obs = tc_open(&mh_daemon);
    const char *server_args[] = {"svc.oolmig", NULL};
    pid_t server = mh_spawn_program(&mh_daemon, MACHD_OOL_MIG_SERVER, server_args);
    pid_t client = mh_spawn_program(&mh_daemon, MACHD_OOL_MIG_CLIENT, server_args);
    assert_int_equal(mh_wait(client), 0);
    assert_int_equal(mh_wait(server), 0);
    uint32_t ports = 99, entries = 99;
    tc_settle(obs, 1, &ports, &entries, NULL); /* every right of both programs is gone */
    assert_int_equal(ports, 0);
    assert_int_equal(entries, 0);
    tc_close(obs);
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(mig_client_and_server_move_ool_data_and_port_arrays, mh_setup, mh_teardown),
    };
    return mh_run_tests("machd_ool_mig", tests, sizeof tests / sizeof tests[0], argc, argv);
}
