/* The IPC lock, futex-based sleeping and waking, deferred wake-ups and the object counters. */
#include "ipc/ipc_internal.h"
#include "ipc/fdwatch_internal.h"
#include "ipc/port_internal.h"
#include "ipc/vm_internal.h"
#include "ipc/vm_reaper_internal.h"
#include "ipc/mqueue_internal.h"
#include "ipc/proxy_internal.h"

#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

static pthread_mutex_t ipc_mutex = PTHREAD_MUTEX_INITIALIZER;
struct openmig_ipc_stats ipc_stats;

/* Wake-ups collected during one critical section, issued after the unlock. */
#define IPC_DEFERRED_WAKES 32
static __thread uint32_t *ipc_pending_wakes[IPC_DEFERRED_WAKES];
static __thread unsigned ipc_pending_count;
static __thread struct ipc_waiter ipc_self_waiter;

static long futex_op(uint32_t *word, int op, uint32_t val, const struct timespec *ts) {
  return syscall(SYS_futex, word, op | FUTEX_PRIVATE_FLAG, val, ts, NULL, FUTEX_BITSET_MATCH_ANY);
}

/* Held locks and mach_msg calls in progress on this thread (ipc_thread_busy). */
static __thread unsigned ipc_busy_depth;

void ipc_lock(void) {
  ipc_busy_depth++;
  pthread_mutex_lock(&ipc_mutex);
}

void ipc_busy_enter(void) { ipc_busy_depth++; }
void ipc_busy_leave(void) { ipc_busy_depth--; }
bool ipc_thread_busy(void) { return ipc_busy_depth != 0; }

/* fork: hold the lock across fork so the child never inherits it mid-update. */
static void ipc_atfork_prepare(void) { pthread_mutex_lock(&ipc_mutex); }
static void ipc_atfork_parent(void) { pthread_mutex_unlock(&ipc_mutex); }

static void ipc_atfork_child(void) {
  ipc_pending_count = 0;
  mqueue_forget_other_threads();
  port_destroy_drain();
  ipc_pending_count = 0; /* nobody to wake: the waiters were the parent's threads */
  pthread_mutex_unlock(&ipc_mutex);
}

__attribute__((constructor)) static void ipc_atfork_init(void) {
  vm_reaper_atfork_init(); /* first: its lock is taken under ours, so its prepare runs after ours */
  pthread_atfork(ipc_atfork_prepare, ipc_atfork_parent, ipc_atfork_child);
}

void ipc_unlock(void) {
  port_destroy_drain();
  unsigned count = ipc_pending_count;
  uint32_t *wakes[IPC_DEFERRED_WAKES];
  for (unsigned i = 0; i < count; i++) wakes[i] = ipc_pending_wakes[i];
  ipc_pending_count = 0;
  pthread_mutex_unlock(&ipc_mutex);
  for (unsigned i = 0; i < count; i++) futex_op(wakes[i], FUTEX_WAKE, 1, NULL);
  fdwatch_flush(); /* readiness descriptors follow their queues */
  ipc_busy_depth--;
}

struct ipc_waiter *ipc_waiter_self(void) {
  struct ipc_waiter *w = &ipc_self_waiter;
  w->next = w->prev = NULL;
  w->queue = NULL;
  w->kmsg = NULL;
  w->port = NULL;
  w->result = MACH_MSG_SUCCESS;
  __atomic_store_n(&w->word, 0, __ATOMIC_RELAXED);
  __atomic_store_n(&w->sleeping, 0, __ATOMIC_RELAXED);
  return w;
}

void waitq_push(struct ipc_waitq *q, struct ipc_waiter *w) {
  w->next = NULL;
  w->prev = q->tail;
  if (q->tail)
    q->tail->next = w;
  else
    q->head = w;
  q->tail = w;
  w->queue = q;
}

void waitq_remove(struct ipc_waiter *w) {
  struct ipc_waitq *q = w->queue;
  if (!q) return;
  if (w->prev)
    w->prev->next = w->next;
  else
    q->head = w->next;
  if (w->next)
    w->next->prev = w->prev;
  else
    q->tail = w->prev;
  w->next = w->prev = NULL;
  w->queue = NULL;
}

struct ipc_waiter *waitq_pop(struct ipc_waitq *q) {
  struct ipc_waiter *w = q->head;
  if (w) waitq_remove(w);
  return w;
}

void ipc_wake_later(struct ipc_waiter *w) {
  /* Dekker pairing with ipc_sleep: word is set before sleeping is read, sleeping is set before
   * the word is re-checked by FUTEX_WAIT; so a waiter that has not announced itself will see
   * the word, and one that has gets the FUTEX_WAKE. */
  __atomic_store_n(&w->word, 1, __ATOMIC_SEQ_CST);
  if (ipc_receive_hooks) ipc_receive_hooks->woken(w); /* it may be reading a connection */
  if (!__atomic_load_n(&w->sleeping, __ATOMIC_SEQ_CST)) return; /* spinning or not there yet */
  if (ipc_pending_count < IPC_DEFERRED_WAKES)
    ipc_pending_wakes[ipc_pending_count++] = &w->word;
  else
    futex_op(&w->word, FUTEX_WAKE, 1, NULL); /* rare: many wake-ups in one operation */
}

/* Optional bounded spin before sleeping (MACHRT_SPIN_NS, default 0 = never): worth it only
 * when sender and receiver run on different CPUs (runtime-transport.md 4.5). */
static long ipc_spin_ns;

__attribute__((constructor)) static void ipc_spin_init(void) {
  const char *v = getenv("MACHRT_SPIN_NS");
  if (v && sysconf(_SC_NPROCESSORS_ONLN) > 1) ipc_spin_ns = strtol(v, NULL, 10);
  if (ipc_spin_ns < 0 || ipc_spin_ns > 1000000) ipc_spin_ns = 0;
}

static void spin_for_word(struct ipc_waiter *w) {
  struct timespec t0, t;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (unsigned i = 1;; i++) {
    if (__atomic_load_n(&w->word, __ATOMIC_ACQUIRE)) return;
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
    if ((i & 63) == 0) {
      clock_gettime(CLOCK_MONOTONIC, &t);
      long ns = (t.tv_sec - t0.tv_sec) * 1000000000L + (t.tv_nsec - t0.tv_nsec);
      if (ns >= ipc_spin_ns) return;
    }
  }
}

bool ipc_sleep(struct ipc_waiter *w, const struct timespec *deadline) {
  ipc_unlock();
  if (ipc_spin_ns > 0) spin_for_word(w);
  __atomic_store_n(&w->sleeping, 1, __ATOMIC_SEQ_CST);
  while (__atomic_load_n(&w->word, __ATOMIC_SEQ_CST) == 0) {
    /* FUTEX_WAIT_BITSET takes an absolute CLOCK_MONOTONIC deadline. */
    long rc = futex_op(&w->word, FUTEX_WAIT_BITSET, 0, deadline);
    if (rc == -1 && errno == ETIMEDOUT) break;
  }
  __atomic_store_n(&w->sleeping, 0, __ATOMIC_RELAXED);
  ipc_lock();
  /* Wakers set the word under the lock: this answer is final. */
  return __atomic_load_n(&w->word, __ATOMIC_ACQUIRE) != 0;
}

void ipc_deadline_after_ms(struct timespec *deadline, mach_msg_timeout_t ms) {
  clock_gettime(CLOCK_MONOTONIC, deadline);
  deadline->tv_sec += ms / 1000;
  deadline->tv_nsec += (long)(ms % 1000) * 1000000L;
  if (deadline->tv_nsec >= 1000000000L) {
    deadline->tv_sec++;
    deadline->tv_nsec -= 1000000000L;
  }
}

int ipc_ms_until(const struct timespec *deadline) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  long long ns = (long long)(deadline->tv_sec - now.tv_sec) * 1000000000LL + (deadline->tv_nsec - now.tv_nsec);
  if (ns <= 0) return 0;
  long long ms = (ns + 999999) / 1000000;
  return ms > 1000000000LL ? 1000000000 : (int)ms;
}

void openmig_ipc_stats_get(struct openmig_ipc_stats *out) {
  ipc_lock();
  *out = ipc_stats;
  ipc_unlock();
  vm_stats(&out->vm_regions, &out->vm_bytes);
}
