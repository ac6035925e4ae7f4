/* C types of constructs.defs. */
#ifndef CONSTRUCTS_TYPES_H
#define CONSTRUCTS_TYPES_H
#include <mach/mach_types.h>
typedef struct { int x, y; } point_t;
typedef int quad_t[4];
typedef int *ints_t;
typedef char *bytes_t;
typedef char name_t[32];
typedef char *vname_t;
typedef int *ool_ints_t;
typedef char *buf_t;
typedef int8_t small_t;
typedef mach_port_t *ports_t;
typedef mach_port_t *move_ports_t;
typedef mach_port_t three_ports_t[3];
#endif
