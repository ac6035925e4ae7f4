# The bootstrap name service (docs/machd.md 6): exact return codes in-process and through machd,
# names of other tasks, bootstrap_create_service across processes, names bound again after a
# machd restart. One CTest per test function.
if(TARGET machd AND TARGET mach_static)
  add_executable(machd_boot_peer e2e/machd_boot_peer.c)
  target_link_libraries(machd_boot_peer PRIVATE mach_static mach_internal)
  set_target_properties(machd_boot_peer PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bin/tests)
  add_executable(machd_boot_e2e e2e/machd_boot_test.c e2e/machd_harness.c)
  target_link_libraries(machd_boot_e2e PRIVATE machd_common cmocka)
  target_include_directories(machd_boot_e2e PRIVATE ${PROJECT_SOURCE_DIR}/runtime/include)
  target_compile_definitions(machd_boot_e2e PRIVATE MACHD_BIN="$<TARGET_FILE:machd>"
                                                    MACHD_PEER="$<TARGET_FILE:machd_boot_peer>"
                                                    MACHD_BOOT_PEER="$<TARGET_FILE:machd_boot_peer>")
  set_target_properties(machd_boot_e2e PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bin/tests)
  add_dependencies(machd_boot_e2e machd machd_boot_peer)
  set(MACHD_BOOT_TESTS
    same_codes_in_process_and_through_machd
    names_of_another_task_are_not_privileged
    created_service_queues_until_another_process_checks_in
    created_service_dies_with_its_creator
    names_bound_again_after_machd_restarts)
  foreach(t ${MACHD_BOOT_TESTS})
    add_test(NAME machd_boot.${t} COMMAND machd_boot_e2e ${t})
    set_tests_properties(machd_boot.${t} PROPERTIES TIMEOUT 300 LABELS machd)
  endforeach()
endif()
