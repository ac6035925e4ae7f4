/* time_value_t (<mach/time_value.h>): seconds and microseconds, as task and thread info report
 * CPU times. 8 bytes. */
#ifndef OPENMIG_MACH_TIME_VALUE_H
#define OPENMIG_MACH_TIME_VALUE_H

#include <mach/machine/vm_types.h>

struct time_value {
  integer_t seconds;
  integer_t microseconds;
};
typedef struct time_value time_value_t;

#define TIME_MICROS_MAX (1000000)

/* Adds micros microseconds to *val, carrying into seconds. */
#define time_value_add_usec(val, micros)                                                     \
  {                                                                                          \
    if (((val)->microseconds += (micros)) >= TIME_MICROS_MAX) {                              \
      (val)->microseconds -= TIME_MICROS_MAX;                                                \
      (val)->seconds++;                                                                      \
    }                                                                                        \
  }

/* *result += *addend, carrying microseconds into seconds. */
#define time_value_add(result, addend)                                                       \
  {                                                                                          \
    (result)->microseconds += (addend)->microseconds;                                        \
    (result)->seconds += (addend)->seconds;                                                  \
    if ((result)->microseconds >= TIME_MICROS_MAX) {                                         \
      (result)->microseconds -= TIME_MICROS_MAX;                                             \
      (result)->seconds++;                                                                   \
    }                                                                                        \
  }

#endif /* OPENMIG_MACH_TIME_VALUE_H */
