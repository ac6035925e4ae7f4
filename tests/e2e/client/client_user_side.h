/* The client's side of client.defs (uimport): only clientUser.c and client.h include it. */
#ifndef CLIENT_USER_SIDE_H
#define CLIENT_USER_SIDE_H
#ifdef CLIENT_SERVER_SIDE_H
#error "uimport reached the server side"
#endif
typedef int user_word_t;
#endif
