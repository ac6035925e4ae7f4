/* Shared fixture of the in-process round-trip tests: see e2e_fixture.h. */
#include "e2e_fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

int e2e_server_start(mach_port_t *port, pthread_t *thread, void *(*serve)(void *)) {
    mach_port_t task = mach_task_self();
    *port = MACH_PORT_NULL;
    if (mach_port_allocate(task, MACH_PORT_RIGHT_RECEIVE, port) != KERN_SUCCESS ||
        mach_port_insert_right(task, *port, *port, MACH_MSG_TYPE_MAKE_SEND) != KERN_SUCCESS ||
        pthread_create(thread, NULL, serve, NULL) != 0)
        return -1;
    return 0;
}

void e2e_server_join(mach_port_t port, pthread_t thread) {
    pthread_join(thread, NULL);
    (void)mach_port_deallocate(mach_task_self(), port);
    (void)mach_port_mod_refs(mach_task_self(), port, MACH_PORT_RIGHT_RECEIVE, -1);
}

void e2e_expect_ipc_stats_at(const struct openmig_ipc_stats *baseline) {
    struct openmig_ipc_stats now;
    openmig_ipc_stats_get(&now);
    assert_int_equal(now.ports, baseline->ports);
    assert_int_equal(now.entries, baseline->entries);
    assert_int_equal(now.messages, baseline->messages);
    assert_int_equal(now.ool_regions, baseline->ool_regions);
    assert_int_equal(now.vm_regions, baseline->vm_regions);
}
