/* Page-granular memory of the task: the registry of regions handed out by vm_allocate or
 * received out of line (only these are ever unmapped by vm_deallocate), a small cache of
 * pre-faulted regions (page faults are expensive, runtime-transport.md 3.3), and the regions
 * that travel inside messages. Has its own lock; never takes the IPC lock. */
#ifndef OPENMIG_VM_INTERNAL_H
#define OPENMIG_VM_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <mach/mach.h>

size_t vm_round(size_t size);

/* A page-rounded region not (yet) owned by the task (not in the registry). zero: zero-filled;
 * otherwise only the caller's bytes are defined. NULL when out of memory. */
void *vm_region_alloc(size_t size, bool zero);
/* vm_region_alloc, and *fresh says whether the region is newly mapped (its pages not faulted
 * in yet) rather than a pre-faulted one from the cache. */
void *vm_region_alloc_fresh(size_t size, bool zero, bool *fresh);
/* Returns a region that is not in the registry (to the cache or the system). */
void vm_region_free(void *addr, size_t size);
/* The task takes ownership of a region (vm_deallocate can release it). */
void vm_region_register(void *addr, size_t size);
/* If the page-rounded range [addr, addr + size) is entirely owned by the task, takes it out of
 * the registry (the caller now owns those pages) and returns true. addr must be page-aligned. */
bool vm_region_detach(void *addr, size_t size);
/* True if [addr, addr + size) lies inside regions the task owns. */
bool vm_range_owned(const void *addr, size_t size);
/* Releases the owned pages covering [addr, addr + size); pages the registry does not know are
 * left alone. */
void vm_release_range(void *addr, size_t size);
/* Unmaps cached regions overlapping [start, end): after vm_deallocate the range must look free
 * to a VM_FLAGS_FIXED allocation, as on Darwin. */
void vm_cache_evict_range(uintptr_t start, uintptr_t end);
/* Large regions of vm_allocate (VM_FLAGS_ANYWHERE, at least VM_MEMFD_MIN bytes) are a shared
 * mapping of a memfd the task keeps open (at most VM_MEMFD_MAX of them; past that, anonymous),
 * so that a move to another process can hand the pages over instead of copying them
 * (docs/machd.md 9.5). A fork child gets a private copy of each (made in the child at fork). */
#define VM_MEMFD_MIN ((size_t)2 << 20)
#define VM_MEMFD_MAX 256
#define VM_FILE_REGIONS_MAX 1024 /* table size: movable memfds and noted file regions */
/* A zero-filled memfd-backed region of len bytes (page-rounded), not registered; NULL when none
 * can be made (the caller falls back to vm_region_alloc). */
void *vm_memfd_alloc(size_t len);
/* If [addr, addr + size) rounded to pages is exactly one memfd-backed region: forgets it and
 * returns its descriptor (the caller owns it; the mapping stays), else -1. */
int vm_memfd_take(void *addr, size_t size);
/* Whether [addr, addr + size) rounded to pages is exactly one memfd-backed region. */
bool vm_memfd_backed(const void *addr, size_t size);
/* Memfd-backed regions the task holds and can move (tests count them). */
unsigned vm_memfd_count(void);
/* A region that maps a file (a received memfd): never kept in the cache of free regions, so
 * that the file goes once the task deallocates it. Noted while the table has room. fd: the
 * file's descriptor (the caller keeps it), or -1; a region of VM_MEMFD_MIN bytes or more keeps
 * a duplicate of it (at most VM_KEPT_FDS_MAX at once) so that, once the region is deallocated,
 * the reaper (vm_reaper_internal.h) both unmaps it and frees the file's pages, off the thread
 * that deallocated it. */
#define VM_KEPT_FDS_MAX 32
void vm_file_region_note(void *addr, size_t size, int fd);

/* Registry counters for openmig_ipc_stats_get. */
void vm_stats(uint64_t *regions, uint64_t *bytes);

#endif /* OPENMIG_VM_INTERNAL_H */
