/* Eventlink types (<mach/mach_eventlink_types.h>), for the mach_eventlink interface. Only the
 * types and constants: libmach does not implement eventlinks, so the signal / wait calls
 * Darwin declares here are not declared. */
#ifndef OPENMIG_MACH_MACH_EVENTLINK_TYPES_H
#define OPENMIG_MACH_MACH_EVENTLINK_TYPES_H

#include <stdint.h>
#include <mach/std_types.h>
#include <mach/port.h>

typedef uint32_t kern_clock_id_t;
enum {
  KERN_CLOCK_MACH_ABSOLUTE_TIME = 1,
};

typedef uint32_t mach_eventlink_create_option_t;
enum {
  MELC_OPTION_NONE = 0,
  MELC_OPTION_NO_COPYIN = 0x1,
  MELC_OPTION_WITH_COPYIN = 0x2,
};

typedef uint32_t mach_eventlink_associate_option_t;
enum {
  MELA_OPTION_NONE = 0,
  MELA_OPTION_ASSOCIATE_ON_WAIT = 0x1,
};

typedef uint32_t mach_eventlink_disassociate_option_t;
enum {
  MELD_OPTION_NONE = 0,
};

typedef uint32_t mach_eventlink_signal_wait_option_t;
enum {
  MELSW_OPTION_NONE = 0,
  MELSW_OPTION_NO_WAIT = 0x1,
};

/* A wait's result: the signal count in the low 56 bits, an error in the top 8. */
#define EVENTLINK_SIGNAL_COUNT_MASK 0xffffffffffffff
#define EVENTLINK_SIGNAL_ERROR_MASK 0xff
#define EVENTLINK_SIGNAL_ERROR_SHIFT 56
#define encode_eventlink_count_and_error(count, error)                                       \
  (((count) & EVENTLINK_SIGNAL_COUNT_MASK) |                                                 \
   ((((uint64_t)error) & EVENTLINK_SIGNAL_ERROR_MASK) << EVENTLINK_SIGNAL_ERROR_SHIFT))
#define decode_eventlink_count_from_retval(retval) ((retval) & EVENTLINK_SIGNAL_COUNT_MASK)
#define decode_eventlink_error_from_retval(retval)                                           \
  ((kern_return_t)(((retval) >> EVENTLINK_SIGNAL_ERROR_SHIFT) & EVENTLINK_SIGNAL_ERROR_MASK))

#endif /* OPENMIG_MACH_MACH_EVENTLINK_TYPES_H */
