# machctl (docs/machd.md 3 "Queries", machctl(1)): what machd holds, listed against a private machd
# with peer processes; paging past one datagram; another uid refused (as root; skipped otherwise).
# One CTest per test function.
if(TARGET machctl)
  add_executable(machctl_e2e e2e/machctl_test.c e2e/machd_harness.c)
  target_link_libraries(machctl_e2e PRIVATE machd_common cmocka)
  target_include_directories(machctl_e2e PRIVATE ${PROJECT_SOURCE_DIR}/runtime/include)
  target_compile_definitions(machctl_e2e PRIVATE MACHD_BIN="$<TARGET_FILE:machd>"
                                                 MACHD_PEER="$<TARGET_FILE:machd_peer>"
                                                 MACHCTL_BIN="$<TARGET_FILE:machctl>")
  set_target_properties(machctl_e2e PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bin/tests)
  add_dependencies(machctl_e2e machd machd_peer machctl)
  foreach(t table_and_json_list_names_owners_and_counts lists_larger_than_a_datagram_come_in_pages
            other_users_are_refused no_machd_is_an_error)
    add_test(NAME machctl.${t} COMMAND machctl_e2e ${t})
    set_tests_properties(machctl.${t} PROPERTIES TIMEOUT 120 LABELS "machd;machctl")
  endforeach()
endif()
