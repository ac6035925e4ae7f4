/* bootstrap_proto.h: the bootstrap name service's messages (OpenMIG's own ids and layouts, in
 * MIG's style: simple requests carry NDR + a fixed name_t, rights travel in port descriptors,
 * errors come back as mig_reply_error_t). Shared by the client calls (bootstrap.c), the
 * in-process service (bootstrap_server.c) and any other server of the protocol (machd). */
#ifndef OPENMIG_BOOTSTRAP_PROTO_H
#define OPENMIG_BOOTSTRAP_PROTO_H

#include <mach/message.h>
#include <mach/mig.h>
#include <mach/mig_errors.h>
#include <mach/ndr.h>
#include <servers/bootstrap.h>

/* Request ids; each reply id is the request id + 100, as in MIG. */
#define BOOTSTRAP_MSG_BASE 400
#define BOOTSTRAP_MSG_CHECK_IN (BOOTSTRAP_MSG_BASE + 0)       /* name -> MOVE_RECEIVE */
#define BOOTSTRAP_MSG_LOOK_UP (BOOTSTRAP_MSG_BASE + 1)        /* name -> COPY_SEND */
#define BOOTSTRAP_MSG_REGISTER (BOOTSTRAP_MSG_BASE + 2)       /* name + send right -> RetCode */
#define BOOTSTRAP_MSG_CREATE_SERVICE (BOOTSTRAP_MSG_BASE + 3) /* name -> COPY_SEND */
#define BOOTSTRAP_MSG_STATUS (BOOTSTRAP_MSG_BASE + 4)         /* name -> RetCode + status */
#define BOOTSTRAP_MSG_COUNT 5
#define BOOTSTRAP_REPLY_ID(request_id) ((request_id) + 100)

#pragma pack(push, 4)

/* check_in, look_up, create_service and status requests. */
typedef struct {
    mach_msg_header_t Head;
    NDR_record_t NDR;
    name_t name;
} bootstrap_name_request_t;

/* register: the send right to bind (MACH_PORT_NULL to unregister) and the name. */
typedef struct {
    mach_msg_header_t Head;
    mach_msg_body_t msgh_body;
    mach_msg_port_descriptor_t port;
    NDR_record_t NDR;
    name_t name;
} bootstrap_register_request_t;

/* Successful check_in / look_up / create_service reply: one right. */
typedef struct {
    mach_msg_header_t Head;
    mach_msg_body_t msgh_body;
    mach_msg_port_descriptor_t port;
} bootstrap_port_reply_t;

/* Successful status reply. */
typedef struct {
    mach_msg_header_t Head;
    NDR_record_t NDR;
    kern_return_t RetCode;
    bootstrap_status_t status;
} bootstrap_status_reply_t;

#pragma pack(pop)

/* Every request and reply fits these (the server loop's max_size, the client's buffer). */
union bootstrap_request {
    bootstrap_name_request_t name;
    bootstrap_register_request_t reg;
};
union bootstrap_reply {
    mig_reply_error_t error;
    bootstrap_port_reply_t port;
    bootstrap_status_reply_t status;
};

_Static_assert(sizeof(bootstrap_name_request_t) == 24 + 8 + 128, "name request layout");
_Static_assert(sizeof(bootstrap_register_request_t) == 24 + 4 + 12 + 8 + 128,
               "register request layout");
_Static_assert(sizeof(bootstrap_port_reply_t) == 24 + 4 + 12, "port reply layout");

#endif /* OPENMIG_BOOTSTRAP_PROTO_H */
