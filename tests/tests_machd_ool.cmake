# Large messages across processes (docs/machd.md, 3.1): spilled payloads (sealed memfds).
if(TARGET machd_common)
  openmig_add_unit_test(NAME test_machd_spill SOURCES unit/runtime/test_machd_spill.c
                        LIBS machd_common LABELS machd)
endif()

# The receiver maps a spilled region without populating holes a hostile sender left in it.
if(TARGET mach_static)
  openmig_add_unit_test(NAME test_spill_map SOURCES unit/runtime/test_spill_map.c
                        LIBS mach_static mach_internal LABELS machd)
endif()

# Deallocated file regions are released off the caller's thread (docs/machd.md 9.5).
if(TARGET mach_static)
  openmig_add_unit_test(NAME test_vm_reaper SOURCES unit/runtime/test_vm_reaper.c
                        LIBS mach_static mach_internal LABELS machd)
endif()

# Multi-process: libmach peers moving 1 MiB / 64 MiB regions and large inline bodies, hostile
# descriptors, a receiver dying with spilled messages queued. One CTest per test function.
if(TARGET machd AND TARGET mach_static)
  add_executable(machd_ool_peer e2e/machd_ool_peer.c)
  target_link_libraries(machd_ool_peer PRIVATE mach_static mach_internal Threads::Threads)
  set_target_properties(machd_ool_peer PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bin/tests)
  add_executable(machd_ool_e2e e2e/machd_ool_test.c e2e/machd_harness.c)
  target_link_libraries(machd_ool_e2e PRIVATE machd_common cmocka)
  target_include_directories(machd_ool_e2e PRIVATE ${PROJECT_SOURCE_DIR}/runtime/include)
  set_target_properties(machd_ool_e2e PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bin/tests)
  target_compile_definitions(machd_ool_e2e PRIVATE MACHD_BIN="$<TARGET_FILE:machd>"
                                                   MACHD_PEER="$<TARGET_FILE:machd_peer>"
                                                   MACHD_OOL_PEER="$<TARGET_FILE:machd_ool_peer>")
  add_dependencies(machd_ool_e2e machd machd_peer machd_ool_peer)
  foreach(t ool_copy_and_move_of_1_and_64_mib_both_directions large_inline_bodies_both_directions
            ool_port_arrays_up_to_the_rights_limit hostile_descriptors_are_refused_with_mach_errors
            receiver_killed_with_spilled_messages_queued_leaves_machd_at_baseline
            other_threads_ipc_goes_on_while_a_64_mib_send_is_copied staged_sends_that_fail_give_everything_back
            a_held_back_sender_that_exits_has_every_message_delivered)
    openmig_add_cross_process_test(machd_ool_e2e.${t} machd machd_ool_e2e ${t})
  endforeach()
endif()
