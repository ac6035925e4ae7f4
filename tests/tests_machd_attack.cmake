# Attacks on machd as hostile tasks would make them (tests/attack/, docs/security.md): one CTest
# per attack, each against a private machd.
if(TARGET machd)
  add_executable(machd_attack attack/machd_attack_test.c e2e/machd_harness.c)
  target_link_libraries(machd_attack PRIVATE machd_common cmocka)
  target_include_directories(machd_attack PRIVATE ${PROJECT_SOURCE_DIR}/runtime/include
                                                  ${CMAKE_CURRENT_SOURCE_DIR}/e2e)
  target_compile_definitions(machd_attack PRIVATE MACHD_BIN="$<TARGET_FILE:machd>"
                                                  MACHD_PEER="$<TARGET_FILE:machd_peer>")
  set_target_properties(machd_attack PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bin/tests)
  add_dependencies(machd_attack machd machd_peer)
  if(TARGET machd_rpc_peer)
    target_compile_definitions(machd_attack PRIVATE MACHD_RPC_PEER="$<TARGET_FILE:machd_rpc_peer>")
    add_dependencies(machd_attack machd_rpc_peer)
    set(MACHD_LIBMACH_ATTACKS libmach_moves_dead_and_null_receive_names_across_processes
                              receive_right_moves_while_messages_stream_in)
  endif()
  set(MACHD_ATTACKS
    dead_and_null_names_moving_a_receive_right_pass_through
    receive_right_into_a_full_space_beside_a_send_right
    send_refused_part_way_loses_no_right refused_mod_refs_leaves_the_make_send_count
    notifications_past_a_full_queue_are_kept
    clean_stop_delivers_what_was_accepted task_with_65000_ports_dies entries_limit_refuses_the_exporter names_limit_refuses_the_registrar
    newer_messages_wait_until_the_old_holder_forwarded_its_backlog a_silent_or_dead_old_holder_delays_the_port_boundedly
    receive_right_dying_in_flight_gives_dead_names_or_port_destroyed
    connection_limit_refuses_the_next_connection waiters_limit_refuses_one_more_waiting_send
    sender_ignoring_a_full_queue_is_held_back reservations_without_room_give_none_back created_service_is_not_claimed_by_another_user)
  foreach(t ${MACHD_ATTACKS})
    add_test(NAME machd_attack.${t} COMMAND machd_attack ${t})
    set_tests_properties(machd_attack.${t} PROPERTIES TIMEOUT 300 LABELS "machd;attack")
  endforeach()
  # Attacks with libmach processes: on direct channels and through the relay.
  foreach(t ${MACHD_LIBMACH_ATTACKS})
    openmig_add_cross_process_test(machd_attack.${t} "machd;attack" machd_attack ${t})
  endforeach()
endif()
