/* Out-of-line regions: copy or hand-over at send time, hand-over at receive time. */
#include "ipc/ool_internal.h"
#include "ipc/vm_internal.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

static bool vm_readv_unavailable;

/* From this size on, a mapping check and memcpy replace process_vm_readv (see below). */
#define OOL_PROBE_MIN ((size_t)64 << 10)

/* From this size on, a fresh region is populated in one call before the copy. */
#define OOL_POPULATE_MIN ((size_t)1 << 20)
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux >= 5.14 */
#endif

bool ool_read_user(void *dst, const void *src, size_t size) {
  if (size == 0) return true;
  if (!src || (uintptr_t)src + size < (uintptr_t)src) return false;
  if (vm_range_owned(src, size) || __atomic_load_n(&vm_readv_unavailable, __ATOMIC_RELAXED)) {
    memcpy(dst, src, size);
    return true;
  }
  if (size >= OOL_PROBE_MIN) {
    /* Large regions: process_vm_readv pins every page (3x a memcpy on the reference machine);
     * msync only walks the mappings (about 1 us) and fails with ENOMEM on a hole. A mapped but
     * unreadable (PROT_NONE) range would still fault, as a memcpy by the caller would. */
    uintptr_t start = (uintptr_t)src & ~(uintptr_t)vm_page_mask;
    size_t span = vm_round((uintptr_t)src + size - start);
    if (msync((void *)start, span, MS_ASYNC) != 0) return false;
    memcpy(dst, src, size);
    return true;
  }
  /* process_vm_readv on ourselves reports unmapped source memory as EFAULT instead of a
   * crash: hostile descriptors get MACH_SEND_INVALID_MEMORY. */
  struct iovec local = { dst, size };
  struct iovec remote = { (void *)(uintptr_t)src, size };
  ssize_t n = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
  if (n == (ssize_t)size) return true;
  if (n < 0 && (errno == ENOSYS || errno == EPERM)) {
    __atomic_store_n(&vm_readv_unavailable, true, __ATOMIC_RELAXED); /* seccomp, old kernel */
    memcpy(dst, src, size);
    return true;
  }
  return false;
}

mach_msg_return_t ool_copyin(void *addr, mach_msg_size_t size, bool dealloc, void **region) {
  *region = NULL;
  if (size == 0) return MACH_MSG_SUCCESS;
  if (!addr) return MACH_SEND_INVALID_MEMORY;
  size_t len = vm_round(size);
  if (dealloc && ((uintptr_t)addr & vm_page_mask) == 0 && vm_region_detach(addr, size)) {
    *region = addr; /* the sender's pages change hands: no copy */
  } else {
    bool fresh;
    void *r = vm_region_alloc_fresh(size, false, &fresh);
    if (!r) return MACH_SEND_NO_BUFFER;
    /* Every page is written next: one populate call instead of a fault per page (page faults
     * cost ~9 us each on the reference machine; ignored where the kernel lacks it). A cached
     * region is populated already: walking its pages again cost ~10 % of a 1 MiB RPC. */
    if (fresh && len >= OOL_POPULATE_MIN) (void)madvise(r, len, MADV_POPULATE_WRITE);
    if (!ool_read_user(r, addr, size)) {
      vm_region_free(r, size);
      return MACH_SEND_INVALID_MEMORY;
    }
    memset((char *)r + size, 0, len - size);
    if (dealloc) vm_release_range(addr, size);
    *region = r;
  }
  ipc_stats.ool_regions++;
  ipc_stats.ool_bytes += len;
  return MACH_MSG_SUCCESS;
}

void *ool_adopt(void *region, mach_msg_size_t size) {
  if (!region) return NULL;
  ipc_stats.ool_regions++;
  ipc_stats.ool_bytes += vm_round(size);
  return region;
}

void *ool_copyout(void *region, mach_msg_size_t size) {
  if (!region) return NULL;
  ipc_stats.ool_regions--;
  ipc_stats.ool_bytes -= vm_round(size);
  vm_region_register(region, size);
  return region;
}

bool ool_write_user(void *dst, const void *src, size_t size) {
  if (size == 0) return true;
  if (!dst || (uintptr_t)dst + size < (uintptr_t)dst) return false;
  if (vm_range_owned(dst, size)) {
    memcpy(dst, src, size);
    return true;
  }
  /* As ool_read_user: the kernel checks the range (mapped and writable) instead of a crash. */
  struct iovec local = { (void *)(uintptr_t)src, size };
  struct iovec remote = { dst, size };
  ssize_t n = process_vm_writev(getpid(), &local, 1, &remote, 1, 0);
  if (n == (ssize_t)size) return true;
  if (n < 0 && (errno == ENOSYS || errno == EPERM)) {
    __atomic_store_n(&vm_readv_unavailable, true, __ATOMIC_RELAXED);
    memcpy(dst, src, size);
    return true;
  }
  return false;
}

void *ool_copyout_into(void *region, mach_msg_size_t size, void *target) {
  if (!region) return target;
  if (!ool_write_user(target, region, size)) return NULL;
  ool_discard(region, size);
  return target;
}

void ool_discard(void *region, mach_msg_size_t size) {
  if (!region) return;
  ipc_stats.ool_regions--;
  ipc_stats.ool_bytes -= vm_round(size);
  vm_region_free(region, size);
}
