# Cross-process MIG stubs through machd (docs/machd.md 8): a client and a server program built on
# the stubs generated from e2e/machd_ool_mig/machd_ool_mig.defs: out-of-line data, out-of-line
# port arrays, an inline array, every byte and right checked.
if(TARGET machd AND TARGET mach_static AND TARGET mig)
  set(ool_mig_dir ${CMAKE_CURRENT_LIST_DIR}/e2e/machd_ool_mig)
  set(ool_mig_gen ${CMAKE_CURRENT_BINARY_DIR}/machd_ool_mig)
  mig_generate(DEFS ${ool_mig_dir}/machd_ool_mig.defs NAME machd_ool_mig_ USER SERVER SERVER_HEADER
               OUTPUT_DIR ${ool_mig_gen} SOURCES_VAR ool_mig_sources HEADERS_VAR ool_mig_headers)
  foreach(side client server)
    set(stub ${ool_mig_gen}/machd_ool_mig_User.c)
    if(side STREQUAL server)
      set(stub ${ool_mig_gen}/machd_ool_mig_Server.c)
    endif()
    add_executable(machd_ool_mig_${side} ${ool_mig_dir}/machd_ool_mig_${side}.c ${stub} ${ool_mig_headers})
    target_include_directories(machd_ool_mig_${side} PRIVATE ${ool_mig_dir} ${ool_mig_gen}
                                                             ${CMAKE_CURRENT_LIST_DIR}/e2e)
    target_link_libraries(machd_ool_mig_${side} PRIVATE mach_static)
    set_target_properties(machd_ool_mig_${side} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bin/tests)
  endforeach()
  add_executable(machd_ool_mig_e2e ${ool_mig_dir}/machd_ool_mig_test.c e2e/machd_harness.c)
  target_link_libraries(machd_ool_mig_e2e PRIVATE machd_common cmocka)
  target_include_directories(machd_ool_mig_e2e PRIVATE ${PROJECT_SOURCE_DIR}/runtime/include ${CMAKE_CURRENT_LIST_DIR}/e2e)
  target_compile_definitions(machd_ool_mig_e2e PRIVATE MACHD_BIN="$<TARGET_FILE:machd>"
                                                       MACHD_PEER="$<TARGET_FILE:machd_ool_mig_client>"
                                                       MACHD_OOL_MIG_CLIENT="$<TARGET_FILE:machd_ool_mig_client>"
                                                       MACHD_OOL_MIG_SERVER="$<TARGET_FILE:machd_ool_mig_server>")
  set_target_properties(machd_ool_mig_e2e PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bin/tests)
  add_dependencies(machd_ool_mig_e2e machd machd_ool_mig_client machd_ool_mig_server)
  openmig_add_cross_process_test(machd_ool_mig.mig_client_and_server_move_ool_data_and_port_arrays machd
                                 machd_ool_mig_e2e mig_client_and_server_move_ool_data_and_port_arrays)
endif()
