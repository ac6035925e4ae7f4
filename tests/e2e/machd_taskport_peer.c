/* A libmach task for the task-port tests across processes (machd_taskport_test.c,
 * docs/runtime.md "Task ports across processes"). A broker starts a child of the same program
 * with openmig_posix_spawn and calls mach_port_* on the child's task port. Prints "ready" once set
 * up; exits 0 when every check passed, else the number of the step that failed (stderr says why).
 *   child         the spawned child: does nothing (no server loop, no bootstrap) until SIGTERM;
 *                 exits 0 (the spawn variable must be gone from its environment)
 *   calls         each call on the child's space gives Darwin's answer, the one it gives on the
 *                 broker's own space where both are alike; rights made there carry a message
 *                 whose bytes arrive intact; nothing is left behind in either space, and the
 *                 child ends cleanly (under ASan, LeakSanitizer checks the serving side)
 *   dead          once the child is killed and reaped: MACH_SEND_INVALID_DEST, the name is dead
 *   die-in-call   the child is stopped, then killed while a call waits for its answer: the call
 *                 returns MIG_SERVER_DIED (its request died with the task), never hangs
 *   hostile       malformed requests to the child's task port are refused or destroyed, the
 *                 child goes on serving, keeps nothing and ends cleanly
 *   intruder      a process that is not the spawned child sends its own task port to the spawn
 *                 name: the parent refuses it (the sender's pid, as machd reports it) */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <mach/mach.h>
#include <mach/mig_errors.h>
#include <mach/notify.h>
#include <mach/openmig_spawn.h>
#include <servers/bootstrap.h>

#include "services/spawn_internal.h"

#define PEER_NAME "machd_taskport_peer"
#include "peer_check.h"

extern char **environ;

/* Names no space of these tests holds: an unknown name, and a free one a right can be put at. */
#define BOGUS_NAME ((mach_port_name_t)0x7ffff003)
#define FREE_NAME ((mach_port_name_t)0x00777703)

static pid_t child_pid;

/* A broker that fails a check still ends its child (machd would wait for it when stopped). */
static void kill_child(void) {
    if (child_pid > 0)
        kill(child_pid, SIGKILL);
}

static int spawn_child(mach_port_t *task) {
    atexit(kill_child);
    char *argv[] = {"machd_taskport_peer", "child", NULL};
    int err = openmig_posix_spawn(&child_pid, task, "/proc/self/exe", NULL, NULL, argv, NULL);
    if (err != 0)
        fprintf(stderr, "%s %s: openmig_posix_spawn: %s\n", PEER_NAME, mode, strerror(err));
    return err;
}

static int reap_child(void) {
    int status = 0;
    while (waitpid(child_pid, &status, 0) < 0 && errno == EINTR) {
    }
    return status;
}

static mach_msg_type_number_t name_count(mach_port_t task) {
    mach_port_name_array_t names = NULL;
    mach_port_type_array_t types = NULL;
    mach_msg_type_number_t n = 0, nt = 0;
    if (mach_port_names(task, &names, &n, &types, &nt) != KERN_SUCCESS)
        return 0;
    vm_deallocate(mach_task_self(), (vm_address_t)names, n * sizeof *names);
    vm_deallocate(mach_task_self(), (vm_address_t)types, nt * sizeof *types);
    return n;
}

/* The type mach_port_names reports for name in task (0: not listed). */
static mach_port_type_t listed_type(mach_port_t task, mach_port_name_t name) {
    mach_port_name_array_t names = NULL;
    mach_port_type_array_t types = NULL;
    mach_msg_type_number_t n = 0, nt = 0;
    mach_port_type_t found = 0;
    if (mach_port_names(task, &names, &n, &types, &nt) != KERN_SUCCESS || n != nt)
        return 0;
    for (mach_msg_type_number_t i = 0; i < n; i++)
        if (names[i] == name)
            found = types[i];
    vm_deallocate(mach_task_self(), (vm_address_t)names, n * sizeof *names);
    vm_deallocate(mach_task_self(), (vm_address_t)types, nt * sizeof *types);
    return found;
}

/* The calls whose answers on another task's space are those on one's own (Darwin's ipc_right
 * rules apply to both); run on the broker's space and on the child's. Returns 0 or the step. */
static int same_on_both(mach_port_t task, int base) {
    mach_port_t self = mach_task_self();
    mach_port_name_t a = MACH_PORT_NULL, x = MACH_PORT_NULL, s = MACH_PORT_NULL;
    mach_msg_type_name_t st = 0;
    mach_port_type_t type = 0;
    mach_port_urefs_t refs = 0;
    kern_return_t kr;

    CHECK(base + 1, (kr = mach_port_allocate(task, MACH_PORT_RIGHT_RECEIVE, &a)) == KERN_SUCCESS,
          "allocate receive: %#x", kr);
    CHECK(base + 2, mach_port_type(task, a, &type) == KERN_SUCCESS && type == MACH_PORT_TYPE_RECEIVE,
          "type of a receive right: %#x", type);
    CHECK(base + 3, (kr = mach_port_allocate(task, 99, &x)) == KERN_INVALID_VALUE,
          "allocate of an unknown right: %#x, want KERN_INVALID_VALUE", kr);
    CHECK(base + 4, (kr = mach_port_allocate_name(task, MACH_PORT_RIGHT_RECEIVE, a)) == KERN_NAME_EXISTS,
          "allocate_name over a name in use: %#x, want KERN_NAME_EXISTS", kr);
    /* A send right made from the receive right, put back under the receive right's name. */
    CHECK(base + 5, (kr = mach_port_extract_right(task, a, MACH_MSG_TYPE_MAKE_SEND, &s, &st)) == KERN_SUCCESS &&
                        st == MACH_MSG_TYPE_PORT_SEND,
          "extract MAKE_SEND: %#x type %u", kr, st);
    CHECK(base + 6, (kr = mach_port_insert_right(task, a, s, MACH_MSG_TYPE_MOVE_SEND)) == KERN_SUCCESS,
          "insert the send right under the receive right's name: %#x", kr);
    CHECK(base + 7, mach_port_type(task, a, &type) == KERN_SUCCESS &&
                        type == (MACH_PORT_TYPE_RECEIVE | MACH_PORT_TYPE_SEND),
          "type after insert: %#x", type);
    CHECK(base + 8, mach_port_get_refs(task, a, MACH_PORT_RIGHT_SEND, &refs) == KERN_SUCCESS && refs == 1,
          "send refs %u, want 1", refs);
    CHECK(base + 9, (kr = mach_port_mod_refs(task, a, MACH_PORT_RIGHT_SEND, 2)) == KERN_SUCCESS,
          "mod_refs send +2: %#x", kr);
    CHECK(base + 10, mach_port_get_refs(task, a, MACH_PORT_RIGHT_SEND, &refs) == KERN_SUCCESS && refs == 3,
          "send refs %u, want 3", refs);
    CHECK(base + 11, mach_port_get_refs(task, a, MACH_PORT_RIGHT_RECEIVE, &refs) == KERN_SUCCESS && refs == 1,
          "receive refs %u, want 1", refs);
    CHECK(base + 12, (kr = mach_port_mod_refs(task, a, MACH_PORT_RIGHT_NUMBER, 1)) == KERN_INVALID_VALUE,
          "mod_refs of right MACH_PORT_RIGHT_NUMBER: %#x, want KERN_INVALID_VALUE", kr);
    CHECK(base + 13, (kr = mach_port_mod_refs(task, a, MACH_PORT_RIGHT_SEND_ONCE, -1)) == KERN_INVALID_RIGHT,
          "mod_refs send-once on a name without one: %#x, want KERN_INVALID_RIGHT", kr);
    CHECK(base + 14, (kr = mach_port_deallocate(task, a)) == KERN_SUCCESS, "deallocate one send ref: %#x", kr);
    CHECK(base + 15, mach_port_get_refs(task, a, MACH_PORT_RIGHT_SEND, &refs) == KERN_SUCCESS && refs == 2,
          "send refs %u, want 2", refs);
    CHECK(base + 16, (kr = mach_port_mod_refs(task, a, MACH_PORT_RIGHT_SEND, -2)) == KERN_SUCCESS,
          "mod_refs send -2: %#x", kr);
    CHECK(base + 17, mach_port_type(task, a, &type) == KERN_SUCCESS && type == MACH_PORT_TYPE_RECEIVE,
          "type after the send refs went: %#x", type);
    CHECK(base + 18, (kr = mach_port_deallocate(task, a)) == KERN_INVALID_RIGHT,
          "deallocate of a receive right: %#x, want KERN_INVALID_RIGHT", kr);
    CHECK(base + 19, (kr = mach_port_deallocate(task, BOGUS_NAME)) == KERN_INVALID_NAME,
          "deallocate of an unknown name: %#x, want KERN_INVALID_NAME", kr);
    CHECK(base + 20, (kr = mach_port_mod_refs(task, BOGUS_NAME, MACH_PORT_RIGHT_SEND, 1)) == KERN_INVALID_NAME,
          "mod_refs of an unknown name: %#x, want KERN_INVALID_NAME", kr);
    CHECK(base + 21, (kr = mach_port_type(task, BOGUS_NAME, &type)) == KERN_INVALID_NAME,
          "type of an unknown name: %#x, want KERN_INVALID_NAME", kr);
    CHECK(base + 22, (kr = mach_port_get_refs(task, BOGUS_NAME, MACH_PORT_RIGHT_SEND, &refs)) == KERN_INVALID_NAME,
          "get_refs of an unknown name: %#x, want KERN_INVALID_NAME", kr);
    CHECK(base + 23, (kr = mach_port_extract_right(task, a, 0, &s, &st)) == KERN_INVALID_VALUE,
          "extract with a bad disposition: %#x, want KERN_INVALID_VALUE", kr);
    CHECK(base + 24, (kr = mach_port_extract_right(task, BOGUS_NAME, MACH_MSG_TYPE_MAKE_SEND, &s, &st)) ==
                         KERN_INVALID_NAME,
          "extract from an unknown name: %#x, want KERN_INVALID_NAME", kr);
    CHECK(base + 25, (kr = mach_port_extract_right(task, a, MACH_MSG_TYPE_COPY_SEND, &s, &st)) == KERN_INVALID_RIGHT,
          "extract COPY_SEND from a receive-only name: %#x, want KERN_INVALID_RIGHT", kr);
    /* Dead names and port sets. */
    CHECK(base + 26, (kr = mach_port_allocate(task, MACH_PORT_RIGHT_DEAD_NAME, &x)) == KERN_SUCCESS,
          "allocate a dead name: %#x", kr);
    CHECK(base + 27, mach_port_type(task, x, &type) == KERN_SUCCESS && type == MACH_PORT_TYPE_DEAD_NAME,
          "type of a dead name: %#x", type);
    CHECK(base + 28, mach_port_get_refs(task, x, MACH_PORT_RIGHT_DEAD_NAME, &refs) == KERN_SUCCESS && refs == 1,
          "dead-name refs %u", refs);
    CHECK(base + 29, (kr = mach_port_mod_refs(task, x, MACH_PORT_RIGHT_DEAD_NAME, -1)) == KERN_SUCCESS,
          "mod_refs dead name -1: %#x", kr);
    CHECK(base + 30, (kr = mach_port_type(task, x, &type)) == KERN_INVALID_NAME, "the dead name stays: %#x", kr);
    CHECK(base + 31, (kr = mach_port_allocate(task, MACH_PORT_RIGHT_PORT_SET, &x)) == KERN_SUCCESS,
          "allocate a port set: %#x", kr);
    CHECK(base + 32, mach_port_type(task, x, &type) == KERN_SUCCESS && type == MACH_PORT_TYPE_PORT_SET,
          "type of a port set: %#x", type);
    CHECK(base + 33, listed_type(task, x) == MACH_PORT_TYPE_PORT_SET && listed_type(task, a) == MACH_PORT_TYPE_RECEIVE,
          "mach_port_names lists the set and the receive right");
    /* Set membership, then the receive right's attributes and the guard calls. */
    CHECK(base + 40, (kr = mach_port_insert_member(task, a, x)) == KERN_SUCCESS, "insert_member: %#x", kr);
    CHECK(base + 41, (kr = mach_port_insert_member(task, a, x)) == KERN_ALREADY_IN_SET,
          "insert_member twice: %#x, want KERN_ALREADY_IN_SET", kr);
    mach_port_name_array_t members = NULL;
    mach_msg_type_number_t nmembers = 0;
    CHECK(base + 42, mach_port_get_set_status(task, x, &members, &nmembers) == KERN_SUCCESS && nmembers == 1 &&
                         members[0] == a,
          "get_set_status: %u members", nmembers);
    vm_deallocate(self, (vm_address_t)members, nmembers * sizeof *members);
    mach_port_status_t ps;
    mach_msg_type_number_t count = MACH_PORT_RECEIVE_STATUS_COUNT;
    CHECK(base + 43, mach_port_get_attributes(task, a, MACH_PORT_RECEIVE_STATUS, (mach_port_info_t)&ps, &count) ==
                         KERN_SUCCESS && count == MACH_PORT_RECEIVE_STATUS_COUNT && ps.mps_pset == 1 &&
                         ps.mps_mscount == 1 && ps.mps_qlimit == MACH_PORT_QLIMIT_DEFAULT,
          "receive status: pset %u mscount %u qlimit %u", ps.mps_pset, ps.mps_mscount, ps.mps_qlimit);
    CHECK(base + 44, (kr = mach_port_extract_member(task, a, x)) == KERN_SUCCESS, "extract_member: %#x", kr);
    CHECK(base + 45, (kr = mach_port_extract_member(task, a, x)) == KERN_NOT_IN_SET,
          "extract_member twice: %#x, want KERN_NOT_IN_SET", kr);
    CHECK(base + 46, (kr = mach_port_move_member(task, a, x)) == KERN_SUCCESS, "move_member: %#x", kr);
    mach_port_limits_t lim = {7};
    CHECK(base + 47, (kr = mach_port_set_attributes(task, a, MACH_PORT_LIMITS_INFO, (mach_port_info_t)&lim,
                                                    MACH_PORT_LIMITS_INFO_COUNT)) == KERN_SUCCESS,
          "set qlimit: %#x", kr);
    lim.mpl_qlimit = MACH_PORT_QLIMIT_MAX + 1;
    CHECK(base + 48, (kr = mach_port_set_attributes(task, a, MACH_PORT_LIMITS_INFO, (mach_port_info_t)&lim,
                                                    MACH_PORT_LIMITS_INFO_COUNT)) == KERN_INVALID_VALUE,
          "qlimit past the maximum: %#x, want KERN_INVALID_VALUE", kr);
    CHECK(base + 49, mach_port_set_mscount(task, a, 5) == KERN_SUCCESS && mach_port_set_seqno(task, a, 9) == KERN_SUCCESS,
          "set_mscount / set_seqno");
    count = MACH_PORT_RECEIVE_STATUS_COUNT;
    CHECK(base + 50, mach_port_get_attributes(task, a, MACH_PORT_RECEIVE_STATUS, (mach_port_info_t)&ps, &count) ==
                         KERN_SUCCESS && ps.mps_qlimit == 7 && ps.mps_mscount == 5 && ps.mps_seqno == 9,
          "status after the sets: qlimit %u mscount %u seqno %u", ps.mps_qlimit, ps.mps_mscount, ps.mps_seqno);
    count = 1;
    CHECK(base + 51, (kr = mach_port_get_attributes(task, a, MACH_PORT_RECEIVE_STATUS, (mach_port_info_t)&ps,
                                                    &count)) == KERN_FAILURE,
          "status into a buffer too small: %#x, want KERN_FAILURE", kr);
    mach_port_rights_t srights = 99;
    CHECK(base + 52, mach_port_get_srights(task, a, &srights) == KERN_SUCCESS && srights == 0, "srights %u", srights);
    mach_port_context_t ctx = 0;
    CHECK(base + 53, mach_port_set_context(task, a, 0x1122334455667788ull) == KERN_SUCCESS &&
                         mach_port_get_context(task, a, &ctx) == KERN_SUCCESS && ctx == 0x1122334455667788ull,
          "context %#llx", (unsigned long long)ctx);
    CHECK(base + 54, (kr = mach_port_guard(task, a, 0x99, FALSE)) == KERN_INVALID_ARGUMENT,
          "guard over a context: %#x, want KERN_INVALID_ARGUMENT", kr);
    CHECK(base + 55, mach_port_set_context(task, a, 0) == KERN_SUCCESS &&
                         (kr = mach_port_guard(task, a, 0xabcdef0123ull, FALSE)) == KERN_SUCCESS,
          "guard: %#x", kr);
    CHECK(base + 56, (kr = mach_port_unguard(task, a, 0x1)) == KERN_INVALID_ARGUMENT,
          "unguard with a wrong guard: %#x, want KERN_INVALID_ARGUMENT", kr);
    CHECK(base + 57, (kr = mach_port_destruct(task, a, 0, 0x1)) != KERN_SUCCESS &&
                         mach_port_type(task, a, &type) == KERN_SUCCESS,
          "destruct with a wrong guard destroyed the right");
    CHECK(base + 58, (kr = mach_port_unguard(task, a, 0xabcdef0123ull)) == KERN_SUCCESS, "unguard: %#x", kr);
    CHECK(base + 59, (kr = mach_port_guard(task, BOGUS_NAME, 1, FALSE)) == KERN_INVALID_NAME,
          "guard of an unknown name: %#x, want KERN_INVALID_NAME", kr);
    CHECK(base + 34, (kr = mach_port_destroy(task, x)) == KERN_SUCCESS, "destroy the set: %#x", kr);
    CHECK(base + 35, (kr = mach_port_destroy(task, a)) == KERN_SUCCESS, "destroy the receive right: %#x", kr);
    CHECK(base + 36, (kr = mach_port_type(task, a, &type)) == KERN_INVALID_NAME, "destroyed name stays: %#x", kr);
    CHECK(base + 37, listed_type(task, a) == 0, "mach_port_names still lists a destroyed name");
    (void)self;
    return 0;
}

/* What only another task's space shows: rights that come from the caller's space, rights that
 * go to it, and a message carried by them. */
static int across(mach_port_t task) {
    mach_port_t self = mach_task_self();
    mach_port_name_t p = MACH_PORT_NULL, r = MACH_PORT_NULL, s = MACH_PORT_NULL, got = MACH_PORT_NULL;
    mach_msg_type_name_t st = 0;
    mach_port_type_t type = 0;
    kern_return_t kr;

    /* A send right to a port of the broker, put under a chosen name in the child. */
    CHECK(60, mach_port_allocate(self, MACH_PORT_RIGHT_RECEIVE, &p) == KERN_SUCCESS, "allocate p");
    CHECK(61, (kr = mach_port_insert_right(task, FREE_NAME, p, MACH_MSG_TYPE_MAKE_SEND)) == KERN_SUCCESS,
          "insert a made send right under a free name: %#x", kr);
    CHECK(62, mach_port_type(task, FREE_NAME, &type) == KERN_SUCCESS && type == MACH_PORT_TYPE_SEND,
          "type of the inserted send right: %#x", type);
    mach_port_status_t status;
    mach_msg_type_number_t count = MACH_PORT_RECEIVE_STATUS_COUNT;
    CHECK(63, mach_port_get_attributes(self, p, MACH_PORT_RECEIVE_STATUS, (mach_port_info_t)&status, &count) ==
                      KERN_SUCCESS && status.mps_mscount == 1 && status.mps_srights,
          "the broker's port has a sender (in the child): srights %u mscount %u", status.mps_srights,
          status.mps_mscount);
    /* The same port again under another name: the task already names it. xnu refuses a second
     * name for a port (ipc_object_copyout_name); the answer is the one the broker's own space
     * gives for the same situation (it names p too). */
    mach_port_name_t other = FREE_NAME + 0x100;
    kern_return_t local_kr = mach_port_insert_right(self, FREE_NAME + 0x300, p, MACH_MSG_TYPE_MAKE_SEND);
    kr = mach_port_insert_right(task, other, p, MACH_MSG_TYPE_MAKE_SEND);
    CHECK(64, kr == local_kr && (kr == KERN_FAILURE || kr == KERN_RIGHT_EXISTS),
          "insert under a second name: %#x, the local answer %#x", kr, local_kr);
    CHECK(65, mach_port_type(task, other, &type) == KERN_INVALID_NAME, "the second name was made");
    CHECK(66, mach_port_get_attributes(self, p, MACH_PORT_RECEIVE_STATUS, (mach_port_info_t)&status, &count) ==
                      KERN_SUCCESS && status.mps_mscount == 3,
          "the refused right was made (and destroyed): mscount %u", status.mps_mscount);
    /* Errors of the caller's own send, as Darwin's MIG call reports them. */
    CHECK(67, (kr = mach_port_insert_right(task, FREE_NAME + 0x200, BOGUS_NAME, MACH_MSG_TYPE_COPY_SEND)) ==
                  MACH_SEND_INVALID_RIGHT,
          "insert of a right the caller lacks: %#x, want MACH_SEND_INVALID_RIGHT", kr);
    CHECK(68, (kr = mach_port_insert_right(task, MACH_PORT_NULL, p, MACH_MSG_TYPE_MAKE_SEND)) == KERN_INVALID_VALUE,
          "insert under MACH_PORT_NULL: %#x, want KERN_INVALID_VALUE", kr);

    /* A receive right made in the child, a send right to it taken out, a message sent, then the
     * receive right taken out too: the message is in it, byte for byte. */
    CHECK(70, mach_port_allocate(task, MACH_PORT_RIGHT_RECEIVE, &r) == KERN_SUCCESS, "allocate r");
    CHECK(71, (kr = mach_port_extract_right(task, r, MACH_MSG_TYPE_MAKE_SEND, &s, &st)) == KERN_SUCCESS &&
                  st == MACH_MSG_TYPE_PORT_SEND,
          "extract MAKE_SEND from the child: %#x", kr);
    CHECK(72, mach_port_type(self, s, &type) == KERN_SUCCESS && type == MACH_PORT_TYPE_SEND, "the broker's send right");
    struct {
        mach_msg_header_t h;
        char text[64];
    } out = {{0}, {0}};
    snprintf(out.text, sizeof out.text, "through a port made in pid %d", (int)child_pid);
    out.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND, 0);
    out.h.msgh_size = sizeof out;
    out.h.msgh_remote_port = s;
    out.h.msgh_id = 4242;
    CHECK(73, (kr = mach_msg(&out.h, MACH_SEND_MSG | MACH_SEND_TIMEOUT, sizeof out, 0, MACH_PORT_NULL, 10000,
                             MACH_PORT_NULL)) == MACH_MSG_SUCCESS,
          "send through the extracted right: %#x", kr);
    CHECK(74, (kr = mach_port_extract_right(task, r, MACH_MSG_TYPE_MOVE_RECEIVE, &got, &st)) == KERN_SUCCESS &&
                  st == MACH_MSG_TYPE_PORT_RECEIVE,
          "extract MOVE_RECEIVE: %#x type %u", kr, st);
    CHECK(75, mach_port_type(task, r, &type) == KERN_INVALID_NAME, "the receive right is still in the child");
    struct {
        mach_msg_header_t h;
        char text[64];
        mach_msg_max_trailer_t t;
    } in;
    memset(&in, 0, sizeof in);
    CHECK(76, (kr = mach_msg(&in.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof in, got, 10000, MACH_PORT_NULL)) ==
                  MACH_MSG_SUCCESS,
          "receive on the moved right: %#x", kr);
    CHECK(77, in.h.msgh_id == 4242 && memcmp(in.text, out.text, sizeof out.text) == 0, "the message changed");
    CHECK(78, mach_port_mod_refs(self, got, MACH_PORT_RIGHT_RECEIVE, -1) == KERN_SUCCESS, "drop got");
    /* The inserted send right goes back; the broker's port then has no senders. */
    CHECK(79, (kr = mach_port_deallocate(task, FREE_NAME)) == KERN_SUCCESS, "deallocate in the child: %#x", kr);
    CHECK(80, mach_port_mod_refs(self, p, MACH_PORT_RIGHT_RECEIVE, -1) == KERN_SUCCESS, "drop p");
    return 0;
}

static int run_calls(void) {
    mach_port_t task = MACH_PORT_NULL;
    CHECK(1, spawn_child(&task) == 0 && MACH_PORT_VALID(task), "no task port");
    mach_port_type_t type = 0;
    CHECK(2, mach_port_type(mach_task_self(), task, &type) == KERN_SUCCESS && type == MACH_PORT_TYPE_SEND,
          "the task port is a send right: %#x", type);
    /* Warm up: the reply port of this thread's MIG calls is made once. */
    mach_msg_type_number_t self_before = name_count(mach_task_self());
    /* The child's runtime drops its right to the spawn name just after handing its port over. */
    mach_msg_type_number_t child_before = name_count(task);
    for (int i = 0; i < 40; i++) {
        usleep(50000);
        mach_msg_type_number_t now = name_count(task);
        if (now == child_before)
            break;
        child_before = now;
    }
    self_before = name_count(mach_task_self());
    CHECK(3, child_before > 0, "mach_port_names on the child");
    int step = same_on_both(mach_task_self(), 100);
    if (step)
        return step;
    step = same_on_both(task, 200);
    if (step)
        return step;
    step = across(task);
    if (step)
        return step;
    CHECK(4, name_count(task) == child_before, "the child's space grew: %u names, was %u", name_count(task),
          child_before);
    CHECK(5, name_count(mach_task_self()) == self_before, "the broker's space grew: %u names, was %u",
          name_count(mach_task_self()), self_before);
    kill(child_pid, SIGTERM);
    int status = reap_child();
    child_pid = 0;
    CHECK(6, WIFEXITED(status) && WEXITSTATUS(status) == 0, "the child ended with status %#x", status);
    return 0;
}

/* machd tells of the death asynchronously: calls may still be sent (and answered with
 * MIG_SERVER_DIED) until it has; then the name is dead and the call fails its send. */
static int run_dead(void) {
    mach_port_t task = MACH_PORT_NULL;
    CHECK(1, spawn_child(&task) == 0, "no task port");
    kill(child_pid, SIGKILL);
    reap_child();
    kern_return_t kr = KERN_SUCCESS;
    mach_port_name_t name;
    for (int i = 0; i < 1000; i++) {
        kr = mach_port_allocate(task, MACH_PORT_RIGHT_RECEIVE, &name);
        if (kr == MACH_SEND_INVALID_DEST)
            break;
        CHECK(2, kr == MIG_SERVER_DIED, "call on a dead task: %#x, want MIG_SERVER_DIED or MACH_SEND_INVALID_DEST", kr);
        usleep(10000);
    }
    CHECK(3, kr == MACH_SEND_INVALID_DEST, "the task port never died: %#x", kr);
    mach_port_type_t type = 0;
    CHECK(4, mach_port_type(mach_task_self(), task, &type) == KERN_SUCCESS && type == MACH_PORT_TYPE_DEAD_NAME,
          "the task name is a dead name: %#x", type);
    CHECK(5, (kr = mach_port_deallocate(task, BOGUS_NAME)) == MACH_SEND_INVALID_DEST, "deallocate: %#x", kr);
    CHECK(6, (kr = mach_port_mod_refs(task, BOGUS_NAME, MACH_PORT_RIGHT_SEND, 1)) == MACH_SEND_INVALID_DEST,
          "mod_refs: %#x", kr);
    CHECK(7, mach_port_deallocate(mach_task_self(), task) == KERN_SUCCESS, "drop the dead name");
    return 0;
}

static void *kill_later(void *arg) {
    (void)arg;
    usleep(300000);
    kill(child_pid, SIGKILL);
    return NULL;
}

static int run_die_in_call(void) {
    mach_port_t task = MACH_PORT_NULL;
    CHECK(1, spawn_child(&task) == 0, "no task port");
    mach_port_type_t type;
    kern_return_t kr0 = mach_port_type(task, (mach_port_name_t)0x103, &type);
    CHECK(2, kr0 == KERN_SUCCESS, "a call before: %#x", kr0);
    kill(child_pid, SIGSTOP);
    int st = 0;
    CHECK(4, waitpid(child_pid, &st, WUNTRACED) == child_pid && WIFSTOPPED(st), "the child did not stop");
    pthread_t killer;
    pthread_create(&killer, NULL, kill_later, NULL);
    alarm(60); /* a hang fails the test */
    mach_port_name_t name;
    kern_return_t kr = mach_port_allocate(task, MACH_PORT_RIGHT_RECEIVE, &name);
    alarm(0);
    pthread_join(killer, NULL);
    reap_child();
    CHECK(3, kr == MIG_SERVER_DIED,
          "a call under which the task died: %#x, want MIG_SERVER_DIED", kr);
    return 0;
}

static int run_intruder(void) {
    /* The broker's own spawn name and right, as openmig_posix_spawn makes them. */
    const char *name = SPAWN_NAME_PREFIX "00112233445566778899aabbccddeeff";
    mach_port_t self = mach_task_self(), port = MACH_PORT_NULL;
    CHECK(1, mach_port_allocate(self, MACH_PORT_RIGHT_RECEIVE, &port) == KERN_SUCCESS, "allocate");
    CHECK(2, mach_port_insert_right(self, port, port, MACH_MSG_TYPE_MAKE_SEND) == KERN_SUCCESS, "make send");
    CHECK(3, bootstrap_register(bootstrap_port, (char *)name, port) == KERN_SUCCESS, "register the spawn name");
    /* The child the broker expects, which says nothing, and an intruder that knows the name. */
    char *argv[] = {"machd_taskport_peer", "child", NULL};
    pid_t expected, intruder;
    CHECK(4, posix_spawn(&expected, "/proc/self/exe", NULL, NULL, argv, environ) == 0, "spawn");
    setenv(SPAWN_ENV, name, 1);
    CHECK(5, posix_spawn(&intruder, "/proc/self/exe", NULL, NULL, argv, environ) == 0, "spawn the intruder");
    unsetenv(SPAWN_ENV);
    mach_port_t task = MACH_PORT_NULL;
    unsigned refused = 0;
    int err = spawn_accept_task_port(port, expected, 3000, &task, &refused);
    CHECK(6, err == ETIMEDOUT && task == MACH_PORT_NULL, "accepted a task port from another pid: %d", err);
    CHECK(7, refused == 1, "refused %u messages, want the intruder's one", refused);
    /* Nothing of the intruder's message is left: the broker holds no right to its task. */
    mach_port_status_t status;
    mach_msg_type_number_t count = MACH_PORT_RECEIVE_STATUS_COUNT;
    CHECK(8, mach_port_get_attributes(self, port, MACH_PORT_RECEIVE_STATUS, (mach_port_info_t)&status, &count) ==
                     KERN_SUCCESS && status.mps_msgcount == 0,
          "messages left: %u", status.mps_msgcount);
    kill(expected, SIGKILL);
    kill(intruder, SIGKILL);
    waitpid(expected, NULL, 0);
    waitpid(intruder, NULL, 0);
    return 0;
}

/* One raw request to the child's task port (msg->msgh_remote_port), answered on a fresh reply
 * port: the reply's RetCode, MIG_SERVER_DIED for a send-once notification, or the mach_msg error. */
static kern_return_t raw_call(mach_msg_header_t *msg, mach_msg_size_t size) {
    mach_port_t reply = MACH_PORT_NULL;
    mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &reply);
    msg->msgh_bits |= MACH_MSGH_BITS(0, MACH_MSG_TYPE_MAKE_SEND_ONCE);
    msg->msgh_local_port = reply;
    msg->msgh_size = size;
    mach_msg_id_t id = msg->msgh_id;
    kern_return_t kr = mach_msg(msg, MACH_SEND_MSG | MACH_SEND_TIMEOUT, size, 0, MACH_PORT_NULL, 10000, MACH_PORT_NULL);
    if (kr == KERN_SUCCESS) {
        struct {
            mig_reply_error_t r;
            uint8_t more[256];
        } in;
        memset(&in, 0, sizeof in);
        kr = mach_msg(&in.r.Head, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof in, reply, 10000, MACH_PORT_NULL);
        if (kr == KERN_SUCCESS)
            kr = in.r.Head.msgh_id == MACH_NOTIFY_SEND_ONCE ? MIG_SERVER_DIED
                 : in.r.Head.msgh_id == id + 100            ? in.r.RetCode
                                                            : KERN_FAILURE;
        if (kr != MIG_SERVER_DIED && in.r.Head.msgh_id != MACH_NOTIFY_SEND_ONCE)
            mach_msg_destroy(&in.r.Head);
    }
    mach_port_mod_refs(mach_task_self(), reply, MACH_PORT_RIGHT_RECEIVE, -1);
    return kr;
}

/* Malformed requests to the child's task port: each is refused with MIG's code, or destroyed
 * (too large: the sender's reply right gets its notification), and what it carried is freed;
 * the child goes on serving, keeps no name and ends cleanly. */
static int run_hostile(void) {
    mach_port_t task = MACH_PORT_NULL;
    CHECK(1, spawn_child(&task) == 0, "no task port");
    mach_msg_type_number_t before = name_count(task);
    for (int i = 0; i < 40; i++) { /* as in run_calls: the child's hand-over settles */
        usleep(50000);
        mach_msg_type_number_t now = name_count(task);
        if (now == before)
            break;
        before = now;
    }
    struct {
        mach_msg_header_t h;
        mach_msg_body_t body;
        mach_msg_ool_descriptor_t ool;
        NDR_record_t ndr;
        uint32_t words[4];
    } m;
    kern_return_t kr;
    /* An id not served, a request too short, a scalar request carrying memory, a port slot
     * carrying memory, a request larger than the server takes. */
    memset(&m, 0, sizeof m);
    m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
    m.h.msgh_remote_port = task;
    m.h.msgh_id = 3209;
    CHECK(2, (kr = raw_call(&m.h, sizeof m.h)) == MIG_BAD_ID, "unknown id: %#x, want MIG_BAD_ID", kr);
    memset(&m, 0, sizeof m);
    m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
    m.h.msgh_remote_port = task;
    m.h.msgh_id = 3204;
    CHECK(3, (kr = raw_call(&m.h, sizeof m.h)) == MIG_BAD_ARGUMENTS, "short allocate: %#x", kr);
    static char blob[65536];
    for (int round = 0; round < 2; round++) {
        memset(&m, 0, sizeof m);
        m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0) | MACH_MSGH_BITS_COMPLEX;
        m.h.msgh_remote_port = task;
        m.h.msgh_id = round == 0 ? 3201 : 3214; /* mach_port_type; insert_right wants a port */
        m.body.msgh_descriptor_count = 1;
        m.ool.address = blob;
        m.ool.size = sizeof blob;
        m.ool.copy = MACH_MSG_VIRTUAL_COPY;
        m.ool.type = MACH_MSG_OOL_DESCRIPTOR;
        m.ndr = NDR_record;
        CHECK(4 + round, (kr = raw_call(&m.h, sizeof m)) == MIG_BAD_ARGUMENTS,
              "request %d carrying memory: %#x, want MIG_BAD_ARGUMENTS", m.h.msgh_id, kr);
    }
    struct {
        mach_msg_header_t h;
        uint8_t pad[2048];
    } big;
    memset(&big, 0, sizeof big);
    big.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
    big.h.msgh_remote_port = task;
    big.h.msgh_id = 3201;
    CHECK(6, (kr = raw_call(&big.h, sizeof big)) == MIG_SERVER_DIED, "oversized request: %#x", kr);
    /* The child still serves, and holds nothing more. */
    mach_port_name_t name = MACH_PORT_NULL;
    CHECK(7, (kr = mach_port_allocate(task, MACH_PORT_RIGHT_RECEIVE, &name)) == KERN_SUCCESS, "allocate: %#x", kr);
    CHECK(8, mach_port_mod_refs(task, name, MACH_PORT_RIGHT_RECEIVE, -1) == KERN_SUCCESS, "drop");
    CHECK(9, name_count(task) == before, "the child's space grew: %u names, was %u", name_count(task), before);
    kill(child_pid, SIGTERM);
    int status = reap_child();
    child_pid = 0;
    CHECK(10, WIFEXITED(status) && WEXITSTATUS(status) == 0, "the child ended with status %#x", status);
    return 0;
}

static volatile sig_atomic_t child_stop;

static void on_term(int sig) {
    (void)sig;
    child_stop = 1;
}

/* The child: its runtime removed the spawn variable before main (its own children never see
 * it); it serves its task port with no help until SIGTERM, then exits (0), so that its exit
 * status, and LeakSanitizer in a sanitized build, tell whether serving left anything behind. */
static int run_child(void) {
    CHECK(1, getenv(SPAWN_ENV) == NULL, "the spawn variable is still in the environment");
    signal(SIGTERM, on_term);
    alarm(120);
    while (!child_stop)
        pause();
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2)
        return 64;
    mode = argv[1];
    if (strcmp(mode, "child") == 0)
        return run_child();
    ready();
    if (strcmp(mode, "calls") == 0)
        return run_calls();
    if (strcmp(mode, "dead") == 0)
        return run_dead();
    if (strcmp(mode, "die-in-call") == 0)
        return run_die_in_call();
    if (strcmp(mode, "intruder") == 0)
        return run_intruder();
    if (strcmp(mode, "hostile") == 0)
        return run_hostile();
    return 64;
}
