/* Notifications across processes through machd (docs/machd.md 4 and 7): port-destroyed requests
 * that follow a receive right to another process, no-senders with make-send counts (the race
 * of a senders-gone crossing a make-send), messages machd refuses after they were written, dead
 * names. Each test starts a private machd and real libmach processes (machd_notify_peer), checks
 * their exit status, and that machd's counts are back to an observer alone. Where an order of
 * events matters, the test stops machd (SIGSTOP) or a peer (which stops itself) to force it. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "machd_harness.h"

static pid_t peer(const char *mode, const char *name, const char *variant) {
    const char *args[] = {mode, name, variant, NULL};
    return mh_spawn_program(&mh_daemon, MACHD_NOTIFY_PEER, args);
}

/* Waits until peer pid has stopped itself (raise(SIGSTOP)); it must not have exited. */
static void wait_stopped(pid_t pid) {
    int status = 0;
    assert_int_equal(waitpid(pid, &status, WUNTRACED), pid);
    assert_true(WIFSTOPPED(status));
}

/* Every peer has exited: machd holds nothing but the observer's task. */
static void expect_nothing_left(void) {
    struct tc *obs = tc_open(&mh_daemon);
    tc_settle(obs, 1, NULL, NULL, NULL);
    tc_expect_counts(obs, 1, 0, 0);
    tc_close(obs);
}

/* pdreq asks for port-destroyed on its port (the notify port in pdnotify when `remote`), moves
 * the receive right to pdhold (which passes it on to a second pdhold when `passed`), whose end
 * (`how`) gives the right back in a port-destroyed notification. */
static void port_destroyed_case(const char *name, const char *how, bool remote, bool passed) {
    char v[32], next[64];
    snprintf(v, sizeof v, "%s-%s", remote ? "remote" : "local", strcmp(how, "kill") == 0 ? "kill" : "destroy");
    snprintf(next, sizeof next, "%s.x", name);
    pid_t last = passed ? peer("pdhold", next, how) : 0;
    pid_t holder = peer("pdhold", name, passed ? "pass" : how);
    pid_t notifier = remote ? peer("pdnotify", name, v) : 0;
    pid_t requester = peer("pdreq", name, v);
    assert_int_equal(mh_wait(requester), 0);
    if (remote)
        assert_int_equal(mh_wait(notifier), 0);
    assert_int_equal(mh_wait(holder), strcmp(how, "kill") == 0 && !passed ? 128 + SIGKILL : 0);
    if (passed)
        assert_int_equal(mh_wait(last), strcmp(how, "kill") == 0 ? 128 + SIGKILL : 0);
    expect_nothing_left();
}

/* The holder destroys the receive right (mach_port_mod_refs) with 4 messages queued: the right
 * and the messages, in order, come back to the requester, under its send right's name. */
static void port_destroyed_when_the_holder_destroys_the_right(void **state) {
    (void)state;
    port_destroyed_case("svc.pd1", "mod", false, false);
}

/* Same with mach_port_destroy, the notify port in a third process. */
static void port_destroyed_to_a_third_process_after_mach_port_destroy(void **state) {
    (void)state;
    port_destroyed_case("svc.pd2", "destroy", true, false);
}

/* The holder is killed (SIGKILL) holding the receive right: the right goes to the notify port
 * and the requester's send right still reaches it. */
static void port_destroyed_when_the_holder_is_killed(void **state) {
    (void)state;
    port_destroyed_case("svc.pd3", "kill", false, false);
}

static void port_destroyed_to_a_third_process_when_the_holder_is_killed(void **state) {
    (void)state;
    port_destroyed_case("svc.pd4", "kill", true, false);
}

/* The right moves on from the first holder (with 4 messages queued there) to a second one,
 * which destroys it: the request and the messages went with it both times, to the notify port
 * in a third process. */
static void port_destroyed_after_the_right_moved_twice_to_a_third_process(void **state) {
    (void)state;
    port_destroyed_case("svc.pd5", "mod", true, true);
}

/* The race of the no-senders check for a receive right obtained from machd: machd says "no
 * senders" (nsd dropped its send right) before it learns of a send right nso made meanwhile:
 * both written while machd was stopped, nsd's first (machd reads ready connections in the order
 * they became ready). nso must not fire no-senders then, and fires exactly once, with make-send
 * count 1, when that right dies. */
static void no_senders_crossing_a_make_send_of_a_moved_receive_right(void **state) {
    (void)state;
    pid_t c = peer("nsc", "svc.ns", "");
    pid_t o = peer("nso", "svc.ns", "");
    pid_t d = peer("nsd", "svc.ns", "");
    wait_stopped(o); /* it holds the receive right and asked for no-senders */
    wait_stopped(d);
    kill(mh_daemon.pid, SIGSTOP);
    kill(d, SIGCONT);
    wait_stopped(d); /* its MOD_REFS -1 is written, machd has not read it */
    kill(o, SIGCONT);
    wait_stopped(o); /* its new send right is written after it */
    kill(mh_daemon.pid, SIGCONT);
    kill(d, SIGCONT);
    kill(o, SIGCONT);
    assert_int_equal(mh_wait(d), 0);
    assert_int_equal(mh_wait(o), 0);
    assert_int_equal(mh_wait(c), 0);
    expect_nothing_left();
}

/* No-senders requests with a sync value while the senders are in another process. */
static void no_senders_sync_values_with_senders_in_another_process(void **state) {
    (void)state;
    pid_t sink = peer("nssink", "svc.sync", "");
    assert_int_equal(mh_wait(peer("nssync", "svc.sync", "")), 0);
    assert_int_equal(mh_wait(sink), 0);
    expect_nothing_left();
}

/* A message written to a port whose receiver died (machd stopped meanwhile) is refused by machd
 * with the first rights to the sender's port in it: the rights are destroyed (no-senders,
 * send-once notification) and the port stays known, so a later right to it works. */
static void refused_message_destroys_its_rights_and_keeps_new_ports_known(void **state) {
    (void)state;
    pid_t victim = peer("rfvictim", "svc.rf", "");
    pid_t third = peer("rfthird", "svc.rf", "");
    pid_t sender = peer("rfsend", "svc.rf", "");
    wait_stopped(sender);
    kill(mh_daemon.pid, SIGSTOP);
    kill(victim, SIGKILL);
    assert_int_equal(mh_wait(victim), 128 + SIGKILL);
    kill(sender, SIGCONT);
    wait_stopped(sender); /* message 1000 is written, machd has not read it */
    kill(mh_daemon.pid, SIGCONT);
    kill(sender, SIGCONT);
    assert_int_equal(mh_wait(sender), 0);
    assert_int_equal(mh_wait(third), 0);
    expect_nothing_left();
}

/* Dead-name notifications for a send right and a send-once right to a killed task's port
 * (once each, with the right names), and a send-once notification for the reply right it
 * held. */
static void dead_names_and_send_once_notification_when_a_task_dies(void **state) {
    (void)state;
    pid_t server = peer("dnserver", "svc.dn", "");
    pid_t client = peer("dnclient", "svc.dn", "");
    kill(server, SIGKILL);
    assert_int_equal(mh_wait(server), 128 + SIGKILL);
    assert_int_equal(mh_wait(client), 0);
    expect_nothing_left();
}

/* Each test with its own machd (mh_daemon). */
#define WITH_MACHD(test) cmocka_unit_test_setup_teardown(test, mh_setup, mh_teardown)

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        WITH_MACHD(port_destroyed_when_the_holder_destroys_the_right),
        WITH_MACHD(port_destroyed_to_a_third_process_after_mach_port_destroy),
        WITH_MACHD(port_destroyed_when_the_holder_is_killed),
        WITH_MACHD(port_destroyed_to_a_third_process_when_the_holder_is_killed),
        WITH_MACHD(port_destroyed_after_the_right_moved_twice_to_a_third_process),
        WITH_MACHD(no_senders_crossing_a_make_send_of_a_moved_receive_right),
        WITH_MACHD(no_senders_sync_values_with_senders_in_another_process),
        WITH_MACHD(refused_message_destroys_its_rights_and_keeps_new_ports_known),
        WITH_MACHD(dead_names_and_send_once_notification_when_a_task_dies),
    };
    return mh_run_tests("machd_notify_test", tests, sizeof tests / sizeof tests[0], argc, argv);
}
