/* State the kuser test shares with its work functions (kuser_server.c). */
#ifndef KUSER_STATE_H
#define KUSER_STATE_H
#include <mach/mach_types.h>
extern int kuser_quit;  /* set by quit(): the server loop ends */
extern int kuser_noted; /* note(): the value */
#ifdef __cplusplus
extern "C" {
#endif
boolean_t kuser_server(mach_msg_header_t *InHeadP, mach_msg_header_t *OutHeadP);
#ifdef __cplusplus
}
#endif
#endif
