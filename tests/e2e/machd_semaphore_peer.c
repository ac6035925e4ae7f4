/* A libmach task for the semaphore tests across processes (machd_semaphore_test.c,
 * docs/semaphores.md "Across processes"). The owner creates semaphores and registers their send
 * rights as NAME.<sem>; the remote looks them up and calls the semaphore API on the proxies.
 * Prints "ready" once set up; exits 0 when every check passed, else the number of the step that
 * failed (stderr says why).
 *   owner-pingpong NAME N   N rounds: waits on NAME.ping, counts, signals NAME.pong; then the
 *                           remote's final signal; both counts end at zero
 *   remote-pingpong NAME N  N rounds: signals ping and waits on pong (odd rounds with
 *                           semaphore_wait_signal); checks the codes of the calls the owner
 *                           alone may make or that find nobody waiting
 *   owner-timeout NAME      serves NAME.sem until the remote signals NAME.done; then no waiter is
 *                           left and a signal is still counted
 *   remote-timeout NAME MS  a timed wait of MS ms times out after at least MS ms
 *   owner-destroy NAME      destroys NAME.sem once a remote waiter is listed
 *   remote-destroyed NAME   waits on NAME.sem: KERN_TERMINATED, then the name dies
 *   owner-die NAME          exits once a remote waiter is listed on NAME.sem
 *   remote-owner-died NAME  waits on NAME.sem: KERN_TERMINATED when its owner exits
 *   owner-all NAME K        signal_all once K remote waiters are listed; K signals on NAME.done
 *   remote-all NAME         waits on NAME.sem, then signals NAME.done
 *   owner-deadwaiter NAME   once a remote waiter is listed and has had time to die, signals
 *                           NAME.sem until one signal is counted: the dead waiter takes at most
 *                           one (none once machd has told of its death) and leaves no trace
 *   remote-die NAME         waits on NAME.sem and is killed by SIGALRM after 1 s */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mach/mach.h>
#include <mach/semaphore.h>
#include <servers/bootstrap.h>

#include "api/semaphore_internal.h"

#define PEER_NAME "machd_semaphore_peer"
#include "peer_check.h"

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A new semaphore registered as NAME.suffix (MACH_PORT_NULL on failure). */
static semaphore_t create_registered(const char *name, const char *suffix) {
    semaphore_t sem = SEMAPHORE_NULL;
    if (semaphore_create(mach_task_self(), &sem, SYNC_POLICY_FIFO, 0) != KERN_SUCCESS)
        return MACH_PORT_NULL;
    if (bootstrap_register(bootstrap_port, peer_suffixed(name, suffix), sem) != KERN_SUCCESS)
        return MACH_PORT_NULL;
    return sem;
}

static semaphore_t look_up(const char *name, const char *suffix) {
    mach_port_t sem = MACH_PORT_NULL;
    if (bootstrap_look_up(bootstrap_port, peer_suffixed(name, suffix), &sem) != KERN_SUCCESS)
        return MACH_PORT_NULL;
    return sem;
}

/* Waits (10 s at most) until n threads of other tasks wait on sem. */
static bool await_waiters(semaphore_t sem, unsigned n) {
    for (int i = 0; i < 10000; i++) {
        if (semaphore_waiter_count(sem) >= n)
            return true;
        usleep(1000);
    }
    return false;
}

static const mach_timespec_t POLL = {0, 0};
static const mach_timespec_t TEN_S = {10, 0};

static int owner_pingpong(const char *name, int rounds) {
    semaphore_t ping = create_registered(name, "ping"), pong = create_registered(name, "pong");
    CHECK(1, ping != MACH_PORT_NULL && pong != MACH_PORT_NULL, "create and register");
    ready();
    int count = 0;
    for (int i = 0; i < rounds; i++) {
        kern_return_t kr = semaphore_timedwait(ping, TEN_S);
        CHECK(2, kr == KERN_SUCCESS, "round %d: wait: %#x", i, kr);
        count++;
        CHECK(3, semaphore_signal(pong) == KERN_SUCCESS, "round %d: signal", i);
    }
    CHECK(4, count == rounds, "%d rounds", count);
    kern_return_t kr = semaphore_timedwait(ping, TEN_S); /* the remote's last word */
    CHECK(5, kr == KERN_SUCCESS, "last signal: %#x", kr);
    CHECK(6, semaphore_timedwait(ping, POLL) == KERN_OPERATION_TIMED_OUT, "ping counted a signal too many");
    CHECK(7, semaphore_timedwait(pong, POLL) == KERN_OPERATION_TIMED_OUT, "pong counted a signal too many");
    CHECK(8, semaphore_waiter_count(ping) == 0 && semaphore_waiter_count(pong) == 0, "waiters left");
    CHECK(9, semaphore_destroy(mach_task_self(), ping) == KERN_SUCCESS, "destroy");
    CHECK(10, semaphore_destroy(mach_task_self(), pong) == KERN_SUCCESS, "destroy");
    return 0;
}

static int remote_pingpong(const char *name, int rounds) {
    semaphore_t ping = look_up(name, "ping"), pong = look_up(name, "pong");
    CHECK(1, ping != MACH_PORT_NULL && pong != MACH_PORT_NULL, "look-up");
    ready();
    mach_port_type_t type = 0;
    CHECK(2, mach_port_type(mach_task_self(), ping, &type) == KERN_SUCCESS && type == MACH_PORT_TYPE_SEND,
          "type %#x", type);
    /* Only the owner destroys; nobody waits on pong yet; no thread ports. */
    kern_return_t kr = semaphore_destroy(mach_task_self(), pong);
    CHECK(3, kr == KERN_INVALID_ARGUMENT, "destroy by another task: %#x", kr);
    kr = semaphore_signal_thread(pong, THREAD_NULL);
    CHECK(4, kr == KERN_NOT_WAITING, "signal_thread with nobody waiting: %#x", kr);
    CHECK(5, semaphore_signal_thread(pong, mach_task_self()) == KERN_INVALID_ARGUMENT, "signal_thread(thread)");
    kr = semaphore_timedwait(pong, (mach_timespec_t){0, 1000000000});
    CHECK(6, kr == KERN_INVALID_VALUE, "tv_nsec out of range: %#x", kr);
    int count = 0;
    double t0 = now_s();
    for (int i = 0; i < rounds; i++) {
        if (i % 2 == 0) {
            CHECK(10, semaphore_signal(ping) == KERN_SUCCESS, "round %d: signal", i);
            kr = semaphore_wait(pong);
        } else {
            kr = semaphore_wait_signal(pong, ping);
        }
        CHECK(11, kr == KERN_SUCCESS, "round %d: wait: %#x", i, kr);
        count++;
    }
    double dt = now_s() - t0;
    CHECK(12, count == rounds, "%d rounds", count);
    kr = semaphore_timedwait(pong, POLL);
    CHECK(13, kr == KERN_OPERATION_TIMED_OUT, "pong counted a signal too many: %#x", kr);
    CHECK(14, semaphore_signal(ping) == KERN_SUCCESS, "last signal");
    fprintf(stderr, "machd_semaphore_peer: %d round trips across processes, %.1f us each\n", rounds,
            dt * 1e6 / rounds);
    return 0;
}

static int owner_timeout(const char *name) {
    semaphore_t sem = create_registered(name, "sem"), done = create_registered(name, "done");
    CHECK(1, sem != MACH_PORT_NULL && done != MACH_PORT_NULL, "create and register");
    ready();
    kern_return_t kr = semaphore_timedwait(done, (mach_timespec_t){20, 0});
    CHECK(2, kr == KERN_SUCCESS, "done: %#x", kr);
    CHECK(3, semaphore_waiter_count(sem) == 0, "a timed-out remote waiter is still listed");
    /* The timed-out waits took nothing: a signal is counted and taken here. */
    CHECK(4, semaphore_signal(sem) == KERN_SUCCESS, "signal");
    CHECK(5, semaphore_timedwait(sem, POLL) == KERN_SUCCESS, "counted signal");
    CHECK(6, semaphore_destroy(mach_task_self(), sem) == KERN_SUCCESS, "destroy");
    CHECK(7, semaphore_destroy(mach_task_self(), done) == KERN_SUCCESS, "destroy");
    return 0;
}

static int remote_timeout(const char *name, int ms) {
    semaphore_t sem = look_up(name, "sem"), done = look_up(name, "done");
    CHECK(1, sem != MACH_PORT_NULL && done != MACH_PORT_NULL, "look-up");
    ready();
    kern_return_t kr = semaphore_timedwait(sem, POLL);
    CHECK(2, kr == KERN_OPERATION_TIMED_OUT, "poll: %#x", kr);
    for (int i = 0; i < 3; i++) {
        mach_timespec_t t = {(unsigned)ms / 1000, (clock_res_t)(ms % 1000) * 1000000};
        double t0 = now_s();
        kr = semaphore_timedwait(sem, t);
        double waited = (now_s() - t0) * 1000.0;
        CHECK(3, kr == KERN_OPERATION_TIMED_OUT, "timed wait: %#x", kr);
        CHECK(4, waited >= ms, "timed out after %.1f ms, before %d ms", waited, ms);
        CHECK(5, waited < ms + 5000, "timed out after %.1f ms (%d asked)", waited, ms);
        fprintf(stderr, "machd_semaphore_peer: %d ms timed wait took %.1f ms\n", ms, waited);
    }
    CHECK(6, semaphore_signal(done) == KERN_SUCCESS, "done");
    return 0;
}

static int owner_waits_then(const char *name, bool die) {
    semaphore_t sem = create_registered(name, "sem");
    CHECK(1, sem != MACH_PORT_NULL, "create and register");
    ready();
    CHECK(2, await_waiters(sem, 1), "no remote waiter");
    if (die)
        _exit(0); /* with a remote waiter listed: the task's semaphores go with it */
    CHECK(3, semaphore_destroy(mach_task_self(), sem) == KERN_SUCCESS, "destroy");
    return 0;
}

/* Waits until sem is a dead name (machd tells of the port's death), 10 s at most. */
static bool becomes_dead_name(semaphore_t sem) {
    for (int i = 0; i < 10000; i++) {
        mach_port_type_t type = 0;
        if (mach_port_type(mach_task_self(), sem, &type) == KERN_SUCCESS && type == MACH_PORT_TYPE_DEAD_NAME)
            return true;
        usleep(1000);
    }
    return false;
}

static int remote_terminated(const char *name) {
    semaphore_t sem = look_up(name, "sem");
    CHECK(1, sem != MACH_PORT_NULL, "look-up");
    ready();
    double t0 = now_s();
    kern_return_t kr = semaphore_wait(sem);
    CHECK(2, kr == KERN_TERMINATED, "wait: %#x after %.2f s", kr, now_s() - t0);
    CHECK(3, becomes_dead_name(sem), "the name stays alive");
    /* Darwin's code for a dead name in every call (port_name_to_semaphore). */
    CHECK(4, semaphore_wait(sem) == KERN_INVALID_RIGHT, "wait on a dead name");
    CHECK(5, semaphore_signal(sem) == KERN_INVALID_RIGHT, "signal on a dead name");
    return 0;
}

static int owner_all(const char *name, int waiters) {
    semaphore_t sem = create_registered(name, "sem"), done = create_registered(name, "done");
    CHECK(1, sem != MACH_PORT_NULL && done != MACH_PORT_NULL, "create and register");
    ready();
    CHECK(2, await_waiters(sem, (unsigned)waiters), "%u of %d remote waiters", semaphore_waiter_count(sem),
          waiters);
    CHECK(3, semaphore_signal_all(sem) == KERN_SUCCESS, "signal_all");
    for (int i = 0; i < waiters; i++) {
        kern_return_t kr = semaphore_timedwait(done, (mach_timespec_t){20, 0});
        CHECK(4, kr == KERN_SUCCESS, "waiter %d: %#x", i, kr);
    }
    CHECK(5, semaphore_timedwait(sem, POLL) == KERN_OPERATION_TIMED_OUT, "signal_all counted a signal");
    CHECK(6, semaphore_destroy(mach_task_self(), sem) == KERN_SUCCESS, "destroy");
    CHECK(7, semaphore_destroy(mach_task_self(), done) == KERN_SUCCESS, "destroy");
    return 0;
}

static int remote_all(const char *name) {
    semaphore_t sem = look_up(name, "sem"), done = look_up(name, "done");
    CHECK(1, sem != MACH_PORT_NULL && done != MACH_PORT_NULL, "look-up");
    ready();
    kern_return_t kr = semaphore_timedwait(sem, (mach_timespec_t){20, 0});
    CHECK(2, kr == KERN_SUCCESS, "wait: %#x", kr);
    CHECK(3, semaphore_signal(done) == KERN_SUCCESS, "done");
    return 0;
}

static int owner_deadwaiter(const char *name) {
    semaphore_t sem = create_registered(name, "sem");
    CHECK(1, sem != MACH_PORT_NULL, "create and register");
    ready();
    CHECK(2, await_waiters(sem, 1), "no remote waiter");
    usleep(1500 * 1000); /* the waiter's process dies after 1 s */
    int signals = 0;
    kern_return_t kr = KERN_OPERATION_TIMED_OUT;
    while (kr != KERN_SUCCESS && signals < 2) {
        CHECK(3, semaphore_signal(sem) == KERN_SUCCESS, "signal");
        signals++;
        kr = semaphore_timedwait(sem, POLL);
    }
    CHECK(4, kr == KERN_SUCCESS, "no signal counted after %d", signals);
    CHECK(5, semaphore_waiter_count(sem) == 0, "the dead waiter is still listed");
    fprintf(stderr, "machd_semaphore_peer: the dead waiter took %d signal(s)\n", signals - 1);
    CHECK(6, semaphore_destroy(mach_task_self(), sem) == KERN_SUCCESS, "destroy");
    return 0;
}

static int remote_die(const char *name) {
    semaphore_t sem = look_up(name, "sem");
    CHECK(1, sem != MACH_PORT_NULL, "look-up");
    ready();
    alarm(1);
    kern_return_t kr = semaphore_wait(sem);
    return peer_failed(2, "still alive after the wait: %#x", kr);
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s MODE NAME [N]\n", argv[0]);
        return 2;
    }
    mode = argv[1];
    const char *name = argv[2];
    int n = argc > 3 ? atoi(argv[3]) : 0;
    if (strcmp(mode, "owner-pingpong") == 0)
        return owner_pingpong(name, n);
    if (strcmp(mode, "remote-pingpong") == 0)
        return remote_pingpong(name, n);
    if (strcmp(mode, "owner-timeout") == 0)
        return owner_timeout(name);
    if (strcmp(mode, "remote-timeout") == 0)
        return remote_timeout(name, n);
    if (strcmp(mode, "owner-destroy") == 0)
        return owner_waits_then(name, false);
    if (strcmp(mode, "owner-die") == 0)
        return owner_waits_then(name, true);
    if (strcmp(mode, "remote-destroyed") == 0 || strcmp(mode, "remote-owner-died") == 0)
        return remote_terminated(name);
    if (strcmp(mode, "owner-all") == 0)
        return owner_all(name, n);
    if (strcmp(mode, "remote-all") == 0)
        return remote_all(name);
    if (strcmp(mode, "owner-deadwaiter") == 0)
        return owner_deadwaiter(name);
    if (strcmp(mode, "remote-die") == 0)
        return remote_die(name);
    return 2;
}
