/* kvstore-server: the kvstore service in a process of its own. Checks the name in with the
 * bootstrap server (machd's, when MACHD_SOCKET names one: docs/machd.md), says so on stdout, then
 * serves requests until it is killed. kvstore-client, in another process, calls it. */
#include <stdio.h>

#include <mach/mach.h>
#include <servers/bootstrap.h>

#include "kvstore.h"

#define SERVICE "org.openmig.example.kvstore"

extern boolean_t kvstore_server(mach_msg_header_t *InHeadP, mach_msg_header_t *OutHeadP);

int main(void) {
    mach_port_t port = MACH_PORT_NULL;
    kern_return_t kr = bootstrap_check_in(bootstrap_port, SERVICE, &port);
    if (kr != KERN_SUCCESS) {
        fprintf(stderr, "kvstore-server: bootstrap_check_in %s: %s\n", SERVICE, mach_error_string(kr));
        return 1;
    }
    printf("kvstore-server: serving %s\n", SERVICE);
    fflush(stdout);
    kr = mach_msg_server(kvstore_server, sizeof(union __RequestUnion__kvstore_subsystem), port, 0);
    fprintf(stderr, "kvstore-server: mach_msg_server: %s\n", mach_error_string(kr));
    return 1;
}
