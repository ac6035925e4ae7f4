/* The IPC core's common machinery: the one IPC lock, wait queues of sleeping threads (futex
 * based), deferred wake-ups and the object counters. Every other core file builds on this. */
#ifndef OPENMIG_IPC_INTERNAL_H
#define OPENMIG_IPC_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <mach/mach.h>
#include <mach/openmig_stats.h>

struct ipc_space;
struct ipc_port;
struct ipc_pset;
struct ipc_kmsg;

/* All IPC state (spaces, ports, sets, queues) is protected by one process-wide lock. Critical
 * sections are short (no syscalls except mmap/munmap for large OOL regions); threads never sleep
 * while holding it. ipc_unlock() first finishes deferred work (port destruction queued with
 * port_destroy_later) and, after releasing the lock, issues the FUTEX_WAKEs queued with
 * ipc_wake_later, so woken threads do not bounce on the lock. */
void ipc_lock(void);
void ipc_unlock(void);

/* True while this thread holds the IPC lock or is inside mach_msg (between ipc_busy_enter and
 * ipc_busy_leave, which api/msg.c calls around every message operation): a signal handler that
 * finds it true must not call into libmach (the lock is not recursive, and the thread's waiter
 * and deferred wakes may be in use). Async-signal-safe (a thread-local counter). */
bool ipc_thread_busy(void);
void ipc_busy_enter(void);
void ipc_busy_leave(void);

/* A thread sleeping in mach_msg (receiving, or sending to a full queue). Lives in the thread's
 * TLS; linked into one wait queue at a time. */
struct ipc_waiter {
  uint32_t word;               /* futex word: 0 asleep, 1 woken (atomic accesses) */
  uint32_t sleeping;           /* 1 while in FUTEX_WAIT: wakers skip the syscall otherwise */
  struct ipc_waiter *next;
  struct ipc_waiter *prev;
  struct ipc_waitq *queue;     /* the queue it is on, NULL when not queued */
  struct ipc_kmsg *kmsg;       /* blocked sender: the message to enqueue on its behalf */
  struct ipc_port *port;       /* blocked sender: its destination */
  mach_msg_return_t result;    /* set by the waker for blocked senders */
};

struct ipc_waitq {
  struct ipc_waiter *head;
  struct ipc_waiter *tail;
};

/* The calling thread's waiter (reset: not queued, word 0). */
struct ipc_waiter *ipc_waiter_self(void);

void waitq_push(struct ipc_waitq *q, struct ipc_waiter *w);
/* Removes and returns the oldest waiter, or NULL. */
struct ipc_waiter *waitq_pop(struct ipc_waitq *q);
/* Removes w from whatever queue holds it (no-op if none). */
void waitq_remove(struct ipc_waiter *w);
static inline bool waitq_empty(const struct ipc_waitq *q) { return q->head == NULL; }

/* Marks w woken and queues its FUTEX_WAKE for ipc_unlock (lock held). */
void ipc_wake_later(struct ipc_waiter *w);

/* Sleeps (lock held on entry and on return, released meanwhile) until w is woken or the
 * absolute CLOCK_MONOTONIC deadline passes (NULL: no deadline). Returns true if woken. The
 * caller removes w from its queue afterwards if it is still queued. */
bool ipc_sleep(struct ipc_waiter *w, const struct timespec *deadline);

/* ipc_sleep for a thread waiting to receive a message: a transport may wait for it by reading
 * its connection (transport_set_receive_hooks). May return true with nothing for the caller:
 * receive loops look again. */
bool ipc_sleep_receive(struct ipc_waiter *w, const struct timespec *deadline);

/* deadline = now + ms milliseconds (CLOCK_MONOTONIC). */
void ipc_deadline_after_ms(struct timespec *deadline, mach_msg_timeout_t ms);

/* Milliseconds until deadline (CLOCK_MONOTONIC), rounded up, at most 10^9; 0 once it passed. */
int ipc_ms_until(const struct timespec *deadline);

/* Object counters, updated under the IPC lock (read by openmig_ipc_stats_get). */
extern struct openmig_ipc_stats ipc_stats;

/* Port values stored in messages in place of names: NULL is MACH_PORT_NULL. */
#define IPC_PORT_DEAD ((struct ipc_port *)(uintptr_t)-1)
#define IPC_PORT_VALID(p) ((p) != NULL && (p) != IPC_PORT_DEAD)

/* User reference limit of a send right or dead name (XNU's MACH_PORT_UREFS_MAX). */
#define IPC_UREFS_MAX ((mach_port_urefs_t)0xffff)

#endif /* OPENMIG_IPC_INTERNAL_H */
