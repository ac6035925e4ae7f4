# 0 "tests/golden/ipc_types.defs"
# 0 "<built-in>"
# 0 "<command-line>"
# 1 "/usr/include/stdc-predef.h" 1 3 4
# 0 "<command-line>" 2
# 1 "tests/golden/ipc_types.defs"


subsystem ipc_types_test 6000;
type port = MACH_MSG_TYPE_COPY_SEND;
type b = MACH_MSG_TYPE_BOOLEAN;
type i8 = MACH_MSG_TYPE_INTEGER_8;
type i16 = MACH_MSG_TYPE_INTEGER_16;
type i32 = MACH_MSG_TYPE_INTEGER_32;
type i64 = MACH_MSG_TYPE_INTEGER_64;
type ch = MACH_MSG_TYPE_CHAR;
type by = MACH_MSG_TYPE_BYTE;
type r32 = MACH_MSG_TYPE_REAL_32;
type r64 = MACH_MSG_TYPE_REAL_64;
type name = MACH_MSG_TYPE_PORT_NAME;

routine all_scalars(server : port; v_b : b; v_i8 : i8; v_i16 : i16; v_i32 : i32; v_i64 : i64;
 v_ch : ch; v_by : by; v_r32 : r32; v_r64 : r64; v_name : name);
