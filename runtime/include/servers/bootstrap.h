/* <servers/bootstrap.h>: the bootstrap name service (Darwin's API): servers check in under a
 * name, clients look the name up and get a send right. Names, types and codes as on Darwin.
 * By default the service is machd's, shared by the user's processes and started by the first
 * call when it is not running; when machd cannot be reached every call fails with
 * MACH_SEND_INVALID_DEST (the reason said once on stderr). With MACH_BOOTSTRAP=private in the
 * environment, or after openmig_bootstrap_private() (<mach/openmig_bootstrap.h>), the service
 * runs inside libmach, for the threads of this process only (docs/machd.md 7,
 * docs/server-loops.md). */
#ifndef _SERVERS_BOOTSTRAP_H_
#define _SERVERS_BOOTSTRAP_H_

#include <mach/boolean.h>
#include <mach/kern_return.h>
#include <mach/openmig_export.h>
#include <mach/port.h>

__BEGIN_DECLS

#define BOOTSTRAP_MAX_NAME_LEN 128
#define BOOTSTRAP_MAX_CMD_LEN 512
#define BOOTSTRAP_MAX_LOOKUP_COUNT 20

typedef char name_t[BOOTSTRAP_MAX_NAME_LEN];
typedef char cmd_t[BOOTSTRAP_MAX_CMD_LEN];
typedef name_t *name_array_t;
typedef int bootstrap_status_t;
typedef bootstrap_status_t *bootstrap_status_array_t;
typedef unsigned int bootstrap_property_t;
typedef bootstrap_property_t *bootstrap_property_array_t;
typedef boolean_t *bool_array_t;

#define BOOTSTRAP_SUCCESS 0
#define BOOTSTRAP_NOT_PRIVILEGED 1100
#define BOOTSTRAP_NAME_IN_USE 1101
#define BOOTSTRAP_UNKNOWN_SERVICE 1102
#define BOOTSTRAP_SERVICE_ACTIVE 1103
#define BOOTSTRAP_BAD_COUNT 1104
#define BOOTSTRAP_NO_MEMORY 1105
#define BOOTSTRAP_NO_CHILDREN 1106

#define BOOTSTRAP_STATUS_INACTIVE 0
#define BOOTSTRAP_STATUS_ACTIVE 1
#define BOOTSTRAP_STATUS_ON_DEMAND 2

/* Service names are passed as `const char *` (Darwin writes `const name_t`, the same type once
 * the array parameter decays), so that gcc does not assume every caller passes 128 bytes. */

/* The calling task's bootstrap port: a send right to the name service. Set before main() runs
 * (by libmach's initialiser); MACH_PORT_NULL only if the runtime could not start. */
OPENMIG_API extern mach_port_t bootstrap_port;

/* Claims the service `service_name` for the caller and stores its receive right in *sp.
 * A name nobody holds yet is created; a name made by bootstrap_create_service() is handed over
 * with the messages queued on it. Returns BOOTSTRAP_SUCCESS, BOOTSTRAP_SERVICE_ACTIVE (the
 * caller checked it in or registered it already, and its port is alive),
 * BOOTSTRAP_NOT_PRIVILEGED (another task bound it; through machd), BOOTSTRAP_BAD_COUNT (name empty, NULL or not NUL-terminated within BOOTSTRAP_MAX_NAME_LEN),
 * KERN_INVALID_ARGUMENT (sp NULL) or a mach_msg error talking to bp. *sp is written only on
 * success. The name is released when its receive right is destroyed. Thread-safe. */
OPENMIG_API kern_return_t bootstrap_check_in(mach_port_t bp, const char *service_name,
                                             mach_port_t *sp);

/* Stores a new send right (one user reference) to the service `service_name` in *sp.
 * Returns BOOTSTRAP_SUCCESS, BOOTSTRAP_UNKNOWN_SERVICE (no such name, or its port died),
 * BOOTSTRAP_BAD_COUNT (bad name), KERN_INVALID_ARGUMENT (sp NULL) or a mach_msg error.
 * Thread-safe. */
OPENMIG_API kern_return_t bootstrap_look_up(mach_port_t bp, const char *service_name,
                                            mach_port_t *sp);

/* Deprecated on Darwin, supported here: binds `service_name` to the send right sp (the caller
 * keeps its own reference; the service takes one of its own). sp == MACH_PORT_NULL removes a
 * registration made earlier with bootstrap_register(); a name created by the caller with
 * bootstrap_create_service() and not checked in is replaced (its port destroyed). Returns
 * BOOTSTRAP_SUCCESS, BOOTSTRAP_SERVICE_ACTIVE (the caller's name is bound to a live port),
 * BOOTSTRAP_NOT_PRIVILEGED (another task's name; removing a checked-in or created name),
 * BOOTSTRAP_UNKNOWN_SERVICE (removing a name that is not registered), BOOTSTRAP_BAD_COUNT (bad
 * name), MACH_SEND_INVALID_RIGHT (sp is not a send right the caller holds) or a mach_msg error.
 * Thread-safe. The table of every answer is in docs/server-loops.md. */
OPENMIG_API kern_return_t bootstrap_register(mach_port_t bp, const char *service_name,
                                             mach_port_t sp);

/* Declares `service_name` without a server: the service creates the port and keeps its receive
 * right until someone checks in; clients can look it up and queue messages meanwhile (through
 * machd at most 64 messages over all created services, then MACH_SEND_NO_BUFFER). Stores a
 * send right in *sp. Through machd the name goes if its creator dies before a check-in. Returns BOOTSTRAP_SUCCESS, BOOTSTRAP_NAME_IN_USE (the name exists),
 * BOOTSTRAP_BAD_COUNT, KERN_INVALID_ARGUMENT or a mach_msg error. Thread-safe. */
OPENMIG_API kern_return_t bootstrap_create_service(mach_port_t bp, const char *service_name,
                                                   mach_port_t *sp);

/* Stores BOOTSTRAP_STATUS_ACTIVE (checked in or registered) or BOOTSTRAP_STATUS_INACTIVE
 * (created, waiting for check-in) in *service_active. Returns BOOTSTRAP_SUCCESS,
 * BOOTSTRAP_UNKNOWN_SERVICE, BOOTSTRAP_BAD_COUNT, KERN_INVALID_ARGUMENT or a mach_msg error. */
OPENMIG_API kern_return_t bootstrap_status(mach_port_t bp, const char *service_name,
                                           bootstrap_status_t *service_active);

/* A static description of a BOOTSTRAP_* code ("Unknown service name", ...); for any other code
 * the result of mach_error_string(). Never NULL. */
OPENMIG_API const char *bootstrap_strerror(kern_return_t r);

__END_DECLS

#endif /* _SERVERS_BOOTSTRAP_H_ */
