/* The work functions and translations of more.defs. The translations keep a log so the test can
 * check that intran ran before the call, outtran after it, and the destructor once per in value. */
#include <string.h>

#include <mach/mach.h>
#include <mach/mach_port.h>
#include <mach/vm_map.h>

#include "moreServer.h"
#include "more_server.h"

struct more_obj {
    mach_port_t port;
};

static struct more_obj objects[4];
char more_log[64];
int more_reported_result, more_reported_value, more_quit;

static void log_step(char c) {
    size_t n = strlen(more_log);
    if (n + 1 < sizeof more_log)
        more_log[n] = c, more_log[n + 1] = '\0';
}

obj_ref_t obj_from_port(mach_port_t port) {
    log_step('i');
    for (int i = 0; i < 4; i++)
        if (objects[i].port == port || objects[i].port == MACH_PORT_NULL) {
            objects[i].port = port;
            return &objects[i];
        }
    return NULL;
}

mach_port_t obj_to_port(obj_ref_t obj) {
    log_step('o');
    return obj ? obj->port : MACH_PORT_NULL;
}

void obj_release(obj_ref_t obj) {
    log_step('d');
    /* The request's send right was converted to the object: release it here, as a kernel's
     * destructor drops the reference intran took. */
    if (obj)
        (void)mach_port_deallocate(mach_task_self(), obj->port);
}

kern_return_t sv_translate(mach_port_t server, obj_ref_t o, obj_ref_t *back) {
    (void)server;
    log_step('f');
    *back = o;
    return o ? KERN_SUCCESS : KERN_INVALID_ARGUMENT;
}

kern_return_t sv_with_reply(mach_port_t server, mach_port_t reply, int *v) {
    (void)server;
    *v = reply != MACH_PORT_NULL ? 1 : 0; /* the server sees the caller's reply port */
    return KERN_SUCCESS;
}

kern_return_t sv_with_ureply(mach_port_t server, int *v) {
    (void)server;
    *v = 2;
    return KERN_SUCCESS;
}

kern_return_t sv_report(mach_port_t server, kern_return_t result, int value) {
    (void)server;
    more_reported_result = result;
    more_reported_value = value;
    return KERN_SUCCESS;
}

kern_return_t sv_same(mach_port_t server, masks_t a, mach_msg_type_number_t aCnt, masks_t b,
                      masks_t c, mach_msg_type_number_t *cCnt, masks_t d) {
    (void)server;
    for (mach_msg_type_number_t i = 0; i < aCnt; i++) {
        c[i] = a[i] + b[i];
        d[i] = a[i] - b[i];
    }
    *cCnt = aCnt;
    return KERN_SUCCESS;
}

kern_return_t sv_opt(mach_port_t server, int *v) {
    (void)server;
    *v = 3;
    return KERN_SUCCESS;
}

kern_return_t sv_timed_send(mach_port_t server, int x) {
    (void)server;
    more_reported_value = x;
    return KERN_SUCCESS;
}

kern_return_t sv_client_token(mach_port_t server, int *v) {
    (void)server;
    *v = 4;
    return KERN_SUCCESS;
}

static int sum_bytes(const char *data, mach_msg_type_number_t n) {
    int s = 0;
    for (mach_msg_type_number_t i = 0; i < n; i++)
        s += (unsigned char)data[i];
    return s;
}

kern_return_t sv_give(mach_port_t server, blob_t data, mach_msg_type_number_t dataCnt, int *sum) {
    (void)server;
    *sum = sum_bytes(data, dataCnt);
    (void)vm_deallocate(mach_task_self(), (vm_address_t)data, dataCnt); /* ours on success */
    return KERN_SUCCESS;
}

kern_return_t sv_automatic(mach_port_t server, blob_t data, mach_msg_type_number_t dataCnt,
                           int *sum) {
    (void)server;
    *sum = sum_bytes(data, dataCnt); /* `auto`: the stub frees it */
    return KERN_SUCCESS;
}

kern_return_t sv_physical(mach_port_t server, blob_t data, mach_msg_type_number_t dataCnt,
                          int *sum) {
    (void)server;
    *sum = sum_bytes(data, dataCnt);
    (void)vm_deallocate(mach_task_self(), (vm_address_t)data, dataCnt);
    return KERN_SUCCESS;
}

kern_return_t sv_words(mach_port_t server, word_ct w, word_ct *x) {
    (void)server;
    *x = -w;
    return KERN_SUCCESS;
}

kern_return_t sv_poly_request(mach_port_t server, mach_msg_type_name_t serverPoly, int *v) {
    (void)server;
    *v = (int)serverPoly;
    return KERN_SUCCESS;
}

kern_return_t sv_special(mach_port_t server, int *v) {
    (void)server;
    *v = 5;
    return KERN_SUCCESS;
}

kern_return_t sv_quit(mach_port_t server) {
    (void)server;
    more_quit = 1;
    return KERN_SUCCESS;
}
