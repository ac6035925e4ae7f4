/* The IPC lock, futex-based sleeping and waking, deferred wake-ups and the object counters. */
#include "ipc_internal.h"
#include "port_internal.h"
#include "vm_internal.h"

#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
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

void ipc_lock(void) { pthread_mutex_lock(&ipc_mutex); }

/* fork: hold the lock across fork so the child never inherits it mid-update. */
static void ipc_atfork_prepare(void) { pthread_mutex_lock(&ipc_mutex); }
static void ipc_atfork_release(void) { pthread_mutex_unlock(&ipc_mutex); }

__attribute__((constructor)) static void ipc_atfork_init(void) {
  pthread_atfork(ipc_atfork_prepare, ipc_atfork_release, ipc_atfork_release);
}

void ipc_unlock(void) {
  port_destroy_drain();
  unsigned count = ipc_pending_count;
  uint32_t *wakes[IPC_DEFERRED_WAKES];
  for (unsigned i = 0; i < count; i++) wakes[i] = ipc_pending_wakes[i];
  ipc_pending_count = 0;
  pthread_mutex_unlock(&ipc_mutex);
  for (unsigned i = 0; i < count; i++) futex_op(wakes[i], FUTEX_WAKE, 1, NULL);
}

struct ipc_waiter *ipc_waiter_self(void) {
  struct ipc_waiter *w = &ipc_self_waiter;
  w->next = w->prev = NULL;
  w->queue = NULL;
  w->kmsg = NULL;
  w->port = NULL;
  w->result = MACH_MSG_SUCCESS;
  __atomic_store_n(&w->word, 0, __ATOMIC_RELAXED);
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
  __atomic_store_n(&w->word, 1, __ATOMIC_RELEASE);
  if (ipc_pending_count < IPC_DEFERRED_WAKES)
    ipc_pending_wakes[ipc_pending_count++] = &w->word;
  else
    futex_op(&w->word, FUTEX_WAKE, 1, NULL); /* rare: many wake-ups in one operation */
}

bool ipc_sleep(struct ipc_waiter *w, const struct timespec *deadline) {
  ipc_unlock();
  while (__atomic_load_n(&w->word, __ATOMIC_ACQUIRE) == 0) {
    /* FUTEX_WAIT_BITSET takes an absolute CLOCK_MONOTONIC deadline. */
    long rc = futex_op(&w->word, FUTEX_WAIT_BITSET, 0, deadline);
    if (rc == -1 && errno == ETIMEDOUT) break;
  }
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

void openmig_ipc_stats_get(struct openmig_ipc_stats *out) {
  ipc_lock();
  *out = ipc_stats;
  ipc_unlock();
  vm_stats(&out->vm_regions, &out->vm_bytes);
}
