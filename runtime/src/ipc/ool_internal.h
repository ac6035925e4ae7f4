/* Out-of-line memory in messages: taking a region from the sender (copy, or a zero-copy
 * hand-over of whole pages it owns when it asked for deallocation), giving it to the receiver,
 * and reading port-name arrays safely from user memory. */
#ifndef OPENMIG_OOL_INTERNAL_H
#define OPENMIG_OOL_INTERNAL_H

#include "ipc/ipc_internal.h"

/* The region that travels with a message for [addr, addr + size) (NULL for size 0).
 * dealloc: the sender gives the memory up (pages it owns are handed over without a copy when
 * addr is page-aligned, otherwise copied and then released). MACH_SEND_INVALID_MEMORY when the
 * memory cannot be read, MACH_SEND_NO_BUFFER when out of memory; nothing is released on error. */
mach_msg_return_t ool_copyin(void *addr, mach_msg_size_t size, bool dealloc, void **region);

/* A region the transport built itself (a page-rounded mapping, e.g. of a delivered memfd) now
 * travels with a message: accounted like one from ool_copyin (released by ool_copyout or
 * ool_discard). Returns region. */
void *ool_adopt(void *region, mach_msg_size_t size);

/* The receiver takes the region: returns its address in the task (it now owns it). */
void *ool_copyout(void *region, mach_msg_size_t size);

/* Receive-side overwrite: the region's bytes go into the receiver's own buffer target (at least
 * size bytes, see scatter_internal.h) and the region is released. Returns target, or NULL with the
 * region untouched when target cannot be written. A NULL region (size 0) lands as target. */
void *ool_copyout_into(void *region, mach_msg_size_t size, void *target);

/* Copies size bytes to user memory that may be invalid or read-only; false if it cannot be
 * written (nothing is written then). */
bool ool_write_user(void *dst, const void *src, size_t size);

/* Releases a region of a message that is destroyed. */
void ool_discard(void *region, mach_msg_size_t size);

/* Copies size bytes from user memory that may be invalid; false if it cannot be read. */
bool ool_read_user(void *dst, const void *src, size_t size);

#endif /* OPENMIG_OOL_INTERNAL_H */
