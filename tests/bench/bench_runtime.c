/* Benchmark of the in-process IPC core (not a test): a null mach_msg RPC between two threads
 * next to a bare futex ping-pong between two threads (the floor), unpinned and both threads on
 * one CPU, and 1 MiB out-of-line move and copy next to one memcpy of 1 MiB. Prints medians of
 * several runs and the ratios. Usage: bench_runtime [round_trips_per_run] [runs] */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <mach/mach.h>

#include "bench_pingpong.h"

static long iterations = 20000;
static int runs = 5;
static uint32_t word_a, word_b;

static void *futex_echo(void *arg) {
  (void)arg;
  pin_self();
  for (long i = 0; i < iterations; i++) {
    futex_wait_for(&word_b);
    futex_pass(&word_a);
  }
  return NULL;
}

static double futex_run(void) {
  pthread_t th;
  word_a = word_b = 0;
  pthread_create(&th, NULL, futex_echo, NULL);
  pin_self();
  double t0 = now_ns();
  for (long i = 0; i < iterations; i++) {
    futex_pass(&word_b);
    futex_wait_for(&word_a);
  }
  double t1 = now_ns();
  pthread_join(th, NULL);
  return (t1 - t0) / (double)iterations;
}

/* Null MIG-style RPC: request with a MAKE_SEND_ONCE reply port, empty reply. */
typedef struct {
  mach_msg_header_t header;
  mach_msg_trailer_t trailer;
} null_msg_t;

static mach_port_t server_port, reply_port;

static void *mach_echo(void *arg) {
  (void)arg;
  pin_self();
  null_msg_t m;
  memset(&m, 0, sizeof m);
  if (mach_msg(&m.header, MACH_RCV_MSG, 0, sizeof m, server_port, 0, 0) != MACH_MSG_SUCCESS)
    return NULL;
  for (long i = 0; i < iterations; i++) {
    /* Reply and wait for the next request in one call, as mach_msg_server does. */
    m.header.msgh_bits = MACH_MSGH_BITS(MACH_MSGH_BITS_REMOTE(m.header.msgh_bits), 0);
    m.header.msgh_local_port = MACH_PORT_NULL;
    m.header.msgh_id += 100;
    mach_msg_option_t opt = MACH_SEND_MSG | (i + 1 < iterations ? MACH_RCV_MSG : 0);
    if (mach_msg(&m.header, opt, sizeof m.header, sizeof m, server_port, 0, 0) != MACH_MSG_SUCCESS)
      return NULL;
  }
  return NULL;
}

static double mach_run(void) {
  pthread_t th;
  pthread_create(&th, NULL, mach_echo, NULL);
  pin_self();
  null_msg_t m;
  double t0 = now_ns();
  for (long i = 0; i < iterations; i++) {
    m.header.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE);
    m.header.msgh_remote_port = server_port;
    m.header.msgh_local_port = reply_port;
    m.header.msgh_voucher_port = MACH_PORT_NULL;
    m.header.msgh_id = 1000;
    if (mach_msg(&m.header, MACH_SEND_MSG | MACH_RCV_MSG, sizeof m.header, sizeof m, reply_port, 0,
                 0) != MACH_MSG_SUCCESS) {
      fprintf(stderr, "mach_msg failed\n");
      exit(1);
    }
  }
  double t1 = now_ns();
  pthread_join(th, NULL);
  return (t1 - t0) / (double)iterations;
}

static void rpc_table(const char *label) {
  double f[32], m[32];
  for (int r = 0; r < runs; r++) {
    f[r] = futex_run();
    m[r] = mach_run();
  }
  double fm = median(f, runs), mm = median(m, runs);
  printf("%-28s %12.0f %12.0f %8.2fx\n", label, mm, fm, mm / fm);
}

typedef struct {
  mach_msg_header_t header;
  mach_msg_body_t body;
  mach_msg_ool_descriptor_t ool;
  mach_msg_trailer_t trailer;
} ool_msg_t;

static void *ool_send_recv(mach_port_t port, void *addr, mach_msg_size_t size, boolean_t dealloc) {
  ool_msg_t m;
  memset(&m, 0, sizeof m);
  m.header.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND, 0) | MACH_MSGH_BITS_COMPLEX;
  m.header.msgh_remote_port = port;
  m.body.msgh_descriptor_count = 1;
  m.ool.address = addr;
  m.ool.size = size;
  m.ool.deallocate = dealloc;
  m.ool.copy = MACH_MSG_VIRTUAL_COPY;
  m.ool.type = MACH_MSG_OOL_DESCRIPTOR;
  if (mach_msg(&m.header, MACH_SEND_MSG | MACH_RCV_MSG, offsetof(ool_msg_t, trailer), sizeof m,
               port, 0, 0) != MACH_MSG_SUCCESS) {
    fprintf(stderr, "OOL mach_msg failed\n");
    exit(1);
  }
  return m.ool.address;
}

static void ool_table(void) {
  enum { MIB = 1 << 20, REPS = 200 };
  mach_port_t port;
  mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &port);
  char *src = malloc(MIB), *dst = malloc(MIB);
  memset(src, 1, MIB);
  memset(dst, 2, MIB);
  double mc[32], mv[32], cp[32], co[32];
  vm_address_t owned = 0;
  vm_allocate(mach_task_self(), &owned, MIB, VM_FLAGS_ANYWHERE);
  memset((void *)owned, 4, MIB);
  vm_address_t region = 0;
  vm_allocate(mach_task_self(), &region, MIB, VM_FLAGS_ANYWHERE);
  memset((void *)region, 3, MIB);
  for (int r = 0; r < runs; r++) {
    double t0 = now_ns();
    for (int i = 0; i < REPS; i++) memcpy(i & 1 ? dst : src, i & 1 ? src : dst, MIB);
    mc[r] = (now_ns() - t0) / REPS;
    t0 = now_ns();
    for (int i = 0; i < REPS; i++) region = (vm_address_t)ool_send_recv(port, (void *)region, MIB, TRUE);
    mv[r] = (now_ns() - t0) / REPS;
    t0 = now_ns();
    for (int i = 0; i < REPS; i++) {
      void *got = ool_send_recv(port, src, MIB, FALSE);
      vm_deallocate(mach_task_self(), (vm_address_t)got, MIB);
    }
    cp[r] = (now_ns() - t0) / REPS;
    t0 = now_ns();
    for (int i = 0; i < REPS; i++) {
      void *got = ool_send_recv(port, (void *)owned, MIB, FALSE);
      vm_deallocate(mach_task_self(), (vm_address_t)got, MIB);
    }
    co[r] = (now_ns() - t0) / REPS;
  }
  double m_mc = median(mc, runs), m_mv = median(mv, runs), m_cp = median(cp, runs);
  double m_co = median(co, runs);
  printf("\n%-36s %12s %10s\n", "1 MiB out of line (send+receive)", "ns", "vs memcpy");
  printf("%-36s %12.0f %9.2fx\n", "memcpy 1 MiB (warm buffers)", m_mc, 1.0);
  printf("%-36s %12.0f %9.2fx\n", "OOL move (deallocate=TRUE)", m_mv, m_mv / m_mc);
  printf("%-36s %12.0f %9.2fx\n", "OOL copy from malloc memory", m_cp, m_cp / m_mc);
  printf("%-36s %12.0f %9.2fx\n", "OOL copy from vm_allocate memory", m_co, m_co / m_mc);
  vm_deallocate(mach_task_self(), owned, MIB);
  vm_deallocate(mach_task_self(), region, MIB);
  mach_port_destroy(mach_task_self(), port);
  free(src);
  free(dst);
}

int main(int argc, char **argv) {
  if (argc > 1) iterations = atol(argv[1]);
  if (argc > 2) runs = atoi(argv[2]);
  if (iterations < 1) iterations = 1;
  if (runs < 1 || runs > 32) runs = 5;
  mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &server_port);
  mach_port_insert_right(mach_task_self(), server_port, server_port, MACH_MSG_TYPE_MAKE_SEND);
  mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &reply_port);
  printf("null RPC between two threads: median of %d runs x %ld round trips (ns per round trip)\n",
         runs, iterations);
  printf("%-28s %12s %12s %9s\n", "placement", "mach_msg", "futex floor", "ratio");
  rpc_table("unpinned");
  pin_cpu = 0;
  rpc_table("both threads on CPU 0");
  pin_cpu = -1;
  cpu_set_t all;
  CPU_ZERO(&all);
  for (int c = 0; c < CPU_SETSIZE; c++) CPU_SET(c, &all);
  sched_setaffinity(0, sizeof all, &all);
  ool_table();
  return 0;
}
