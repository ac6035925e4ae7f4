/* <servers/mach_server_pool.h>: OpenMIG extension (not in Darwin): a multi-threaded MIG server
 * loop. N threads receive on one port or port set and dispatch each request to a MIG demux
 * routine under the same ownership rule as mach_msg_server(); destroying the pool answers every
 * request queued before the call, joins the threads and releases everything the pool made. */
#ifndef _SERVERS_MACH_SERVER_POOL_H_
#define _SERVERS_MACH_SERVER_POOL_H_

#include <mach/boolean.h>
#include <mach/kern_return.h>
#include <mach/message.h>
#include <mach/openmig_export.h>
#include <mach/port.h>

__BEGIN_DECLS

#define MACH_SERVER_POOL_MAX_THREADS 256

typedef struct mach_server_pool *mach_server_pool_t;

/* Starts thread_count threads (1..MACH_SERVER_POOL_MAX_THREADS) serving rcv_name, which must
 * be a receive right or a port set held by the caller; options and max_size mean what they
 * mean for mach_msg_server() (MACH_RCV_TRAILER_* honoured; MACH_RCV_LARGE grows the buffers;
 * without it an oversized request is dropped by mach_msg and the threads carry on). demux may be
 * called from several threads at once. The pool adds a private control port to the set (or
 * makes a set and moves rcv_name into it, out of any set it was in; it is in no set after
 * mach_server_pool_destroy()); the caller keeps the receive right and must not destroy it or
 * the set before mach_server_pool_destroy(). Returns KERN_SUCCESS and stores the
 * pool in *pool_out, or KERN_INVALID_ARGUMENT (NULL demux or pool_out, bad thread_count),
 * KERN_INVALID_NAME / KERN_INVALID_RIGHT (rcv_name is not a receive right or set),
 * KERN_RESOURCE_SHORTAGE; on failure nothing is left behind. */
OPENMIG_API kern_return_t mach_server_pool_create(
    mach_server_pool_t *pool_out, boolean_t (*demux)(mach_msg_header_t *, mach_msg_header_t *),
    mach_msg_size_t max_size, mach_port_t rcv_name, mach_msg_options_t options,
    unsigned int thread_count);

/* Stops the pool: every request queued on rcv_name when the call starts is received and
 * answered (or dropped under the ownership rule) before it returns; requests sent later stay
 * queued on rcv_name. Joins every thread, removes the pool's control port (and the set it made,
 * moving rcv_name back out) and frees the pool. Returns KERN_SUCCESS, or the first error that
 * stopped a thread early (for example MACH_RCV_PORT_DIED when the set was destroyed under it).
 * Call it once, from a thread that is not one of the pool's. */
OPENMIG_API kern_return_t mach_server_pool_destroy(mach_server_pool_t pool);

/* Number of requests the pool has dispatched so far (all threads); for tests and statistics. */
OPENMIG_API unsigned long mach_server_pool_requests_handled(mach_server_pool_t pool);

__END_DECLS

#endif /* _SERVERS_MACH_SERVER_POOL_H_ */
