# 1 "dos.defs"
subsystem dos 500;
/* a
 comment */ type int = MACH_MSG_TYPE_INTEGER_32;
type mach_port_t = MACH_MSG_TYPE_COPY_SEND;
routine r(s : mach_port_t; a : int);
#pragma once
