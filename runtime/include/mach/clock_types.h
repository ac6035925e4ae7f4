/* Clock service types (<mach/clock_types.h>) of the clock, clock_priv and clock_reply
 * interfaces. libmach serves no clocks; these are the types their stubs name. */
#ifndef OPENMIG_MACH_CLOCK_TYPES_H
#define OPENMIG_MACH_CLOCK_TYPES_H

#include <stdint.h>
#include <mach/time_value.h>

typedef int alarm_type_t;  /* TIME_ABSOLUTE or TIME_RELATIVE */
typedef int sleep_type_t;  /* same values, for clock_sleep */
typedef int clock_id_t;    /* SYSTEM_CLOCK, CALENDAR_CLOCK */
typedef int clock_flavor_t;
typedef int *clock_attr_t; /* attribute buffer (clock_get_attributes) */
typedef int clock_res_t;   /* resolution in nanoseconds */

/* A time of a Mach clock: 8 bytes, unsigned seconds then signed nanoseconds. */
struct mach_timespec {
  unsigned int tv_sec;
  clock_res_t tv_nsec;
};
typedef struct mach_timespec mach_timespec_t;

/* Clock ids for host_get_clock_service. */
#define SYSTEM_CLOCK 0
#define CALENDAR_CLOCK 1
#define REALTIME_CLOCK 0

/* Attribute flavors. */
#define CLOCK_GET_TIME_RES 1
#define CLOCK_ALARM_CURRES 3
#define CLOCK_ALARM_MINRES 4
#define CLOCK_ALARM_MAXRES 5

#define NSEC_PER_USEC 1000ull
#define USEC_PER_SEC 1000000ull
#define NSEC_PER_SEC 1000000000ull
#define NSEC_PER_MSEC 1000000ull

/* True when a timespec's nanoseconds are out of range. */
#define BAD_MACH_TIMESPEC(t) ((t)->tv_nsec < 0 || (t)->tv_nsec >= (long)NSEC_PER_SEC)

/* Sign of t1 - t2: +/-NSEC_PER_SEC when the seconds differ, else the nanosecond difference. */
#define CMP_MACH_TIMESPEC(t1, t2)                                                            \
  ((t1)->tv_sec > (t2)->tv_sec   ? (long)+NSEC_PER_SEC                                       \
   : (t1)->tv_sec < (t2)->tv_sec ? (long)-NSEC_PER_SEC                                       \
                                 : (t1)->tv_nsec - (t2)->tv_nsec)

/* *t1 += *t2, normalised. */
#define ADD_MACH_TIMESPEC(t1, t2)                                                            \
  do {                                                                                       \
    if (((t1)->tv_nsec += (t2)->tv_nsec) >= (long)NSEC_PER_SEC) {                            \
      (t1)->tv_nsec -= (long)NSEC_PER_SEC;                                                   \
      (t1)->tv_sec += 1;                                                                     \
    }                                                                                        \
    (t1)->tv_sec += (t2)->tv_sec;                                                            \
  } while (0)

/* *t1 -= *t2, normalised. */
#define SUB_MACH_TIMESPEC(t1, t2)                                                            \
  do {                                                                                       \
    if (((t1)->tv_nsec -= (t2)->tv_nsec) < 0) {                                              \
      (t1)->tv_nsec += (long)NSEC_PER_SEC;                                                   \
      (t1)->tv_sec -= 1;                                                                     \
    }                                                                                        \
    (t1)->tv_sec -= (t2)->tv_sec;                                                            \
  } while (0)

/* Alarm types. */
#define ALRMTYPE 0xff
#define TIME_ABSOLUTE 0x00
#define TIME_RELATIVE 0x01
#define BAD_ALRMTYPE(t) (((t) & ~TIME_RELATIVE) != 0)

#endif /* OPENMIG_MACH_CLOCK_TYPES_H */
