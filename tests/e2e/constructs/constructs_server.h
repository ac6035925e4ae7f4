/* State the constructs test shares with its work functions (constructs_server.c). */
#ifndef CONSTRUCTS_SERVER_H
#define CONSTRUCTS_SERVER_H

#include <mach/port.h>

extern int constructs_last_note;           /* value of the last note() */
extern int constructs_stop;                /* set by shutdown(): the server loop ends */
extern int constructs_max_delay_ms;        /* timed() sleeps at most this long (fuzzing: 0) */
extern mach_port_t constructs_server_made_port; /* receive right port_out() kept */

#endif
