/* tests/golden/kernel_server_ports: compiled as kernel code (__MigKernelSpecificCode) against the
 * test-only shim of the xnu functions the stubs call, with the C types the interface names. */
#define __MigKernelSpecificCode 1
#include "../kserver/kernel_shim.h"
typedef struct kobj *kobj_t;
kobj_t convert_port_to_kobj(mach_port_t port);
void kobj_deallocate(kobj_t obj);
typedef int *ks_ints_t;
typedef char ks_name_t[32];
