/* <mach/mach_error.h>: printable names for Mach return codes (Darwin's API).
 * Covers kern_return_t (KERN_*), mach_msg_return_t (MACH_SEND_*, MACH_RCV_*), MIG_* codes from
 * <mach/mig_errors.h> and BOOTSTRAP_* codes from <servers/bootstrap.h>. */
#ifndef _MACH_MACH_ERROR_H_
#define _MACH_MACH_ERROR_H_

#include <mach/error.h>
#include <mach/openmig_export.h>

__BEGIN_DECLS

/* Returns a constant, human-readable description of error_value, such as
 * "(ipc/send) invalid destination port". Never returns NULL: an unknown code yields
 * "unknown error code". The MACH_MSG_MASK bits (MACH_MSG_IPC_SPACE, ...) that the IPC layer
 * may OR into a mach_msg_return_t are ignored. The string is static: do not free or modify it
 * (the return type is char * only for source compatibility with Darwin). Thread-safe. */
OPENMIG_API char *mach_error_string(mach_error_t error_value);

/* Returns the "(system/subsystem)" label of error_value, for example "(os/kern)",
 * "(ipc/send)", "(ipc/rcv)", "(ipc/mig)" or "(bootstrap)"; "(?/?)" when the system or
 * subsystem is unknown. Static string; thread-safe. */
OPENMIG_API char *mach_error_type(mach_error_t error_value);

/* Prints "<str> <mach_error_string(error_value)> (<mach_error_type>: 0x<hex>)" and a newline to
 * stderr, as one write. str may be NULL (treated as empty). Thread-safe. */
OPENMIG_API void mach_error(const char *str, mach_error_t error_value);

__END_DECLS

#endif /* _MACH_MACH_ERROR_H_ */
