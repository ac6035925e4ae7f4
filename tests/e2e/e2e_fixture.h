/* Shared fixture of the in-process round-trip tests (tests/e2e/<case>): a server thread on a
 * fresh port, and the leak check against a baseline of the runtime's counters. */
#ifndef OPENMIG_E2E_FIXTURE_H
#define OPENMIG_E2E_FIXTURE_H

#include <pthread.h>

#include <mach/mach.h>
#include <mach/openmig_stats.h>

/* Makes *port a new receive right with one send right, then runs serve(NULL) on a new thread
 * (*thread). The port is set before the thread starts. Returns 0, or -1 on any failure. */
int e2e_server_start(mach_port_t *port, pthread_t *thread, void *(*serve)(void *));

/* Waits for the server thread to end (the caller has told it to stop) and releases both rights
 * of port. */
void e2e_server_join(mach_port_t port, pthread_t thread);

/* Asserts (cmocka) that the counters a leak moves are back at baseline: ports, names, messages,
 * OOL regions and vm_allocate'd regions. Cases add their own extra counters. */
void e2e_expect_ipc_stats_at(const struct openmig_ipc_stats *baseline);

#endif
