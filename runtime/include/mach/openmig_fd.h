/* OpenMIG extension (not a Darwin header): Mach ports in ordinary poll/epoll event loops, the
 * Linux counterpart of kqueue's EVFILT_MACHPORT and of a dispatch source of type
 * DISPATCH_SOURCE_TYPE_MACH_RECV. docs/event-loops.md has the contract and the differences. */
#ifndef OPENMIG_MACH_OPENMIG_FD_H
#define OPENMIG_MACH_OPENMIG_FD_H

#include <mach/openmig_export.h>
#include <mach/boolean.h>
#include <mach/kern_return.h>
#include <mach/message.h>
#include <mach/mach_types.h>

__BEGIN_DECLS

/* A descriptor that is readable (POLLIN / EPOLLIN, level-triggered) while a message is queued
 * on the receive right `name`, or on any member of the port set `name`, whoever sent it (a
 * thread of this process or another process through machd). Reading it is neither needed nor
 * useful: it becomes unreadable when the last message is received. When other threads send
 * while the loop receives, a wake-up may now and then find nothing (a receive with a zero
 * timeout returns MACH_RCV_TIMED_OUT): go back to the loop; at most one per message, never a
 * busy loop. When no other thread works on the port, a call that queued or received has
 * already updated the descriptor when it returns. Once the receive right
 * leaves the name (destroyed, moved away) or the set is destroyed, it stays readable for good,
 * so a loop's next receive fails (MACH_RCV_INVALID_NAME) and the loop can drop it. Every call
 * returns a new descriptor (close-on-exec) that the caller closes; all of a name's
 * descriptors share one state. KERN_INVALID_NAME, KERN_INVALID_RIGHT (not a receive right or
 * port set), KERN_INVALID_ARGUMENT (fd NULL), KERN_RESOURCE_SHORTAGE (no descriptor left). */
extern OPENMIG_API kern_return_t mach_port_get_fd(ipc_space_t task, mach_port_name_t name,
                                                  int *fd);

/* A dispatch-source-like helper: a port (or port set) with a callback and its descriptor. */
typedef struct openmig_port_source *openmig_port_source_t;
typedef void (*openmig_port_source_handler_t)(openmig_port_source_t source, void *context);

/* Creates a source on the receive right or port set `port` (which stays the caller's) with a
 * descriptor from mach_port_get_fd. Errors: those of mach_port_get_fd, KERN_INVALID_ARGUMENT
 * (handler or out NULL). */
extern OPENMIG_API kern_return_t openmig_port_source_create(mach_port_t port,
                                                            openmig_port_source_handler_t handler,
                                                            void *context,
                                                            openmig_port_source_t *out);

/* The descriptor to put in the loop (owned by the source), the port and the context. */
extern OPENMIG_API int openmig_port_source_get_fd(openmig_port_source_t source);
extern OPENMIG_API mach_port_t openmig_port_source_get_port(openmig_port_source_t source);
extern OPENMIG_API void *openmig_port_source_get_context(openmig_port_source_t source);

/* Call when the descriptor is readable: runs the handler once if it still is (another thread
 * may have received the message meanwhile), never blocking. The handler receives the messages
 * (for instance with openmig_port_source_mig_server); what it leaves queued keeps the
 * descriptor readable, so the loop calls back. Returns KERN_SUCCESS, or KERN_TERMINATED once
 * the port or set is gone (the handler is not called; destroy the source). */
extern OPENMIG_API kern_return_t openmig_port_source_fire(openmig_port_source_t source);

/* dispatch_mig_server for a source: serves the requests queued on the source's port with
 * demux under the rules of mach_msg_server (docs/server-loops.md), without waiting, until the
 * queue is empty or `limit` requests were served (0: no limit). `max_size` and `options` are
 * mach_msg_server's; the buffers are kept by the source for the next call (made again when
 * max_size or options change). Returns MACH_MSG_SUCCESS when it stopped on an empty queue or at
 * the limit, else the error that stopped it (MACH_RCV_INVALID_NAME: the port is gone). */
extern OPENMIG_API mach_msg_return_t openmig_port_source_mig_server(
    openmig_port_source_t source, boolean_t (*demux)(mach_msg_header_t *, mach_msg_header_t *),
    mach_msg_size_t max_size, mach_msg_options_t options, unsigned limit);

/* Closes the descriptor and frees the source (the port stays the caller's). Call it after the
 * descriptor left the loop; not from the source's handler. */
extern OPENMIG_API void openmig_port_source_destroy(openmig_port_source_t source);

__END_DECLS

#endif /* OPENMIG_MACH_OPENMIG_FD_H */
