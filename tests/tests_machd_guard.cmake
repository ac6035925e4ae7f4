# Guarded port descriptors across processes through machd (issue 15): XNU's send checks in the
# sender, its copyout rules (MACH_RCV_GUARDED_DESC, IMMOVABLE_RECEIVE) in the receiver.
if(TARGET machd AND TARGET mach_static)
  add_executable(machd_guard_peer e2e/machd_guard_peer.c)
  target_link_libraries(machd_guard_peer PRIVATE mach_static mach_internal)
  set_target_properties(machd_guard_peer PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bin/tests)
  add_executable(machd_guard_e2e e2e/machd_guard_test.c e2e/machd_harness.c)
  target_link_libraries(machd_guard_e2e PRIVATE machd_common cmocka)
  target_include_directories(machd_guard_e2e PRIVATE ${PROJECT_SOURCE_DIR}/runtime/include)
  target_compile_definitions(machd_guard_e2e PRIVATE MACHD_BIN="$<TARGET_FILE:machd>"
                                                     MACHD_PEER="$<TARGET_FILE:machd_guard_peer>")
  set_target_properties(machd_guard_e2e PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bin/tests)
  add_dependencies(machd_guard_e2e machd machd_guard_peer)
  openmig_add_cross_process_test(machd_guard.guarded_descriptors_between_processes machd
                                 machd_guard_e2e guarded_descriptors_between_processes)
endif()
