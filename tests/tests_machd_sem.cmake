# Mach semantics across processes through machd (docs/machd.md): queue limits, bootstrap,
# port sets, MACH_RCV_LARGE, sequence numbers, notifications. One CTest per test function.
if(TARGET machd AND TARGET mach_static)
  add_executable(machd_sem_peer e2e/machd_sem_peer.c)
  target_link_libraries(machd_sem_peer PRIVATE mach_static mach_internal)
  set_target_properties(machd_sem_peer PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bin/tests)
  add_executable(machd_sem_e2e e2e/machd_sem_test.c e2e/machd_harness.c)
  target_link_libraries(machd_sem_e2e PRIVATE machd_common cmocka)
  target_include_directories(machd_sem_e2e PRIVATE ${PROJECT_SOURCE_DIR}/runtime/include)
  target_compile_definitions(machd_sem_e2e PRIVATE MACHD_BIN="$<TARGET_FILE:machd>"
                                                   MACHD_PEER="$<TARGET_FILE:machd_sem_peer>"
                                                   MACHD_SEM_PEER="$<TARGET_FILE:machd_sem_peer>")
  set_target_properties(machd_sem_e2e PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bin/tests)
  add_dependencies(machd_sem_e2e machd machd_sem_peer)
  set(MACHD_SEM_TESTS
    sender_blocks_on_a_full_queue_in_another_process
    port_destroyed_under_a_blocked_remote_sender_counts_as_delivered
    sender_killed_while_blocked_leaves_nothing_behind
    bootstrap_register_unregister_and_release
    port_set_sequence_numbers_and_rcv_large_across_processes
    dead_name_notification_and_look_up_after_the_receiver_died
    no_senders_once_after_a_round_trip_of_the_send_right
    receive_right_moved_in_the_message_that_exports_it)
  foreach(t ${MACHD_SEM_TESTS})
    openmig_add_cross_process_test(machd_sem.${t} machd machd_sem_e2e ${t})
  endforeach()
endif()
