/* Helpers of the in-process benchmarks (bench_runtime.c, bench_evloop.c): a monotonic clock,
 * optional pinning of both threads to one CPU, medians, and the bare futex ping-pong that is
 * the floor for a wake-up between two threads. */
#ifndef OPENMIG_BENCH_PINGPONG_H
#define OPENMIG_BENCH_PINGPONG_H

#include <linux/futex.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int pin_cpu = -1; /* -1: let the scheduler place the threads */

static inline double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static inline void pin_self(void) {
  if (pin_cpu < 0) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(pin_cpu, &set);
  sched_setaffinity(0, sizeof set, &set);
}

static inline int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static inline double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  return v[n / 2];
}

/* Bare futex ping-pong: each side wakes the other and sleeps on its own word. */
static inline void futex_wait_for(uint32_t *w) {
  while (__atomic_load_n(w, __ATOMIC_ACQUIRE) == 0)
    syscall(SYS_futex, w, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 0, NULL, NULL, 0);
  __atomic_store_n(w, 0, __ATOMIC_RELAXED);
}

static inline void futex_pass(uint32_t *w) {
  __atomic_store_n(w, 1, __ATOMIC_RELEASE);
  syscall(SYS_futex, w, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1, NULL, NULL, 0);
}

#endif /* OPENMIG_BENCH_PINGPONG_H */
