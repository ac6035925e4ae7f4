/* A libmach task for the fileport tests across processes (machd_fileport_test.c,
 * docs/fileports.md "Across processes"). Requests and replies are plain Mach messages; a fileport
 * travels as a port descriptor. Prints "ready" once set up; exits 0 when every check passed, else
 * the number of the step that failed (stderr says why).
 *   give NAME        checks NAME in; moves a pipe's write end into a fileport (fileport_moveport);
 *                    answers request 1 with a copy of the right and request 2 with the right
 *                    moved; then holds no descriptor of the write end; reads what the taker
 *                    writes, sees EOF once every right is gone (while the taker still runs), and
 *                    answers request 3
 *   take NAME        asks NAME twice: both rights name one port; writes through fileport_makefd;
 *                    messages to the fileport are refused; deallocates both rights (its
 *                    descriptors are back to what they were), then asks 3 and waits for the answer
 *   send NAME        looks NAME up; moves a socketpair end into a fileport and sends it moved
 *                    in request 10 (then holds no descriptor of it); reads what the other side
 *                    writes, then EOF once that side let its right go; then request 11
 *   recv NAME        checks NAME in; takes request 10's fileport with fileport_movefd (the right
 *                    goes), writes through it, closes it; waits for request 11
 *   give-once NAME   checks NAME in; answers request 1 with a pipe's write end moved; reads what
 *                    the taker writes, then EOF once the taker is killed holding the right
 *   take-hold NAME   asks NAME once, writes through fileport_makefd and keeps both, then says
 *                    "ready" and waits to be killed
 *   give-exit NAME PATH  checks NAME in; answers request 1 with a fileport of PATH (opened for
 *                    appending), moved, and exits
 *   take-exit NAME   asks NAME once; waits until the giver is gone (its service dies); the
 *                    fileport still works here: writes "after-exit" through it
 *   destroy NAME PATH  checks NAME in; receives one message carrying a fileport (from a hostile
 *                    task: its file's close may block) and destroys it; then its own IPC must
 *                    still work: a message to a port of its own and back (10 s at most); creates
 *                    PATH when all of that passed (its exit may wait for the file's closes) */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fileport.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dirent.h>
#include <mach/mach.h>
#include <servers/bootstrap.h>

#define PEER_NAME "machd_fileport_peer"
#include "peer_check.h"

/* A request or reply: one port descriptor (the fileport, or MACH_PORT_NULL). */
struct fp_msg {
    mach_msg_header_t head;
    mach_msg_body_t body;
    mach_msg_port_descriptor_t port;
    mach_msg_trailer_t trailer;
};

#define TIMEOUT_MS 10000

/* The open file description's identity of fd (a pipe's two ends share it; socketpair ends don't). */
static struct stat identity(int fd) {
    struct stat st;
    memset(&st, 0, sizeof st);
    fstat(fd, &st);
    return st;
}

/* How many descriptors of this process refer to the file `id` (/proc/self/fd): channels and
 * machd's connection come and go, so only the file's own descriptors are counted. */
static int fds_of(struct stat id) {
    DIR *d = opendir("/proc/self/fd");
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d)) != NULL;) {
        struct stat st;
        if (e->d_name[0] != '.' && atoi(e->d_name) != dirfd(d) && fstat(atoi(e->d_name), &st) == 0 &&
            st.st_dev == id.st_dev && st.st_ino == id.st_ino)
            n++;
    }
    if (d)
        closedir(d);
    return n;
}

/* Sends a message with id to dest (copy-send), carrying `port` with disposition `disp`
 * (MACH_PORT_NULL: none) and, if reply is valid, a send-once reply right made from it. */
static kern_return_t send_msg(mach_port_t dest, int id, mach_port_t port, mach_msg_type_name_t disp, mach_port_t reply,
                              mach_msg_type_name_t dest_disp) {
    struct fp_msg m;
    memset(&m, 0, sizeof m);
    m.head.msgh_bits = MACH_MSGH_BITS(dest_disp, reply ? MACH_MSG_TYPE_MAKE_SEND_ONCE : 0) | MACH_MSGH_BITS_COMPLEX;
    m.head.msgh_size = offsetof(struct fp_msg, trailer);
    m.head.msgh_remote_port = dest;
    m.head.msgh_local_port = reply;
    m.head.msgh_id = id;
    m.body.msgh_descriptor_count = 1;
    m.port.name = port;
    m.port.disposition = port ? disp : MACH_MSG_TYPE_COPY_SEND;
    m.port.type = MACH_MSG_PORT_DESCRIPTOR;
    return mach_msg(&m.head, MACH_SEND_MSG | MACH_SEND_TIMEOUT, m.head.msgh_size, 0, MACH_PORT_NULL, TIMEOUT_MS,
                    MACH_PORT_NULL);
}

/* Receives one message on port into *m (10 s at most). */
static kern_return_t recv_msg(mach_port_t port, struct fp_msg *m) {
    memset(m, 0, sizeof *m);
    return mach_msg(&m->head, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof *m, port, TIMEOUT_MS, MACH_PORT_NULL);
}

/* A request to service with id, answered on a fresh reply port: the answer's port. */
static kern_return_t ask(mach_port_t service, int id, mach_port_t *got) {
    mach_port_t reply;
    kern_return_t kr = mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &reply);
    if (kr)
        return kr;
    kr = send_msg(service, id, MACH_PORT_NULL, 0, reply, MACH_MSG_TYPE_COPY_SEND);
    struct fp_msg m;
    if (kr == KERN_SUCCESS)
        kr = recv_msg(reply, &m);
    if (kr == KERN_SUCCESS && m.head.msgh_id != id + 100)
        kr = KERN_FAILURE;
    *got = kr == KERN_SUCCESS ? m.port.name : MACH_PORT_NULL;
    mach_port_mod_refs(mach_task_self(), reply, MACH_PORT_RIGHT_RECEIVE, -1);
    return kr;
}

/* Answers request m with id + 100, carrying port (disposition disp) or nothing. */
static kern_return_t answer(const struct fp_msg *m, mach_port_t port, mach_msg_type_name_t disp) {
    return send_msg(m->head.msgh_remote_port, m->head.msgh_id + 100, port, disp, MACH_PORT_NULL,
                    MACH_MSG_TYPE_MOVE_SEND_ONCE);
}

/* Reads exactly want from fd (10 s at most). */
static bool read_text(int fd, const char *want) {
    char got[64] = {0};
    size_t n = 0, len = strlen(want);
    while (n < len) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, TIMEOUT_MS) != 1)
            return false;
        ssize_t r = read(fd, got + n, len - n);
        if (r <= 0)
            return false;
        n += (size_t)r;
    }
    return memcmp(got, want, len) == 0;
}

/* Waits (10 s at most) for EOF on fd. */
static bool read_eof(int fd) {
    struct pollfd p = {fd, POLLIN, 0};
    char c;
    return poll(&p, 1, TIMEOUT_MS) == 1 && read(fd, &c, 1) == 0;
}

static int give(const char *name) {
    mach_port_t service = peer_service(name, true);
    int pipefd[2];
    CHECK(1, pipe2(pipefd, O_CLOEXEC) == 0, "pipe");
    struct stat id = identity(pipefd[0]);
    fileport_t fp = FILEPORT_NULL;
    CHECK(2, fileport_moveport(pipefd[1], &fp) == 0, "fileport_moveport: %s", strerror(errno));
    CHECK(3, fcntl(pipefd[1], F_GETFD) < 0 && errno == EBADF, "fileport_moveport left the descriptor open");
    CHECK(4, fds_of(id) == 2, "%d descriptors of the pipe, 2 expected (read end, port)", fds_of(id));
    ready();
    struct fp_msg m;
    kern_return_t kr = recv_msg(service, &m);
    CHECK(5, kr == KERN_SUCCESS && m.head.msgh_id == 1, "request 1: %#x", kr);
    CHECK(6, answer(&m, fp, MACH_MSG_TYPE_COPY_SEND) == KERN_SUCCESS, "answer 1");
    kr = recv_msg(service, &m);
    CHECK(7, kr == KERN_SUCCESS && m.head.msgh_id == 2, "request 2: %#x", kr);
    CHECK(8, answer(&m, fp, MACH_MSG_TYPE_MOVE_SEND) == KERN_SUCCESS, "answer 2");
    /* Moved: no descriptor of the write end is left here (machd and the taker have theirs). */
    CHECK(9, fds_of(id) == 1, "%d descriptors of the pipe after the move, 1 expected", fds_of(id));
    CHECK(10, read_text(pipefd[0], "from the taker"), "what the taker wrote");
    CHECK(11, read_eof(pipefd[0]), "no EOF: a descriptor of the write end is still open somewhere");
    kr = recv_msg(service, &m);
    CHECK(12, kr == KERN_SUCCESS && m.head.msgh_id == 3, "request 3: %#x", kr);
    CHECK(13, answer(&m, MACH_PORT_NULL, 0) == KERN_SUCCESS, "answer 3");
    close(pipefd[0]);
    return 0;
}

static int take(const char *name) {
    mach_port_t service = peer_service(name, false);
    ready();
    mach_port_t a = MACH_PORT_NULL, b = MACH_PORT_NULL;
    kern_return_t kr = ask(service, 1, &a);
    CHECK(1, kr == KERN_SUCCESS && MACH_PORT_VALID(a), "answer 1: %#x", kr);
    kr = ask(service, 2, &b);
    CHECK(2, kr == KERN_SUCCESS && b == a, "answer 2: %#x, name %#x (first %#x)", kr, b, a);
    mach_port_urefs_t refs = 0;
    CHECK(3, mach_port_get_refs(mach_task_self(), a, MACH_PORT_RIGHT_SEND, &refs) == KERN_SUCCESS && refs == 2,
          "%u send references", refs);
    int fd = fileport_makefd(a);
    CHECK(5, fd >= 0, "fileport_makefd: %s", strerror(errno));
    struct stat id = identity(fd);
    CHECK(4, fds_of(id) == 2, "%d descriptors of the pipe, 2 expected (the port's, ours)", fds_of(id));
    CHECK(6, write(fd, "from the taker", 14) == 14, "write");
    close(fd);
    kr = send_msg(a, 7, MACH_PORT_NULL, 0, MACH_PORT_NULL, MACH_MSG_TYPE_COPY_SEND);
    CHECK(7, kr == MACH_SEND_INVALID_DEST, "a message to a fileport: %#x", kr);
    CHECK(8, mach_port_mod_refs(mach_task_self(), a, MACH_PORT_RIGHT_SEND, -2) == KERN_SUCCESS, "deallocate");
    CHECK(9, fds_of(id) == 0, "%d descriptors of the pipe once the rights are gone", fds_of(id));
    CHECK(10, fileport_makefd(a) < 0 && errno == EINVAL, "fileport_makefd on a deallocated name");
    mach_port_t none;
    kr = ask(service, 3, &none); /* answered once the giver saw EOF */
    CHECK(11, kr == KERN_SUCCESS, "answer 3: %#x", kr);
    return 0;
}

static int send_side(const char *name) {
    mach_port_t service = peer_service(name, false);
    ready();
    int sv[2];
    CHECK(1, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0, "socketpair");
    struct stat id = identity(sv[1]);
    fileport_t fp = FILEPORT_NULL;
    CHECK(2, fileport_moveport(sv[1], &fp) == 0, "fileport_moveport: %s", strerror(errno));
    kern_return_t kr = send_msg(service, 10, fp, MACH_MSG_TYPE_MOVE_SEND, MACH_PORT_NULL, MACH_MSG_TYPE_COPY_SEND);
    CHECK(3, kr == KERN_SUCCESS, "request 10: %#x", kr);
    CHECK(4, fds_of(id) == 0, "%d descriptors of the moved end after the move", fds_of(id));
    CHECK(5, read_text(sv[0], "from the receiver"), "what the receiver wrote");
    CHECK(6, read_eof(sv[0]), "no EOF: a descriptor of the other end is still open somewhere");
    CHECK(7, send_msg(service, 11, MACH_PORT_NULL, 0, MACH_PORT_NULL, MACH_MSG_TYPE_COPY_SEND) == KERN_SUCCESS,
          "request 11");
    close(sv[0]);
    return 0;
}

static int recv_side(const char *name) {
    mach_port_t service = peer_service(name, true);
    ready();
    struct fp_msg m;
    kern_return_t kr = recv_msg(service, &m);
    CHECK(1, kr == KERN_SUCCESS && m.head.msgh_id == 10 && MACH_PORT_VALID(m.port.name), "request 10: %#x", kr);
    int fd = fileport_movefd(m.port.name);
    CHECK(3, fd >= 0, "fileport_movefd: %s", strerror(errno));
    struct stat id = identity(fd);
    CHECK(2, fds_of(id) == 1, "%d descriptors of the socket after fileport_movefd, 1 expected", fds_of(id));
    mach_port_type_t type = 0;
    kr = mach_port_type(mach_task_self(), m.port.name, &type);
    CHECK(4, kr == KERN_INVALID_NAME, "the right is still there: %#x, type %#x", kr, type);
    CHECK(5, write(fd, "from the receiver", 17) == 17, "write");
    close(fd);
    CHECK(6, fds_of(id) == 0, "%d descriptors of the socket left", fds_of(id));
    kr = recv_msg(service, &m);
    CHECK(7, kr == KERN_SUCCESS && m.head.msgh_id == 11, "request 11: %#x", kr);
    return 0;
}

static int give_once(const char *name) {
    mach_port_t service = peer_service(name, true);
    int pipefd[2];
    CHECK(1, pipe2(pipefd, O_CLOEXEC) == 0, "pipe");
    fileport_t fp = FILEPORT_NULL;
    CHECK(2, fileport_moveport(pipefd[1], &fp) == 0, "fileport_moveport");
    ready();
    struct fp_msg m;
    kern_return_t kr = recv_msg(service, &m);
    CHECK(3, kr == KERN_SUCCESS && m.head.msgh_id == 1, "request 1: %#x", kr);
    CHECK(4, answer(&m, fp, MACH_MSG_TYPE_MOVE_SEND) == KERN_SUCCESS, "answer 1");
    CHECK(5, read_text(pipefd[0], "alive"), "what the taker wrote");
    CHECK(6, read_eof(pipefd[0]), "no EOF after the taker was killed");
    close(pipefd[0]);
    return 0;
}

static int take_hold(const char *name) {
    mach_port_t service = peer_service(name, false);
    mach_port_t fp = MACH_PORT_NULL;
    kern_return_t kr = ask(service, 1, &fp);
    CHECK(1, kr == KERN_SUCCESS && MACH_PORT_VALID(fp), "answer 1: %#x", kr);
    int fd = fileport_makefd(fp);
    CHECK(2, fd >= 0 && write(fd, "alive", 5) == 5, "fileport_makefd and write");
    ready();
    for (;;)
        pause(); /* killed holding the right and a descriptor */
}

static int give_exit(const char *name, const char *path) {
    mach_port_t service = peer_service(name, true);
    int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
    CHECK(1, fd >= 0, "open %s", path);
    fileport_t fp = FILEPORT_NULL;
    CHECK(2, fileport_moveport(fd, &fp) == 0, "fileport_moveport");
    ready();
    struct fp_msg m;
    kern_return_t kr = recv_msg(service, &m);
    CHECK(3, kr == KERN_SUCCESS && m.head.msgh_id == 1, "request 1: %#x", kr);
    CHECK(4, answer(&m, fp, MACH_MSG_TYPE_MOVE_SEND) == KERN_SUCCESS, "answer 1");
    return 0; /* exits: the port's maker is gone */
}

static int take_exit(const char *name) {
    mach_port_t service = peer_service(name, false);
    ready();
    mach_port_t fp = MACH_PORT_NULL;
    kern_return_t kr = ask(service, 1, &fp);
    CHECK(1, kr == KERN_SUCCESS && MACH_PORT_VALID(fp), "answer 1: %#x", kr);
    bool gone = false;
    for (int i = 0; i < 1000 && !gone; i++) {
        mach_port_type_t type = 0;
        gone = mach_port_type(mach_task_self(), service, &type) == KERN_SUCCESS && type == MACH_PORT_TYPE_DEAD_NAME;
        if (!gone)
            usleep(10000);
    }
    CHECK(2, gone, "the giver's service did not die");
    mach_port_type_t type = 0;
    CHECK(3, mach_port_type(mach_task_self(), fp, &type) == KERN_SUCCESS && type == MACH_PORT_TYPE_SEND,
          "the fileport is not a send right any more: %#x", type);
    int fd = fileport_makefd(fp);
    CHECK(4, fd >= 0, "fileport_makefd after the giver exited: %s", strerror(errno));
    CHECK(5, write(fd, "after-exit", 10) == 10, "write");
    close(fd);
    CHECK(6, mach_port_deallocate(mach_task_self(), fp) == KERN_SUCCESS, "deallocate");
    return 0;
}

static int destroy(const char *name, const char *done) {
    mach_port_t service = peer_service(name, true);
    ready();
    struct fp_msg m;
    kern_return_t kr = recv_msg(service, &m);
    CHECK(1, kr == KERN_SUCCESS && MACH_PORT_VALID(m.port.name), "the fileport message: %#x", kr);
    mach_msg_destroy(&m.head); /* the last send right: the fileport's descriptor is closed */
    mach_port_t own;
    CHECK(2, mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &own) == KERN_SUCCESS, "allocate");
    kr = send_msg(own, 7, MACH_PORT_NULL, 0, MACH_PORT_NULL, MACH_MSG_TYPE_MAKE_SEND);
    CHECK(3, kr == KERN_SUCCESS, "send to itself: %#x", kr);
    kr = recv_msg(own, &m);
    CHECK(4, kr == KERN_SUCCESS && m.head.msgh_id == 7, "receive from itself: %#x", kr);
    int marker = open(done, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    CHECK(5, marker >= 0, "create %s: %s", done, strerror(errno));
    close(marker);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s MODE NAME [PATH]\n", argv[0]);
        return 2;
    }
    mode = argv[1];
    const char *name = argv[2];
    if (strcmp(mode, "give") == 0)
        return give(name);
    if (strcmp(mode, "take") == 0)
        return take(name);
    if (strcmp(mode, "send") == 0)
        return send_side(name);
    if (strcmp(mode, "recv") == 0)
        return recv_side(name);
    if (strcmp(mode, "give-once") == 0)
        return give_once(name);
    if (strcmp(mode, "take-hold") == 0)
        return take_hold(name);
    if (strcmp(mode, "give-exit") == 0 && argc > 3)
        return give_exit(name, argv[3]);
    if (strcmp(mode, "take-exit") == 0)
        return take_exit(name);
    if (strcmp(mode, "destroy") == 0 && argc > 3)
        return destroy(name, argv[3]);
    return 2;
}
