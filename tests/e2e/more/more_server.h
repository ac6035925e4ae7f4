/* State the more test shares with its work functions (more_server.c). */
#ifndef MORE_SERVER_H
#define MORE_SERVER_H

extern char more_log[64];         /* i: intran, f: work function, o: outtran, d: destructor */
extern int more_reported_result;  /* report(): the retcode argument */
extern int more_reported_value;   /* report() and timed_send(): the value */
extern int more_quit;             /* set by quit(): the server loop ends */

#endif
