/* Rights in a space: moving them into and out of messages (copyin/copyout), and the user-level
 * operations on names (deallocate, destroy, mod_refs, get_refs, type). Lock held throughout. */
#ifndef OPENMIG_RIGHT_INTERNAL_H
#define OPENMIG_RIGHT_INTERNAL_H

#include "ipc/space_internal.h"

/* Turns a send or send-once entry whose port died into a dead name (Mach's lazy check). */
void right_check_dead(struct ipc_space *space, mach_port_name_t name, struct ipc_entry *e);

/* Applies the effect a copyin with disposition disp would have to a copy of an entry (type and
 * urefs only), so two rights taken from one name can be checked before either is taken.
 * KERN_INVALID_RIGHT when the entry does not hold the right, KERN_INVALID_VALUE for a
 * disposition that is not a port disposition. */
kern_return_t right_copyin_check(struct ipc_entry *tmp, mach_msg_type_name_t disp);

/* Takes a right out of space for a message: *port receives a reference-holding right (NULL for
 * MACH_PORT_NULL, IPC_PORT_DEAD for MACH_PORT_DEAD or a dead name) and *type the right carried
 * (MACH_MSG_TYPE_PORT_*). Errors: KERN_INVALID_NAME, KERN_INVALID_RIGHT, KERN_INVALID_VALUE,
 * KERN_INVALID_CAPABILITY (immovable receive right); nothing changes on error. */
kern_return_t right_copyin(struct ipc_space *space, mach_port_name_t name,
                           mach_msg_type_name_t disp, struct ipc_port **port,
                           mach_msg_type_name_t *type);

/* Gives a right to space, coalescing send and receive rights with an existing name for the
 * same port. Consumes the right. *name is MACH_PORT_DEAD for rights to dead ports. On
 * KERN_NO_SPACE the right is destroyed and *name is MACH_PORT_NULL. */
kern_return_t right_copyout(struct ipc_space *space, struct ipc_port *port,
                            mach_msg_type_name_t type, mach_port_name_t *name);

/* Same under a chosen name (mach_port_insert_right), XNU's ipc_object_copyout_name. Consumes
 * the right, also on error: the errors of space_check_name (KERN_INVALID_VALUE, KERN_FAILURE,
 * KERN_NO_SPACE), KERN_INVALID_CAPABILITY (dead port), KERN_RIGHT_EXISTS (the port has another
 * name here), KERN_NAME_EXISTS (the name holds something else). Send urefs peg at the maximum. */
kern_return_t right_copyout_at(struct ipc_space *space, mach_port_name_t name,
                               struct ipc_port *port, mach_msg_type_name_t type);

/* Destroys a right held outside any space (in a message, a request slot...). */
void right_destroy(struct ipc_port *port, mach_msg_type_name_t type);

/* mach_port_deallocate: one uref of a send right or dead name, a send-once right, or a whole
 * port set; MACH_PORT_NULL / DEAD succeed; a receive-only name is KERN_INVALID_RIGHT. */
kern_return_t right_deallocate(struct ipc_space *space, mach_port_name_t name);
/* mach_port_destruct (XNU's ipc_right_destruct): adjusts the send urefs by srdelta (<= 0), then
 * destroys the receive right if guard matches a guarded port. */
kern_return_t right_destruct(struct ipc_space *space, mach_port_name_t name,
                             mach_port_delta_t srdelta, mach_port_context_t guard);
/* mach_port_destroy; dying: the space is being torn down (guards ignored). */
kern_return_t right_destroy_name(struct ipc_space *space, mach_port_name_t name, bool dying);
kern_return_t right_mod_refs(struct ipc_space *space, mach_port_name_t name,
                             mach_port_right_t right, mach_port_delta_t delta);
kern_return_t right_get_refs(struct ipc_space *space, mach_port_name_t name,
                             mach_port_right_t right, mach_port_urefs_t *refs);
/* The MACH_PORT_TYPE_* bits of an entry, with MACH_PORT_TYPE_DNREQUEST when one is armed. */
mach_port_type_t right_type_bits(const struct ipc_entry *e);

/* Removes a name whose rights have been taken: cancels its dead-name request (port-deleted
 * notification), drops it from the reverse map and frees the slot. */
void right_entry_remove(struct ipc_space *space, mach_port_name_t name, struct ipc_entry *e);

#endif /* OPENMIG_RIGHT_INTERNAL_H */
