/* C types for tests/golden/translations.defs (pre-included when its generated code is compiled). */
#include <mach/mach_types.h>
typedef struct obj *obj_ref_t;
obj_ref_t obj_from_port(mach_port_t port);
mach_port_t obj_to_port(obj_ref_t obj);
void obj_release(obj_ref_t obj);
