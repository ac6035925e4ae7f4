# fe-driver: unit tests of the driver modules and the command-line tests of the mig executable.
if(TARGET migc)
  openmig_add_unit_test(NAME test_options SOURCES ${CMAKE_CURRENT_LIST_DIR}/cli/test_options.c
                        LIBS migc LABELS cli)
  openmig_add_unit_test(NAME test_driver_files
                        SOURCES ${CMAKE_CURRENT_LIST_DIR}/cli/test_driver_files.c
                        LIBS migc LABELS cli)
endif()
if(TARGET mig)
  foreach(case version help every_flag cpp_options dev_null default_names exit_codes
          no_partial_output depfile_make depfile_ninja cpp_failure cc_env positions
          json_diagnostics color cmake_generate installed_tree real_command_lines
          line_breaks input_too_large arch_macros iheader_kernel_only several_files
          several_files_failure several_files_conflicts mach_msg2_kernel_only)
    add_test(NAME cli-${case}
             COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/cli/cli_test.sh $<TARGET_FILE:mig>
                     ${PROJECT_SOURCE_DIR} ${case})
    set_tests_properties(cli-${case} PROPERTIES TIMEOUT 120 LABELS cli)
  endforeach()
endif()
# The front-end benchmark helper (not a test): tests/bench/bench_frontend.sh runs it.
if(TARGET migc)
  add_executable(bench_frontend ${CMAKE_CURRENT_LIST_DIR}/bench/bench_frontend.c)
  target_link_libraries(bench_frontend PRIVATE migc migc_program)
  set_target_properties(bench_frontend PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bin/bench)
  openmig_add_fuzz_target(NAME fuzz_frontend SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz/fuzz_frontend.c
                          LIBS migc CORPUS ${CMAKE_CURRENT_LIST_DIR}/fuzz/corpus/frontend)
endif()
