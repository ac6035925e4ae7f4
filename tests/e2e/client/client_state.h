/* State the client test shares with its work functions (client_server.c). */
#ifndef CLIENT_STATE_H
#define CLIENT_STATE_H
#include <mach/mach_types.h>
extern int client_quit;              /* set by quit(): the server loop ends */
extern mach_port_t client_made[8];   /* read_names(): the receive rights it created */
extern int client_made_count;
#ifdef __cplusplus
extern "C" {
#endif
boolean_t client_server(mach_msg_header_t *InHeadP, mach_msg_header_t *OutHeadP);
#ifdef __cplusplus
}
#endif
#endif
