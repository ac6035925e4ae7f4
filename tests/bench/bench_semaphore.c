/* Benchmark (not a test) for issue 16: Mach semaphore signal/wait between two processes (the
 * semaphore's owner and another task holding its send right through machd, docs/semaphores.md
 * "Across processes") against a futex ping-pong between two processes on words in shared
 * memory, on machd's direct path and on its relay. Prints medians of several runs and the
 * ratios. Usage: bench_semaphore [round_trips_per_run, default 5000] [runs, default 3]
 * (machd binary: MACHD_BIN, overridable with $MACHD_PATH). */
#include <linux/futex.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <mach/mach.h>
#include <mach/semaphore.h>
#include <servers/bootstrap.h>

#include "wire/machd_conn.h"

static long iterations = 5000;
static int runs = 3;

/* Shared between the parent and its children (MAP_SHARED). */
struct shared {
  uint32_t word_a, word_b; /* futex ping-pong */
  double ns;               /* the timing side's result, ns per round trip (< 0: failed) */
};
static struct shared *sh;

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  return v[n / 2];
}

/* Futexes between processes: shared words, so not FUTEX_PRIVATE_FLAG. */
static void xfutex_wait_for(uint32_t *w) {
  while (__atomic_load_n(w, __ATOMIC_ACQUIRE) == 0) syscall(SYS_futex, w, FUTEX_WAIT, 0, NULL, NULL, 0);
  __atomic_store_n(w, 0, __ATOMIC_RELAXED);
}

static void xfutex_pass(uint32_t *w) {
  __atomic_store_n(w, 1, __ATOMIC_RELEASE);
  syscall(SYS_futex, w, FUTEX_WAKE, 1, NULL, NULL, 0);
}

static int wait_child(pid_t pid) {
  int status;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static double futex_run(void) {
  sh->word_a = sh->word_b = 0;
  pid_t echo = fork();
  if (echo == 0) {
    for (long i = 0; i < iterations; i++) {
      xfutex_wait_for(&sh->word_b);
      xfutex_pass(&sh->word_a);
    }
    _exit(0);
  }
  double t0 = now_ns();
  for (long i = 0; i < iterations; i++) {
    xfutex_pass(&sh->word_b);
    xfutex_wait_for(&sh->word_a);
  }
  double ns = (now_ns() - t0) / (double)iterations;
  wait_child(echo);
  return ns;
}

/* The owner: serves `iterations` rounds, then one more signal ends it (its last wait). */
static void owner_main(const char *name, int ready_fd) {
  char n1[96], n2[96];
  snprintf(n1, sizeof n1, "%s.ping", name);
  snprintf(n2, sizeof n2, "%s.pong", name);
  semaphore_t ping, pong;
  if (semaphore_create(mach_task_self(), &ping, SYNC_POLICY_FIFO, 0) != KERN_SUCCESS ||
      semaphore_create(mach_task_self(), &pong, SYNC_POLICY_FIFO, 0) != KERN_SUCCESS ||
      bootstrap_register(bootstrap_port, n1, ping) != KERN_SUCCESS ||
      bootstrap_register(bootstrap_port, n2, pong) != KERN_SUCCESS)
    _exit(10);
  if (write(ready_fd, "r", 1) != 1) _exit(11);
  for (long i = 0; i < iterations; i++) {
    if (semaphore_wait(ping) != KERN_SUCCESS) _exit(12);
    if (semaphore_signal(pong) != KERN_SUCCESS) _exit(13);
  }
  if (semaphore_wait(ping) != KERN_SUCCESS) _exit(14);
  _exit(0);
}

/* The other task: times `iterations` signal + wait round trips. */
static void remote_main(const char *name) {
  char n1[96], n2[96];
  snprintf(n1, sizeof n1, "%s.ping", name);
  snprintf(n2, sizeof n2, "%s.pong", name);
  mach_port_t ping, pong;
  if (bootstrap_look_up(bootstrap_port, n1, &ping) != KERN_SUCCESS ||
      bootstrap_look_up(bootstrap_port, n2, &pong) != KERN_SUCCESS)
    _exit(20);
  for (long i = 0; i < iterations / 10; i++) { /* warm up: channels, reply port */
    if (semaphore_signal(ping) != KERN_SUCCESS || semaphore_wait(pong) != KERN_SUCCESS) _exit(21);
  }
  long n = iterations - iterations / 10;
  double t0 = now_ns();
  for (long i = 0; i < n; i++) {
    if (semaphore_signal(ping) != KERN_SUCCESS || semaphore_wait(pong) != KERN_SUCCESS) _exit(22);
  }
  sh->ns = (now_ns() - t0) / (double)n;
  if (semaphore_signal(ping) != KERN_SUCCESS) _exit(23);
  _exit(0);
}

static double sem_run(bool relay, int run) {
  setenv("MACHD_DIRECT", relay ? "0" : "1", 1);
  char name[64];
  snprintf(name, sizeof name, "bench.sem.%d.%d.%d", (int)getpid(), relay, run);
  int p[2];
  if (pipe(p) != 0) exit(1);
  sh->ns = -1;
  pid_t owner = fork();
  if (owner == 0) owner_main(name, p[1]);
  char ch;
  if (read(p[0], &ch, 1) != 1) exit(1);
  close(p[0]);
  close(p[1]);
  pid_t remote = fork();
  if (remote == 0) remote_main(name);
  int rs = wait_child(remote), os = wait_child(owner);
  if (rs != 0 || os != 0) {
    fprintf(stderr, "bench_semaphore: remote exited %d, owner %d\n", rs, os);
    return -1;
  }
  return sh->ns;
}

static pid_t start_machd(const char *path) {
  const char *exe = getenv("MACHD_PATH");
  if (!exe || !*exe) exe = MACHD_BIN;
  pid_t pid = fork();
  if (pid == 0) {
    execl(exe, exe, "--foreground", "--socket", path, (char *)NULL);
    _exit(127);
  }
  for (int i = 0; i < 500; i++) {
    if (machd_conn_listening(path)) return pid;
    usleep(10000);
  }
  fprintf(stderr, "bench_semaphore: machd did not start (%s)\n", exe);
  exit(1);
}

int main(int argc, char **argv) {
  if (argc > 1) iterations = atol(argv[1]);
  if (argc > 2) runs = atoi(argv[2]);
  if (iterations < 10) iterations = 10;
  if (runs < 1 || runs > 32) runs = 3;
  sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (sh == MAP_FAILED) return 1;
  char dir[] = "/tmp/sx-bench-sem-XXXXXX", path[128];
  if (!mkdtemp(dir)) return 1;
  snprintf(path, sizeof path, "%s/machd.sock", dir);
  setenv("MACHD_SOCKET", path, 1);
  setenv("MACHD_NO_AUTOSTART", "1", 1);
  pid_t machd = start_machd(path);

  double fx[32], dm[32], rl[32], dr[32], rr[32];
  for (int r = 0; r < runs; r++) { /* interleaved, so load changes hit every row alike */
    fx[r] = futex_run();
    dm[r] = sem_run(false, r);
    rl[r] = sem_run(true, r);
    dr[r] = dm[r] / fx[r];
    rr[r] = rl[r] / fx[r];
  }
  printf("two processes ping-pong: median of %d runs x %ld round trips (ns per round trip; ratio: median\n"
         "of the per-run ratios to the futex ping-pong on shared memory)\n",
         runs, iterations);
  printf("%-44s %10s %10s %8s\n", "what", "OpenMIG", "floor", "ratio");
  printf("%-44s %10.0f %10.0f %7.2fx\n", "semaphore signal+wait, direct channel / futex", median(dm, runs),
         median(fx, runs), median(dr, runs));
  printf("%-44s %10.0f %10.0f %7.2fx\n", "semaphore signal+wait, machd relay / futex", median(rl, runs),
         median(fx, runs), median(rr, runs));
  kill(machd, SIGTERM);
  wait_child(machd);
  unlink(path);
  rmdir(dir);
  return 0;
}
