/* The reaper (vm_reaper_internal.h): a queue of mappings and descriptors to release and one
 * thread, started on first use in each process, that releases them at SCHED_IDLE priority. */
#include "ipc/vm_reaper_internal.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

struct reap {
  void *addr;
  size_t len;
  int fd;
};

static struct {
  pthread_mutex_t mu;
  pthread_cond_t work;   /* an item was queued */
  pthread_cond_t idle;   /* the thread finished an item */
  struct reap items[VM_REAPER_MAX_ITEMS]; /* a ring: head, count */
  unsigned head, count;
  unsigned reserved;     /* places taken by callers still moving their mapping aside */
  size_t bytes;          /* queued, reserved, and the one being released */
  bool busy;             /* the thread is releasing an item */
  pid_t pid;             /* the process the thread runs in (0: none) */
} R = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER, {{0}}, 0, 0, 0, 0, false, 0};

/* Releases r. The page-table entries are torn down by MADV_DONTNEED, which locks only the
 * mapping itself; the munmap that follows, which write-locks the whole address space, then has
 * nothing left to tear down. A munmap of the full mapping by the reaper, starved at SCHED_IDLE
 * while holding that lock, stalled the process's other mmap calls for 2-4 s under load
 * (measured; 8-16 ms, the machine's own noise, this way). The descriptor, closed last, frees
 * the pages without any lock of the address space. */
static void release_now(struct reap r) {
  if (r.addr) {
    (void)madvise(r.addr, r.len, MADV_DONTNEED);
    munmap(r.addr, r.len); /* the descriptor, still open, keeps the file: nothing freed here */
  }
  if (r.fd >= 0) close(r.fd);
}

/* Takes the oldest item. R.mu held, R.count > 0. */
static struct reap take(void) {
  struct reap r = R.items[R.head];
  R.head = (R.head + 1) % VM_REAPER_MAX_ITEMS;
  R.count--;
  return r;
}

static void *reaper_main(void *arg) {
  (void)arg;
  struct sched_param lowest = {0};
  (void)pthread_setschedparam(pthread_self(), SCHED_IDLE, &lowest); /* else it runs at normal priority */
  pthread_mutex_lock(&R.mu);
  for (;;) {
    while (R.count == 0) pthread_cond_wait(&R.work, &R.mu);
    struct reap r = take();
    R.busy = true;
    pthread_mutex_unlock(&R.mu);
    release_now(r);
    pthread_mutex_lock(&R.mu);
    R.busy = false;
    R.bytes -= r.len;
    pthread_cond_broadcast(&R.idle);
  }
  return NULL;
}

/* Starts the thread in this process if it is not running. R.mu held. False if it cannot. */
static bool thread_running(void) {
  if (R.pid == getpid()) return true;
  pthread_attr_t attr;
  pthread_t thread;
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old); /* signals are for the application's threads */
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  if (pthread_create(&thread, &attr, reaper_main, NULL) == 0) R.pid = getpid();
  pthread_attr_destroy(&attr);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  return R.pid == getpid();
}

/* A fork child has no reaper thread and copies of the parent's queue: they are its own
 * mappings and descriptors (references the parent also holds, cheap to drop), released here. */
static void reaper_fork_prepare(void) { pthread_mutex_lock(&R.mu); }
static void reaper_fork_parent(void) { pthread_mutex_unlock(&R.mu); }
static void reaper_fork_child(void) {
  while (R.count) release_now(take());
  R.bytes = 0;
  R.reserved = 0;
  R.busy = false;
  R.pid = 0;
  pthread_mutex_unlock(&R.mu);
}

void vm_reaper_atfork_init(void) { pthread_atfork(reaper_fork_prepare, reaper_fork_parent, reaper_fork_child); }

/* The mapping moved to a fresh range of the same size (the old range is free), or NULL. */
static void *move_aside(void *addr, size_t len) {
  void *spot = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (spot == MAP_FAILED) return NULL;
  void *moved = mremap(addr, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, spot);
  if (moved == MAP_FAILED) {
    munmap(spot, len);
    return NULL;
  }
  return moved;
}

void vm_reaper_release(void *addr, size_t len, int fd) {
  if (!addr) len = 0;
  pthread_mutex_lock(&R.mu);
  bool room = R.count + R.reserved < VM_REAPER_MAX_ITEMS && len <= VM_REAPER_MAX_BYTES - R.bytes && thread_running();
  if (room) { /* the place is ours while the mapping moves, unlocked */
    R.reserved++;
    R.bytes += len;
  }
  pthread_mutex_unlock(&R.mu);
  if (!room) {
    release_now((struct reap){addr, len, fd});
    return;
  }
  struct reap r = {addr ? move_aside(addr, len) : NULL, len, fd};
  pthread_mutex_lock(&R.mu);
  R.reserved--;
  if (addr && !r.addr) { /* could not move it: released here */
    R.bytes -= len;
    pthread_mutex_unlock(&R.mu);
    release_now((struct reap){addr, len, fd});
    return;
  }
  R.items[(R.head + R.count) % VM_REAPER_MAX_ITEMS] = r;
  R.count++;
  pthread_cond_signal(&R.work);
  pthread_mutex_unlock(&R.mu);
}

void vm_reaper_drain(void) {
  pthread_mutex_lock(&R.mu);
  while (R.count) {
    struct reap r = take();
    pthread_mutex_unlock(&R.mu);
    release_now(r);
    pthread_mutex_lock(&R.mu);
    R.bytes -= r.len;
  }
  while (R.busy) pthread_cond_wait(&R.idle, &R.mu);
  pthread_mutex_unlock(&R.mu);
}
