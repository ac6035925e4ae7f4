/* Spilled payloads (machd_spill.h): the memfd layout, the descriptor checks, and datagrams with
 * descriptors attached. */
#include "wire/machd_spill.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static uint64_t align_up(uint64_t n) {
    return (n + MACHD_SPILL_ALIGN - 1) & ~(uint64_t)(MACHD_SPILL_ALIGN - 1);
}

uint64_t machd_spill_layout_of(uint32_t body_len, const uint32_t *ool_sizes, uint32_t ool_count,
                               uint64_t *ool_offsets) {
    uint64_t off = align_up(body_len);
    uint32_t n = ool_count <= MACHD_MAX_OOL ? ool_count : MACHD_MAX_OOL;
    for (uint32_t i = 0; i < n; i++) {
        if (ool_offsets)
            ool_offsets[i] = off;
        off = align_up(off + ool_sizes[i]);
    }
    return off;
}

uint64_t machd_spill_layout(const struct machd_payload *p, uint64_t *ool_offsets) {
    uint32_t sizes[MACHD_MAX_OOL];
    uint32_t n = p->ool_count <= MACHD_MAX_OOL ? p->ool_count : MACHD_MAX_OOL;
    for (uint32_t i = 0; i < n; i++)
        sizes[i] = p->ool[i].size;
    return machd_spill_layout_of(p->body_len, sizes, n, ool_offsets);
}

/* MSG_DELIVER without its variable part: header, two right items, bits, id, audit (pid, uid,
 * gid, task id), right count, OOL count, body length. */
#define DELIVER_FIXED_SIZE (MACHD_HEADER_SIZE + 2 * MACHD_RIGHT_ITEM_SIZE + 8 + 20 + 12)

size_t machd_deliver_size(const struct machd_payload *p) {
    size_t n = DELIVER_FIXED_SIZE + (size_t)p->right_count * MACHD_RIGHT_ITEM_SIZE +
               (size_t)p->ool_count * MACHD_OOL_ITEM_SIZE;
    if (p->msgh_bits & MACHD_PAYLOAD_SPILLED)
        return n; /* the bytes stay in the memfd */
    n += p->body_len;
    for (uint32_t i = 0; i < p->ool_count; i++)
        n += p->ool[i].size;
    return n;
}

bool machd_spill_fd_ok(int fd, uint64_t size) {
    /* Only memfds (shmem) take seals; other files answer EINVAL, or F_SEAL_SEAL alone for a
     * tmpfs file, which lacks the required ones. The seals first: fstat of a file on a file
     * system a peer serves (FUSE) could block, fcntl never reaches one. */
    int seals = fcntl(fd, F_GET_SEALS);
    if (seals < 0 || (seals & MACHD_SPILL_SEALS_REQUIRED) != MACHD_SPILL_SEALS_REQUIRED)
        return false;
    struct stat st;
    return fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= 0 && (uint64_t)st.st_size == size;
}

ssize_t machd_send_with_fds(int sock, const void *buf, size_t len, const int *fds, int nfds, int flags) {
    struct iovec iov = {(void *)buf, len};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
    union {
        struct cmsghdr align;
        char bytes[CMSG_SPACE(sizeof(int) * MACHD_MAX_FDS_PER_PACKET)];
    } control;
    if (nfds > MACHD_MAX_FDS_PER_PACKET) {
        errno = EINVAL;
        return -1;
    }
    if (nfds > 0) {
        memset(&control, 0, sizeof control);
        mh.msg_control = control.bytes;
        mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
        struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
        memcpy(CMSG_DATA(cm), fds, sizeof(int) * (size_t)nfds);
    }
    for (;;) {
        ssize_t n = sendmsg(sock, &mh, flags | MSG_NOSIGNAL);
        if (n >= 0 || errno != EINTR)
            return n;
    }
}

ssize_t machd_send_with_fd(int sock, const void *buf, size_t len, int fd, int flags) {
    return machd_send_with_fds(sock, buf, len, &fd, fd >= 0 ? 1 : 0, flags);
}

ssize_t machd_recv_with_fds(int sock, void *buf, size_t cap, int flags, int *fds, int *nfds, bool *extra) {
    struct iovec iov = {buf, cap};
    union {
        struct cmsghdr align;
        char bytes[CMSG_SPACE(sizeof(int) * MACHD_MAX_FDS_PER_PACKET)];
    } control;
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.bytes,
                        .msg_controllen = sizeof control.bytes};
    *nfds = 0;
    *extra = false;
    ssize_t n = recvmsg(sock, &mh, flags | MSG_CMSG_CLOEXEC);
    if (n < 0)
        return n;
    for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
        if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
            continue;
        size_t count = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < count; i++) {
            int fd;
            memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof fd);
            if (*nfds < MACHD_MAX_FDS_PER_PACKET)
                fds[(*nfds)++] = fd;
            else {
                close(fd);
                *extra = true;
            }
        }
    }
    if (mh.msg_flags & MSG_CTRUNC)
        *extra = true;
    return n;
}

void machd_close_fds(const int *fds, int n) {
    for (int i = 0; i < n; i++)
        close(fds[i]);
}
