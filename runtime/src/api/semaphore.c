/* Mach semaphores (<mach/semaphore.h>, docs/semaphores.md) in one process: a semaphore is a
 * kernel-object port (IKOT_SEMAPHORE) named by send rights; its count and its FIFO of waiters
 * sit behind the semaphore's own mutex, and each waiter sleeps on a private futex word of its
 * own. The IPC lock is taken only to turn a name into the semaphore (a reference) and for
 * create / destroy, never while a semaphore's mutex is held. */
#include "ipc/ipc.h"
#include "api/semaphore_internal.h"

#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <mach/semaphore.h>

enum { WAITING = 0, SIGNALLED = 1, TERMINATED = 2 };

struct sem_waiter {
  uint32_t word; /* futex word: WAITING until a signal or the destruction sets it */
  struct sem_waiter *next;
  struct sem_waiter *prev;
};

struct semaphore {
  pthread_mutex_t mu;
  int32_t count;             /* signals not yet consumed (never below 0: waiters are listed) */
  bool active;               /* false once destroyed */
  struct sem_waiter *head;   /* FIFO */
  struct sem_waiter *tail;
  uint32_t refs;             /* atomic: the port's binding, and each call in progress */
  struct ipc_space *owner;   /* the task that created it (semaphore_destroy checks it) */
};

static long futex(uint32_t *word, int op, uint32_t val, const struct timespec *ts) {
  return syscall(SYS_futex, word, op | FUTEX_PRIVATE_FLAG, val, ts, NULL, FUTEX_BITSET_MATCH_ANY);
}

static void sem_reference(struct semaphore *s) { __atomic_add_fetch(&s->refs, 1, __ATOMIC_RELAXED); }

static void sem_release(struct semaphore *s) {
  if (__atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL) != 0) return;
  pthread_mutex_destroy(&s->mu);
  free(s);
}

/* The port of the semaphore `name` sends to in space, or NULL with Darwin's
 * port_name_to_semaphore codes in *kr: KERN_INVALID_NAME, KERN_INVALID_RIGHT for a name without
 * a send right, KERN_INVALID_ARGUMENT for a port that is not a semaphore. IPC lock held. */
static struct ipc_port *sem_translate(struct ipc_space *space, mach_port_name_t name, kern_return_t *kr) {
  struct ipc_entry *e = MACH_PORT_VALID(name) ? space_lookup(space, name) : NULL;
  *kr = !e                                                         ? KERN_INVALID_NAME
        : !(e->type & MACH_PORT_TYPE_SEND)                         ? KERN_INVALID_RIGHT
        : e->port->kotype != IKOT_SEMAPHORE || !e->port->kobject   ? KERN_INVALID_ARGUMENT
                                                                   : KERN_SUCCESS;
  return *kr == KERN_SUCCESS ? e->port : NULL;
}

/* The semaphore a name of the caller's space sends to, with a reference. */
static kern_return_t sem_lookup(mach_port_name_t name, struct semaphore **out) {
  *out = NULL;
  struct ipc_space *space = ipc_space_current();
  ipc_lock();
  kern_return_t kr;
  struct ipc_port *port = sem_translate(space, name, &kr);
  if (port) {
    *out = port->kobject;
    sem_reference(*out);
  }
  ipc_unlock();
  return kr;
}

static void waiter_unlink(struct semaphore *s, struct sem_waiter *w) {
  if (w->prev) w->prev->next = w->next; else s->head = w->next;
  if (w->next) w->next->prev = w->prev; else s->tail = w->prev;
  w->next = w->prev = NULL;
}

/* Takes the oldest waiter off the list and marks it (mutex held); the caller wakes it after
 * unlocking. Its word may be reused as soon as it is set, so only the address is kept. */
static uint32_t *waiter_pop(struct semaphore *s, uint32_t how) {
  struct sem_waiter *w = s->head;
  if (!w) return NULL;
  waiter_unlink(s, w);
  __atomic_store_n(&w->word, how, __ATOMIC_RELEASE);
  return &w->word;
}

static void wake(uint32_t *word) {
  /* The waiter may have returned already (its stack word reused): a stray FUTEX_WAKE only
   * causes a spurious wake-up, which every futex sleeper here tolerates. */
  futex(word, FUTEX_WAKE, 1, NULL);
}

/* Darwin's semaphore_signal_internal: wakes one waiter, or (prepost) counts the signal. */
static kern_return_t sem_signal(struct semaphore *s, bool prepost) {
  pthread_mutex_lock(&s->mu);
  if (!s->active) {
    pthread_mutex_unlock(&s->mu);
    return KERN_TERMINATED;
  }
  uint32_t *word = waiter_pop(s, SIGNALLED);
  if (!word && prepost) s->count++;
  pthread_mutex_unlock(&s->mu);
  if (!word) return prepost ? KERN_SUCCESS : KERN_NOT_WAITING;
  wake(word);
  return KERN_SUCCESS;
}

static kern_return_t sem_signal_all(struct semaphore *s) {
  pthread_mutex_lock(&s->mu);
  if (!s->active) {
    pthread_mutex_unlock(&s->mu);
    return KERN_TERMINATED;
  }
  struct sem_waiter *list = s->head;
  s->head = s->tail = NULL;
  /* Marked under the mutex; woken after it (each waiter re-checks its word). */
  uint32_t *words[64];
  unsigned n = 0;
  struct sem_waiter *rest = NULL;
  for (struct sem_waiter *w = list, *next; w; w = next) {
    next = w->next;
    if (n < 64) {
      w->next = w->prev = NULL;
      __atomic_store_n(&w->word, SIGNALLED, __ATOMIC_RELEASE);
      words[n++] = &w->word;
    } else {
      if (!rest) rest = w;
      break;
    }
  }
  if (rest) { /* more than 64 waiters: wake the rest under the mutex */
    for (struct sem_waiter *w = rest, *next; w; w = next) {
      next = w->next;
      w->next = w->prev = NULL;
      __atomic_store_n(&w->word, SIGNALLED, __ATOMIC_RELEASE);
      wake(&w->word);
    }
  }
  pthread_mutex_unlock(&s->mu);
  for (unsigned i = 0; i < n; i++) wake(words[i]);
  return KERN_SUCCESS;
}

/* Waits on s (signalling `then`, if any, once the wait is registered: semaphore_wait_signal).
 * deadline NULL: no limit; poll: do not block. */
static kern_return_t sem_wait(struct semaphore *s, struct semaphore *then,
                              const struct timespec *deadline, bool poll) {
  pthread_mutex_lock(&s->mu);
  if (!s->active) {
    pthread_mutex_unlock(&s->mu);
    return KERN_TERMINATED;
  }
  if (s->count > 0) {
    s->count--;
    pthread_mutex_unlock(&s->mu);
    if (then) sem_signal(then, true);
    return KERN_SUCCESS;
  }
  if (poll) {
    pthread_mutex_unlock(&s->mu);
    if (then) sem_signal(then, true);
    return KERN_OPERATION_TIMED_OUT;
  }
  struct sem_waiter w = { .word = WAITING };
  w.prev = s->tail;
  if (s->tail) s->tail->next = &w; else s->head = &w;
  s->tail = &w;
  pthread_mutex_unlock(&s->mu);
  if (then) sem_signal(then, true);

  kern_return_t kr = KERN_SUCCESS;
  while (__atomic_load_n(&w.word, __ATOMIC_ACQUIRE) == WAITING) {
    long rc = futex(&w.word, FUTEX_WAIT_BITSET, WAITING, deadline);
    if (rc == -1 && errno == ETIMEDOUT) {
      kr = KERN_OPERATION_TIMED_OUT;
      break;
    }
    if (rc == -1 && errno == EINTR) { /* a signal handler ran: Darwin's thread_abort */
      kr = KERN_ABORTED;
      break;
    }
  }
  pthread_mutex_lock(&s->mu);
  uint32_t word = __atomic_load_n(&w.word, __ATOMIC_ACQUIRE);
  if (word == WAITING) waiter_unlink(s, &w); /* gave up: nobody signalled us meanwhile */
  pthread_mutex_unlock(&s->mu);
  if (word == SIGNALLED) return KERN_SUCCESS;
  if (word == TERMINATED) return KERN_TERMINATED;
  return kr;
}

/* Destroys the semaphore: waiters get KERN_TERMINATED. The port is unbound under the IPC lock
 * by the caller. */
static void sem_terminate(struct semaphore *s) {
  pthread_mutex_lock(&s->mu);
  s->active = false;
  uint32_t *word;
  while ((word = waiter_pop(s, TERMINATED)) != NULL) wake(word);
  pthread_mutex_unlock(&s->mu);
}

/* Unbinds the port from its semaphore and kills it (names become dead names). Lock held. */
static struct semaphore *unbind(struct ipc_port *port) {
  struct semaphore *s = port->kobject;
  port->kobject = NULL;
  port_destroy_receive(port); /* releases the binding's port reference */
  return s;
}

/* The last send right went: the semaphore goes with it (a semaphore nobody can name cannot be
 * signalled again). IPC lock held; the semaphore's mutex is a leaf lock. */
static void semaphore_no_senders(struct ipc_port *port) {
  if (port->kotype != IKOT_SEMAPHORE || !port->kobject) return;
  struct semaphore *s = unbind(port);
  sem_terminate(s);
  sem_release(s); /* the binding's reference */
}

kern_return_t semaphore_create(task_t task, semaphore_t *semaphore, int policy, int value) {
  if (!semaphore) return KERN_INVALID_ARGUMENT;
  *semaphore = SEMAPHORE_NULL;
  if (value < 0 || (policy & ~SYNC_POLICY_MAX) != 0) return KERN_INVALID_ARGUMENT;
  struct semaphore *s = calloc(1, sizeof *s);
  if (!s) return KERN_RESOURCE_SHORTAGE;
  pthread_mutex_init(&s->mu, NULL);
  s->count = value;
  s->active = true;
  s->refs = 1; /* the port's binding */
  struct ipc_space *self = ipc_space_current();
  ipc_lock();
  ipc_kobject_no_senders = semaphore_no_senders;
  struct ipc_space *space = self ? space_from_task_name(self, task) : NULL;
  if (!space || !space->active) {
    ipc_unlock();
    sem_release(s);
    return MACH_SEND_INVALID_DEST; /* as a failed MIG send to a bad task would */
  }
  struct ipc_port *port = port_alloc();
  if (!port) {
    ipc_unlock();
    sem_release(s);
    return KERN_RESOURCE_SHORTAGE;
  }
  s->owner = space;
  port->kotype = IKOT_SEMAPHORE;
  port->kobject = s;
  port_make_send(port);
  mach_port_name_t name = MACH_PORT_NULL;
  kern_return_t kr = right_copyout(space, port, MACH_MSG_TYPE_PORT_SEND, &name);
  if (kr != KERN_SUCCESS) { /* the send right was destroyed: no senders unbound it */
    ipc_unlock();
    return KERN_RESOURCE_SHORTAGE;
  }
  ipc_unlock();
  *semaphore = name;
  return KERN_SUCCESS;
}

kern_return_t semaphore_destroy(task_t task, semaphore_t semaphore) {
  if (semaphore == SEMAPHORE_NULL) return KERN_INVALID_ARGUMENT;
  struct ipc_space *self = ipc_space_current();
  ipc_lock();
  struct ipc_space *space = self ? space_from_task_name(self, task) : NULL;
  if (!space || !space->active) {
    ipc_unlock();
    return MACH_SEND_INVALID_DEST;
  }
  /* The semaphore is named in the caller's space (the task argument names its owner). */
  kern_return_t kr;
  struct ipc_port *port = sem_translate(self, semaphore, &kr);
  struct semaphore *s = NULL;
  if (port && ((struct semaphore *)port->kobject)->owner != space) {
    kr = KERN_INVALID_RIGHT;
  } else if (port) {
    s = unbind(port);
    right_deallocate(self, semaphore); /* the right the call consumes */
  }
  ipc_unlock();
  if (!s) return kr;
  sem_terminate(s);
  sem_release(s);
  return KERN_SUCCESS;
}

enum signal_kind { SIGNAL_PREPOST, SIGNAL_ALL, SIGNAL_WAITER };

static kern_return_t signal_name(semaphore_t semaphore, enum signal_kind kind) {
  struct semaphore *s;
  kern_return_t kr = sem_lookup(semaphore, &s);
  if (kr != KERN_SUCCESS) return kr;
  kr = kind == SIGNAL_ALL ? sem_signal_all(s) : sem_signal(s, kind == SIGNAL_PREPOST);
  sem_release(s);
  return kr;
}

kern_return_t semaphore_signal(semaphore_t semaphore) { return signal_name(semaphore, SIGNAL_PREPOST); }

kern_return_t semaphore_signal_all(semaphore_t semaphore) { return signal_name(semaphore, SIGNAL_ALL); }

kern_return_t semaphore_signal_thread(semaphore_t semaphore, thread_t thread) {
  if (thread == THREAD_NULL) return signal_name(semaphore, SIGNAL_WAITER);
  /* There are no thread ports: any thread name is one Darwin could not convert either (the
   * semaphore name is checked first, as Darwin's trap does). */
  struct semaphore *s;
  kern_return_t kr = sem_lookup(semaphore, &s);
  if (kr != KERN_SUCCESS) return kr;
  sem_release(s);
  return KERN_INVALID_ARGUMENT;
}

static kern_return_t wait_common(semaphore_t wait_name, semaphore_t signal_name, bool timed,
                                 mach_timespec_t wait_time) {
  struct timespec deadline;
  bool poll = false;
  if (timed) {
    if (wait_time.tv_nsec < 0 || wait_time.tv_nsec >= 1000000000) return KERN_INVALID_VALUE;
    poll = wait_time.tv_sec == 0 && wait_time.tv_nsec == 0;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += wait_time.tv_sec;
    deadline.tv_nsec += wait_time.tv_nsec;
    if (deadline.tv_nsec >= 1000000000L) {
      deadline.tv_sec++;
      deadline.tv_nsec -= 1000000000L;
    }
  }
  struct semaphore *s, *then = NULL;
  kern_return_t kr = sem_lookup(wait_name, &s);
  if (kr != KERN_SUCCESS) return kr;
  if (signal_name != SEMAPHORE_NULL) {
    kr = sem_lookup(signal_name, &then);
    if (kr != KERN_SUCCESS) {
      sem_release(s);
      return kr;
    }
  }
  kr = sem_wait(s, then, timed ? &deadline : NULL, poll);
  sem_release(s);
  if (then) sem_release(then);
  return kr;
}

kern_return_t semaphore_wait(semaphore_t semaphore) {
  return wait_common(semaphore, SEMAPHORE_NULL, false, (mach_timespec_t){ 0, 0 });
}

kern_return_t semaphore_timedwait(semaphore_t semaphore, mach_timespec_t wait_time) {
  return wait_common(semaphore, SEMAPHORE_NULL, true, wait_time);
}

kern_return_t semaphore_wait_signal(semaphore_t wait_semaphore, semaphore_t signal_semaphore) {
  if (signal_semaphore == SEMAPHORE_NULL) return KERN_INVALID_NAME;
  return wait_common(wait_semaphore, signal_semaphore, false, (mach_timespec_t){ 0, 0 });
}

kern_return_t semaphore_timedwait_signal(semaphore_t wait_semaphore, semaphore_t signal_semaphore,
                                         mach_timespec_t wait_time) {
  if (signal_semaphore == SEMAPHORE_NULL) return KERN_INVALID_NAME;
  return wait_common(wait_semaphore, signal_semaphore, true, wait_time);
}

unsigned semaphore_waiter_count(semaphore_t name) {
  struct semaphore *s;
  if (sem_lookup(name, &s) != KERN_SUCCESS) return 0;
  unsigned n = 0;
  pthread_mutex_lock(&s->mu);
  for (struct sem_waiter *w = s->head; w; w = w->next) n++;
  pthread_mutex_unlock(&s->mu);
  sem_release(s);
  return n;
}
