# Fileports (<sys/fileport.h>, docs/fileports.md): unit tests in one process.
if(TARGET mach_static)
  openmig_add_unit_test(NAME test_fileport
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/unit/runtime/test_fileport.c
    LIBS mach_static mach_internal Threads::Threads
    LABELS runtime)
endif()
