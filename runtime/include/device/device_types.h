/* Device and I/O Kit message types (<device/device_types.h>), for device.defs (the I/O Kit
 * interface, iokit_*). The I/O Kit types are given unconditionally: Darwin shows them when
 * IOKIT is defined, which <IOKit/IOTypes.h> does before including this header. Sizes are the
 * LP64 user ones (scalars and async references are 64-bit). */
#ifndef OPENMIG_DEVICE_DEVICE_TYPES_H
#define OPENMIG_DEVICE_DEVICE_TYPES_H

#include <stdint.h>
#include <mach/std_types.h>
#include <mach/mach_types.h>
#include <mach/port.h>

typedef char *io_buf_ptr_t;

typedef char io_name_t[128];
typedef char io_string_t[512];
typedef char io_string_inband_t[4096];
typedef char io_struct_inband_t[4096];

typedef uint64_t io_user_scalar_t;
typedef uint64_t io_user_reference_t;
typedef io_user_scalar_t io_scalar_inband_t[16];
typedef io_user_reference_t io_async_ref_t[8];
typedef io_user_scalar_t io_scalar_inband64_t[16];
typedef io_user_reference_t io_async_ref64_t[8];

typedef mach_port_t io_object_t;

#endif /* OPENMIG_DEVICE_DEVICE_TYPES_H */
