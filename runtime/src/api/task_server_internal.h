/* The runtime's server for this task's port (docs/runtime.md, "Task ports across processes"):
 * another process holding a send right to it sends the requests of api/task_port.defs, and this
 * process answers them on its own space, without its program running a server loop. */
#ifndef OPENMIG_API_TASK_SERVER_INTERNAL_H
#define OPENMIG_API_TASK_SERVER_INTERNAL_H

/* Makes requests that reach this task's port through a transport wait for the server, which
 * starts with the first one (a thread of the runtime). Call once, at start-up, before the task's
 * port can leave the process; idempotent. Until then such requests stay queued on the port. */
void task_server_install(void);

/* Test-only: the requests the server has answered since the process started. */
unsigned long task_server_served(void);

#endif /* OPENMIG_API_TASK_SERVER_INTERNAL_H */
