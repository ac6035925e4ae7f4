/* Mach semaphores (<mach/semaphore.h>, docs/semaphores.md): a semaphore is a kernel-object port
 * (IKOT_SEMAPHORE) named by send rights; its count and its FIFO of waiters sit behind the
 * semaphore's own mutex, and each local waiter sleeps on a private futex word of its own. The IPC
 * lock is taken only to turn a name into the semaphore (a reference), for create / destroy and to
 * answer remote waiters; it is never taken while a semaphore's mutex is held (order: IPC lock,
 * semaphore mutex, timer mutex).
 *
 * Across processes (semaphore_msg.h): in another task the right is a proxy, and the calls on it
 * become messages to the owner, whose runtime serves them where the transport delivers them
 * (semaphore_message, never blocking the delivering thread). A wait that cannot be satisfied
 * keeps its send-once reply right in the FIFO as a remote waiter, answered on signal, on
 * destruction or by the timer thread when its deadline passes. */
#include "ipc/ipc.h"
#include "api/semaphore_internal.h"
#include "api/semaphore_msg.h"

#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <mach/mach.h>
#include <mach/mig_errors.h>
#include <mach/notify.h>
#include <mach/semaphore.h>

enum { WAITING = 0, SIGNALLED = 1, TERMINATED = 2, TIMED_OUT = 3 };

/* A caller's margin over the owner's timeout before it stops waiting for the owner's answer. */
#define REMOTE_MARGIN_MS 500u

struct semaphore;

struct sem_waiter {
  uint32_t word; /* futex word: WAITING until a signal, the destruction or the timer sets it */
  struct sem_waiter *next;
  struct sem_waiter *prev;
  /* A remote waiter (heap; a local one lives on its thread's stack with reply NULL): */
  struct ipc_port *reply;       /* send-once right to the waiting task's reply port */
  mach_msg_id_t reply_id;
  struct semaphore *sem;        /* reference */
  uint32_t refs;                /* atomic: the FIFO's (whoever takes it off answers), the timer's */
  struct timespec deadline;     /* timed waits */
  struct sem_waiter *tnext;     /* on the timer's list */
  struct sem_waiter *done_next; /* taken off the FIFO, to be answered */
};

struct semaphore {
  pthread_mutex_t mu;
  int32_t count;             /* signals not yet consumed (never below 0: waiters are listed) */
  bool active;               /* false once destroyed */
  struct sem_waiter *head;   /* FIFO, local and remote waiters alike */
  struct sem_waiter *tail;
  uint32_t refs;             /* atomic: the port's binding, each call in progress, remote waiters */
  struct ipc_space *owner;   /* the task that created it (semaphore_destroy checks it) */
};

/* What a name sends to: a semaphore of this task (local, referenced; exported says another task
 * holds a right to it, so local waiters must keep the transport's connection read), or another
 * task's port (remote: the name itself). */
struct sem_ref {
  struct semaphore *local;
  bool exported;
  mach_port_name_t remote;
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

static void waiter_put(struct sem_waiter *w) {
  if (__atomic_sub_fetch(&w->refs, 1, __ATOMIC_ACQ_REL) != 0) return;
  sem_release(w->sem);
  free(w);
}

/* The port `name` sends to in space, or NULL with Darwin's port_name_to_semaphore codes in *kr:
 * KERN_INVALID_NAME, KERN_INVALID_RIGHT for a name without a send right, KERN_INVALID_ARGUMENT
 * for a local port that is not a semaphore. A proxy (another task's port) passes: only its
 * owner knows what it is. IPC lock held. */
static struct ipc_port *sem_translate(struct ipc_space *space, mach_port_name_t name, kern_return_t *kr) {
  struct ipc_entry *e = MACH_PORT_VALID(name) ? space_lookup(space, name) : NULL;
  *kr = !e                                                         ? KERN_INVALID_NAME
        : !(e->type & MACH_PORT_TYPE_SEND)                         ? KERN_INVALID_RIGHT
        : e->port->transport                                       ? KERN_SUCCESS
        : e->port->kotype != IKOT_SEMAPHORE || !e->port->kobject   ? KERN_INVALID_ARGUMENT
                                                                   : KERN_SUCCESS;
  return *kr == KERN_SUCCESS ? e->port : NULL;
}

/* What a name of the caller's space sends to (a reference on a local semaphore). */
static kern_return_t sem_lookup(mach_port_name_t name, struct sem_ref *out) {
  *out = (struct sem_ref){ 0 };
  struct ipc_space *space = ipc_space_current();
  ipc_lock();
  kern_return_t kr;
  struct ipc_port *port = sem_translate(space, name, &kr);
  if (port && port->transport) {
    out->remote = name;
  } else if (port) {
    out->local = port->kobject;
    out->exported = port->export_handle != 0;
    sem_reference(out->local);
  }
  ipc_unlock();
  return kr;
}

static void ref_release(struct sem_ref *r) {
  if (r->local) sem_release(r->local);
}

static void waiter_unlink(struct semaphore *s, struct sem_waiter *w) {
  if (w->prev) w->prev->next = w->next; else s->head = w->next;
  if (w->next) w->next->prev = w->prev; else s->tail = w->prev;
  w->next = w->prev = NULL;
}

static void waiter_append(struct semaphore *s, struct sem_waiter *w) {
  w->prev = s->tail;
  if (s->tail) s->tail->next = w; else s->head = w;
  s->tail = w;
}

static void wake(uint32_t *word) {
  /* The waiter may have returned already (its stack word reused): a stray FUTEX_WAKE only
   * causes a spurious wake-up, which every futex sleeper here tolerates. */
  futex(word, FUTEX_WAKE, 1, NULL);
}

/* ---- the owner's side: answering remote waiters ---- */

/* Sends kr to a waiting task through its send-once right (consumed). False when that task is
 * gone (the right's port is dead): nobody heard it. IPC lock held. */
static bool answer(struct ipc_port *reply, mach_msg_id_t id, kern_return_t kr) {
  if (!reply->active) {
    port_destroy_send_once(reply);
    return false;
  }
  struct ipc_kmsg *kmsg = kmsg_notification(reply, id, sizeof(struct semaphore_reply));
  if (!kmsg) return true; /* out of memory: the right was destroyed (the caller sees that) */
  struct semaphore_reply *r = (struct semaphore_reply *)(void *)kmsg->data;
  r->ndr = NDR_record;
  r->ret = kr;
  mqueue_deliver(reply, kmsg);
  return true;
}

/* Answers the remote waiters chained on done_next with kr and drops their FIFO references;
 * returns how many had gone. Takes the IPC lock unless held. */
static unsigned answer_list(struct sem_waiter *list, kern_return_t kr, bool ipc_held) {
  if (!list) return 0;
  unsigned gone = 0;
  if (!ipc_held) ipc_lock();
  for (struct sem_waiter *w = list; w; w = w->done_next) {
    if (!answer(w->reply, w->reply_id, kr)) gone++;
    w->reply = NULL;
  }
  if (!ipc_held) ipc_unlock();
  for (struct sem_waiter *w = list, *next; w; w = next) {
    next = w->done_next;
    waiter_put(w);
  }
  return gone;
}

/* Darwin's semaphore_signal_internal: wakes one waiter, or (prepost) counts the signal. A remote
 * waiter whose task died does not take the signal: it goes to the next one. */
static kern_return_t sem_signal(struct semaphore *s, bool prepost, bool ipc_held) {
  for (;;) {
    pthread_mutex_lock(&s->mu);
    if (!s->active) {
      pthread_mutex_unlock(&s->mu);
      return KERN_TERMINATED;
    }
    struct sem_waiter *w = s->head;
    if (!w) {
      if (prepost) s->count++;
      pthread_mutex_unlock(&s->mu);
      return prepost ? KERN_SUCCESS : KERN_NOT_WAITING;
    }
    waiter_unlink(s, w);
    __atomic_store_n(&w->word, SIGNALLED, __ATOMIC_RELEASE);
    if (!w->reply) { /* its word may be reused as soon as it is set: keep only the address */
      uint32_t *word = &w->word;
      pthread_mutex_unlock(&s->mu);
      wake(word);
      return KERN_SUCCESS;
    }
    pthread_mutex_unlock(&s->mu);
    w->done_next = NULL;
    if (answer_list(w, KERN_SUCCESS, ipc_held) == 0) return KERN_SUCCESS;
  }
}

/* Takes every waiter off the list with `how` (SIGNALLED or TERMINATED): wakes the local ones and
 * answers the remote ones (kr). Called with s->mu held; releases it. */
static void wake_all_unlock(struct semaphore *s, uint32_t how, kern_return_t kr, bool ipc_held) {
  struct sem_waiter *list = s->head;
  s->head = s->tail = NULL;
  uint32_t *words[64];
  unsigned n = 0;
  struct sem_waiter *remote = NULL, **rtail = &remote;
  for (struct sem_waiter *w = list, *next; w; w = next) {
    next = w->next;
    w->next = w->prev = NULL;
    __atomic_store_n(&w->word, how, __ATOMIC_RELEASE);
    if (w->reply) {
      w->done_next = NULL;
      *rtail = w;
      rtail = &w->done_next;
    } else if (n < 64) {
      words[n++] = &w->word; /* woken after the mutex (each waiter re-checks its word) */
    } else {
      wake(&w->word); /* more than 64: under the mutex, which keeps the word alive */
    }
  }
  pthread_mutex_unlock(&s->mu);
  for (unsigned i = 0; i < n; i++) wake(words[i]);
  answer_list(remote, kr, ipc_held);
}

static kern_return_t sem_signal_all(struct semaphore *s, bool ipc_held) {
  pthread_mutex_lock(&s->mu);
  if (!s->active) {
    pthread_mutex_unlock(&s->mu);
    return KERN_TERMINATED;
  }
  wake_all_unlock(s, SIGNALLED, KERN_SUCCESS, ipc_held);
  return KERN_SUCCESS;
}

/* Destroys the semaphore: waiters get KERN_TERMINATED. The port is unbound under the IPC lock
 * by the caller. */
static void sem_terminate(struct semaphore *s, bool ipc_held) {
  pthread_mutex_lock(&s->mu);
  s->active = false;
  wake_all_unlock(s, TERMINATED, KERN_TERMINATED, ipc_held);
}

/* ---- the owner's timer: deadlines of remote timed waits ----
 * One thread per process, started with the first remote timed wait, sleeping on a condition
 * variable until the earliest deadline (a list sorted by deadline: remote timed waits are few).
 * The transport's reader could not serve: it sleeps in the kernel on a socket or epoll. */

static struct {
  pthread_once_t once;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  struct sem_waiter *head; /* by deadline */
  pid_t pid;               /* the process whose thread runs (0: none; a fork child starts its own) */
} timer = { .once = PTHREAD_ONCE_INIT, .mu = PTHREAD_MUTEX_INITIALIZER };

static void timer_init(void) {
  pthread_condattr_t a;
  pthread_condattr_init(&a);
  pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
  pthread_cond_init(&timer.cv, &a);
  pthread_condattr_destroy(&a);
}

static bool ts_before(const struct timespec *a, const struct timespec *b) {
  return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* The deadline passed: unless a signal or the destruction took it first, w is answered
 * KERN_OPERATION_TIMED_OUT. Drops the timer's reference. */
static void timer_expire(struct sem_waiter *w) {
  struct semaphore *s = w->sem;
  pthread_mutex_lock(&s->mu);
  bool mine = __atomic_load_n(&w->word, __ATOMIC_ACQUIRE) == WAITING;
  if (mine) {
    waiter_unlink(s, w);
    __atomic_store_n(&w->word, TIMED_OUT, __ATOMIC_RELEASE);
  }
  pthread_mutex_unlock(&s->mu);
  if (mine) {
    w->done_next = NULL;
    answer_list(w, KERN_OPERATION_TIMED_OUT, false);
  }
  waiter_put(w);
}

static void *timer_main(void *arg) {
  (void)arg;
  pthread_mutex_lock(&timer.mu);
  for (;;) {
    if (!timer.head) {
      pthread_cond_wait(&timer.cv, &timer.mu);
      continue;
    }
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (ts_before(&now, &timer.head->deadline)) {
      pthread_cond_timedwait(&timer.cv, &timer.mu, &timer.head->deadline);
      continue;
    }
    struct sem_waiter *w = timer.head;
    timer.head = w->tnext;
    pthread_mutex_unlock(&timer.mu);
    timer_expire(w);
    pthread_mutex_lock(&timer.mu);
  }
  return NULL;
}

/* Lists a remote timed waiter (holding a reference for the timer). False when the timer thread
 * cannot start (the caller's own bound still ends its wait). */
static bool timer_add(struct sem_waiter *w) {
  pthread_once(&timer.once, timer_init);
  pthread_mutex_lock(&timer.mu);
  if (timer.pid != getpid()) {
    pthread_attr_t attr;
    pthread_t thread;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&thread, &attr, timer_main, NULL) == 0) timer.pid = getpid();
    pthread_attr_destroy(&attr);
    if (timer.pid != getpid()) {
      pthread_mutex_unlock(&timer.mu);
      return false;
    }
  }
  struct sem_waiter **pp = &timer.head;
  while (*pp && !ts_before(&w->deadline, &(*pp)->deadline)) pp = &(*pp)->tnext;
  w->tnext = *pp;
  *pp = w;
  if (timer.head == w) pthread_cond_signal(&timer.cv);
  pthread_mutex_unlock(&timer.mu);
  return true;
}

static void deadline_after(struct timespec *deadline, uint32_t sec, int32_t nsec) {
  clock_gettime(CLOCK_MONOTONIC, deadline);
  deadline->tv_sec += sec;
  deadline->tv_nsec += nsec;
  if (deadline->tv_nsec >= 1000000000L) {
    deadline->tv_sec++;
    deadline->tv_nsec -= 1000000000L;
  }
}

/* A wait request from another task: answered at once (*kr) unless it must wait; then its reply
 * right stays in the FIFO (true: the right is the waiter's now). IPC lock held. */
static bool sem_wait_remote(struct semaphore *s, struct ipc_port *reply, mach_msg_id_t reply_id,
                            const struct semaphore_request *rq, kern_return_t *kr) {
  bool timed = (rq->flags & SEMAPHORE_WAIT_TIMED) != 0;
  if (timed && (rq->tv_nsec < 0 || rq->tv_nsec >= 1000000000)) {
    *kr = KERN_INVALID_VALUE;
    return false;
  }
  pthread_mutex_lock(&s->mu);
  *kr = !s->active ? KERN_TERMINATED
        : s->count > 0 ? KERN_SUCCESS
        : timed && rq->tv_sec == 0 && rq->tv_nsec == 0 ? KERN_OPERATION_TIMED_OUT
                                                      : KERN_ABORTED; /* must wait */
  struct sem_waiter *w = *kr == KERN_ABORTED ? calloc(1, sizeof *w) : NULL;
  if (*kr == KERN_SUCCESS) s->count--;
  if (*kr != KERN_ABORTED || !w) {
    pthread_mutex_unlock(&s->mu);
    if (*kr == KERN_ABORTED) *kr = KERN_RESOURCE_SHORTAGE;
    return false;
  }
  w->word = WAITING;
  w->reply = reply;
  w->reply_id = reply_id;
  w->sem = s;
  sem_reference(s);
  w->refs = 1;
  waiter_append(s, w);
  if (timed) {
    deadline_after(&w->deadline, rq->tv_sec, rq->tv_nsec);
    w->refs++;
    if (!timer_add(w)) w->refs--;
  }
  pthread_mutex_unlock(&s->mu);
  return true;
}

/* ipc_kobject_message for semaphores: serves a request another task sent to the port of one of
 * ours, at once and without blocking (IPC lock held). */
static bool semaphore_message(struct ipc_port *port, struct ipc_kmsg *kmsg) {
  if (port->kotype != IKOT_SEMAPHORE || !port->kobject) return false;
  struct semaphore *s = port->kobject;
  sem_reference(s);
  struct semaphore_request rq = { 0 };
  bool ok = kmsg->size == sizeof rq && !(kmsg->bits & MACH_MSGH_BITS_COMPLEX) && kmsg->ndesc == 0;
  if (ok) memcpy(&rq, kmsg->data, sizeof rq);
  mach_msg_id_t id = kmsg->id;
  struct ipc_port *reply = NULL;
  if (kmsg->local_type == MACH_MSG_TYPE_PORT_SEND_ONCE && IPC_PORT_VALID(kmsg->local)) {
    reply = kmsg->local; /* taken: destroying the request must not notify it */
    kmsg->local = NULL;
    kmsg->local_type = 0;
  }
  kmsg_destroy(kmsg);
  kern_return_t kr = MIG_BAD_ARGUMENTS;
  if (ok) {
    switch (id) {
    case SEMAPHORE_MSG_SIGNAL: kr = sem_signal(s, true, true); break;
    case SEMAPHORE_MSG_SIGNAL_ALL: kr = sem_signal_all(s, true); break;
    case SEMAPHORE_MSG_SIGNAL_THREAD: kr = sem_signal(s, false, true); break;
    case SEMAPHORE_MSG_WAIT:
      if (reply && sem_wait_remote(s, reply, id + SEMAPHORE_MSG_REPLY_DELTA, &rq, &kr)) reply = NULL;
      break;
    default: kr = MIG_BAD_ID; break;
    }
  }
  if (reply) answer(reply, id + SEMAPHORE_MSG_REPLY_DELTA, kr);
  sem_release(s);
  return true;
}

/* ---- the caller's side: calls on another task's semaphore ---- */

static pthread_key_t reply_key;
static pthread_once_t reply_once = PTHREAD_ONCE_INIT;

static void reply_port_free(void *value) {
  mach_port_mod_refs(mach_task_self(), (mach_port_name_t)(uintptr_t)value, MACH_PORT_RIGHT_RECEIVE, -1);
}

static void reply_key_init(void) { pthread_key_create(&reply_key, reply_port_free); }

/* The calling thread's reply port for semaphore RPCs (made on first use, freed at thread exit);
 * MACH_PORT_NULL when out of ports. */
static mach_port_name_t reply_port_get(void) {
  pthread_once(&reply_once, reply_key_init);
  mach_port_name_t name = (mach_port_name_t)(uintptr_t)pthread_getspecific(reply_key);
  if (name != MACH_PORT_NULL) return name;
  if (mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &name) != KERN_SUCCESS) return MACH_PORT_NULL;
  pthread_setspecific(reply_key, (void *)(uintptr_t)name);
  return name;
}

/* The reply port may still get a late answer (the caller stopped waiting): a new one next time. */
static void reply_port_drop(mach_port_name_t name) {
  pthread_setspecific(reply_key, NULL);
  reply_port_free((void *)(uintptr_t)name);
}

/* Sends request id to the semaphore port `name` of another task, with a send-once right to
 * reply if not MACH_PORT_NULL. */
static kern_return_t remote_send(mach_port_name_t name, mach_msg_id_t id, mach_port_name_t reply,
                                 uint32_t flags, mach_timespec_t t) {
  struct semaphore_request rq = { 0 };
  rq.header.msgh_bits =
      MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, reply != MACH_PORT_NULL ? MACH_MSG_TYPE_MAKE_SEND_ONCE : 0);
  rq.header.msgh_size = sizeof rq;
  rq.header.msgh_remote_port = name;
  rq.header.msgh_local_port = reply;
  rq.header.msgh_id = id;
  rq.ndr = NDR_record;
  rq.flags = flags;
  rq.tv_sec = t.tv_sec;
  rq.tv_nsec = t.tv_nsec;
  mach_msg_return_t mr = mach_msg(&rq.header, MACH_SEND_MSG, sizeof rq, 0, MACH_PORT_NULL,
                                  MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL);
  /* The owner died (or destroyed it) since the look-up: as a semaphore destroyed meanwhile. */
  return mr == MACH_MSG_SUCCESS ? KERN_SUCCESS : mr == MACH_SEND_INVALID_DEST ? KERN_TERMINATED : KERN_FAILURE;
}

/* Waits for the answer to request id on reply: the owner's code; KERN_TERMINATED when the
 * request or the answer's right was destroyed (the owner died); KERN_INVALID_ARGUMENT for an
 * answer that is not a semaphore's (the port is not a semaphore). bound_ms: the caller's own
 * limit (MACH_MSG_TIMEOUT_NONE: none), after which it gives up with KERN_OPERATION_TIMED_OUT. */
static kern_return_t remote_answer(mach_port_name_t reply, mach_msg_id_t id, mach_msg_timeout_t bound_ms) {
  struct {
    struct semaphore_reply r;
    mach_msg_max_trailer_t trailer;
  } buf;
  mach_msg_option_t opt = MACH_RCV_MSG | (bound_ms != MACH_MSG_TIMEOUT_NONE ? MACH_RCV_TIMEOUT : 0);
  memset(&buf, 0, sizeof buf);
  mach_msg_return_t mr = mach_msg(&buf.r.header, opt, 0, sizeof buf, reply, bound_ms, MACH_PORT_NULL);
  if (mr == MACH_RCV_TIMED_OUT) {
    reply_port_drop(reply);
    return KERN_OPERATION_TIMED_OUT;
  }
  if (mr != MACH_MSG_SUCCESS) return mr == MACH_RCV_TOO_LARGE ? KERN_INVALID_ARGUMENT : KERN_FAILURE;
  if (buf.r.header.msgh_id == MACH_NOTIFY_SEND_ONCE) return KERN_TERMINATED;
  if (buf.r.header.msgh_id == id + SEMAPHORE_MSG_REPLY_DELTA && buf.r.header.msgh_size == sizeof buf.r &&
      !(buf.r.header.msgh_bits & MACH_MSGH_BITS_COMPLEX))
    return buf.r.ret;
  mach_msg_destroy(&buf.r.header);
  return KERN_INVALID_ARGUMENT;
}

static kern_return_t remote_call(mach_port_name_t name, mach_msg_id_t id) {
  mach_port_name_t reply = reply_port_get();
  if (reply == MACH_PORT_NULL) return KERN_RESOURCE_SHORTAGE;
  kern_return_t kr = remote_send(name, id, reply, 0, (mach_timespec_t){ 0, 0 });
  return kr != KERN_SUCCESS ? kr : remote_answer(reply, id, MACH_MSG_TIMEOUT_NONE);
}

/* ---- the calls ---- */

static kern_return_t ref_signal(const struct sem_ref *r, bool prepost) {
  if (r->local) return sem_signal(r->local, prepost, false);
  if (prepost) return remote_send(r->remote, SEMAPHORE_MSG_SIGNAL, MACH_PORT_NULL, 0, (mach_timespec_t){ 0, 0 });
  return remote_call(r->remote, SEMAPHORE_MSG_SIGNAL_THREAD);
}

/* Waits on s (signalling `then`, if any, once the wait is registered: semaphore_wait_signal).
 * deadline NULL: no limit; poll: do not block. exported: another task may signal s, so some
 * thread must read the transport's connection while this one sleeps. */
static kern_return_t sem_wait(struct semaphore *s, const struct sem_ref *then,
                              const struct timespec *deadline, bool poll, bool exported) {
  bool has_then = then->local || then->remote;
  pthread_mutex_lock(&s->mu);
  if (!s->active) {
    pthread_mutex_unlock(&s->mu);
    return KERN_TERMINATED;
  }
  if (s->count > 0) {
    s->count--;
    pthread_mutex_unlock(&s->mu);
    if (has_then) ref_signal(then, true);
    return KERN_SUCCESS;
  }
  if (poll) {
    pthread_mutex_unlock(&s->mu);
    if (has_then) ref_signal(then, true);
    return KERN_OPERATION_TIMED_OUT;
  }
  struct sem_waiter w = { .word = WAITING };
  waiter_append(s, &w);
  pthread_mutex_unlock(&s->mu);
  if (has_then) ref_signal(then, true);
  if (exported) ipc_reading_begin();

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
  if (exported) ipc_reading_end();
  pthread_mutex_lock(&s->mu);
  uint32_t word = __atomic_load_n(&w.word, __ATOMIC_ACQUIRE);
  if (word == WAITING) waiter_unlink(s, &w); /* gave up: nobody signalled us meanwhile */
  pthread_mutex_unlock(&s->mu);
  if (word == SIGNALLED) return KERN_SUCCESS;
  if (word == TERMINATED) return KERN_TERMINATED;
  return kr;
}

/* A wait on another task's semaphore: the request, then `then`'s signal, then the answer. */
static kern_return_t remote_wait(mach_port_name_t name, const struct sem_ref *then, bool timed,
                                 mach_timespec_t t) {
  mach_port_name_t reply = reply_port_get();
  if (reply == MACH_PORT_NULL) return KERN_RESOURCE_SHORTAGE;
  kern_return_t kr = remote_send(name, SEMAPHORE_MSG_WAIT, reply, timed ? SEMAPHORE_WAIT_TIMED : 0, t);
  if (kr != KERN_SUCCESS) return kr;
  if (then->local || then->remote) ref_signal(then, true);
  mach_msg_timeout_t bound = MACH_MSG_TIMEOUT_NONE;
  uint64_t ms = (uint64_t)t.tv_sec * 1000u + ((uint64_t)t.tv_nsec + 999999u) / 1000000u + REMOTE_MARGIN_MS;
  if (timed && ms < UINT32_MAX) bound = (mach_msg_timeout_t)ms;
  return remote_answer(reply, SEMAPHORE_MSG_WAIT, bound);
}

/* The last send right went: the semaphore goes with it (a semaphore nobody can name cannot be
 * signalled again). IPC lock held; the semaphore's mutex is a leaf lock. */
static struct semaphore *unbind(struct ipc_port *port) {
  struct semaphore *s = port->kobject;
  port->kobject = NULL;
  port_destroy_receive(port); /* releases the binding's port reference */
  return s;
}

static void semaphore_no_senders(struct ipc_port *port) {
  if (port->kotype != IKOT_SEMAPHORE || !port->kobject) return;
  struct semaphore *s = unbind(port);
  sem_terminate(s, true);
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
  ipc_kobject_no_senders[IKOT_SEMAPHORE] = semaphore_no_senders;
  ipc_kobject_message[IKOT_SEMAPHORE] = semaphore_message;
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
  if (port && (port->transport || ((struct semaphore *)port->kobject)->owner != space)) {
    kr = KERN_INVALID_ARGUMENT; /* another task's (here or in another process): Darwin's code */
  } else if (port) {
    s = unbind(port);
    right_deallocate(self, semaphore); /* the right the call consumes */
  }
  ipc_unlock();
  if (!s) return kr;
  sem_terminate(s, false);
  sem_release(s);
  return KERN_SUCCESS;
}

enum signal_kind { SIGNAL_PREPOST, SIGNAL_ALL, SIGNAL_WAITER };

static kern_return_t signal_name(semaphore_t semaphore, enum signal_kind kind) {
  struct sem_ref r;
  kern_return_t kr = sem_lookup(semaphore, &r);
  if (kr != KERN_SUCCESS) return kr;
  if (kind == SIGNAL_ALL)
    kr = r.local ? sem_signal_all(r.local, false)
                 : remote_send(r.remote, SEMAPHORE_MSG_SIGNAL_ALL, MACH_PORT_NULL, 0, (mach_timespec_t){ 0, 0 });
  else
    kr = ref_signal(&r, kind == SIGNAL_PREPOST);
  ref_release(&r);
  return kr;
}

kern_return_t semaphore_signal(semaphore_t semaphore) { return signal_name(semaphore, SIGNAL_PREPOST); }

kern_return_t semaphore_signal_all(semaphore_t semaphore) { return signal_name(semaphore, SIGNAL_ALL); }

kern_return_t semaphore_signal_thread(semaphore_t semaphore, thread_t thread) {
  if (thread == THREAD_NULL) return signal_name(semaphore, SIGNAL_WAITER);
  /* There are no thread ports: any thread name is one Darwin could not convert either (the
   * semaphore name is checked first, as Darwin's trap does). */
  struct sem_ref r;
  kern_return_t kr = sem_lookup(semaphore, &r);
  if (kr != KERN_SUCCESS) return kr;
  ref_release(&r);
  return KERN_INVALID_ARGUMENT;
}

static kern_return_t wait_common(semaphore_t wait_name, semaphore_t signal_name, bool timed,
                                 mach_timespec_t wait_time) {
  struct timespec deadline;
  bool poll = false;
  if (timed) {
    if (wait_time.tv_nsec < 0 || wait_time.tv_nsec >= 1000000000) return KERN_INVALID_VALUE;
    poll = wait_time.tv_sec == 0 && wait_time.tv_nsec == 0;
    deadline_after(&deadline, wait_time.tv_sec, wait_time.tv_nsec);
  }
  struct sem_ref w, then = { 0 };
  kern_return_t kr = sem_lookup(wait_name, &w);
  if (kr != KERN_SUCCESS) return kr;
  if (signal_name != SEMAPHORE_NULL) {
    kr = sem_lookup(signal_name, &then);
    if (kr != KERN_SUCCESS) {
      ref_release(&w);
      return kr;
    }
  }
  if (w.local)
    kr = sem_wait(w.local, &then, timed ? &deadline : NULL, poll, w.exported);
  else
    kr = remote_wait(w.remote, &then, timed, wait_time);
  ref_release(&w);
  ref_release(&then);
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
  struct sem_ref r;
  if (sem_lookup(name, &r) != KERN_SUCCESS || !r.local) return 0;
  struct semaphore *s = r.local;
  unsigned n = 0;
  pthread_mutex_lock(&s->mu);
  for (struct sem_waiter *w = s->head; w; w = w->next) n++;
  pthread_mutex_unlock(&s->mu);
  sem_release(s);
  return n;
}
