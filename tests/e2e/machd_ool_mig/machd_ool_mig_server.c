/* machd_ool_mig_server NAME: the server program of machd_ool_mig_test.c. Checks in NAME, prints
 * "ready", and serves machd_ool_mig.defs (MIG-generated demux, mach_msg_server_once) until
 * finish(); checks every byte and right it gets, releases everything, and exits 0 when all
 * held (else the number of the failed step; stderr says why). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <mach/mach.h>
#include <mach/openmig_stats.h>
#include <servers/bootstrap.h>

#include "machd_ool_mig_space.h"
#include "machd_ool_mig_types.h"
#include "machd_ool_mig_Server.h"

#define PEER_NAME "machd_ool_mig_server"
#include "peer_check.h"

#define MAX_PORTS 1024

static mach_port_t service;
static mach_port_t kept[MAX_PORTS]; /* send rights received by ports_give */
static unsigned nkept;
static mach_port_t made[MAX_PORTS]; /* receive rights of the ports ports_take made */
static unsigned nmade;
static bool finished;
static int failure; /* the first failed step, reported by the exit status */

static void fail(int step, const char *what) {
    peer_failed(step, "%s", what);
    if (!failure)
        failure = step;
}

/* How many of the n bytes at data match the pattern of seed. */
static unsigned matching(const char *data, size_t n, int seed) {
    unsigned ok = 0;
    for (size_t i = 0; i < n; i++)
        ok += data[i] == ool_mig_pattern(seed, i);
    return ok;
}

/* Checks a received region; the generated stub releases it after the routine returns
 * (mig_deallocate), so the routine must not (the vm counters at finish() check both). */
static kern_return_t take_region(blob_t data, mach_msg_type_number_t count, int seed, unsigned *matched) {
    *matched = matching(data, count, seed);
    return KERN_SUCCESS;
}

kern_return_t do_ool_copy(mach_port_t server, blob_t data, mach_msg_type_number_t dataCnt, int seed,
                          unsigned *matched) {
    (void)server;
    return take_region(data, dataCnt, seed, matched);
}

kern_return_t do_ool_move(mach_port_t server, blob_t data, mach_msg_type_number_t dataCnt, int seed,
                          unsigned *matched) {
    (void)server;
    return take_region(data, dataCnt, seed, matched);
}

kern_return_t do_ool_fetch(mach_port_t server, unsigned size, int seed, blob_t *data,
                           mach_msg_type_number_t *dataCnt) {
    (void)server;
    vm_address_t addr = 0;
    if (vm_allocate(mach_task_self(), &addr, size, VM_FLAGS_ANYWHERE) != KERN_SUCCESS)
        return KERN_RESOURCE_SHORTAGE;
    for (size_t i = 0; i < size; i++)
        ((char *)addr)[i] = ool_mig_pattern(seed, i);
    *data = (char *)addr; /* dealloc: the stub releases it once the reply is sent */
    *dataCnt = size;
    return KERN_SUCCESS;
}

static bool is_send_right(mach_port_t name) {
    mach_port_type_t type = 0;
    return mach_port_type(mach_task_self(), name, &type) == KERN_SUCCESS && (type & MACH_PORT_TYPE_SEND);
}

kern_return_t do_ports_give(mach_port_t server, mach_port_array_t ports, mach_msg_type_number_t portsCnt,
                            unsigned *held) {
    (void)server;
    for (mach_msg_type_number_t i = 0; i < portsCnt; i++) {
        if (nkept == MAX_PORTS || !is_send_right(ports[i])) {
            fail(2, "a received name is not a send right");
            continue;
        }
        kept[nkept++] = ports[i];
    }
    /* Distinct names: one per port, each with one user reference. */
    unsigned distinct = 0;
    for (unsigned i = 0; i < nkept; i++) {
        mach_port_urefs_t refs = 0;
        bool seen = false;
        for (unsigned j = 0; j < i; j++)
            seen = seen || kept[j] == kept[i];
        if (!seen && mach_port_get_refs(mach_task_self(), kept[i], MACH_PORT_RIGHT_SEND, &refs) == KERN_SUCCESS &&
            refs == 1)
            distinct++;
    }
    *held = distinct;
    /* The stub leaves a received port array to the routine (unlike a byte region). */
    if (portsCnt && vm_deallocate(mach_task_self(), (vm_address_t)ports, portsCnt * sizeof *ports) != KERN_SUCCESS)
        fail(2, "vm_deallocate of a received port array");
    return KERN_SUCCESS;
}

kern_return_t do_ports_take(mach_port_t server, unsigned count, mach_port_array_t *ports,
                            mach_msg_type_number_t *portsCnt) {
    (void)server;
    if (count > MAX_PORTS - nmade)
        return KERN_INVALID_ARGUMENT;
    vm_address_t addr = 0;
    if (vm_allocate(mach_task_self(), &addr, count * sizeof(mach_port_t), VM_FLAGS_ANYWHERE) != KERN_SUCCESS)
        return KERN_RESOURCE_SHORTAGE;
    mach_port_t *out = (mach_port_t *)addr;
    for (unsigned i = 0; i < count; i++) {
        mach_port_t p = MACH_PORT_NULL;
        if (mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &p) != KERN_SUCCESS ||
            mach_port_insert_right(mach_task_self(), p, p, MACH_MSG_TYPE_MAKE_SEND) != KERN_SUCCESS)
            fail(3, "making a port");
        made[nmade++] = p;
        out[i] = p; /* COPY_SEND: the server keeps its own send right */
    }
    *ports = out;
    *portsCnt = count;
    return KERN_SUCCESS;
}

kern_return_t do_inline_sum(mach_port_t server, ints_t values, mach_msg_type_number_t valuesCnt, int *sum,
                            unsigned *count) {
    (void)server;
    int s = 0;
    for (mach_msg_type_number_t i = 0; i < valuesCnt; i++)
        s += values[i];
    *sum = s;
    *count = valuesCnt;
    return KERN_SUCCESS;
}


static unsigned baseline_names;
static struct openmig_ipc_stats baseline;

kern_return_t do_finish(mach_port_t server, unsigned *names_left) {
    (void)server;
    for (unsigned i = 0; i < nkept; i++)
        if (mach_port_deallocate(mach_task_self(), kept[i]) != KERN_SUCCESS)
            fail(4, "releasing a kept send right");
    for (unsigned i = 0; i < nmade; i++) /* the receive right and the send right under one name */
        if (mach_port_destroy(mach_task_self(), made[i]) != KERN_SUCCESS)
            fail(4, "destroying a made port");
    nkept = nmade = 0;
    unsigned now = names_in_space(true);
    *names_left = now > baseline_names ? now - baseline_names : 0;
    struct openmig_ipc_stats st;
    openmig_ipc_stats_get(&st);
    if (st.vm_regions != baseline.vm_regions || st.vm_bytes != baseline.vm_bytes)
        fail(5, "vm_allocate'd memory left over (a region was not released)");
    finished = true;
    return KERN_SUCCESS;
}

int main(int argc, char **argv) {
    if (argc < 2)
        return 2;
    mode = "server";
    if (bootstrap_check_in(bootstrap_port, argv[1], &service) != KERN_SUCCESS)
        return peer_failed(1, "check-in %s", argv[1]);
    baseline_names = names_in_space(true);
    openmig_ipc_stats_get(&baseline);
    ready();
    while (!finished) {
        mach_msg_return_t mr = mach_msg_server_once(machd_ool_mig_server,
                                                    (mach_msg_size_t)sizeof(union __RequestUnion__do_machd_ool_mig_subsystem),
                                                    service, 0);
        if (mr != MACH_MSG_SUCCESS)
            return peer_failed(6, "mach_msg_server_once: %#x", mr);
    }
    return failure;
}
