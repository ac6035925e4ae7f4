/* Readiness descriptors: an eventfd mirroring "a message is queued" for a port or a port set.
 * The state is kept under the IPC lock; the eventfd follows it after the unlock, without a lock
 * of its own (see watch_sync). A first version ordered the syncs of a watch with a mutex: the
 * thread woken by a sender's write() then blocked on that mutex while the sender was still in
 * write(), and a wake-up cost twice an eventfd's (bench_evloop); now it costs about 1.2x. */
#include "ipc/fdwatch_internal.h"
#include "ipc/port_internal.h"
#include "ipc/portset_internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

enum { WANT_CLEAR = 0, WANT_READY = 1, WANT_HUNG_UP = 2 };

struct ipc_fdwatch {
  int fd;                /* eventfd, EFD_NONBLOCK: counter non-zero <=> readable */
  uint32_t refs;         /* atomic: the object's, scheduled syncs', callers' */
  uint32_t want;         /* atomic, written under the IPC lock */
};

/* Syncs scheduled during this thread's critical section. */
#define FDWATCH_PENDING 16
static __thread struct ipc_fdwatch *pending[FDWATCH_PENDING];
static __thread unsigned npending;

static struct ipc_fdwatch *watch_new(int efd) {
  struct ipc_fdwatch *w = calloc(1, sizeof *w);
  if (!w) {
    close(efd);
    return NULL;
  }
  w->fd = efd;
  w->refs = 1; /* the object's */
  return w;
}

static void watch_reference(struct ipc_fdwatch *w) { __atomic_add_fetch(&w->refs, 1, __ATOMIC_RELAXED); }

void fdwatch_release(struct ipc_fdwatch *w) {
  if (__atomic_sub_fetch(&w->refs, 1, __ATOMIC_ACQ_REL) != 0) return;
  close(w->fd);
  free(w);
}

int fdwatch_fd(const struct ipc_fdwatch *w) { return w->fd; }

/* Makes the eventfd match the latest wanted state, without a lock: apply the state seen, then
 * look again; whoever applies the last operation has seen the final state (a later change
 * schedules another sync). Readable (write) for READY and HUNG_UP, drained (read) for CLEAR. */
static void watch_sync(struct ipc_fdwatch *w) {
  uint32_t want = __atomic_load_n(&w->want, __ATOMIC_ACQUIRE);
  for (;;) {
    if (want != WANT_CLEAR) {
      uint64_t one = 1;
      ssize_t n = write(w->fd, &one, sizeof one);
      (void)n;
    } else {
      uint64_t value;
      ssize_t n = read(w->fd, &value, sizeof value);
      (void)n; /* EAGAIN: already clear */
    }
    uint32_t again = __atomic_load_n(&w->want, __ATOMIC_ACQUIRE);
    if (again == want) return;
    want = again;
  }
}

static void schedule(struct ipc_fdwatch *w) {
  for (unsigned i = 0; i < npending; i++)
    if (pending[i] == w) return;
  if (npending < FDWATCH_PENDING) {
    watch_reference(w);
    pending[npending++] = w;
    return;
  }
  watch_sync(w); /* rare: many watches changed in one critical section */
}

void fdwatch_flush(void) {
  while (npending > 0) {
    struct ipc_fdwatch *w = pending[--npending];
    watch_sync(w);
    fdwatch_release(w);
  }
}

static void watch_want(struct ipc_fdwatch *w, uint32_t want) {
  uint32_t cur = __atomic_load_n(&w->want, __ATOMIC_RELAXED);
  if (cur == WANT_HUNG_UP || cur == want) return;
  __atomic_store_n(&w->want, want, __ATOMIC_RELEASE);
  schedule(w);
}

void fdwatch_set(struct ipc_fdwatch *w, bool ready) { watch_want(w, ready ? WANT_READY : WANT_CLEAR); }

static struct ipc_fdwatch *attach(struct ipc_fdwatch **slot, int efd, bool ready) {
  if (*slot) {
    close(efd);
  } else {
    *slot = watch_new(efd);
    if (!*slot) return NULL;
    if (ready) watch_want(*slot, WANT_READY);
  }
  watch_reference(*slot);
  return *slot;
}

struct ipc_fdwatch *fdwatch_of_port(struct ipc_port *port, int efd) {
  return attach(&port->fdwatch, efd, port->ready);
}

struct ipc_fdwatch *fdwatch_of_pset(struct ipc_pset *pset, int efd) {
  return attach(&pset->fdwatch, efd, pset->ready_members > 0);
}

static void detach(struct ipc_fdwatch **slot) {
  struct ipc_fdwatch *w = *slot;
  if (!w) return;
  *slot = NULL;
  watch_want(w, WANT_HUNG_UP);
  fdwatch_release(w); /* the object's reference; a scheduled sync holds its own */
}

void fdwatch_port_detach(struct ipc_port *port) { detach(&port->fdwatch); }
void fdwatch_pset_detach(struct ipc_pset *pset) { detach(&pset->fdwatch); }

static void pset_member_ready(struct ipc_pset *pset, bool ready) {
  if (ready) {
    if (pset->ready_members++ == 0 && pset->fdwatch) fdwatch_set(pset->fdwatch, true);
  } else {
    if (--pset->ready_members == 0 && pset->fdwatch) fdwatch_set(pset->fdwatch, false);
  }
}

void fdwatch_port_changed(struct ipc_port *port) {
  /* Ready: a receive would find a message (a blocked sender of a queue limit 0 counts: the
   * receive admits it). */
  bool ready = port->q_head != NULL || !waitq_empty(&port->send_waiters);
  if (ready == port->ready) return;
  port->ready = ready;
  if (port->fdwatch) fdwatch_set(port->fdwatch, ready);
  for (struct ipc_pset_link *l = port->psets; l; l = l->port_next) pset_member_ready(l->pset, ready);
}

void fdwatch_link_added(struct ipc_pset *pset, struct ipc_port *port) {
  if (port->ready) pset_member_ready(pset, true);
}

void fdwatch_link_dropped(struct ipc_pset *pset, struct ipc_port *port) {
  if (port->ready) pset_member_ready(pset, false);
}
