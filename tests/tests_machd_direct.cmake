# Direct channels between libmach processes (docs/machd.md 9): each test runs on the direct path
# and again through the relay (MACHD_DIRECT=0), see openmig_add_cross_process_test.
if(TARGET machd AND TARGET mach_static)
  add_executable(machd_direct_peer e2e/machd_direct_peer.c)
  target_link_libraries(machd_direct_peer PRIVATE mach_static mach_internal Threads::Threads)
  set_target_properties(machd_direct_peer PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bin/tests)
  add_executable(machd_direct_e2e e2e/machd_direct_test.c e2e/machd_harness.c)
  target_link_libraries(machd_direct_e2e PRIVATE machd_common cmocka)
  target_include_directories(machd_direct_e2e PRIVATE ${PROJECT_SOURCE_DIR}/runtime/include)
  target_compile_definitions(machd_direct_e2e PRIVATE MACHD_BIN="$<TARGET_FILE:machd>"
                                                      MACHD_PEER="$<TARGET_FILE:machd_direct_peer>"
                                                      MACHD_DIRECT_PEER="$<TARGET_FILE:machd_direct_peer>")
  set_target_properties(machd_direct_e2e PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bin/tests)
  add_dependencies(machd_direct_e2e machd machd_direct_peer)
  foreach(t messages_with_and_without_rights_arrive_in_order
            calls_are_answered_on_their_reply_rights
            a_server_dying_with_the_reply_right_gives_the_client_a_notification
            no_senders_comes_after_the_messages_sent_before_the_right_went
            the_audit_trailer_names_the_sender
            senders_blocked_on_a_full_queue_are_woken_one_at_a_time
            a_thread_pool_on_a_port_set_serves_many_clients
            a_reply_right_forwarded_to_a_third_process_is_answered_there
            a_worker_dying_with_a_forwarded_reply_right_gives_one_notification
            a_requester_that_does_not_grant_in_time_gets_one_notification
            a_requester_dying_before_it_grants_leaves_a_dead_right
            a_ticket_that_moves_the_last_send_right_arrives)
    openmig_add_cross_process_test(machd_direct.${t} machd machd_direct_e2e ${t})
  endforeach()
endif()
