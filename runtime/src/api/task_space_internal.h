/* A task's space as another process reaches it through the task's port (docs/runtime.md, "Task
 * ports across processes"): the test that a task name is such a port, and the two mach_port
 * calls that move a right between the task's space and the space of the runtime's server that
 * answers for it (services/task_server.c), which holds the rights a request brought and a reply
 * takes away. */
#ifndef OPENMIG_API_TASK_SPACE_INTERNAL_H
#define OPENMIG_API_TASK_SPACE_INTERNAL_H

#include "ipc/ipc.h"

/* True when task names, in this process's space, a live send right to a port of another
 * process: the mach_port_* calls on it become requests to that port (api/task_port.defs), which
 * its process serves if it is a task port. Takes the IPC lock. */
bool task_port_is_remote(mach_port_name_t task);

/* mach_port_insert_right on space as a request from another task does it: the right poly
 * (disposition disp, MACH_MSG_TYPE_MOVE_* or PORT_*) is taken from `from` as a request's port
 * descriptor carries it, then put under name; Darwin's codes and order. Consumes the right taken
 * from `from` also on error. Takes the IPC lock. */
kern_return_t mach_port_insert_right_from(struct ipc_space *from, struct ipc_space *space,
                                          mach_port_name_t name, mach_port_name_t poly,
                                          mach_msg_type_name_t disp);

/* mach_port_extract_right on space for another task: the right goes to `into`, where *poly names
 * it (*polyPoly: MACH_MSG_TYPE_PORT_*), ready to be moved in a reply. Darwin's codes. Takes the
 * IPC lock. */
kern_return_t mach_port_extract_right_into(struct ipc_space *space, struct ipc_space *into,
                                           mach_port_name_t name, mach_msg_type_name_t msgt_name,
                                           mach_port_name_t *poly, mach_msg_type_name_t *polyPoly);

#endif /* OPENMIG_API_TASK_SPACE_INTERNAL_H */
