# machd lifecycle and faults (docs/machd.md 4 and 7): machd dying and restarting under running
# tasks, fork in a connected task, deaths while blocked or with messages queued, 1,000 killed
# tasks, racing on-demand starts. One CTest per case, each with its own machd.
if(TARGET machd AND TARGET mach_static AND TARGET machd_rpc_peer)
  add_executable(machd_life_peer e2e/machd_life_peer.c)
  target_link_libraries(machd_life_peer PRIVATE mach_static mach_internal Threads::Threads)
  set_target_properties(machd_life_peer PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bin/tests)
  add_executable(machd_life_e2e e2e/machd_life_test.c e2e/machd_harness.c)
  target_link_libraries(machd_life_e2e PRIVATE machd_common cmocka)
  target_include_directories(machd_life_e2e PRIVATE ${PROJECT_SOURCE_DIR}/runtime/include)
  set_target_properties(machd_life_e2e PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bin/tests)
  target_compile_definitions(machd_life_e2e PRIVATE MACHD_BIN="$<TARGET_FILE:machd>"
                                                    MACHD_RPC_PEER="$<TARGET_FILE:machd_rpc_peer>"
                                                    MACHD_LIFE_PEER="$<TARGET_FILE:machd_life_peer>"
                                                    MACHD_PEER="$<TARGET_FILE:machd_peer>")
  add_dependencies(machd_life_e2e machd machd_peer machd_rpc_peer machd_life_peer)
  foreach(t task_survives_machd_sigkill_and_uses_the_restarted_one
            task_blocked_when_machd_gets_sigterm_gets_errors_not_hangs
            fork_child_is_its_own_task_and_parent_is_unaffected
            task_killed_blocked_in_receive_gives_its_senders_dead_names
            task_killed_waiting_for_a_reply_leaves_a_dead_reply_right
            task_killed_with_messages_queued_at_the_receiver
            thousand_killed_tasks_leave_counts_and_memory_where_they_were
            racing_on_demand_starts_end_with_one_machd)
    openmig_add_cross_process_test(machd_life.${t} "machd;machd_life" machd_life_e2e ${t})
  endforeach()
endif()
