/* kvstore-client: calls kvstore-server, running in another process, found by its bootstrap name.
 *   kvstore-client put KEY VALUE | get KEY | count */
#include <stdio.h>
#include <string.h>

#include <mach/mach.h>
#include <servers/bootstrap.h>

#include "kvstore.h"

#define SERVICE "org.openmig.example.kvstore"

static int usage(void) {
    fputs("usage: kvstore-client put KEY VALUE | get KEY | count\n", stderr);
    return 2;
}

int main(int argc, char **argv) {
    if (argc < 2)
        return usage();
    mach_port_t kv = MACH_PORT_NULL;
    kern_return_t kr = bootstrap_look_up(bootstrap_port, SERVICE, &kv);
    if (kr != KERN_SUCCESS) {
        fprintf(stderr, "kvstore-client: bootstrap_look_up %s: %s\n", SERVICE, mach_error_string(kr));
        return 1;
    }
    if (strcmp(argv[1], "put") == 0 && argc == 4) {
        kr = put(kv, argv[2], argv[3], (mach_msg_type_number_t)strlen(argv[3]));
    } else if (strcmp(argv[1], "get") == 0 && argc == 3) {
        kv_value_t value = NULL;
        mach_msg_type_number_t size = 0;
        kr = get(kv, argv[2], &value, &size);
        if (kr == KERN_SUCCESS) {
            printf("%.*s\n", (int)size, value ? value : "");
            if (size > 0)
                (void)vm_deallocate(mach_task_self(), (vm_address_t)value, size);
        }
    } else if (strcmp(argv[1], "count") == 0 && argc == 2) {
        int n = 0;
        kr = count(kv, &n);
        if (kr == KERN_SUCCESS)
            printf("%d\n", n);
    } else {
        return usage();
    }
    if (kr != KERN_SUCCESS) {
        fprintf(stderr, "kvstore-client: %s: %s\n", argv[1], mach_error_string(kr));
        return 1;
    }
    return 0;
}
