/* Benchmark (not a test) for issue 16: (1) event-loop wake-up through a Mach port's readiness
 * descriptor (<mach/openmig_fd.h>) against an eventfd in the same kind of epoll loop, and
 * (2) Mach semaphore signal/wait against a bare futex ping-pong. Each figure is a ping-pong
 * between two threads (two wake-ups per round trip), measured side by side in one run; prints
 * medians of several runs and the ratios. Usage: bench_evloop [round_trips_per_run] [runs] */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <mach/mach.h>
#include <mach/openmig_fd.h>
#include <mach/semaphore.h>

#include "bench_pingpong.h"

static long iterations = 20000;
static int runs = 5;

/* ---- event loops: each side sleeps in epoll_wait on its own descriptor ---- */

struct side {
  int ep;                 /* epoll set holding the descriptor this side waits on */
  int efd;                /* eventfd variant: the descriptor the other side writes */
  mach_port_t port;       /* Mach variant: the port the other side sends to (its fd is in ep) */
};

static struct side sides[2];
static bool use_mach;

static void loop_wait(struct side *s) {
  struct epoll_event ev;
  for (;;) {
    while (epoll_wait(s->ep, &ev, 1, -1) != 1) {
    }
    if (!use_mach) break;
    struct {
      mach_msg_header_t h;
      mach_msg_max_trailer_t t;
    } m;
    if (mach_msg(&m.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof m, s->port, 0, MACH_PORT_NULL) ==
        MACH_MSG_SUCCESS)
      return; /* else a wake-up that found nothing (openmig_fd.h): wait again */
  }
  {
    uint64_t v;
    ssize_t n = read(s->efd, &v, sizeof v);
    (void)n;
  }
}

static void loop_poke(struct side *s) {
  if (use_mach) {
    mach_msg_header_t h = {0};
    h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND, 0);
    h.msgh_remote_port = s->port;
    h.msgh_size = sizeof h;
    mach_msg(&h, MACH_SEND_MSG, sizeof h, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL);
  } else {
    uint64_t one = 1;
    ssize_t n = write(s->efd, &one, sizeof one);
    (void)n;
  }
}

static void *loop_echo(void *arg) {
  (void)arg;
  pin_self();
  for (long i = 0; i < iterations; i++) {
    loop_wait(&sides[1]);
    loop_poke(&sides[0]);
  }
  return NULL;
}

static double loop_run(bool mach) {
  use_mach = mach;
  for (int i = 0; i < 2; i++) {
    struct side *s = &sides[i];
    s->ep = epoll_create1(EPOLL_CLOEXEC);
    int fd;
    if (mach) {
      mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &s->port);
      mach_port_get_fd(mach_task_self(), s->port, &fd);
      s->efd = fd;
    } else {
      s->efd = fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    }
    struct epoll_event ev = {.events = EPOLLIN};
    epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &ev);
  }
  pthread_t th;
  pthread_create(&th, NULL, loop_echo, NULL);
  pin_self();
  double t0 = now_ns();
  for (long i = 0; i < iterations; i++) {
    loop_poke(&sides[1]);
    loop_wait(&sides[0]);
  }
  double ns = (now_ns() - t0) / (double)iterations;
  pthread_join(th, NULL);
  for (int i = 0; i < 2; i++) {
    close(sides[i].ep);
    close(sides[i].efd);
    if (mach) mach_port_mod_refs(mach_task_self(), sides[i].port, MACH_PORT_RIGHT_RECEIVE, -1);
  }
  return ns;
}

/* ---- semaphores against a bare futex ping-pong ---- */

static uint32_t word_a, word_b;


static semaphore_t sem_a, sem_b;
static bool use_sem;

static void *pp_echo(void *arg) {
  (void)arg;
  pin_self();
  for (long i = 0; i < iterations; i++) {
    if (use_sem) {
      semaphore_wait(sem_b);
      semaphore_signal(sem_a);
    } else {
      futex_wait_for(&word_b);
      futex_pass(&word_a);
    }
  }
  return NULL;
}

static double pp_run(bool sem) {
  use_sem = sem;
  word_a = word_b = 0;
  semaphore_create(mach_task_self(), &sem_a, SYNC_POLICY_FIFO, 0);
  semaphore_create(mach_task_self(), &sem_b, SYNC_POLICY_FIFO, 0);
  pthread_t th;
  pthread_create(&th, NULL, pp_echo, NULL);
  pin_self();
  double t0 = now_ns();
  for (long i = 0; i < iterations; i++) {
    if (sem) {
      semaphore_signal(sem_b);
      semaphore_wait(sem_a);
    } else {
      futex_pass(&word_b);
      futex_wait_for(&word_a);
    }
  }
  double ns = (now_ns() - t0) / (double)iterations;
  pthread_join(th, NULL);
  semaphore_destroy(mach_task_self(), sem_a);
  semaphore_destroy(mach_task_self(), sem_b);
  return ns;
}

static void table(const char *placement) {
  double lm[32], le[32], sm[32], sf[32], lr[32], sr[32];
  for (int r = 0; r < runs; r++) { /* interleaved, so load changes hit both sides alike */
    lm[r] = loop_run(true);
    le[r] = loop_run(false);
    sm[r] = pp_run(true);
    sf[r] = pp_run(false);
    lr[r] = lm[r] / le[r];
    sr[r] = sm[r] / sf[r];
  }
  double mlr = median(lr, runs), msr = median(sr, runs);
  printf("%-24s %-34s %10.0f %10.0f %7.2fx\n", placement, "epoll: port fd / eventfd", median(lm, runs),
         median(le, runs), mlr);
  printf("%-24s %-34s %10.0f %10.0f %7.2fx\n", placement, "semaphore / futex ping-pong", median(sm, runs),
         median(sf, runs), msr);
}

int main(int argc, char **argv) {
  if (argc > 1) iterations = atol(argv[1]);
  if (argc > 2) runs = atoi(argv[2]);
  if (iterations < 1) iterations = 1;
  if (runs < 1 || runs > 32) runs = 5;
  printf("two threads ping-pong: median of %d runs x %ld round trips (ns per round trip; ratio: median of\n"
         "the per-run ratios)\n",
         runs, iterations);
  printf("%-24s %-34s %10s %10s %8s\n", "placement", "what", "OpenMIG", "floor", "ratio");
  table("unpinned");
  pin_cpu = 0;
  table("both threads on CPU 0");
  return 0;
}
