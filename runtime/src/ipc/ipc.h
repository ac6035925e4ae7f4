/* The IPC core's face: the one header the layers above it (api/, transport/) include. The core is
 * one layer whose parts the Darwin calls build on directly (spaces, ports, rights, messages,
 * queues, notifications, the region registry, and the proxy seam a transport registers into), so
 * its face brings in the core's internal headers; inside ipc/ files include each other's
 * *_internal.h. Lock rules and contracts are in each internal header. */
#ifndef OPENMIG_IPC_H
#define OPENMIG_IPC_H

#include "ipc/ipc_internal.h"
#include "ipc/fdwatch_internal.h"
#include "ipc/kmsg_internal.h"
#include "ipc/mqueue_internal.h"
#include "ipc/notify_internal.h"
#include "ipc/ool_internal.h"
#include "ipc/ool_stage_internal.h"
#include "ipc/port_internal.h"
#include "ipc/portset_internal.h"
#include "ipc/proxy_internal.h"
#include "ipc/right_internal.h"
#include "ipc/scatter_internal.h"
#include "ipc/space_internal.h"
#include "ipc/vm_internal.h"

#endif /* OPENMIG_IPC_H */
