/* bootstrap_registry.h: the bootstrap name table, the internal interface behind the name
 * service: service names bound to ports, with the rights the service itself holds. It works on
 * names in the calling task's IPC space and knows nothing about messages; the in-process
 * service (bootstrap_server.c) calls it today, and another holder of the table (machd) can
 * serve the same protocol with it. Thread-safe. */
#ifndef OPENMIG_BOOTSTRAP_REGISTRY_H
#define OPENMIG_BOOTSTRAP_REGISTRY_H

#include <mach/kern_return.h>
#include <mach/port.h>
#include <servers/bootstrap.h>

#include <stdbool.h>
#include <stddef.h>

struct bootstrap_registry;

/* An empty table, or NULL without memory. */
struct bootstrap_registry *bootstrap_registry_create(void);

/* Releases every right the table holds (receive rights of services nobody checked in destroy
 * those ports) and frees it. */
void bootstrap_registry_destroy(struct bootstrap_registry *registry);

/* True when name is a usable service name: non-empty and NUL-terminated within
 * BOOTSTRAP_MAX_NAME_LEN bytes. */
bool bootstrap_name_is_valid(const char *name, size_t capacity);

/* Check-in: on success *receive names the service's receive right, which the caller must hand
 * to the checking-in client (MOVE_RECEIVE); the table keeps a send right. A new name gets a
 * new port; a created one is handed over. Errors: BOOTSTRAP_SERVICE_ACTIVE (checked in or
 * registered, port alive), BOOTSTRAP_BAD_COUNT, BOOTSTRAP_NO_MEMORY. */
kern_return_t bootstrap_registry_check_in(struct bootstrap_registry *registry, const char *name,
                                          mach_port_t *receive);

/* Look-up: *send names the table's send right; hand out a copy (COPY_SEND). Errors:
 * BOOTSTRAP_UNKNOWN_SERVICE (absent or dead), BOOTSTRAP_BAD_COUNT. */
kern_return_t bootstrap_registry_look_up(struct bootstrap_registry *registry, const char *name,
                                         mach_port_t *send);

/* Register: binds name to the send right `send`, taking over one user reference of it on
 * success only; a created service nobody checked in is replaced (its port destroyed).
 * send == MACH_PORT_NULL removes a registration. Errors:
 * BOOTSTRAP_SERVICE_ACTIVE (checked in or registered, port alive), BOOTSTRAP_UNKNOWN_SERVICE (removing an
 * absent name), BOOTSTRAP_NOT_PRIVILEGED (removing a checked-in or created service),
 * BOOTSTRAP_BAD_COUNT, BOOTSTRAP_NO_MEMORY. */
kern_return_t bootstrap_registry_register(struct bootstrap_registry *registry, const char *name,
                                          mach_port_t send);

/* Create: a new port whose receive right the table keeps until check-in; *send as for
 * look-up. Errors: BOOTSTRAP_NAME_IN_USE, BOOTSTRAP_BAD_COUNT, BOOTSTRAP_NO_MEMORY. */
kern_return_t bootstrap_registry_create_service(struct bootstrap_registry *registry,
                                                const char *name, mach_port_t *send);

/* Status: BOOTSTRAP_STATUS_ACTIVE or _INACTIVE in *status. Errors: BOOTSTRAP_UNKNOWN_SERVICE,
 * BOOTSTRAP_BAD_COUNT. */
kern_return_t bootstrap_registry_status(struct bootstrap_registry *registry, const char *name,
                                        bootstrap_status_t *status);

/* Forgets every service whose port died, releasing the table's dead names; every other call
 * does this first, so a dead service is never handed out. Returns how many were released. */
unsigned int bootstrap_registry_sweep(struct bootstrap_registry *registry);

/* Number of names in the table (live or not yet swept). */
unsigned int bootstrap_registry_count(struct bootstrap_registry *registry);

#endif /* OPENMIG_BOOTSTRAP_REGISTRY_H */
