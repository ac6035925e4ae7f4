/* The messages that carry semaphore calls between processes (docs/semaphores.md, "Across
 * processes"): a task holding a send right to another task's semaphore (a proxy port) sends one
 * of these to it; the owner's runtime serves it where the transport delivers it
 * (ipc_kobject_message), never queueing it. Private to libmach: both ends are libmach. */
#ifndef OPENMIG_SEMAPHORE_MSG_H
#define OPENMIG_SEMAPHORE_MSG_H

#include <stdint.h>

#include <mach/message.h>
#include <mach/ndr.h>

/* Request ids ('SEM' << 8 | n); a reply's id is the request's + 100, as MIG's. */
enum {
  SEMAPHORE_MSG_SIGNAL = 0x53454d00,        /* one-way: semaphore_signal */
  SEMAPHORE_MSG_SIGNAL_ALL = 0x53454d01,    /* one-way: semaphore_signal_all */
  SEMAPHORE_MSG_SIGNAL_THREAD = 0x53454d02, /* RPC: semaphore_signal_thread(sem, THREAD_NULL) */
  SEMAPHORE_MSG_WAIT = 0x53454d03,          /* RPC: semaphore_wait / semaphore_timedwait */
  SEMAPHORE_MSG_REPLY_DELTA = 100,
};

/* SEMAPHORE_MSG_WAIT flags. */
enum { SEMAPHORE_WAIT_TIMED = 1u };

#pragma pack(push, 4)
/* Every request: simple (not complex), exactly this size; the reply right, if any, is a
 * send-once right in msgh_local_port. tv_* is the relative timeout of a timed wait. */
struct semaphore_request {
  mach_msg_header_t header;
  NDR_record_t ndr;
  uint32_t flags;
  uint32_t tv_sec;
  int32_t tv_nsec;
};

/* Every reply: mig_reply_error_t's layout, so a MIG server's MIG_BAD_ID answer parses too. */
struct semaphore_reply {
  mach_msg_header_t header;
  NDR_record_t ndr;
  kern_return_t ret;
};
#pragma pack(pop)

#endif /* OPENMIG_SEMAPHORE_MSG_H */
