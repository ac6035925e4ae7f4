# Ports in event loops and semaphores across processes through machd (docs/event-loops.md,
# docs/semaphores.md). One CTest per test function.
if(TARGET machd AND TARGET mach_static)
  add_executable(machd_evloop_peer e2e/machd_evloop_peer.c)
  target_link_libraries(machd_evloop_peer PRIVATE mach_static mach_internal)
  set_target_properties(machd_evloop_peer PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bin/tests)
  add_executable(machd_evloop_e2e e2e/machd_evloop_test.c e2e/machd_harness.c)
  target_link_libraries(machd_evloop_e2e PRIVATE machd_common cmocka)
  target_include_directories(machd_evloop_e2e PRIVATE ${PROJECT_SOURCE_DIR}/runtime/include)
  target_compile_definitions(machd_evloop_e2e PRIVATE MACHD_BIN="$<TARGET_FILE:machd>"
                                                      MACHD_PEER="$<TARGET_FILE:machd_evloop_peer>"
                                                      MACHD_EVLOOP_PEER="$<TARGET_FILE:machd_evloop_peer>")
  set_target_properties(machd_evloop_e2e PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bin/tests)
  add_dependencies(machd_evloop_e2e machd machd_evloop_peer)
  set(MACHD_EVLOOP_TESTS
    remote_senders_wake_an_epoll_loop)
  foreach(t ${MACHD_EVLOOP_TESTS})
    openmig_add_cross_process_test(machd_evloop.${t} machd machd_evloop_e2e ${t})
  endforeach()

  add_executable(machd_semaphore_peer e2e/machd_semaphore_peer.c)
  target_link_libraries(machd_semaphore_peer PRIVATE mach_static mach_internal)
  set_target_properties(machd_semaphore_peer PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bin/tests)
  add_executable(machd_semaphore_e2e e2e/machd_semaphore_test.c e2e/machd_harness.c)
  target_link_libraries(machd_semaphore_e2e PRIVATE machd_common cmocka)
  target_include_directories(machd_semaphore_e2e PRIVATE ${PROJECT_SOURCE_DIR}/runtime/include)
  target_compile_definitions(machd_semaphore_e2e PRIVATE MACHD_BIN="$<TARGET_FILE:machd>"
                                                         MACHD_PEER="$<TARGET_FILE:machd_semaphore_peer>"
                                                         MACHD_SEMAPHORE_PEER="$<TARGET_FILE:machd_semaphore_peer>")
  set_target_properties(machd_semaphore_e2e PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bin/tests)
  add_dependencies(machd_semaphore_e2e machd machd_semaphore_peer)
  set(MACHD_SEMAPHORE_TESTS
    semaphore_ping_pong_across_processes
    semaphore_timed_wait_times_out_across_processes
    semaphore_destroyed_under_a_remote_waiter
    semaphore_owner_dies_under_a_remote_waiter
    semaphore_signal_all_wakes_every_remote_waiter
    semaphore_remote_waiter_that_dies_leaves_no_trace)
  foreach(t ${MACHD_SEMAPHORE_TESTS})
    openmig_add_cross_process_test(machd_semaphore.${t} machd machd_semaphore_e2e ${t})
  endforeach()
endif()
