/* kvstore example: registers the service with the bootstrap name server, serves it on a thread,
 * and uses it the way another program would: look the name up, then call the generated stubs.
 * Prints what it stored and read back; exits 0 when every value came back intact. One process:
 * it chooses the in-process name service (kvstore-server and kvstore-client are the same
 * service as two processes, through machd). */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <mach/mach.h>
#include <mach/mach_port.h>
#include <mach/openmig_bootstrap.h>
#include <mach/vm_map.h>
#include <servers/bootstrap.h>

#include "kvstore.h"

#define SERVICE "org.openmig.example.kvstore"

extern boolean_t kvstore_server(mach_msg_header_t *InHeadP, mach_msg_header_t *OutHeadP);

static void *serve(void *arg) {
    mach_port_t port = *(mach_port_t *)arg;
    /* Serves until the process exits. */
    (void)mach_msg_server(kvstore_server, sizeof(union __RequestUnion__kvstore_subsystem), port, 0);
    return NULL;
}

int main(void) {
    static mach_port_t service_port;
    (void)openmig_bootstrap_private(); /* names for this process's threads only: no machd */
    kern_return_t kr = bootstrap_check_in(bootstrap_port, SERVICE, &service_port);
    if (kr != KERN_SUCCESS) {
        fprintf(stderr, "bootstrap_check_in: %s\n", mach_error_string(kr));
        return 1;
    }
    pthread_t thread;
    pthread_create(&thread, NULL, serve, &service_port);

    /* The client side: find the service by name. */
    mach_port_t kv = MACH_PORT_NULL;
    kr = bootstrap_look_up(bootstrap_port, SERVICE, &kv);
    if (kr != KERN_SUCCESS) {
        fprintf(stderr, "bootstrap_look_up: %s\n", mach_error_string(kr));
        return 1;
    }
    static const char *const keys[] = {"greeting", "answer", "empty"};
    static const char *const values[] = {"hello, mach", "42", ""};
    for (int i = 0; i < 3; i++) {
        kr = put(kv, (kv_key_t)keys[i], (kv_value_t)values[i],
                 (mach_msg_type_number_t)strlen(values[i]));
        if (kr != KERN_SUCCESS) {
            fprintf(stderr, "put %s: %s\n", keys[i], mach_error_string(kr));
            return 1;
        }
    }
    int failures = 0;
    for (int i = 0; i < 3; i++) {
        kv_value_t value = NULL;
        mach_msg_type_number_t size = 0;
        kr = get(kv, (kv_key_t)keys[i], &value, &size);
        int same = kr == KERN_SUCCESS && size == strlen(values[i]) &&
                   (size == 0 || memcmp(value, values[i], size) == 0);
        printf("%-10s -> \"%.*s\" (%s)\n", keys[i], (int)size, value ? value : "",
               same ? "ok" : "MISMATCH");
        failures += !same;
        if (kr == KERN_SUCCESS && size > 0)
            (void)vm_deallocate(mach_task_self(), (vm_address_t)value, size);
    }
    kv_value_t none = NULL;
    mach_msg_type_number_t none_size = 0;
    kr = get(kv, "missing", &none, &none_size);
    printf("%-10s -> %s\n", "missing", mach_error_string(kr));
    failures += kr != KERN_INVALID_NAME;
    int n = 0;
    if (count(kv, &n) != KERN_SUCCESS || n != 3)
        failures++;
    printf("%d keys stored, %d failure(s)\n", n, failures);
    return failures == 0 ? 0 : 1;
}
