/* Hash table bucket statistics (<mach_debug/hash_info.h>), for host_ipc_hash_info. */
#ifndef OPENMIG_MACH_DEBUG_HASH_INFO_H
#define OPENMIG_MACH_DEBUG_HASH_INFO_H

#include <mach/machine/vm_types.h>

typedef struct hash_info_bucket {
  natural_t hib_count;
} hash_info_bucket_t;
typedef hash_info_bucket_t *hash_info_bucket_array_t;

#endif /* OPENMIG_MACH_DEBUG_HASH_INFO_H */
