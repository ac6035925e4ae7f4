# Notifications across processes through machd (docs/machd.md 4, 7): port-destroyed requests
# following receive rights, no-senders counts, refused messages, dead names. One CTest each.
if(TARGET machd AND TARGET mach_static)
  add_executable(machd_notify_peer e2e/machd_notify_peer.c)
  target_link_libraries(machd_notify_peer PRIVATE mach_static mach_internal)
  set_target_properties(machd_notify_peer PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bin/tests)
  add_executable(machd_notify_e2e e2e/machd_notify_test.c e2e/machd_harness.c)
  target_link_libraries(machd_notify_e2e PRIVATE machd_common cmocka)
  target_include_directories(machd_notify_e2e PRIVATE ${PROJECT_SOURCE_DIR}/runtime/include)
  target_compile_definitions(machd_notify_e2e PRIVATE MACHD_BIN="$<TARGET_FILE:machd>"
                                                      MACHD_PEER="$<TARGET_FILE:machd_notify_peer>"
                                                      MACHD_NOTIFY_PEER="$<TARGET_FILE:machd_notify_peer>")
  set_target_properties(machd_notify_e2e PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bin/tests)
  add_dependencies(machd_notify_e2e machd machd_notify_peer)
  set(MACHD_NOTIFY_TESTS
    port_destroyed_when_the_holder_destroys_the_right
    port_destroyed_to_a_third_process_after_mach_port_destroy
    port_destroyed_when_the_holder_is_killed
    port_destroyed_to_a_third_process_when_the_holder_is_killed
    port_destroyed_after_the_right_moved_twice_to_a_third_process
    no_senders_crossing_a_make_send_of_a_moved_receive_right
    no_senders_sync_values_with_senders_in_another_process
    refused_message_destroys_its_rights_and_keeps_new_ports_known
    dead_names_and_send_once_notification_when_a_task_dies)
  foreach(t ${MACHD_NOTIFY_TESTS})
    openmig_add_cross_process_test(machd_notify.${t} "machd;machd_notify" machd_notify_e2e ${t})
  endforeach()
endif()
