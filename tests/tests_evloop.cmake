# Ports in event loops (<mach/openmig_fd.h>, docs/event-loops.md) and Mach semaphores
# (<mach/semaphore.h>): unit tests in one process; the machd tests are in tests_machd_evloop.cmake.
if(TARGET mach_static)
  foreach(t port_fd semaphore)
    openmig_add_unit_test(NAME test_${t}
      SOURCES ${CMAKE_CURRENT_LIST_DIR}/unit/runtime/test_${t}.c
      LIBS mach_static mach_internal Threads::Threads
      LABELS runtime)
  endforeach()
endif()

# Benchmark (built, not registered with CTest): bin/bench/bench_evloop [round_trips] [runs]
if(TARGET mach_static)
  add_executable(bench_evloop ${CMAKE_CURRENT_LIST_DIR}/bench/bench_evloop.c)
  target_link_libraries(bench_evloop PRIVATE mach_static Threads::Threads)
  set_target_properties(bench_evloop PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bin/bench)
endif()

# Benchmark (built, not registered with CTest): bin/bench/bench_semaphore [round_trips] [runs]:
# semaphores across processes against a futex ping-pong between processes (docs/semaphores.md).
if(TARGET mach_static AND TARGET machd)
  add_executable(bench_semaphore ${CMAKE_CURRENT_LIST_DIR}/bench/bench_semaphore.c)
  target_link_libraries(bench_semaphore PRIVATE mach_static mach_internal)
  target_compile_definitions(bench_semaphore PRIVATE MACHD_BIN="$<TARGET_FILE:machd>")
  set_target_properties(bench_semaphore PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bin/bench)
  add_dependencies(bench_semaphore machd)
endif()
