/* How many names the calling task's space holds (both programs of machd_ool_mig_test.c compare
 * it with a baseline), not counting send-once rights when asked (a server serving a request
 * holds its reply right). */
#ifndef MACHD_OOL_MIG_SPACE_H
#define MACHD_OOL_MIG_SPACE_H

#include <stdbool.h>

#include <mach/mach.h>

static inline unsigned names_in_space(bool skip_send_once) {
    mach_port_name_array_t names = NULL;
    mach_port_type_array_t types = NULL;
    mach_msg_type_number_t n = 0, nt = 0;
    if (mach_port_names(mach_task_self(), &names, &n, &types, &nt) != KERN_SUCCESS)
        return 0;
    unsigned count = 0;
    for (mach_msg_type_number_t i = 0; i < nt; i++)
        count += !(skip_send_once && types[i] == MACH_PORT_TYPE_SEND_ONCE);
    vm_deallocate(mach_task_self(), (vm_address_t)names, n * sizeof *names);
    vm_deallocate(mach_task_self(), (vm_address_t)types, nt * sizeof *types);
    return count;
}

#endif
