/* The region registry behind vm_allocate and out-of-line memory (the calls themselves are
 * api/vm.c). */
#include "ipc/vm_internal.h"
#include "ipc/vm_reaper_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

vm_size_t vm_page_size = 4096;
vm_size_t vm_page_mask = 4095;
int vm_page_shift = 12;

__attribute__((constructor)) static void vm_page_init(void) {
  long page = sysconf(_SC_PAGESIZE);
  if (page <= 0) return;
  vm_page_size = (vm_size_t)page;
  vm_page_mask = vm_page_size - 1;
  vm_page_shift = __builtin_ctzl((unsigned long)page);
}

struct vm_span {
  uintptr_t start;
  uintptr_t end;
};

/* Pre-faulted regions kept for reuse, matched by exact size. */
#define VM_CACHE_SLOTS 8
#define VM_CACHE_MAX_REGION ((size_t)16 << 20)
#define VM_CACHE_MAX_TOTAL ((size_t)64 << 20)

static pthread_mutex_t vm_mutex = PTHREAD_MUTEX_INITIALIZER;
static struct vm_span *spans; /* sorted, disjoint */
static size_t nspans, spans_cap;
static uint64_t owned_bytes;
static struct vm_span cache[VM_CACHE_SLOTS];
static size_t cache_bytes;

/* Memfd-backed regions (vm_memfd_alloc: fd >= 0) and noted file regions (fd -1, keep: a
 * descriptor of the file or -1); end 0 when free. nmemfds counts the entries in use, nmovable
 * those with fd, nkept those with keep. */
static struct vm_memfd {
  uintptr_t start, end;
  int fd, keep;
} memfds[VM_FILE_REGIONS_MAX];
static unsigned nmemfds, nmovable, nkept;
#define NO_MEMFD ((struct vm_memfd){0, 0, -1, -1})

/* The memfd entry for exactly [start, end), or NULL. vm_mutex held. */
static struct vm_memfd *memfd_find(uintptr_t start, uintptr_t end) {
  for (unsigned i = 0; nmemfds && i < VM_FILE_REGIONS_MAX; i++)
    if (memfds[i].end && memfds[i].fd >= 0 && memfds[i].start == start && memfds[i].end == end) return &memfds[i];
  return NULL;
}

/* Forgets every memfd entry overlapping [start, end) (released or cut: the mapping alone keeps
 * the pages; it is no longer movable); returns whether one did. The first kept descriptor goes
 * to *keep (the caller hands it to the reaper with the mapping), others are closed. vm_mutex
 * held. */
static bool memfd_forget_range(uintptr_t start, uintptr_t end, int *keep) {
  bool any = false;
  for (unsigned i = 0; nmemfds && i < VM_FILE_REGIONS_MAX; i++) {
    if (memfds[i].end && memfds[i].start < end && memfds[i].end > start) {
      if (memfds[i].fd >= 0) {
        close(memfds[i].fd);
        nmovable--;
      }
      if (memfds[i].keep >= 0) {
        if (*keep < 0)
          *keep = memfds[i].keep;
        else
          close(memfds[i].keep); /* the mapping still holds the file: nothing is freed here */
        nkept--;
      }
      memfds[i] = NO_MEMFD;
      nmemfds--;
      any = true;
    }
  }
  return any;
}

/* A free entry, or NULL. vm_mutex held. */
static struct vm_memfd *memfd_free_entry(void) {
  for (unsigned i = 0; nmemfds < VM_FILE_REGIONS_MAX && i < VM_FILE_REGIONS_MAX; i++)
    if (!memfds[i].end) return &memfds[i];
  return NULL;
}

void vm_file_region_note(void *addr, size_t size, int fd) {
  size_t len = vm_round(size);
  int keep = fd >= 0 && len >= VM_MEMFD_MIN ? fcntl(fd, F_DUPFD_CLOEXEC, 0) : -1;
  pthread_mutex_lock(&vm_mutex);
  struct vm_memfd *m = memfd_free_entry();
  if (m && len) {
    if (keep >= 0 && nkept >= VM_KEPT_FDS_MAX) {
      close(keep); /* dropping a reference the mapping also holds: cheap */
      keep = -1;
    }
    *m = (struct vm_memfd){(uintptr_t)addr, (uintptr_t)addr + len, -1, keep};
    nmemfds++;
    nkept += keep >= 0;
    keep = -1;
  }
  pthread_mutex_unlock(&vm_mutex);
  if (keep >= 0) close(keep);
}

/* A fork child: each memfd-backed region becomes a private copy (the parent's writes must not
 * show through, as with vm_allocate's anonymous memory). */
static void memfd_fork_child(void) {
  for (unsigned i = 0; nmemfds && i < VM_FILE_REGIONS_MAX; i++) {
    if (!memfds[i].end || memfds[i].fd < 0) continue;
    size_t len = memfds[i].end - memfds[i].start;
    void *copy = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (copy != MAP_FAILED) {
      memcpy(copy, (void *)memfds[i].start, len);
      if (mremap(copy, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)memfds[i].start) == MAP_FAILED)
        munmap(copy, len);
    }
    close(memfds[i].fd);
    memfds[i] = NO_MEMFD;
    nmemfds--;
  }
  nmovable = 0;
}

static void vm_memfd_atfork(void) { pthread_atfork(NULL, NULL, memfd_fork_child); }

void *vm_memfd_alloc(size_t len) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, vm_memfd_atfork);
  len = vm_round(len);
  pthread_mutex_lock(&vm_mutex);
  bool room = nmovable < VM_MEMFD_MAX && memfd_free_entry();
  pthread_mutex_unlock(&vm_mutex);
  if (!room) return NULL;
  int fd = memfd_create("openmig-vm", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  void *addr = MAP_FAILED;
  if (fd >= 0 && ftruncate(fd, (off_t)len) == 0)
    addr = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (addr == MAP_FAILED) {
    if (fd >= 0) close(fd);
    return NULL;
  }
  pthread_mutex_lock(&vm_mutex);
  struct vm_memfd *m = nmovable < VM_MEMFD_MAX ? memfd_free_entry() : NULL;
  if (m) {
    *m = (struct vm_memfd){(uintptr_t)addr, (uintptr_t)addr + len, fd, -1};
    nmemfds++;
    nmovable++;
  }
  pthread_mutex_unlock(&vm_mutex);
  if (!m) { /* taken meanwhile: anonymous instead */
    munmap(addr, len);
    close(fd);
    return NULL;
  }
  return addr;
}

int vm_memfd_take(void *addr, size_t size) {
  pthread_mutex_lock(&vm_mutex);
  struct vm_memfd *m = memfd_find((uintptr_t)addr, (uintptr_t)addr + vm_round(size));
  int fd = -1;
  if (m) {
    fd = m->fd;
    *m = NO_MEMFD;
    nmemfds--;
    nmovable--;
  }
  pthread_mutex_unlock(&vm_mutex);
  return fd;
}

bool vm_memfd_backed(const void *addr, size_t size) {
  pthread_mutex_lock(&vm_mutex);
  bool found = memfd_find((uintptr_t)addr, (uintptr_t)addr + vm_round(size)) != NULL;
  pthread_mutex_unlock(&vm_mutex);
  return found;
}

unsigned vm_memfd_count(void) {
  pthread_mutex_lock(&vm_mutex);
  unsigned n = nmovable;
  pthread_mutex_unlock(&vm_mutex);
  return n;
}

size_t vm_round(size_t size) { return (size + vm_page_mask) & ~(size_t)vm_page_mask; }

void *vm_region_alloc(size_t size, bool zero) {
  bool fresh;
  return vm_region_alloc_fresh(size, zero, &fresh);
}

void *vm_region_alloc_fresh(size_t size, bool zero, bool *fresh) {
  size_t len = vm_round(size);
  *fresh = false;
  if (len == 0 || len < size) return NULL;
  pthread_mutex_lock(&vm_mutex);
  for (int i = 0; i < VM_CACHE_SLOTS; i++) {
    if (cache[i].start && cache[i].end - cache[i].start == len) {
      void *addr = (void *)cache[i].start;
      cache[i].start = cache[i].end = 0;
      cache_bytes -= len;
      pthread_mutex_unlock(&vm_mutex);
      if (zero) memset(addr, 0, len);
      return addr;
    }
  }
  pthread_mutex_unlock(&vm_mutex);
  void *addr = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  *fresh = addr != MAP_FAILED;
  return addr == MAP_FAILED ? NULL : addr;
}

void vm_region_free(void *addr, size_t size) {
  size_t len = vm_round(size);
  if (!addr || len == 0) return;
  pthread_mutex_lock(&vm_mutex);
  /* A memfd-backed piece is never cached (a cached region must be private memory). */
  int keep = -1;
  bool shared = memfd_forget_range((uintptr_t)addr, (uintptr_t)addr + len, &keep);
  if (keep >= 0) { /* a large received file: its pages are freed off this thread */
    pthread_mutex_unlock(&vm_mutex);
    vm_reaper_release(addr, len, keep);
    return;
  }
  if (!shared && len <= VM_CACHE_MAX_REGION && cache_bytes + len <= VM_CACHE_MAX_TOTAL) {
    for (int i = 0; i < VM_CACHE_SLOTS; i++) {
      if (!cache[i].start) {
        cache[i].start = (uintptr_t)addr;
        cache[i].end = (uintptr_t)addr + len;
        cache_bytes += len;
        pthread_mutex_unlock(&vm_mutex);
        return;
      }
    }
  }
  pthread_mutex_unlock(&vm_mutex);
  munmap(addr, len);
}

/* First span whose end is above addr. vm_mutex held. */
static size_t span_search(uintptr_t addr) {
  size_t lo = 0, hi = nspans;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (spans[mid].end <= addr)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

static bool span_insert_at(size_t i, struct vm_span s) {
  if (nspans == spans_cap) {
    size_t cap = spans_cap ? spans_cap * 2 : 64;
    struct vm_span *grown = realloc(spans, cap * sizeof *grown);
    if (!grown) return false;
    spans = grown;
    spans_cap = cap;
  }
  memmove(&spans[i + 1], &spans[i], (nspans - i) * sizeof *spans);
  spans[i] = s;
  nspans++;
  return true;
}

static void span_remove_at(size_t i) {
  memmove(&spans[i], &spans[i + 1], (nspans - i - 1) * sizeof *spans);
  nspans--;
}

void vm_region_register(void *addr, size_t size) {
  size_t len = vm_round(size);
  if (!addr || len == 0) return;
  struct vm_span s = { (uintptr_t)addr, (uintptr_t)addr + len };
  pthread_mutex_lock(&vm_mutex);
  if (span_insert_at(span_search(s.start), s)) owned_bytes += len;
  pthread_mutex_unlock(&vm_mutex);
}

/* True if [start, end) is covered by consecutive spans starting at index i. vm_mutex held. */
static bool covered(size_t i, uintptr_t start, uintptr_t end) {
  uintptr_t at = start;
  for (; i < nspans && at < end; i++) {
    if (spans[i].start > at) return false;
    at = spans[i].end;
  }
  return at >= end;
}

/* Takes [start, end) out of the spans, splitting where needed. Returns the bytes removed. */
static size_t cut_range(uintptr_t start, uintptr_t end, void (*on_piece)(uintptr_t, uintptr_t)) {
  size_t removed = 0;
  size_t i = span_search(start);
  while (i < nspans && spans[i].start < end) {
    struct vm_span s = spans[i];
    uintptr_t lo = s.start > start ? s.start : start;
    uintptr_t hi = s.end < end ? s.end : end;
    removed += hi - lo;
    if (on_piece) on_piece(lo, hi);
    if (s.start < lo && s.end > hi) { /* split in two */
      spans[i].end = lo;
      span_insert_at(i + 1, (struct vm_span){ hi, s.end });
      break;
    } else if (s.start < lo) {
      spans[i].end = lo;
      i++;
    } else if (s.end > hi) {
      spans[i].start = hi;
      break;
    } else {
      span_remove_at(i);
    }
  }
  owned_bytes -= removed;
  return removed;
}

bool vm_region_detach(void *addr, size_t size) {
  uintptr_t start = (uintptr_t)addr;
  uintptr_t end = start + vm_round(size);
  if (start & vm_page_mask || end <= start) return false;
  pthread_mutex_lock(&vm_mutex);
  bool ok = covered(span_search(start), start, end);
  if (ok) cut_range(start, end, NULL);
  pthread_mutex_unlock(&vm_mutex);
  return ok;
}

bool vm_range_owned(const void *addr, size_t size) {
  uintptr_t start = (uintptr_t)addr;
  uintptr_t end = start + size;
  if (end < start) return false;
  if (size == 0) return true;
  pthread_mutex_lock(&vm_mutex);
  bool ok = covered(span_search(start), start, end);
  pthread_mutex_unlock(&vm_mutex);
  return ok;
}

/* Pieces cut by vm_release_range, unmapped after the registry lock is dropped. */
static __thread struct vm_span release_pieces[16];
static __thread size_t release_count;
static __thread bool release_overflow;

static void collect_piece(uintptr_t lo, uintptr_t hi) {
  if (release_count < 16)
    release_pieces[release_count++] = (struct vm_span){ lo, hi };
  else
    release_overflow = true;
}

void vm_release_range(void *addr, size_t size) {
  uintptr_t start = (uintptr_t)addr & ~(uintptr_t)vm_page_mask;
  uintptr_t end = (uintptr_t)addr + size;
  if (size == 0 || end < (uintptr_t)addr) return;
  end = (end + vm_page_mask) & ~(uintptr_t)vm_page_mask;
  for (;;) {
    release_count = 0;
    release_overflow = false;
    pthread_mutex_lock(&vm_mutex);
    /* Cut at most 16 pieces per pass so the unmapping happens outside the lock. */
    size_t i = span_search(start);
    uintptr_t limit = end;
    size_t pieces = 0;
    for (size_t k = i; k < nspans && spans[k].start < end; k++)
      if (++pieces == 16) {
        limit = spans[k].end < end ? spans[k].end : end;
        break;
      }
    cut_range(start, limit, collect_piece);
    pthread_mutex_unlock(&vm_mutex);
    for (size_t k = 0; k < release_count; k++)
      vm_region_free((void *)release_pieces[k].start,
                     release_pieces[k].end - release_pieces[k].start);
    if (limit >= end) break;
    start = limit;
  }
}

void vm_stats(uint64_t *regions, uint64_t *bytes) {
  pthread_mutex_lock(&vm_mutex);
  *regions = nspans;
  *bytes = owned_bytes;
  pthread_mutex_unlock(&vm_mutex);
}

/* Unmaps cached regions overlapping [start, end): after vm_deallocate the range must look free
 * to a VM_FLAGS_FIXED allocation, as on Darwin. */
void vm_cache_evict_range(uintptr_t start, uintptr_t end) {
  struct vm_span evicted[VM_CACHE_SLOTS];
  int n = 0;
  pthread_mutex_lock(&vm_mutex);
  for (int i = 0; i < VM_CACHE_SLOTS; i++) {
    if (cache[i].start && cache[i].start < end && cache[i].end > start) {
      evicted[n++] = cache[i];
      cache_bytes -= cache[i].end - cache[i].start;
      cache[i].start = cache[i].end = 0;
    }
  }
  pthread_mutex_unlock(&vm_mutex);
  for (int i = 0; i < n; i++) munmap((void *)evicted[i].start, evicted[i].end - evicted[i].start);
}
