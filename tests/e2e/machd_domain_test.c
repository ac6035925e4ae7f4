/* Bootstrap domains (docs/machd.md 6, docs/security.md): a system machd (`machd --system`) on a
 * private socket, root's tasks binding names in the system domain, other users' tasks (forked
 * children that setuid to nobody) in their own domains, looking names up through to the system
 * domain; the register group; and libmach finding the system machd itself (MACHD_SYSTEM_SOCKET),
 * with RPCs, send-once replies and dead names across it. Each test needs root (to run tasks as
 * other users) and is skipped without it. */
#include <errno.h>
#include <grp.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <mach/kern_return.h>
#include <mach/message.h>

#include "machd_harness.h"

#define NOBODY 65534u
#define OTHER_USER 65533u
#define REGISTER_GROUP "daemon"

/* Darwin's bootstrap status codes (servers/bootstrap.h). */
#define BS_NOT_PRIVILEGED 1100u
#define BS_UNKNOWN_SERVICE 1102u

static gid_t group_gid;

/* A system machd on a private socket that every user may reach; `with_group`: members of
 * REGISTER_GROUP may bind system names. */
static void start_system(bool with_group) {
    mh_daemon.extra[0] = "--system";
    if (with_group) {
        mh_daemon.extra[1] = "--register-group";
        mh_daemon.extra[2] = REGISTER_GROUP;
    }
    mh_start(&mh_daemon);
    assert_int_equal(chmod(mh_daemon.dir, 0755), 0);
    struct stat st;
    assert_int_equal(stat(mh_daemon.path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0666); /* machd opened its socket to everyone */
}

static int setup_system(void **state) {
    (void)state;
    if (geteuid() != 0)
        return 0;
    struct group *g = getgrnam(REGISTER_GROUP);
    assert_non_null(g);
    group_gid = g->gr_gid;
    start_system(true);
    return 0;
}

static int setup_system_no_group(void **state) {
    (void)state;
    if (geteuid() != 0)
        return 0;
    struct group *g = getgrnam(REGISTER_GROUP);
    assert_non_null(g);
    group_gid = g->gr_gid;
    start_system(false);
    return 0;
}

static int teardown_system(void **state) {
    if (geteuid() != 0)
        return 0;
    return mh_teardown(state);
}

/* In a forked child, once it runs as its user (a change of uid clears the setting): it dies
 * with the test, so a failing test leaves nothing running. */
static void prctl_die_with_parent(void) { prctl(PR_SET_PDEATHSIG, SIGKILL); }

/* ---- a task of another user, in a forked child (no cmocka there: exit codes) ---- */

struct child_task {
    struct machd_conn conn;
    uint8_t buf[MACHD_MAX_PACKET];
    struct machd_msg m;
};

/* Forks a child that becomes uid (with primary group gid and, when sup is not (gid_t)-1, that
 * supplementary group), connects to the test's machd and runs body; returns its pid. */
static pid_t as_user(uid_t uid, gid_t gid, gid_t sup, int (*body)(struct child_task *)) {
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid != 0)
        return pid;
    gid_t groups[1] = {sup};
    if (setgroups(sup == (gid_t)-1 ? 0 : 1, groups) != 0 || setgid(gid) != 0 || setuid(uid) != 0)
        _exit(90);
    prctl_die_with_parent(); /* after setuid, which clears it */
    static struct child_task t;
    if (machd_conn_open(&t.conn, mh_daemon.path, false) != 0)
        _exit(91);
    _exit(body(&t));
}

/* The next message of type `type`, past events about other rights; NULL when none comes. */
static const struct machd_msg *child_expect(struct child_task *t, uint16_t type) {
    for (;;) {
        if (machd_conn_recv(&t->conn, t->buf, &t->m, MH_TIMEOUT_MS) != 0)
            return NULL;
        if (t->m.type == type)
            return &t->m;
        if (t->m.type != MACHD_SENDERS_GONE && t->m.type != MACHD_PORT_DEAD && t->m.type != MACHD_STATUS_REPLY)
            return NULL;
    }
}

/* A BOOTSTRAP request; its status, or 999 when no answer came. */
static uint32_t child_bootstrap(struct child_task *t, uint32_t op, const char *name, struct machd_right right,
                                uint32_t *handle) {
    memset(&t->m, 0, sizeof t->m);
    t->m.type = MACHD_BOOTSTRAP;
    t->m.u.bootstrap.op = op;
    t->m.u.bootstrap.name = name;
    t->m.u.bootstrap.name_len = (uint32_t)strlen(name);
    t->m.u.bootstrap.right = right;
    if (machd_conn_send(&t->conn, &t->m) != 0)
        return 999;
    const struct machd_msg *r = child_expect(t, MACHD_BOOTSTRAP_REPLY);
    if (!r)
        return 999;
    if (handle)
        *handle = r->u.bootstrap_reply.name;
    return r->u.bootstrap_reply.status;
}

/* A one-way message with id to the send right `dest`; its SEND_REPLY status (999: none). */
static uint32_t child_send(struct child_task *t, uint32_t dest, int32_t id) {
    memset(&t->m, 0, sizeof t->m);
    t->m.type = MACHD_MSG_SEND;
    t->m.u.send.dest = mh_right(dest, MACHD_DISP_COPY_SEND, 0);
    t->m.u.send.p.msgh_id = id;
    t->m.u.send.p.spill_fd = -1;
    if (machd_conn_send(&t->conn, &t->m) != 0)
        return 999;
    const struct machd_msg *r = child_expect(t, MACHD_SEND_REPLY);
    return r ? r->u.send_reply.status : 999;
}

/* Says "ready" to the test and holds what it bound until the test kills it. */
static int ready_and_hold(void) {
    printf("ready\n");
    fflush(stdout);
    pause();
    return 0;
}

/* ---- the children's parts ---- */

/* nobody: finds root's system name through its own domain, sends to it (id 77), binds a name
 * of its own (its domain), then waits for the system port to die (a dead name). */
static int nobody_looks_up_system_name(struct child_task *t) {
    uint32_t h, mine;
    if (child_bootstrap(t, MACHD_BOOTSTRAP_LOOK_UP, "svc.system", MH_NO_RIGHT, &h) != 0)
        return 1;
    if (child_send(t, h, 77) != MACH_MSG_SUCCESS)
        return 2;
    if (child_bootstrap(t, MACHD_BOOTSTRAP_CHECK_IN, "svc.mine", MH_NO_RIGHT, &mine) != 0)
        return 3;
    if (child_bootstrap(t, MACHD_BOOTSTRAP_LOOK_UP, "svc.mine", MH_NO_RIGHT, NULL) != 0)
        return 4;
    printf("ready\n");
    fflush(stdout);
    const struct machd_msg *d = child_expect(t, MACHD_PORT_DEAD);
    return d && d->u.port_dead.name == h ? 0 : 5;
}

/* Another user: nobody's name is not in its domain nor in the system domain. */
static int other_user_misses_nobodys_name(struct child_task *t) {
    return child_bootstrap(t, MACHD_BOOTSTRAP_LOOK_UP, "svc.mine", MH_NO_RIGHT, NULL) == BS_UNKNOWN_SERVICE ? 0 : 1;
}

/* A user outside the register group may not bind, replace, create or remove a system name. */
static int nobody_binds_system_name(struct child_task *t) {
    if (child_bootstrap(t, MACHD_BOOTSTRAP_CHECK_IN, "svc.system", MH_NO_RIGHT, NULL) != BS_NOT_PRIVILEGED)
        return 1;
    struct machd_right own = mh_right(MACHD_HANDLE_TASK_BIT | 1u, MACHD_DISP_MAKE_SEND, MACHD_RIGHT_NEW);
    if (child_bootstrap(t, MACHD_BOOTSTRAP_REGISTER, "svc.system", own, NULL) != BS_NOT_PRIVILEGED)
        return 2;
    if (child_bootstrap(t, MACHD_BOOTSTRAP_CREATE, "svc.system", MH_NO_RIGHT, NULL) != BS_NOT_PRIVILEGED)
        return 3;
    if (child_bootstrap(t, MACHD_BOOTSTRAP_UNREGISTER, "svc.system", MH_NO_RIGHT, NULL) != BS_NOT_PRIVILEGED)
        return 4;
    /* Its registration of a new name binds in its own domain: root does not see it. */
    if (child_bootstrap(t, MACHD_BOOTSTRAP_REGISTER, "svc.users", own, NULL) != 0)
        return 5;
    return ready_and_hold();
}

/* The name a child of checks_in_and_holds checks in (set before the fork). */
static const char *child_name;

static int checks_in_and_holds(struct child_task *t) {
    if (child_bootstrap(t, MACHD_BOOTSTRAP_CHECK_IN, child_name, MH_NO_RIGHT, NULL) != 0)
        return 1;
    return ready_and_hold();
}

static int nobody_finds_group_names(struct child_task *t) {
    if (child_bootstrap(t, MACHD_BOOTSTRAP_LOOK_UP, "svc.group", MH_NO_RIGHT, NULL) != 0)
        return 1;
    return child_bootstrap(t, MACHD_BOOTSTRAP_LOOK_UP, "svc.group2", MH_NO_RIGHT, NULL) == 0 ? 0 : 2;
}

/* Without a register group, a member of that group is an ordinary user. */
static int nobody_binds_system_name_once(struct child_task *t) {
    if (child_bootstrap(t, MACHD_BOOTSTRAP_CHECK_IN, "svc.system", MH_NO_RIGHT, NULL) != BS_NOT_PRIVILEGED)
        return 1;
    if (child_bootstrap(t, MACHD_BOOTSTRAP_CHECK_IN, "svc.grouped", MH_NO_RIGHT, NULL) != 0)
        return 2;
    return ready_and_hold();
}

/* Runs as_user with the child's stdout on a pipe and waits for its "ready" line; 0 when it
 * said it, else its exit status. */
static int as_user_until_ready(uid_t uid, gid_t gid, gid_t sup, int (*body)(struct child_task *), pid_t *pid) {
    int p[2];
    assert_int_equal(pipe(p), 0);
    fflush(stdout);
    int saved = dup(STDOUT_FILENO);
    dup2(p[1], STDOUT_FILENO);
    *pid = as_user(uid, gid, sup, body);
    dup2(saved, STDOUT_FILENO);
    close(saved);
    close(p[1]);
    char line[8] = {0};
    ssize_t n = read(p[0], line, sizeof line - 1);
    close(p[0]);
    if (n >= 5 && memcmp(line, "ready", 5) == 0)
        return 0;
    return mh_wait(*pid);
}

/* ---- tests ---- */

/* Root's task, holding the receive right of "svc.system" (in the system domain) in *recv. */
static struct tc *root_with_system_name(uint32_t *recv) {
    struct tc *root = tc_open(&mh_daemon);
    assert_int_equal(tc_check_in(root, "svc.system", recv), 0);
    return root;
}

static void kill_child(pid_t pid) {
    kill(pid, SIGKILL);
    mh_wait(pid);
}

/* Look-ups fall through from a user's domain to the system domain, the right found there works
 * (a message, then a dead name when the port dies), and a user's own names stay in its domain. */
static void lookups_fall_through_to_the_system_domain(void **state) {
    (void)state;
    if (geteuid() != 0)
        skip();
    uint32_t recv;
    struct tc *root = root_with_system_name(&recv);
    pid_t nobody;
    assert_int_equal(as_user_until_ready(NOBODY, NOBODY, (gid_t)-1, nobody_looks_up_system_name, &nobody), 0);
    const struct machd_msg *d = tc_expect(root, MACHD_MSG_DELIVER);
    assert_int_equal(d->u.deliver.p.msgh_id, 77);
    assert_int_equal(d->u.deliver.audit.uid, NOBODY);
    /* nobody's name is its own: neither root (the system domain) nor another user sees it. */
    assert_int_equal(tc_look_up(root, "svc.mine", NULL), BS_UNKNOWN_SERVICE);
    assert_int_equal(mh_wait(as_user(OTHER_USER, OTHER_USER, (gid_t)-1, other_user_misses_nobodys_name)), 0);
    /* The system port dies: nobody gets its dead name. */
    assert_int_equal(tc_mod_refs(root, recv, MACHD_RIGHT_RECEIVE, -1), KERN_SUCCESS);
    assert_int_equal(mh_wait(nobody), 0);
    tc_close(root);
}

/* Only root (and the register group) binds names in the system domain: a user outside it gets
 * BOOTSTRAP_NOT_PRIVILEGED for every way of binding or removing one; what it registers stays in
 * its own domain. */
static void registration_in_the_system_domain_is_refused_to_other_users(void **state) {
    (void)state;
    if (geteuid() != 0)
        skip();
    uint32_t recv;
    struct tc *root = root_with_system_name(&recv);
    pid_t nobody;
    assert_int_equal(as_user_until_ready(NOBODY, NOBODY, (gid_t)-1, nobody_binds_system_name, &nobody), 0);
    assert_int_equal(tc_look_up(root, "svc.users", NULL), BS_UNKNOWN_SERVICE);
    uint32_t h;
    assert_int_equal(tc_look_up(root, "svc.system", &h), 0);
    assert_int_equal(h, recv); /* still root's */
    kill_child(nobody);
    tc_close(root);
}

/* A member of the register group (its primary group, or a supplementary one) binds names in the
 * system domain: other users find them. */
static void register_group_members_bind_system_names(void **state) {
    (void)state;
    if (geteuid() != 0)
        skip();
    pid_t primary, supplementary;
    child_name = "svc.group";
    assert_int_equal(as_user_until_ready(NOBODY, group_gid, (gid_t)-1, checks_in_and_holds, &primary), 0);
    child_name = "svc.group2";
    assert_int_equal(as_user_until_ready(OTHER_USER, OTHER_USER, group_gid, checks_in_and_holds, &supplementary), 0);
    assert_int_equal(mh_wait(as_user(OTHER_USER - 1, OTHER_USER - 1, (gid_t)-1, nobody_finds_group_names)), 0);
    struct tc *root = tc_open(&mh_daemon);
    assert_int_equal(tc_look_up(root, "svc.group", NULL), 0);
    tc_close(root);
    kill_child(primary);
    kill_child(supplementary);
}

/* Without --register-group only root binds system names: the group's member is refused. */
static void without_a_register_group_only_root_binds(void **state) {
    (void)state;
    if (geteuid() != 0)
        skip();
    uint32_t recv;
    struct tc *root = root_with_system_name(&recv);
    pid_t member;
    assert_int_equal(as_user_until_ready(NOBODY, group_gid, (gid_t)-1, nobody_binds_system_name_once, &member), 0);
    assert_int_equal(tc_look_up(root, "svc.grouped", NULL), BS_UNKNOWN_SERVICE); /* its own domain */
    kill_child(member);
    tc_close(root);
}

#ifdef MACHD_RPC_PEER
/* Runs MACHD_RPC_PEER with args as uid (root: 0) with libmach finding machd by itself: no
 * MACHD_SOCKET, the test's system machd as MACHD_SYSTEM_SOCKET, no per-user machd to fall back
 * on. Waits for "ready" when `ready`. */
static pid_t rpc_peer_as(uid_t uid, const char *const args[], bool ready) {
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (ready)
            dup2(p[1], STDOUT_FILENO); /* else its "ready" goes to the test's output */
        close(p[0]);
        close(p[1]);
        unsetenv("MACHD_SOCKET");
        setenv("MACHD_SYSTEM_SOCKET", mh_daemon.path, 1);
        setenv("XDG_RUNTIME_DIR", "/nonexistent/openmig-domain-test", 1);
        setenv("MACHD_NO_AUTOSTART", "1", 1);
        unsetenv("MACH_BOOTSTRAP");
        if (uid != 0 && (setgroups(0, NULL) != 0 || setgid(uid) != 0 || setuid(uid) != 0))
            _exit(90);
        prctl_die_with_parent(); /* after setuid, which clears it */
        const char *argv[8] = {MACHD_RPC_PEER};
        for (int i = 0; args[i] && i < 6; i++)
            argv[i + 1] = args[i];
        execv(MACHD_RPC_PEER, (char *const *)argv);
        _exit(127);
    }
    close(p[1]);
    if (ready) {
        char line[8] = {0};
        assert_true(read(p[0], line, sizeof line - 1) >= 5);
        assert_memory_equal(line, "ready", 5);
    }
    close(p[0]);
    return pid;
}

/* libmach reaches the system machd by itself and authenticates it: root's server checks a name
 * in (system domain); nobody's client finds it through its own domain and makes RPCs with
 * send-once replies; a client waiting for a reply gets its send-once notification when the
 * server is killed (the rights of the system domain die as they should). */
static void libmach_uses_the_system_domain(void **state) {
    (void)state;
    if (geteuid() != 0)
        skip();
    const char *server_args[] = {"server", "svc.rpc", NULL};
    pid_t server = rpc_peer_as(0, server_args, true);
    const char *client_args[] = {"client", "svc.rpc", "200", NULL};
    assert_int_equal(mh_wait(rpc_peer_as(NOBODY, client_args, false)), 0);
    const char *hang_args[] = {"hang", "svc.rpc", NULL};
    pid_t hang = rpc_peer_as(NOBODY, hang_args, true);
    kill(server, SIGKILL);
    mh_wait(server);
    assert_int_equal(mh_wait(hang), 0);
}
#endif

#ifdef MACHCTL_BIN
/* machctl asks the machd programs use: the system one, named by MACHD_SYSTEM_SOCKET, which it
 * reports as its socket, with root's system name. */
static void machctl_asks_the_system_machd(void **state) {
    (void)state;
    if (geteuid() != 0)
        skip();
    uint32_t recv;
    struct tc *root = root_with_system_name(&recv);
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(p[1], STDOUT_FILENO);
        close(p[0]);
        close(p[1]);
        unsetenv("MACHD_SOCKET");
        setenv("MACHD_SYSTEM_SOCKET", mh_daemon.path, 1);
        setenv("XDG_RUNTIME_DIR", "/nonexistent/openmig-domain-test", 1);
        execl(MACHCTL_BIN, MACHCTL_BIN, "--json", (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    static char out[65536];
    size_t got = 0;
    for (ssize_t n; got < sizeof out - 1 && (n = read(p[0], out + got, sizeof out - 1 - got)) > 0;)
        got += (size_t)n;
    out[got] = '\0';
    close(p[0]);
    assert_int_equal(mh_wait(pid), 0);
    assert_non_null(strstr(out, mh_daemon.path));
    assert_non_null(strstr(out, "\"svc.system\""));
    tc_close(root);
}
#endif

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(lookups_fall_through_to_the_system_domain, setup_system, teardown_system),
        cmocka_unit_test_setup_teardown(registration_in_the_system_domain_is_refused_to_other_users, setup_system,
                                        teardown_system),
        cmocka_unit_test_setup_teardown(register_group_members_bind_system_names, setup_system, teardown_system),
        cmocka_unit_test_setup_teardown(without_a_register_group_only_root_binds, setup_system_no_group,
                                        teardown_system),
#ifdef MACHD_RPC_PEER
        cmocka_unit_test_setup_teardown(libmach_uses_the_system_domain, setup_system, teardown_system),
#endif
#ifdef MACHCTL_BIN
        cmocka_unit_test_setup_teardown(machctl_asks_the_system_machd, setup_system, teardown_system),
#endif
    };
    return mh_run_tests("machd_domain", tests, sizeof tests / sizeof tests[0], argc, argv);
}
