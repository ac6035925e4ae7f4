# rt-core: unit tests of the IPC core (one cmocka program per concept).
if(TARGET mach_static)
  openmig_add_unit_test(NAME test_headers
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/unit/runtime/test_headers.c
    LIBS mach_static)
endif()
