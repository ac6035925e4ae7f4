# Bootstrap domains (tests/e2e/machd_domain_test.c, docs/machd.md 6): a system machd with user
# domains falling through to it, the register group, libmach finding the system machd. Needs
# root (tasks of other users); skipped without it.
if(TARGET machd)
  add_executable(machd_domain e2e/machd_domain_test.c e2e/machd_harness.c)
  target_link_libraries(machd_domain PRIVATE machd_common cmocka)
  target_include_directories(machd_domain PRIVATE ${PROJECT_SOURCE_DIR}/runtime/include
                                                  ${CMAKE_CURRENT_SOURCE_DIR}/e2e)
  target_compile_definitions(machd_domain PRIVATE MACHD_BIN="$<TARGET_FILE:machd>"
                                                  MACHD_PEER="$<TARGET_FILE:machd_peer>")
  set_target_properties(machd_domain PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bin/tests)
  add_dependencies(machd_domain machd machd_peer)
  set(MACHD_DOMAIN_TESTS lookups_fall_through_to_the_system_domain
                         registration_in_the_system_domain_is_refused_to_other_users
                         register_group_members_bind_system_names without_a_register_group_only_root_binds)
  if(TARGET machd_rpc_peer)
    target_compile_definitions(machd_domain PRIVATE MACHD_RPC_PEER="$<TARGET_FILE:machd_rpc_peer>")
    add_dependencies(machd_domain machd_rpc_peer)
    list(APPEND MACHD_DOMAIN_TESTS libmach_uses_the_system_domain)
  endif()
  if(TARGET machctl)
    target_compile_definitions(machd_domain PRIVATE MACHCTL_BIN="$<TARGET_FILE:machctl>")
    add_dependencies(machd_domain machctl)
    list(APPEND MACHD_DOMAIN_TESTS machctl_asks_the_system_machd)
  endif()
  foreach(t ${MACHD_DOMAIN_TESTS})
    add_test(NAME machd_domain.${t} COMMAND machd_domain ${t})
    set_tests_properties(machd_domain.${t} PROPERTIES TIMEOUT 300 LABELS machd)
  endforeach()
endif()
