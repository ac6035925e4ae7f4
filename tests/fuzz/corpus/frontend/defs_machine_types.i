# 0 "defs/mach/machine/machine_types.defs"
# 0 "<built-in>"
# 0 "<command-line>"
# 1 "/usr/include/stdc-predef.h" 1 3 4
# 0 "<command-line>" 2
# 1 "defs/mach/machine/machine_types.defs"
# 10 "defs/mach/machine/machine_types.defs"
type short = int16_t;
type int = int32_t;
type unsigned = uint32_t;

type float = MACH_MSG_TYPE_REAL_32;
type double = MACH_MSG_TYPE_REAL_64;


type integer_t = int32_t;
type natural_t = uint32_t;


type uintptr_t = uint64_t;
type intptr_t = int64_t;
type register_t = int64_t;


type vm_address_t = uint64_t;
type vm_offset_t = uint64_t;
type vm_size_t = uint64_t;
# 41 "defs/mach/machine/machine_types.defs"
type mach_vm_address_t = uint64_t;
type mach_vm_offset_t = uint64_t;
type mach_vm_size_t = uint64_t;

type mach_port_context_t = uint64_t;
