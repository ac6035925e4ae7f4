# rt-core: unit tests of the IPC core (one cmocka program per concept) and the benchmark.
if(TARGET mach_static)
  openmig_add_unit_test(NAME test_headers
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/unit/runtime/test_headers.c
    LIBS mach_static)
  openmig_add_unit_test(NAME test_darwin_abi
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/unit/runtime/test_darwin_abi.c
    LIBS mach_static)
  foreach(t space right port msg mqueue portset notify ool trailer xnu_rules guard peek service msg2)
    if(EXISTS ${CMAKE_CURRENT_LIST_DIR}/unit/runtime/test_${t}.c)
      openmig_add_unit_test(NAME test_${t}
        SOURCES ${CMAKE_CURRENT_LIST_DIR}/unit/runtime/test_${t}.c
        LIBS mach_static mach_internal
        LABELS runtime)
    endif()
  endforeach()
endif()

# Benchmark (built, not registered with CTest): bin/bench/bench_runtime [round_trips] [runs]
if(TARGET mach_static)
  add_executable(bench_runtime ${CMAKE_CURRENT_LIST_DIR}/bench/bench_runtime.c)
  target_link_libraries(bench_runtime PRIVATE mach_static)
  set_target_properties(bench_runtime PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bin/bench)
endif()
