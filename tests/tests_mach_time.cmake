# <mach/mach_time.h> and mach_reply_port (docs/runtime.md): unit tests in one process.
if(TARGET mach_static)
  openmig_add_unit_test(NAME test_mach_time
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/unit/runtime/test_mach_time.c
    LIBS mach_static mach_internal
    LABELS runtime)
endif()
