/* Notification message ids and layouts (<mach/notify.h>), as the runtime sends them. */
#ifndef OPENMIG_MACH_NOTIFY_H
#define OPENMIG_MACH_NOTIFY_H

#include <mach/port.h>
#include <mach/message.h>
#include <mach/ndr.h>

#define MACH_NOTIFY_FIRST 0100
#define MACH_NOTIFY_PORT_DELETED (MACH_NOTIFY_FIRST + 001)   /* 65: a send(-once) right was deleted */
#define MACH_NOTIFY_SEND_POSSIBLE (MACH_NOTIFY_FIRST + 002)  /* 66: the queue has room again */
#define MACH_NOTIFY_PORT_DESTROYED (MACH_NOTIFY_FIRST + 005) /* 69: receive right sent back */
#define MACH_NOTIFY_NO_SENDERS (MACH_NOTIFY_FIRST + 006)     /* 70: last send right gone */
#define MACH_NOTIFY_SEND_ONCE (MACH_NOTIFY_FIRST + 007)      /* 71: send-once right destroyed */
#define MACH_NOTIFY_DEAD_NAME (MACH_NOTIFY_FIRST + 010)      /* 72: a send right became dead */
#define MACH_NOTIFY_LAST (MACH_NOTIFY_FIRST + 015)

#define MACH_NOTIFY_NO_SENDERS_MSGH_SIZE 0

typedef mach_port_t notify_port_t;

#pragma pack(push, 4)

typedef struct {
  mach_msg_header_t not_header;
  NDR_record_t NDR;
  mach_port_name_t not_port;
  mach_msg_format_0_trailer_t trailer;
} mach_port_deleted_notification_t;

typedef struct {
  mach_msg_header_t not_header;
  NDR_record_t NDR;
  mach_port_name_t not_port;
  mach_msg_format_0_trailer_t trailer;
} mach_send_possible_notification_t;

typedef struct {
  mach_msg_header_t not_header;
  mach_msg_body_t not_body;
  mach_msg_port_descriptor_t not_port; /* the receive right */
  mach_msg_format_0_trailer_t trailer;
} mach_port_destroyed_notification_t;

typedef struct {
  mach_msg_header_t not_header;
  NDR_record_t NDR;
  mach_msg_type_number_t not_count; /* make-send count when the last send right died */
  mach_msg_format_0_trailer_t trailer;
} mach_no_senders_notification_t;

typedef struct {
  mach_msg_header_t not_header;
  mach_msg_format_0_trailer_t trailer;
} mach_send_once_notification_t;

typedef struct {
  mach_msg_header_t not_header;
  NDR_record_t NDR;
  mach_port_name_t not_port; /* the name that became dead */
  mach_msg_format_0_trailer_t trailer;
} mach_dead_name_notification_t;

#pragma pack(pop)

#endif /* OPENMIG_MACH_NOTIFY_H */
