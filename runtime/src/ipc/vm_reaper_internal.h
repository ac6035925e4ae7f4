/* The reaper: unmaps and closes, on a thread of the lowest priority, what deallocated file
 * regions leave behind (a received memfd's mapping and descriptor), so that tearing down their
 * page tables and freeing their pages (14-30 ms for 64 MiB on the reference machine,
 * docs/machd.md 9.5) is not paid by the thread that called vm_deallocate. */
#ifndef OPENMIG_VM_REAPER_INTERNAL_H
#define OPENMIG_VM_REAPER_INTERNAL_H

#include <stddef.h>

/* Caps on what may wait for the reaper (past them the caller does the work at once). */
#define VM_REAPER_MAX_ITEMS 32
#define VM_REAPER_MAX_BYTES ((size_t)256 << 20)

/* Releases the page-aligned mapping [addr, addr + len) (addr NULL: none) and closes fd (-1:
 * none), both of which the caller gives up. The range is free when this returns (the mapping
 * is moved aside with mremap, which touches no page); unmapping and closing happen later on
 * the reaper thread (SCHED_IDLE: it runs when a CPU has nothing else to do), or at once, in
 * the caller, when the caps above are reached, the mapping cannot be moved or the thread
 * cannot start. Thread-safe; takes no other lock. */
void vm_reaper_release(void *addr, size_t len, int fd);

/* Registers the reaper's fork handlers; called once, before the core registers its own (the
 * reaper's lock is taken under the IPC lock, so at fork it must be taken after it: prepare
 * handlers run in the reverse order of registration). */
void vm_reaper_atfork_init(void);

/* Does every pending release now, in the caller, and waits for the one the reaper is doing:
 * afterwards no mapping or descriptor handed over before the call is left (tests count them). */
void vm_reaper_drain(void);

#endif /* OPENMIG_VM_REAPER_INTERNAL_H */
