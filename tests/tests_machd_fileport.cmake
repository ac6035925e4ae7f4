# Fileports across processes through machd (docs/fileports.md "Across processes"): libmach
# processes moving descriptors to each other, and raw tasks as hostile peers. One CTest per test
# function, on both paths (direct channels and the relay).
if(TARGET machd AND TARGET mach_static)
  add_executable(machd_fileport_peer e2e/machd_fileport_peer.c)
  target_link_libraries(machd_fileport_peer PRIVATE mach_static mach_internal)
  set_target_properties(machd_fileport_peer PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bin/tests)
  add_executable(machd_fileport_e2e e2e/machd_fileport_test.c e2e/machd_harness.c attack/fuse_stall.c)
  target_link_libraries(machd_fileport_e2e PRIVATE machd_common cmocka)
  target_include_directories(machd_fileport_e2e PRIVATE ${PROJECT_SOURCE_DIR}/runtime/include
                                                     ${CMAKE_CURRENT_SOURCE_DIR}/attack)
  target_compile_definitions(machd_fileport_e2e PRIVATE MACHD_BIN="$<TARGET_FILE:machd>"
                                                        MACHD_PEER="$<TARGET_FILE:machd_fileport_peer>")
  set_target_properties(machd_fileport_e2e PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bin/tests)
  add_dependencies(machd_fileport_e2e machd machd_fileport_peer)
  set(MACHD_FILEPORT_TESTS
    a_pipe_end_moves_to_another_process_and_closes_when_the_rights_go
    a_socket_end_moves_to_the_server_and_back_to_eof
    the_file_outlives_the_process_that_made_the_fileport
    a_process_killed_holding_a_fileport_leaves_nothing_open
    fileport_rights_without_their_descriptors_are_protocol_errors
    fileports_past_the_limit_are_refused_and_close_with_their_task
    the_per_uid_limit_counts_every_task_of_the_user
    a_holder_dying_leaves_the_descriptor_to_the_exporter_until_it_lets_go
    a_fileport_waits_for_a_created_service_with_its_descriptor
    a_descriptor_whose_close_blocks_stalls_nobody_else
    a_service_destroying_a_fileport_whose_close_blocks_goes_on)
  foreach(t ${MACHD_FILEPORT_TESTS})
    openmig_add_cross_process_test(machd_fileport.${t} machd machd_fileport_e2e ${t})
  endforeach()
endif()
