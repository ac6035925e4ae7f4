/* State shared by the loop (evloop_main.c) and the counter's work functions (evloop_server.c). */
#ifndef EVLOOP_H
#define EVLOOP_H

#include <stdbool.h>

#include <mach/mach.h>

extern int counter_total;
extern bool counter_stop_requested;
extern boolean_t counter_server(mach_msg_header_t *InHeadP, mach_msg_header_t *OutHeadP);

#endif
