/* The server's side of client.defs (simport): only clientServer.c/.h include it. */
#ifndef CLIENT_SERVER_SIDE_H
#define CLIENT_SERVER_SIDE_H
#ifdef CLIENT_USER_SIDE_H
#error "simport reached the client side"
#endif
#define CLIENT_SERVER_SCALE 3 /* the work function multiplies by it */
#endif
