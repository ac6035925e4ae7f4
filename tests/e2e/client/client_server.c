/* The work functions of client.defs. */
#include <string.h>

#include <mach/mach.h>
#include <mach/mach_port.h>
#include <mach/vm_map.h>

#include "clientServer.h"
#include "client_state.h"

int client_quit;
mach_port_t client_made[8];
int client_made_count;

static char filled[4096];
static char second_page[64];

kern_return_t sv_read_into(mach_port_t server, int n, int fill, blob_t *data,
                           mach_msg_type_number_t *dataCnt) {
    (void)server;
    if (n < 0 || (size_t)n > sizeof filled)
        return KERN_INVALID_ARGUMENT;
    memset(filled, fill, (size_t)n);
    *data = filled; /* not dealloc: the reply carries a copy */
    *dataCnt = (mach_msg_type_number_t)n;
    return KERN_SUCCESS;
}

kern_return_t sv_read_two(mach_port_t server, blob_t *first, mach_msg_type_number_t *firstCnt,
                          page_t *second) {
    (void)server;
    static char one[3] = {'o', 'n', 'e'};
    for (size_t i = 0; i < sizeof second_page; i++)
        second_page[i] = (char)('A' + i % 26);
    *first = one;
    *firstCnt = sizeof one;
    *second = second_page;
    return KERN_SUCCESS;
}

kern_return_t sv_read_names(mach_port_t server, int n, names_t *names,
                            mach_msg_type_number_t *namesCnt) {
    (void)server;
    static mach_port_t sent[8];
    if (n < 0 || n > 8)
        return KERN_INVALID_ARGUMENT;
    for (int i = 0; i < n; i++) {
        if (mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &sent[i]) != KERN_SUCCESS ||
            mach_port_insert_right(mach_task_self(), sent[i], sent[i], MACH_MSG_TYPE_MAKE_SEND) !=
                KERN_SUCCESS)
            return KERN_RESOURCE_SHORTAGE;
        client_made[i] = sent[i];
    }
    client_made_count = n;
    *names = sent; /* the send rights move to the client; the receive rights stay here */
    *namesCnt = (mach_msg_type_number_t)n;
    return KERN_SUCCESS;
}

kern_return_t sv_scale(mach_port_t server, pair_t p, server_word_t w, pair_t *q,
                       server_word_t *x) {
    (void)server;
    q->a = p.b * CLIENT_SERVER_SCALE;
    q->b = p.a * CLIENT_SERVER_SCALE;
    *x = w * CLIENT_SERVER_SCALE;
    return KERN_SUCCESS;
}

/* Both own what the request carried (they return KERN_SUCCESS). */
static int sum_and_release(mach_port_t p, blob_t data, mach_msg_type_number_t dataCnt) {
    int sum = 0;
    for (mach_msg_type_number_t i = 0; i < dataCnt; i++)
        sum += (unsigned char)data[i];
    (void)mach_port_deallocate(mach_task_self(), p);
    (void)vm_deallocate(mach_task_self(), (vm_address_t)data, dataCnt);
    return sum;
}

kern_return_t sv_give(mach_port_t server, mach_port_t p, blob_t data,
                      mach_msg_type_number_t dataCnt, int *sum) {
    (void)server; /* the moved request right was consumed by the delivery */
    *sum = sum_and_release(p, data, dataCnt);
    return KERN_SUCCESS;
}

kern_return_t sv_give_timed(mach_port_t server, mach_port_t p, blob_t data,
                            mach_msg_type_number_t dataCnt, int *sum) {
    (void)server;
    *sum = sum_and_release(p, data, dataCnt);
    return KERN_SUCCESS;
}

kern_return_t sv_quit(mach_port_t server) {
    (void)server;
    client_quit = 1;
    return KERN_SUCCESS;
}
