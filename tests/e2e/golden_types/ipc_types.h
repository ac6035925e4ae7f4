/* C types for tests/golden/ipc_types.defs (pre-included when its generated code is compiled). */
#include <mach/mach_types.h>
typedef mach_port_t port;
typedef boolean_t b;
typedef int8_t i8;
typedef int16_t i16;
typedef int32_t i32;
typedef int64_t i64;
typedef char ch;
typedef unsigned char by;
typedef float r32;
typedef double r64;
typedef mach_port_name_t name;
