/* Message queues of ports: enqueue with queue limits and blocked senders (FIFO, hand-off on
 * dequeue), dequeue with sequence numbers, and the receive loop over a port or a port set with
 * timeouts. Lock held throughout (the waits release it). */
#ifndef OPENMIG_MQUEUE_INTERNAL_H
#define OPENMIG_MQUEUE_INTERNAL_H

#include "ipc/ipc_internal.h"

/* Appends kmsg to port's queue regardless of the queue limit and wakes one receiver (on the
 * port, else on its set). The port must be active. */
void mqueue_enqueue(struct ipc_port *port, struct ipc_kmsg *kmsg);

/* Runtime-originated delivery (notifications, transports): enqueue if port is active,
 * otherwise destroy the message. */
void mqueue_deliver(struct ipc_port *port, struct ipc_kmsg *kmsg);

/* Bookkeeping when a message leaves a queue (receive rights it carries stop being "in" it). */
void mqueue_kmsg_leaves(struct ipc_kmsg *kmsg);

/* Sends a copied-in message to kmsg->remote. MACH_MSG_SUCCESS: queued (or destroyed because the
 * destination is dead or the message would make a receive right unreachable, as in Mach).
 * MACH_SEND_TIMED_OUT: the queue stayed full (timeout 0 with MACH_SEND_TIMEOUT fails at once);
 * the caller still owns kmsg. MACH_SEND_INVALID_DEST: the port died while the sender waited;
 * kmsg was destroyed. Send-once messages ignore the queue limit. */
mach_msg_return_t mqueue_send(struct ipc_kmsg *kmsg, mach_msg_option_t option,
                              mach_msg_timeout_t timeout);

/* Admits blocked senders while the queue has room, then tells the transport (exported ports:
 * senders in other processes). Called after a dequeue and after a queue limit change. */
void mqueue_admit_senders(struct ipc_port *port);

struct mqueue_rcv {
  struct ipc_kmsg *kmsg;        /* the message received (dequeued) */
  struct ipc_port *port;        /* the port it came from */
  mach_port_name_t port_name;   /* that port's name in the receiving space */
  mach_port_seqno_t seqno;
  mach_msg_size_t needed;       /* MACH_RCV_TOO_LARGE: bytes needed including the trailer */
};

/* Receives from the port or port set name in space. rcv_size: buffer size; trailer_size: bytes
 * of trailer requested. MACH_MSG_SUCCESS: out->kmsg dequeued. MACH_RCV_TOO_LARGE: with
 * MACH_RCV_LARGE the message stays queued (out->kmsg NULL), otherwise it is dequeued in
 * out->kmsg for the caller to destroy. MACH_RCV_INVALID_NAME, MACH_RCV_TIMED_OUT,
 * MACH_RCV_PORT_DIED (port or set destroyed or moved while waiting). */
mach_msg_return_t mqueue_receive(struct ipc_space *space, mach_port_name_t name,
                                 mach_msg_option_t option, mach_msg_timeout_t timeout,
                                 mach_msg_size_t rcv_size, mach_msg_size_t trailer_size,
                                 struct mqueue_rcv *out);

/* In a forked child only the forking thread exists: forgets every thread that was waiting in
 * the parent (their waiter records would be reused by the child's new threads) and destroys
 * the messages of the parent's blocked senders. Lock held. */
void mqueue_forget_other_threads(void);

#endif /* OPENMIG_MQUEUE_INTERNAL_H */
