# rt-svc: tests of the server loops, reply ports, MIG support routines, error strings, bootstrap
# service, the hand-written echo service, the stress test and the mach_msg fuzz target.
# They need the IPC core (mach_msg and friends): registered once runtime/src/api/msg.c exists.
if(TARGET mach_static AND EXISTS ${PROJECT_SOURCE_DIR}/runtime/src/api/msg.c)
  foreach(name mach_error mig_support reply_port server server_pool bootstrap stress)
    openmig_add_unit_test(NAME test_${name}
      SOURCES ${CMAKE_CURRENT_LIST_DIR}/unit/runtime/test_${name}.c
      LIBS mach_static mach_internal LABELS runtime)
  endforeach()
  openmig_add_unit_test(NAME e2e_echo_handwritten
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/e2e/echo_handwritten.c
    LIBS mach_static mach_internal LABELS runtime e2e)
  # These test the in-process runtime: the in-process name service, never machd's.
  set_tests_properties(test_mach_error test_mig_support test_reply_port test_server
                       test_server_pool test_bootstrap test_stress e2e_echo_handwritten
                       PROPERTIES ENVIRONMENT MACH_BOOTSTRAP=private)
endif()
# mach_internal only for _GNU_SOURCE, which replay_main.c (scandir) needs until it defines it.
if(TARGET mach_static AND EXISTS ${PROJECT_SOURCE_DIR}/runtime/src/api/msg.c)
  openmig_add_fuzz_target(NAME fuzz_mach_msg
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz/fuzz_mach_msg.c
    LIBS mach_static mach_internal
    CORPUS ${CMAKE_CURRENT_LIST_DIR}/fuzz/corpus/mach_msg)
endif()
