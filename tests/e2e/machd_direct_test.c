/* Direct channels (docs/machd.md 9): Mach's guarantees between two libmach processes, whichever
 * path their messages take. CTest runs each test twice: on direct channels (the default) and
 * through the relay (MACHD_DIRECT=0, the reference); the peers (machd_direct_peer) check the data
 * and which path it took, and exit with the failed step. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "machd_harness.h"

static pid_t peer(const char *mode, const char *name, const char *count) {
    const char *args[] = {mode, name, count, NULL};
    return mh_spawn_program(&mh_daemon, MACHD_DIRECT_PEER, args);
}

/* One sender thread, plain messages and messages carrying a port right mixed: they arrive in
 * the order sent, each once, intact (a message with a right never overtakes a plain one, nor
 * the reverse). */
static void messages_with_and_without_rights_arrive_in_order(void **state) {
    (void)state;
    pid_t receiver = peer("order_recv", "direct.order", "3000");
    assert_int_equal(mh_wait(peer("order_send", "direct.order", "3000")), 0);
    assert_int_equal(mh_wait(receiver), 0);
}

/* Requests with send-once reply rights and their answers, many times over. */
static void calls_are_answered_on_their_reply_rights(void **state) {
    (void)state;
    pid_t server = peer("rpc_server", "direct.rpc", "2000");
    assert_int_equal(mh_wait(peer("rpc_client", "direct.rpc", "2000")), 0);
    assert_int_equal(mh_wait(server), 0);
}

/* A server that dies holding a request's reply right: the client gets the send-once
 * notification (MIG_SERVER_DIED for MIG), never a hang. */
static void a_server_dying_with_the_reply_right_gives_the_client_a_notification(void **state) {
    (void)state;
    pid_t server = peer("rpc_die", "direct.die", "0");
    assert_int_equal(mh_wait(peer("rpc_orphan", "direct.die", "0")), 0);
    assert_int_equal(mh_wait(server), 0);
}

/* The sender's last send right goes after its messages: the receiver gets every message, then
 * the no-senders notification. */
static void no_senders_comes_after_the_messages_sent_before_the_right_went(void **state) {
    (void)state;
    pid_t sender = peer("nosend_send", "direct.nosend", "500");
    assert_int_equal(mh_wait(peer("nosend_recv", "direct.nosend", "500")), 0);
    assert_int_equal(mh_wait(sender), 0);
}

/* Eight senders, one port with a queue limit of 1: every message arrives, each sender's in the
 * order sent, and the receiver wakes the waiting senders one per message it takes (machd_direct_
 * peer crowd_recv checks its count). */
static void senders_blocked_on_a_full_queue_are_woken_one_at_a_time(void **state) {
    (void)state;
    enum { SENDERS = 8 };
    pid_t receiver = peer("crowd_recv", "direct.crowd", "2400");
    pid_t senders[SENDERS];
    for (int i = 0; i < SENDERS; i++)
        senders[i] = peer("crowd_send", "direct.crowd", "300");
    for (int i = 0; i < SENDERS; i++)
        assert_int_equal(mh_wait(senders[i]), 0);
    assert_int_equal(mh_wait(receiver), 0);
}

/* A pool of 4 server threads on a port set of two services, 6 client processes calling: every
 * call answered, no thread per peer. */
static void a_thread_pool_on_a_port_set_serves_many_clients(void **state) {
    (void)state;
    enum { CLIENTS = 6 };
    pid_t server = peer("pool_server", "direct.pool", "3000");
    pid_t clients[CLIENTS];
    for (int i = 0; i < CLIENTS; i++)
        clients[i] = peer("rpc_client", i % 2 ? "direct.pool.2" : "direct.pool", "500");
    for (int i = 0; i < CLIENTS; i++)
        assert_int_equal(mh_wait(clients[i]), 0);
    assert_int_equal(mh_wait(server), 0);
}

/* Request reply rights forwarded by the server to a worker in a third process, in a port
 * descriptor or as the reply port of a request (docs/machd.md 9.6): each call is answered once,
 * by the worker, with its data; on a channel the rights were claimed from the client's tokens. */
static void a_reply_right_forwarded_to_a_third_process_is_answered_there(void **state) {
    (void)state;
    pid_t server = peer("forward_server", "direct.fwd", "40");
    pid_t worker = peer("forward_worker", "direct.fwd", "40");
    assert_int_equal(mh_wait(peer("forward_client", "direct.fwd", "40")), 0);
    assert_int_equal(mh_wait(worker), 0);
    assert_int_equal(mh_wait(server), 0);
}

/* The worker dies holding a forwarded reply right: the client gets exactly one send-once
 * notification for that call. */
static void a_worker_dying_with_a_forwarded_reply_right_gives_one_notification(void **state) {
    (void)state;
    pid_t server = peer("forward_server", "direct.fwdie", "3");
    pid_t worker = peer("forward_worker_die", "direct.fwdie", "3");
    assert_int_equal(mh_wait(peer("forward_orphan", "direct.fwdie", "3")), 0);
    assert_int_equal(mh_wait(worker), 0);
    assert_int_equal(mh_wait(server), 0);
}

/* Every peer gone: machd holds no port and no right of theirs (claims included). */
static void expect_nothing_left(void) {
    struct tc *obs = tc_open(&mh_daemon);
    tc_settle(obs, 1, NULL, NULL, NULL);
    tc_expect_counts(obs, 1, 0, 0);
    tc_close(obs);
}

/* Waits until the peer stopped itself (SIGSTOP), then lets the server's claim wait on it. */
static void wait_stopped(pid_t pid) {
    int st;
    assert_int_equal(waitpid(pid, &st, WUNTRACED), pid);
    assert_true(WIFSTOPPED(st));
}

/* The client stops right after its request: it cannot grant the server's claim. The claim fails
 * when machd's deadline passes (the server's send succeeds, the worker gets a dead right); the
 * client, continued, retires its token and gets exactly one send-once notification. */
static void a_requester_that_does_not_grant_in_time_gets_one_notification(void **state) {
    (void)state;
    pid_t server = peer("forward_server_late", "direct.fwstop", "2");
    pid_t worker = peer("forward_worker_late", "direct.fwstop", "2");
    pid_t client = peer("forward_stop", "direct.fwstop", "2");
    wait_stopped(client);
    assert_int_equal(mh_wait(worker), 0); /* after the claim's deadline (or at once: relay) */
    assert_int_equal(mh_wait(server), 0);
    kill(client, SIGCONT);
    assert_int_equal(mh_wait(client), 0);
    expect_nothing_left();
}

/* The client dies while the server's claim waits for its grant: the claim fails at once, the
 * server's send succeeds and the worker gets a dead right; nothing hangs, machd holds nothing
 * of theirs afterwards. */
static void a_requester_dying_before_it_grants_leaves_a_dead_right(void **state) {
    (void)state;
    pid_t server = peer("forward_server_late", "direct.fwkill", "2");
    pid_t worker = peer("forward_worker_late", "direct.fwkill", "2");
    pid_t client = peer("forward_stop", "direct.fwkill", "2");
    wait_stopped(client);
    usleep(800 * 1000); /* the server forwards 300 ms after the request: its claim waits (2 s) */
    kill(client, SIGKILL);
    assert_int_equal(mh_wait(client), 128 + SIGKILL);
    assert_int_equal(mh_wait(worker), 0);
    assert_int_equal(mh_wait(server), 0);
    expect_nothing_left();
}

/* The last send right let go with a message that travels as a ticket: the message arrives (its
 * ring record is written before machd hears the right went), 300 times over. */
static void a_ticket_that_moves_the_last_send_right_arrives(void **state) {
    (void)state;
    pid_t receiver = peer("lastright_recv", "direct.lastright", "300");
    assert_int_equal(mh_wait(peer("lastright_send", "direct.lastright", "300")), 0);
    assert_int_equal(mh_wait(receiver), 0);
}

/* The audit trailer names the sender as the kernel knows it. */
static void the_audit_trailer_names_the_sender(void **state) {
    (void)state;
    pid_t receiver = peer("audit_recv", "direct.audit", "0");
    assert_int_equal(mh_wait(peer("audit_send", "direct.audit", "0")), 0);
    assert_int_equal(mh_wait(receiver), 0);
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(messages_with_and_without_rights_arrive_in_order, mh_setup, mh_teardown),
        cmocka_unit_test_setup_teardown(calls_are_answered_on_their_reply_rights, mh_setup, mh_teardown),
        cmocka_unit_test_setup_teardown(a_server_dying_with_the_reply_right_gives_the_client_a_notification,
                                        mh_setup, mh_teardown),
        cmocka_unit_test_setup_teardown(no_senders_comes_after_the_messages_sent_before_the_right_went, mh_setup,
                                        mh_teardown),
        cmocka_unit_test_setup_teardown(the_audit_trailer_names_the_sender, mh_setup, mh_teardown),
        cmocka_unit_test_setup_teardown(senders_blocked_on_a_full_queue_are_woken_one_at_a_time, mh_setup,
                                        mh_teardown),
        cmocka_unit_test_setup_teardown(a_thread_pool_on_a_port_set_serves_many_clients, mh_setup, mh_teardown),
        cmocka_unit_test_setup_teardown(a_reply_right_forwarded_to_a_third_process_is_answered_there, mh_setup,
                                        mh_teardown),
        cmocka_unit_test_setup_teardown(a_worker_dying_with_a_forwarded_reply_right_gives_one_notification, mh_setup,
                                        mh_teardown),
        cmocka_unit_test_setup_teardown(a_requester_that_does_not_grant_in_time_gets_one_notification, mh_setup,
                                        mh_teardown),
        cmocka_unit_test_setup_teardown(a_requester_dying_before_it_grants_leaves_a_dead_right, mh_setup,
                                        mh_teardown),
        cmocka_unit_test_setup_teardown(a_ticket_that_moves_the_last_send_right_arrives, mh_setup, mh_teardown),
    };
    return mh_run_tests("machd_direct", tests, sizeof tests / sizeof tests[0], argc, argv);
}
