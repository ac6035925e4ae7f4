# Out-of-line memory on direct channels (docs/machd.md 9.5): each test runs on the direct path and
# again through the relay (MACHD_DIRECT=0), see openmig_add_cross_process_test.
if(TARGET machd AND TARGET mach_static)
  add_executable(machd_chan_ool_peer e2e/machd_chan_ool_peer.c)
  target_link_libraries(machd_chan_ool_peer PRIVATE mach_static mach_internal)
  set_target_properties(machd_chan_ool_peer PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bin/tests)
  add_executable(machd_chan_ool_e2e e2e/machd_chan_ool_test.c e2e/machd_harness.c)
  target_link_libraries(machd_chan_ool_e2e PRIVATE machd_common cmocka)
  target_include_directories(machd_chan_ool_e2e PRIVATE ${PROJECT_SOURCE_DIR}/runtime/include)
  target_compile_definitions(machd_chan_ool_e2e PRIVATE MACHD_BIN="$<TARGET_FILE:machd>"
                                                        MACHD_PEER="$<TARGET_FILE:machd_chan_ool_peer>"
                                                        MACHD_CHAN_OOL_PEER="$<TARGET_FILE:machd_chan_ool_peer>")
  set_target_properties(machd_chan_ool_e2e PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bin/tests)
  add_dependencies(machd_chan_ool_e2e machd machd_chan_ool_peer)
  foreach(t copied_regions_of_every_size_arrive_intact
            moved_regions_of_every_size_arrive_intact
            many_in_flight_keep_their_order
            a_sender_killed_mid_stream_leaves_nothing_behind)
    openmig_add_cross_process_test(machd_chan_ool.${t} machd machd_chan_ool_e2e ${t})
  endforeach()
  # A hostile peer on a channel (a raw task that speaks machd's protocol and writes the ring
  # itself): direct channels only, as the machd_channel.* tests.
  foreach(t a_memfd_without_seals_drops_the_channel
            a_memfd_that_can_be_unsealed_drops_the_channel
            a_memfd_of_the_wrong_size_drops_the_channel
            extra_descriptors_drop_the_channel
            a_record_without_its_descriptors_drops_the_channel)
    add_test(NAME machd_chan_ool.${t} COMMAND machd_chan_ool_e2e ${t})
    set_tests_properties(machd_chan_ool.${t} PROPERTIES TIMEOUT 300 LABELS "machd;machd_channel")
  endforeach()
endif()
