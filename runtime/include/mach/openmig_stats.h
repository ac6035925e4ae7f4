/* OpenMIG extension (not a Darwin header): counts of live runtime objects, so tests and
 * tools can check for leaks of ports, rights, queued messages and out-of-line memory. */
#ifndef OPENMIG_MACH_OPENMIG_STATS_H
#define OPENMIG_MACH_OPENMIG_STATS_H

#include <stdint.h>
#include <mach/openmig_export.h>

struct openmig_ipc_stats {
  uint64_t ports;         /* live ports (including dead ones still referenced) */
  uint64_t port_sets;     /* live port sets */
  uint64_t spaces;        /* live IPC spaces */
  uint64_t entries;       /* used names over all spaces */
  uint64_t messages;      /* messages queued or in transit */
  uint64_t ool_regions;   /* out-of-line regions held by messages in transit */
  uint64_t ool_bytes;     /* bytes of those regions */
  uint64_t vm_regions;    /* regions vm_allocate'd and not yet vm_deallocate'd (whole) */
  uint64_t vm_bytes;      /* bytes of those regions */
};

__BEGIN_DECLS

/* Fills *out with a consistent snapshot of the counters. Thread-safe. */
extern OPENMIG_API void openmig_ipc_stats_get(struct openmig_ipc_stats *out);

__END_DECLS

#endif /* OPENMIG_MACH_OPENMIG_STATS_H */
