/* machd_ool_mig_client NAME: the client program of machd_ool_mig_test.c. Calls every routine of
 * machd_ool_mig.defs through the MIG-generated stubs on the server NAME (another process, through
 * machd): 1 MiB and a few bytes out-of-line, copied and moved, both ways; 100 send rights in an
 * out-of-line port array both ways; an inline array. Checks every byte, every right and its own
 * space and memory afterwards. Exit 0 when all held, else the failed step (stderr says why). */
#define _POSIX_C_SOURCE 200809L /* nanosleep */
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include <mach/mach.h>
#include <mach/openmig_stats.h>
#include <servers/bootstrap.h>

#include "machd_ool_mig_space.h"
#include "machd_ool_mig_types.h"
#include "machd_ool_mig_.h"

#define PEER_NAME "machd_ool_mig_client"
#include "peer_check.h"

#define MIB (1024u * 1024u)
#define NPORTS 100

static const unsigned sizes[] = {MIB, 5};

static struct openmig_ipc_stats stats(void) {
    struct openmig_ipc_stats st;
    openmig_ipc_stats_get(&st);
    return st;
}


static char *patterned_region(unsigned size, int seed) {
    vm_address_t addr = 0;
    if (vm_allocate(mach_task_self(), &addr, size, VM_FLAGS_ANYWHERE) != KERN_SUCCESS)
        return NULL;
    for (size_t i = 0; i < size; i++)
        ((char *)addr)[i] = ool_mig_pattern(seed, i);
    return (char *)addr;
}

static bool matches(const char *data, size_t n, int seed) {
    for (size_t i = 0; i < n; i++)
        if (data[i] != ool_mig_pattern(seed, i))
            return false;
    return true;
}

/* 1: copy out (the region stays ours, unchanged), 2: move out (the region is gone after the
 * call), 3: fetch (the server's region moved to us). */
static int ool_data(mach_port_t server) {
    for (int k = 0; k < 2; k++) {
        unsigned size = sizes[k], matched = 0;
        int seed = 11 + k;
        struct openmig_ipc_stats before = stats();
        char *data = patterned_region(size, seed);
        CHECK(1, data != NULL, "vm_allocate %u", size);
        kern_return_t kr = ool_copy(server, data, size, seed, &matched);
        CHECK(1, kr == KERN_SUCCESS && matched == size, "ool_copy %u: %#x, %u bytes matched", size, kr, matched);
        CHECK(1, matches(data, size, seed), "ool_copy changed the sender's region");
        CHECK(1, vm_deallocate(mach_task_self(), (vm_address_t)data, size) == KERN_SUCCESS, "vm_deallocate");
        CHECK(1, stats().vm_regions == before.vm_regions, "a region left after ool_copy");

        data = patterned_region(size, seed + 10);
        CHECK(2, data != NULL, "vm_allocate %u", size);
        kr = ool_move(server, data, size, seed + 10, &matched);
        CHECK(2, kr == KERN_SUCCESS && matched == size, "ool_move %u: %#x, %u bytes matched", size, kr, matched);
        struct openmig_ipc_stats after = stats();
        CHECK(2, after.vm_regions == before.vm_regions && after.vm_bytes == before.vm_bytes,
              "ool_move left the sender's region allocated (%llu regions, %llu before)",
              (unsigned long long)after.vm_regions, (unsigned long long)before.vm_regions);

        blob_t got = NULL;
        mach_msg_type_number_t count = 0;
        kr = ool_fetch(server, size, seed + 20, &got, &count);
        CHECK(3, kr == KERN_SUCCESS && count == size, "ool_fetch %u: %#x, %u bytes", size, kr, count);
        CHECK(3, matches(got, size, seed + 20), "ool_fetch: a byte differs");
        CHECK(3, vm_deallocate(mach_task_self(), (vm_address_t)got, count) == KERN_SUCCESS, "vm_deallocate");
        CHECK(3, stats().vm_regions == before.vm_regions, "a region left after ool_fetch");
    }
    return 0;
}

/* 4: 100 send rights out in an OOL port array (we keep ours), 5: 100 in. */
static int port_arrays(mach_port_t server, mach_port_t mine[NPORTS]) {
    for (int i = 0; i < NPORTS; i++) {
        CHECK(4, mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &mine[i]) == KERN_SUCCESS, "allocate");
        CHECK(4, mach_port_insert_right(mach_task_self(), mine[i], mine[i], MACH_MSG_TYPE_MAKE_SEND) == KERN_SUCCESS,
              "insert_right");
    }
    unsigned held = 0;
    kern_return_t kr = ports_give(server, mine, NPORTS, &held);
    CHECK(4, kr == KERN_SUCCESS && held == NPORTS, "ports_give: %#x, the server holds %u", kr, held);
    for (int i = 0; i < NPORTS; i++) {
        mach_port_urefs_t refs = 0;
        CHECK(4, mach_port_get_refs(mach_task_self(), mine[i], MACH_PORT_RIGHT_SEND, &refs) == KERN_SUCCESS &&
                     refs == 1,
              "our send right %d after a COPY_SEND: %u references", i, refs);
    }

    mach_port_array_t theirs = NULL;
    mach_msg_type_number_t n = 0;
    kr = ports_take(server, NPORTS, &theirs, &n);
    CHECK(5, kr == KERN_SUCCESS && n == NPORTS, "ports_take: %#x, %u ports", kr, n);
    for (unsigned i = 0; i < n; i++) {
        mach_port_type_t type = 0;
        mach_port_urefs_t refs = 0;
        CHECK(5, mach_port_type(mach_task_self(), theirs[i], &type) == KERN_SUCCESS && type == MACH_PORT_TYPE_SEND,
              "received name %u: type %#x", i, type);
        CHECK(5, mach_port_get_refs(mach_task_self(), theirs[i], MACH_PORT_RIGHT_SEND, &refs) == KERN_SUCCESS &&
                     refs == 1,
              "received name %u: %u references", i, refs);
        for (unsigned j = 0; j < i; j++)
            CHECK(5, theirs[j] != theirs[i], "names %u and %u are the same", j, i);
    }
    for (unsigned i = 0; i < n; i++)
        CHECK(5, mach_port_deallocate(mach_task_self(), theirs[i]) == KERN_SUCCESS, "deallocate");
    CHECK(5, vm_deallocate(mach_task_self(), (vm_address_t)theirs, n * sizeof *theirs) == KERN_SUCCESS,
          "vm_deallocate of the array");
    return 0;
}

/* Looks NAME up, retrying while the server has not checked in yet. */
static kern_return_t look_up(const char *name, mach_port_t *port) {
    kern_return_t kr = KERN_FAILURE;
    for (int i = 0; i < 400 && kr != KERN_SUCCESS; i++) {
        kr = bootstrap_look_up(bootstrap_port, name, port);
        struct timespec ts = {0, 25 * 1000000L};
        if (kr != KERN_SUCCESS)
            nanosleep(&ts, NULL);
    }
    return kr;
}

int main(int argc, char **argv) {
    if (argc < 2)
        return 2;
    mode = "client";
    ready();
    mach_port_t server = MACH_PORT_NULL;
    CHECK(1, look_up(argv[1], &server) == KERN_SUCCESS, "look-up %s", argv[1]);
    int r = ool_data(server);
    if (r)
        return r;
    unsigned names_before = names_in_space(false); /* after the first RPC made the reply port */
    struct openmig_ipc_stats before = stats();
    mach_port_t mine[NPORTS];
    if ((r = port_arrays(server, mine)) != 0)
        return r;
    /* 6: an inline array. */
    int values[300], sum = 0, got = 0;
    for (int i = 0; i < 300; i++)
        sum += values[i] = i * 7 - 500;
    unsigned count = 0;
    kern_return_t kr = inline_sum(server, values, 300, &got, &count);
    CHECK(6, kr == KERN_SUCCESS && got == sum && count == 300, "inline_sum: %#x, %d of %u", kr, got, count);
    /* 7: the server releases everything; so do we: both spaces back to where they started. */
    unsigned left = 99;
    kr = finish(server, &left);
    CHECK(7, kr == KERN_SUCCESS && left == 0, "finish: %#x, %u names left in the server", kr, left);
    for (int i = 0; i < NPORTS; i++)
        CHECK(7, mach_port_destroy(mach_task_self(), mine[i]) == KERN_SUCCESS, "destroy");
    struct openmig_ipc_stats after = stats();
    CHECK(7, names_in_space(false) == names_before, "names: %u, %u before", names_in_space(false), names_before);
    CHECK(7, after.vm_regions == before.vm_regions && after.vm_bytes == before.vm_bytes, "vm_allocate'd memory left");
    CHECK(7, mach_port_deallocate(mach_task_self(), server) == KERN_SUCCESS, "deallocate the server's right");
    return 0;
}
