# Attacks through libmach (tests/attack/machd_transfer_test.c, docs/machd.md 8.2): a checksummed
# 10,000-message transfer of 0 B - 64 MiB and SIGKILL storms against an RPC server, each on
# direct channels and through the relay (MACHD_DIRECT=0), see openmig_add_cross_process_test.
if(TARGET machd AND TARGET mach_static)
  add_executable(machd_transfer_peer attack/machd_transfer_peer.c)
  target_link_libraries(machd_transfer_peer PRIVATE mach_static mach_internal Threads::Threads)
  target_include_directories(machd_transfer_peer PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/e2e)
  set_target_properties(machd_transfer_peer PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bin/tests)
  add_executable(machd_transfer attack/machd_transfer_test.c e2e/machd_harness.c)
  target_link_libraries(machd_transfer PRIVATE machd_common cmocka)
  target_include_directories(machd_transfer PRIVATE ${PROJECT_SOURCE_DIR}/runtime/include
                                                    ${CMAKE_CURRENT_SOURCE_DIR}/e2e)
  target_compile_definitions(machd_transfer PRIVATE MACHD_BIN="$<TARGET_FILE:machd>"
                                                    MACHD_PEER="$<TARGET_FILE:machd_transfer_peer>"
                                                    MACHD_TRANSFER_PEER="$<TARGET_FILE:machd_transfer_peer>")
  set_target_properties(machd_transfer PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bin/tests)
  add_dependencies(machd_transfer machd machd_transfer_peer)
  foreach(t checksummed_transfer_loses_nothing
            sigkill_storm_leaves_the_server_and_machd_as_they_were
            server_killed_mid_storm_gives_every_client_an_error)
    openmig_add_cross_process_test(machd_transfer.${t} "machd;attack" machd_transfer ${t})
  endforeach()
  # Lost messages before machd held such senders back (docs/machd.md 8.2): machd refused a
  # spilled message with MACH_SEND_NO_BUFFER once 64 memfds were queued towards the receiver, and
  # the fire-and-forget sender (MACHD_SEND_ACK_ERRORS_ONLY) never heard of it.
  openmig_add_cross_process_test(machd_transfer.a_stopped_receiver_of_many_memfds_loses_nothing "machd;attack"
                                 machd_transfer a_stopped_receiver_of_many_memfds_loses_nothing)
endif()
