# machd fast-path tests (docs/machd.md 3.2, 8.1): room announcements carried by MSG_SEND and
# machd's own I/O counters, at the protocol level (one CTest per test, each with its own machd).
if(TARGET machd)
  add_executable(machd_perf_e2e e2e/machd_perf_test.c e2e/machd_harness.c)
  target_link_libraries(machd_perf_e2e PRIVATE machd_common cmocka)
  set_target_properties(machd_perf_e2e PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bin/tests)
  target_compile_definitions(machd_perf_e2e PRIVATE MACHD_BIN="$<TARGET_FILE:machd>"
                                                    MACHD_PEER="$<TARGET_FILE:machd_peer>")
  target_include_directories(machd_perf_e2e PRIVATE ${PROJECT_SOURCE_DIR}/runtime/include)
  add_dependencies(machd_perf_e2e machd machd_peer)
  foreach(t credit_carried_by_a_send_admits_a_waiting_sender stats_count_machd_calls_and_datagrams)
    add_test(NAME machd_perf.${t} COMMAND machd_perf_e2e ${t})
    set_tests_properties(machd_perf.${t} PROPERTIES TIMEOUT 120 LABELS machd)
  endforeach()
endif()
