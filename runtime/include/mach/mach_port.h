/* The mach_port_* interface (<mach/mach_port.h>): rights and names in a task's IPC space.
 * In libmach the task argument is mach_task_self() (or another task name held in the
 * caller's space); every call is thread-safe. Return codes follow Darwin; the contract of
 * each call, and where libmach differs, is in docs/runtime.md. */
#ifndef OPENMIG_MACH_MACH_PORT_H
#define OPENMIG_MACH_MACH_PORT_H

#include <mach/openmig_export.h>
#include <mach/std_types.h>
#include <mach/mach_types.h>

__BEGIN_DECLS

/* Lists every name in the space with its MACH_PORT_TYPE_* bits. Both arrays are allocated
 * with vm_allocate; the caller releases them with vm_deallocate. */
extern OPENMIG_API kern_return_t mach_port_names(ipc_space_t task, mach_port_name_array_t *names,
                                                 mach_msg_type_number_t *namesCnt,
                                                 mach_port_type_array_t *types,
                                                 mach_msg_type_number_t *typesCnt);

/* The MACH_PORT_TYPE_* bits of one name (plus DNREQUEST when a dead-name request is armed). */
extern OPENMIG_API kern_return_t mach_port_type(ipc_space_t task, mach_port_name_t name,
                                                mach_port_type_t *ptype);

/* Creates a receive right, an empty port set or a dead name under a new name. */
extern OPENMIG_API kern_return_t mach_port_allocate(ipc_space_t task, mach_port_right_t right,
                                                    mach_port_name_t *name);

/* Same under a name chosen by the caller (KERN_NAME_EXISTS if taken, KERN_FAILURE for index 0
 * or a taken index under another generation). */
extern OPENMIG_API kern_return_t mach_port_allocate_name(ipc_space_t task, mach_port_right_t right,
                                                         mach_port_name_t name);

/* mach_port_allocate with a qos request (qos->name: use *name). */
extern OPENMIG_API kern_return_t mach_port_allocate_qos(ipc_space_t task, mach_port_right_t right,
                                                        mach_port_qos_t *qos,
                                                        mach_port_name_t *name);

/* Creates a receive right with options (MPO_QLIMIT, MPO_INSERT_SEND_RIGHT,
 * MPO_CONTEXT_AS_GUARD, MPO_STRICT, ...) and context. */
extern OPENMIG_API kern_return_t mach_port_construct(ipc_space_t task,
                                                     mach_port_options_ptr_t options,
                                                     mach_port_context_t context,
                                                     mach_port_name_t *name);

/* Destroys a receive right made by mach_port_construct (guard must match when guarded) and
 * adjusts the send-right urefs of the same name by srdelta (<= 0). */
extern OPENMIG_API kern_return_t mach_port_destruct(ipc_space_t task, mach_port_name_t name,
                                                    mach_port_delta_t srdelta,
                                                    mach_port_context_t guard);

/* Removes every right a name denotes; a receive right's port dies. */
extern OPENMIG_API kern_return_t mach_port_destroy(ipc_space_t task, mach_port_name_t name);

/* Drops one user reference of a send, send-once or dead-name right. */
extern OPENMIG_API kern_return_t mach_port_deallocate(ipc_space_t task, mach_port_name_t name);

extern OPENMIG_API kern_return_t mach_port_get_refs(ipc_space_t task, mach_port_name_t name,
                                                    mach_port_right_t right,
                                                    mach_port_urefs_t *refs);

/* Adds delta user references to one kind of right (pegged at 65535, as XNU; KERN_INVALID_VALUE
 * below zero or for a delta beyond +-65535). */
extern OPENMIG_API kern_return_t mach_port_mod_refs(ipc_space_t task, mach_port_name_t name,
                                                    mach_port_right_t right,
                                                    mach_port_delta_t delta);

extern OPENMIG_API kern_return_t mach_port_set_mscount(ipc_space_t task, mach_port_name_t name,
                                                       mach_port_mscount_t mscount);

/* The ports in a port set; the array comes from vm_allocate. */
extern OPENMIG_API kern_return_t mach_port_get_set_status(ipc_space_t task, mach_port_name_t name,
                                                          mach_port_name_array_t *members,
                                                          mach_msg_type_number_t *membersCnt);

/* Moves receive right member into port set after (MACH_PORT_NULL: out of any set). */
extern OPENMIG_API kern_return_t mach_port_move_member(ipc_space_t task, mach_port_name_t member,
                                                       mach_port_name_t after);

/* Arms a notification (MACH_NOTIFY_NO_SENDERS, _DEAD_NAME, _PORT_DESTROYED) sent to notify;
 * the previously armed send-once right, if any, comes back in *previous. */
extern OPENMIG_API kern_return_t mach_port_request_notification(
    ipc_space_t task, mach_port_name_t name, mach_msg_id_t msgid, mach_port_mscount_t sync,
    mach_port_t notify, mach_msg_type_name_t notifyPoly, mach_port_t *previous);

/* Gives the space a right under name, taken from poly in the caller's space with the
 * disposition polyPoly (MAKE_SEND, COPY_SEND, MOVE_*, MAKE_SEND_ONCE). */
extern OPENMIG_API kern_return_t mach_port_insert_right(ipc_space_t task, mach_port_name_t name,
                                                        mach_port_t poly,
                                                        mach_msg_type_name_t polyPoly);

/* Takes a right out of name with disposition msgt_name; returns the new name in the caller's
 * space and the resulting right type (MACH_MSG_TYPE_PORT_*). */
extern OPENMIG_API kern_return_t mach_port_extract_right(ipc_space_t task, mach_port_name_t name,
                                                         mach_msg_type_name_t msgt_name,
                                                         mach_port_t *poly,
                                                         mach_msg_type_name_t *polyPoly);

extern OPENMIG_API kern_return_t mach_port_set_seqno(ipc_space_t task, mach_port_name_t name,
                                                     mach_port_seqno_t seqno);

/* MACH_PORT_LIMITS_INFO, MACH_PORT_RECEIVE_STATUS, MACH_PORT_DNREQUESTS_SIZE,
 * MACH_PORT_INFO_EXT, MACH_PORT_GUARD_INFO. *port_info_outCnt is in natural_t units. */
extern OPENMIG_API kern_return_t mach_port_get_attributes(ipc_space_t task, mach_port_name_t name,
                                                          mach_port_flavor_t flavor,
                                                          mach_port_info_t port_info_out,
                                                          mach_msg_type_number_t *port_info_outCnt);

/* MACH_PORT_LIMITS_INFO (qlimit 0..MACH_PORT_QLIMIT_MAX); other Darwin flavors are accepted
 * and ignored (importance and tempowner have no meaning here). */
extern OPENMIG_API kern_return_t mach_port_set_attributes(ipc_space_t task, mach_port_name_t name,
                                                          mach_port_flavor_t flavor,
                                                          mach_port_info_t port_info,
                                                          mach_msg_type_number_t port_infoCnt);

extern OPENMIG_API kern_return_t mach_port_get_srights(ipc_space_t task, mach_port_name_t name,
                                                       mach_port_rights_t *srights);

extern OPENMIG_API kern_return_t mach_port_insert_member(ipc_space_t task, mach_port_name_t name,
                                                         mach_port_name_t pset);
extern OPENMIG_API kern_return_t mach_port_extract_member(ipc_space_t task, mach_port_name_t name,
                                                          mach_port_name_t pset);

extern OPENMIG_API kern_return_t mach_port_get_context(ipc_space_t task, mach_port_name_t name,
                                                       mach_port_context_t *context);
extern OPENMIG_API kern_return_t mach_port_set_context(ipc_space_t task, mach_port_name_t name,
                                                       mach_port_context_t context);

extern OPENMIG_API kern_return_t mach_port_guard(ipc_space_t task, mach_port_name_t name,
                                                 mach_port_context_t guard, boolean_t strict);
extern OPENMIG_API kern_return_t mach_port_unguard(ipc_space_t task, mach_port_name_t name,
                                                   mach_port_context_t guard);
/* Guards with MPG_STRICT / MPG_IMMOVABLE_RECEIVE flags (a port whose context is 0). */
extern OPENMIG_API kern_return_t mach_port_guard_with_flags(ipc_space_t task,
                                                            mach_port_name_t name,
                                                            mach_port_context_t guard,
                                                            uint64_t flags);
/* Looks at a queued message without receiving it: *request_seqnop 0 for the first one, else
 * that sequence number (KERN_FAILURE if not queued); returns its sequence number, size (XNU's
 * kernel size: header + 8, + 4 per port descriptor), id and a trailer of up to the audit
 * elements (*trailer_infopCnt: bytes available in, written out). */
extern OPENMIG_API kern_return_t mach_port_peek(ipc_space_t task, mach_port_name_t name,
                                                mach_msg_trailer_type_t trailer_type,
                                                mach_port_seqno_t *request_seqnop,
                                                mach_msg_size_t *msg_sizep,
                                                mach_msg_id_t *msg_idp,
                                                mach_msg_trailer_info_t trailer_infop,
                                                mach_msg_type_number_t *trailer_infopCnt);
/* Replaces the guard of a guarded, not strictly guarded port whose guard is old_guard. */
extern OPENMIG_API kern_return_t mach_port_swap_guard(ipc_space_t task, mach_port_name_t name,
                                                      mach_port_context_t old_guard,
                                                      mach_port_context_t new_guard);

/* Service and connection ports (mach_port_construct with MPO_SERVICE_PORT /
 * MPO_CONNECTION_PORT). No sandbox message filters here: the policy id is always 0. */
extern OPENMIG_API kern_return_t mach_port_is_connection_for_service(
    ipc_space_t task, mach_port_name_t connection_port, mach_port_name_t service_port,
    uint64_t *filter_policy_id);
extern OPENMIG_API kern_return_t mach_port_get_service_port_info(
    ipc_space_read_t task, mach_port_name_t name, mach_service_port_info_data_t *sp_info_out);
/* MACH_PORT_GUARD_INFO: the receive right must be strictly guarded by info's guard
 * (KERN_INVALID_ARGUMENT otherwise; Darwin kills the task). */
extern OPENMIG_API kern_return_t mach_port_assert_attributes(ipc_space_t task,
                                                             mach_port_name_t name, int flavor,
                                                             mach_port_info_t info,
                                                             mach_msg_type_number_t infoCnt);
/* Kernel-object type of a send or receive right: 2 (IKOT_TASK_CONTROL) for a task port, 0 for
 * any other port; the address is 0, as on release kernels. */
extern OPENMIG_API kern_return_t mach_port_kobject(ipc_space_read_t task, mach_port_name_t name,
                                                   natural_t *object_type,
                                                   mach_vm_address_t *object_addr);
extern OPENMIG_API kern_return_t mach_port_kernel_object(ipc_space_read_t task,
                                                         mach_port_name_t name,
                                                         unsigned *object_type,
                                                         unsigned *object_addr);

__END_DECLS

#endif /* OPENMIG_MACH_MACH_PORT_H */
