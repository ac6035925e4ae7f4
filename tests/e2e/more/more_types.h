/* C types and translations of more.defs. */
#ifndef MORE_TYPES_H
#define MORE_TYPES_H
#include <mach/mach_types.h>
typedef mach_port_t obj_t; /* the client sees the port */
typedef struct more_obj *obj_ref_t; /* the server sees the object */
typedef int *masks_t;
typedef char *blob_t;
typedef int word_ct;
#ifdef __cplusplus
extern "C" {
#endif
obj_ref_t obj_from_port(mach_port_t port);
mach_port_t obj_to_port(obj_ref_t obj);
void obj_release(obj_ref_t obj);
/* OnStackLimit: the heap buffers of the larger client stubs (more_test.c supplies them). */
vm_offset_t mig_user_allocate(vm_size_t size);
void mig_user_deallocate(char *data, vm_size_t size);
#ifdef __cplusplus
}
#endif
#endif
