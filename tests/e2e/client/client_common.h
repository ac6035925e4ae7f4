/* Types both sides of client.defs see (import). */
#ifndef CLIENT_COMMON_H
#define CLIENT_COMMON_H
#include <mach/mach_types.h>
typedef char *blob_t;
typedef char *page_t;
typedef mach_port_t *names_t;
typedef struct {
    int a, b;
} pair_t;
typedef int server_word_t; /* message fields are declared with the server's type, as in Apple's */
#endif
