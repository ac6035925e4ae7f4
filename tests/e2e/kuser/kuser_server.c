/* The work functions of kuser.defs. */
#include <string.h>

#include <mach/mach.h>

#include "kuserServer.h"
#include "kuser_state.h"

int kuser_quit, kuser_noted;

kern_return_t kv_add(mach_port_t server, int a, int b, int *sum) {
    (void)server;
    *sum = a + b;
    return KERN_SUCCESS;
}

kern_return_t kv_fetch(mach_port_t server, int n, blob_t *data, mach_msg_type_number_t *dataCnt) {
    (void)server;
    static char bytes[256];
    if (n < 0 || (size_t)n > sizeof bytes)
        return KERN_INVALID_ARGUMENT;
    for (int i = 0; i < n; i++)
        bytes[i] = (char)i;
    *data = bytes;
    *dataCnt = (mach_msg_type_number_t)n;
    return KERN_SUCCESS;
}

kern_return_t kv_note(mach_port_t server, int x) {
    (void)server;
    kuser_noted = x;
    return KERN_SUCCESS;
}

kern_return_t kv_quit(mach_port_t server) {
    (void)server;
    kuser_quit = 1;
    return KERN_SUCCESS;
}
