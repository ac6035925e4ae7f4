# machd as a service (docs/machd.md 1, machd(8)): --version, log levels, syslog fallback, probe
# connections not logged, the socket directory rule, socket activation (LISTEN_FDS set up by hand),
# no on-demand start where a service manager serves the path. One CTest per test function.
if(TARGET machd)
  add_executable(machd_service_e2e e2e/machd_service_test.c e2e/machd_harness.c)
  target_link_libraries(machd_service_e2e PRIVATE machd_common cmocka)
  target_include_directories(machd_service_e2e PRIVATE ${PROJECT_SOURCE_DIR}/runtime/include)
  target_compile_definitions(machd_service_e2e PRIVATE MACHD_BIN="$<TARGET_FILE:machd>"
                                                       MACHD_PEER="$<TARGET_FILE:machd_peer>")
  set_target_properties(machd_service_e2e PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bin/tests)
  add_dependencies(machd_service_e2e machd)
  foreach(t version_and_log_level_options syslog_falls_back_to_stderr
            journal_stream_gets_priority_prefixes probe_connections_are_not_logged
            socket_directory_rule_holds_for_every_path socket_activation_by_listen_fds
            unusable_listen_fds_are_refused)
    add_test(NAME machd_service.${t} COMMAND machd_service_e2e ${t})
    set_tests_properties(machd_service.${t} PROPERTIES TIMEOUT 120 LABELS "machd;machd_service")
  endforeach()
endif()
