/* A hostile FUSE file system for the attack tests (fuse_stall.h): one regular file, `stall`,
 * whose every FLUSH (what the kernel asks for on each close() of a descriptor of it) and every
 * GETATTR after the first open is left unanswered, so a process that closes or fstat()s such a
 * descriptor blocks until the file system goes away. Written against the kernel's
 * <linux/fuse.h> protocol directly (no libfuse). */
#include "fuse_stall.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define FILE_NODE 2u
#define FILE_SIZE 4096u

static void reply(int dev, uint64_t unique, int error, const void *body, size_t len) {
    uint8_t out[sizeof(struct fuse_out_header) + 256];
    struct fuse_out_header h = {(uint32_t)(sizeof h + len), error, unique};
    memcpy(out, &h, sizeof h);
    if (len)
        memcpy(out + sizeof h, body, len);
    (void)!write(dev, out, sizeof h + len);
}

static void fill_attr(struct fuse_attr *a, uint64_t node) {
    memset(a, 0, sizeof *a);
    a->ino = node;
    a->mode = node == FUSE_ROOT_ID ? (S_IFDIR | 0755) : (S_IFREG | 0666);
    a->nlink = 1;
    a->size = node == FUSE_ROOT_ID ? 0 : FILE_SIZE;
    a->blksize = 4096;
}

/* Serves /dev/fuse until the kernel says the file system is gone. */
static void serve(int dev) {
    static uint8_t in[FUSE_MIN_READ_BUFFER + 65536];
    bool opened = false;
    for (;;) {
        ssize_t n = read(dev, in, sizeof in);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n < (ssize_t)sizeof(struct fuse_in_header))
            return; /* ENODEV: unmounted */
        struct fuse_in_header h;
        memcpy(&h, in, sizeof h);
        const uint8_t *arg = in + sizeof h;
        switch (h.opcode) {
        case FUSE_INIT: {
            struct fuse_init_out o = {.major = FUSE_KERNEL_VERSION, .minor = FUSE_KERNEL_MINOR_VERSION,
                                      .max_readahead = 65536, .max_write = 65536, .max_background = 16,
                                      .congestion_threshold = 12, .time_gran = 1};
            reply(dev, h.unique, 0, &o, sizeof o);
            break;
        }
        case FUSE_LOOKUP:
            if (h.nodeid == FUSE_ROOT_ID && !strcmp((const char *)arg, "stall")) {
                struct fuse_entry_out o = {.nodeid = FILE_NODE, .generation = 1};
                fill_attr(&o.attr, FILE_NODE);
                reply(dev, h.unique, 0, &o, sizeof o);
            } else
                reply(dev, h.unique, -ENOENT, NULL, 0);
            break;
        case FUSE_GETATTR:
            if (opened && h.nodeid == FILE_NODE)
                break; /* stalled: attributes are never valid (timeout 0), so fstat asks */
            {
                struct fuse_attr_out o = {0};
                fill_attr(&o.attr, h.nodeid);
                reply(dev, h.unique, 0, &o, sizeof o);
            }
            break;
        case FUSE_OPEN: {
            struct fuse_open_out o = {.fh = 1};
            opened = true;
            reply(dev, h.unique, 0, &o, sizeof o);
            break;
        }
        case FUSE_FLUSH:
        case FUSE_INTERRUPT:
            break; /* stalled: never answered */
        case FUSE_RELEASE:
            reply(dev, h.unique, 0, NULL, 0);
            break;
        case FUSE_FORGET:
        case FUSE_BATCH_FORGET:
            break; /* no answer expected */
        default:
            reply(dev, h.unique, -ENOSYS, NULL, 0);
            break;
        }
    }
}

int fuse_stall_mount(const char *dir, pid_t *server) {
    int dev = open("/dev/fuse", O_RDWR | O_CLOEXEC);
    if (dev < 0)
        return -1;
    char opts[128];
    snprintf(opts, sizeof opts, "fd=%d,rootmode=40000,user_id=0,group_id=0,allow_other", dev);
    if (mount("openmig-stall", dir, "fuse.openmig-stall", MS_NOSUID | MS_NODEV, opts) != 0) {
        close(dev);
        return -1;
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        umount2(dir, MNT_DETACH);
        close(dev);
        return -1;
    }
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(0);
        serve(dev);
        _exit(0);
    }
    close(dev);
    *server = pid;
    return 0;
}

void fuse_stall_unmount(const char *dir, pid_t server) {
    /* Aborting the connection fails every request still waiting (ENOTCONN): whatever is blocked
     * in close() or fstat() on a stalled descriptor returns. */
    umount2(dir, MNT_FORCE | MNT_DETACH);
    kill(server, SIGKILL);
    waitpid(server, NULL, 0);
}
