/* Spilled payloads: messages too large for one datagram travel as one sealed memfd passed with
 * SCM_RIGHTS (docs/machd.md, "Large messages"). The layout of that memfd, the checks every end
 * applies to a descriptor it receives, and sending/receiving a datagram with descriptors.
 * Shared by machd and the runtime. */
#ifndef OPENMIG_MACHD_SPILL_H
#define OPENMIG_MACHD_SPILL_H

#include <stdbool.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/types.h>

#include "wire/machd_proto.h"

/* The seals a spilled memfd must carry: nobody can change or resize it once it is sent, so
 * what machd checked is what the receiver maps (copy semantics). */
#define MACHD_SPILL_SEALS_REQUIRED (F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW)

/* Most descriptors machd or a task accepts with one datagram: a spilled payload's memfd and one
 * per fileport right (MACHD_MAX_FILEPORTS), or a CHANNEL's four; more are read so they can be
 * closed and the datagram refused. */
#define MACHD_MAX_FDS_PER_PACKET (1 + (int)MACHD_MAX_FILEPORTS)

/* Size of the memfd for payload p: the body at offset 0, then each OOL region at the next
 * MACHD_SPILL_ALIGN boundary (so a receiver can map it directly), the total rounded up to that
 * boundary. If ool_offsets is not NULL it receives the offset of each of the p->ool_count
 * regions. Pure; never overflows (64-bit, sizes are 32-bit and at most MACHD_MAX_OOL). */
uint64_t machd_spill_layout(const struct machd_payload *p, uint64_t *ool_offsets);

/* The same layout for a body of body_len bytes and ool_count regions of the given sizes. */
uint64_t machd_spill_layout_of(uint32_t body_len, const uint32_t *ool_sizes, uint32_t ool_count,
                               uint64_t *ool_offsets);

/* Size of the MSG_DELIVER datagram that carries payload p (without its bytes when spilled):
 * a payload whose delivery would exceed MACHD_MAX_PACKET must spill. */
size_t machd_deliver_size(const struct machd_payload *p);

/* True when fd is a memfd (a shmem file that supports seals) of exactly `size` bytes carrying
 * MACHD_SPILL_SEALS_REQUIRED. Never blocks, whatever kind of descriptor fd is. */
bool machd_spill_fd_ok(int fd, uint64_t size);

/* sendmsg of one datagram with fd attached (fd < 0: none). Returns what sendmsg returns
 * (errno set on -1); retries EINTR. flags: MSG_* for sendmsg (MSG_NOSIGNAL is always added). */
ssize_t machd_send_with_fd(int sock, const void *buf, size_t len, int fd, int flags);

/* machd_send_with_fd with nfds descriptors (0 to MACHD_MAX_FDS_PER_PACKET, in one SCM_RIGHTS
 * message, in order; more: -1 with EINVAL). The descriptors stay the caller's. */
ssize_t machd_send_with_fds(int sock, const void *buf, size_t len, const int *fds, int nfds, int flags);

/* recvmsg of one datagram into buf; the descriptors that came with it are stored in fds (at
 * most MACHD_MAX_FDS_PER_PACKET, close-on-exec) and counted in *nfds. *extra is set when more
 * descriptors were sent than fit (the kernel closed the rest) or the control data was cut.
 * Returns what recvmsg returns (with MSG_TRUNC: the real datagram length). */
ssize_t machd_recv_with_fds(int sock, void *buf, size_t cap, int flags, int *fds, int *nfds, bool *extra);

/* Closes the n descriptors in fds. */
void machd_close_fds(const int *fds, int n);

#endif
