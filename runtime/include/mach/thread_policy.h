/* Thread policy (<mach/thread_policy.h>): the flavors and records of thread_policy_set /
 * thread_policy_get. */
#ifndef OPENMIG_MACH_THREAD_POLICY_H
#define OPENMIG_MACH_THREAD_POLICY_H

#include <stdint.h>
#include <mach/boolean.h>
#include <mach/message.h>
#include <mach/machine/vm_types.h>

typedef natural_t thread_policy_flavor_t;
typedef integer_t *thread_policy_t;

#define __OPENMIG_THREAD_POLICY_COUNT(type)                                                         \
  ((mach_msg_type_number_t)(sizeof(type) / sizeof(integer_t)))

#define THREAD_STANDARD_POLICY 1
struct thread_standard_policy {
  natural_t no_data;
};
typedef struct thread_standard_policy thread_standard_policy_data_t;
typedef struct thread_standard_policy *thread_standard_policy_t;
#define THREAD_STANDARD_POLICY_COUNT 0

#define THREAD_EXTENDED_POLICY 1
struct thread_extended_policy {
  boolean_t timeshare;
};
typedef struct thread_extended_policy thread_extended_policy_data_t;
typedef struct thread_extended_policy *thread_extended_policy_t;
#define THREAD_EXTENDED_POLICY_COUNT __OPENMIG_THREAD_POLICY_COUNT(thread_extended_policy_data_t)

#define THREAD_TIME_CONSTRAINT_POLICY 2
struct thread_time_constraint_policy {
  uint32_t period;
  uint32_t computation;
  uint32_t constraint;
  boolean_t preemptible;
};
typedef struct thread_time_constraint_policy thread_time_constraint_policy_data_t;
typedef struct thread_time_constraint_policy *thread_time_constraint_policy_t;
#define THREAD_TIME_CONSTRAINT_POLICY_COUNT                                                  \
  __OPENMIG_THREAD_POLICY_COUNT(thread_time_constraint_policy_data_t)

#define THREAD_PRECEDENCE_POLICY 3
struct thread_precedence_policy {
  integer_t importance;
};
typedef struct thread_precedence_policy thread_precedence_policy_data_t;
typedef struct thread_precedence_policy *thread_precedence_policy_t;
#define THREAD_PRECEDENCE_POLICY_COUNT __OPENMIG_THREAD_POLICY_COUNT(thread_precedence_policy_data_t)

#define THREAD_AFFINITY_POLICY 4
struct thread_affinity_policy {
  integer_t affinity_tag;
};
typedef struct thread_affinity_policy thread_affinity_policy_data_t;
typedef struct thread_affinity_policy *thread_affinity_policy_t;
#define THREAD_AFFINITY_TAG_NULL 0
#define THREAD_AFFINITY_POLICY_COUNT __OPENMIG_THREAD_POLICY_COUNT(thread_affinity_policy_data_t)

#define THREAD_BACKGROUND_POLICY 5
struct thread_background_policy {
  integer_t priority;
};
typedef struct thread_background_policy thread_background_policy_data_t;
typedef struct thread_background_policy *thread_background_policy_t;
#define THREAD_BACKGROUND_POLICY_DARWIN_BG 0x1000
#define THREAD_BACKGROUND_POLICY_COUNT __OPENMIG_THREAD_POLICY_COUNT(thread_background_policy_data_t)

#define THREAD_LATENCY_QOS_POLICY 7
typedef integer_t thread_latency_qos_t;
struct thread_latency_qos_policy {
  thread_latency_qos_t thread_latency_qos_tier;
};
typedef struct thread_latency_qos_policy thread_latency_qos_policy_data_t;
typedef struct thread_latency_qos_policy *thread_latency_qos_policy_t;
#define THREAD_LATENCY_QOS_POLICY_COUNT __OPENMIG_THREAD_POLICY_COUNT(thread_latency_qos_policy_data_t)

#define THREAD_THROUGHPUT_QOS_POLICY 8
typedef integer_t thread_throughput_qos_t;
struct thread_throughput_qos_policy {
  thread_throughput_qos_t thread_throughput_qos_tier;
};
typedef struct thread_throughput_qos_policy thread_throughput_qos_policy_data_t;
typedef struct thread_throughput_qos_policy *thread_throughput_qos_policy_t;
#define THREAD_THROUGHPUT_QOS_POLICY_COUNT                                                   \
  __OPENMIG_THREAD_POLICY_COUNT(thread_throughput_qos_policy_data_t)

#endif /* OPENMIG_MACH_THREAD_POLICY_H */
