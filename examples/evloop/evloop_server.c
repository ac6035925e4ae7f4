/* The counter service's work functions, called by the generated counterServer.c from the loop
 * thread (so they need no lock). */
#include <stdbool.h>

#include <mach/mach.h>

#include "counterServer.h"
#include "evloop.h"

int counter_total;
bool counter_stop_requested;

kern_return_t ctr_add(mach_port_t server, int delta, int *total) {
    (void)server;
    counter_total += delta;
    *total = counter_total;
    return KERN_SUCCESS;
}

kern_return_t ctr_stop(mach_port_t server) {
    (void)server;
    counter_stop_requested = true;
    return KERN_SUCCESS;
}
