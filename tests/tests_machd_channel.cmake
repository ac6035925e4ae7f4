# machd's part of direct channels (docs/machd.md 9.2) as raw tasks: ROUTE, CHANNEL and its
# descriptors, ROUTE_ADD / ROUTE_DEL, tickets, the channels-per-task limit, descriptor leaks.
# One CTest each, each against a private machd.
if(TARGET machd)
  add_executable(machd_channel_e2e e2e/machd_channel_test.c e2e/machd_harness.c)
  target_link_libraries(machd_channel_e2e PRIVATE machd_common cmocka)
  target_include_directories(machd_channel_e2e PRIVATE ${PROJECT_SOURCE_DIR}/runtime/include)
  target_compile_definitions(machd_channel_e2e PRIVATE MACHD_BIN="$<TARGET_FILE:machd>"
                                                       MACHD_PEER="$<TARGET_FILE:machd_peer>")
  set_target_properties(machd_channel_e2e PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bin/tests)
  add_dependencies(machd_channel_e2e machd machd_peer)
  if(TARGET machd_rpc_peer)
    target_compile_definitions(machd_channel_e2e PRIVATE MACHD_RPC_PEER="$<TARGET_FILE:machd_rpc_peer>")
    add_dependencies(machd_channel_e2e machd_rpc_peer)
    set(MACHD_CHANNEL_LIBMACH_TESTS libmach_task_keeps_no_channel_and_refuses_tickets
                                    libmach_task_refuses_claims_of_tokens_it_did_not_issue)
  endif()
  set(MACHD_CHANNEL_TESTS
    route_without_a_send_right_is_refused
    route_to_a_task_without_direct_fails
    route_makes_a_channel_and_announces_it
    losing_the_send_right_deletes_the_route
    requester_disconnect_deletes_its_routes
    receive_right_moving_or_dying_keeps_machd_sound
    tickets_go_to_the_peer_in_order
    ticket_on_a_foreign_channel_is_refused
    channels_per_task_limit_is_a_resource_shortage
    thousand_channels_leave_no_descriptor
    a_claimed_token_becomes_the_claimers_send_once_right
    hostile_claims_and_grants_are_refused
    unanswered_claims_are_capped_and_time_out
    a_task_dying_during_a_claim_leaves_nothing_waiting
    ${MACHD_CHANNEL_LIBMACH_TESTS})
  foreach(t ${MACHD_CHANNEL_TESTS})
    add_test(NAME machd_channel.${t} COMMAND machd_channel_e2e ${t})
    set_tests_properties(machd_channel.${t} PROPERTIES TIMEOUT 300 LABELS "machd;machd_channel")
  endforeach()
endif()
