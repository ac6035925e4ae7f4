# Task ports across processes (docs/runtime.md, "Task ports across processes"): mach_port_* on a
# child's space through the task port openmig_posix_spawn gives its parent. One CTest per test.
if(TARGET machd AND TARGET mach_static)
  add_executable(machd_taskport_peer e2e/machd_taskport_peer.c)
  target_link_libraries(machd_taskport_peer PRIVATE mach_static mach_internal Threads::Threads)
  set_target_properties(machd_taskport_peer PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bin/tests)
  add_executable(machd_taskport_e2e e2e/machd_taskport_test.c e2e/machd_harness.c)
  target_link_libraries(machd_taskport_e2e PRIVATE machd_common cmocka)
  target_include_directories(machd_taskport_e2e PRIVATE ${PROJECT_SOURCE_DIR}/runtime/include)
  target_compile_definitions(machd_taskport_e2e PRIVATE MACHD_BIN="$<TARGET_FILE:machd>"
                                                        MACHD_PEER="$<TARGET_FILE:machd_taskport_peer>"
                                                        MACHD_TASKPORT_PEER="$<TARGET_FILE:machd_taskport_peer>")
  set_target_properties(machd_taskport_e2e PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bin/tests)
  add_dependencies(machd_taskport_e2e machd machd_taskport_peer)
  foreach(t task_port_calls_across_processes task_port_of_a_dead_task
            task_dying_under_a_call_never_hangs_the_caller task_port_from_another_process_is_refused
            task_port_survives_malformed_requests)
    openmig_add_cross_process_test(machd_taskport.${t} machd machd_taskport_e2e ${t})
  endforeach()
endif()
