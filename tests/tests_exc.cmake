# Exception ports (docs/exceptions.md): hardware faults become Mach exceptions served by stubs
# our mig generates from defs/mach/exc.defs and mach_exc.defs. One CTest per test function.
# ASan and UBSan builds: the sanitizers' own fault handlers are turned off for these tests, whose
# point is the default action and libmach's handler.
set(EXC_ENV "ASAN_OPTIONS=handle_segv=0:handle_sigbus=0:handle_sigfpe=0:handle_sigill=0:handle_abort=0:detect_leaks=0"
            "UBSAN_OPTIONS=handle_segv=0:handle_sigbus=0:handle_sigfpe=0:handle_sigill=0")
if(TARGET mach_static AND TARGET mig)
  add_library(exc_handler STATIC e2e/exc/exc_handler.c)
  foreach(iface exc mach_exc)
    mig_generate(DEFS ${PROJECT_SOURCE_DIR}/defs/mach/${iface}.defs SERVER SERVER_HEADER
                 TARGET exc_handler OUTPUT_DIR ${CMAKE_CURRENT_BINARY_DIR}/exc_mig
                 INCLUDE_DIRECTORIES ${PROJECT_SOURCE_DIR}/defs)
  endforeach()
  target_include_directories(exc_handler PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/e2e/exc ${CMAKE_CURRENT_BINARY_DIR}/exc_mig)
  target_link_libraries(exc_handler PUBLIC mach_static)

  add_executable(exc_ports_e2e e2e/exc/exc_ports_test.c)
  target_link_libraries(exc_ports_e2e PRIVATE exc_handler cmocka Threads::Threads)
  set_target_properties(exc_ports_e2e PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bin/tests)
  set(EXC_PORTS_TESTS
    the_null_write_is_skipped_after_a_state_identity_reply
    a_default_handler_that_fixes_the_page_lets_the_write_run_again
    integer_division_by_zero_is_exc_arithmetic_with_32_bit_codes
    int3_is_exc_breakpoint_and_trap_is_exc_bad_instruction
    get_returns_what_was_set_and_swap_returns_the_old_handlers
    the_thread_handler_comes_first_and_the_task_handler_when_it_fails
    a_failure_reply_kills_the_task_with_the_original_signal
    a_handler_dying_before_it_replies_leaves_the_default_action
    a_dead_handler_port_leaves_the_default_action
    clearing_the_last_handler_puts_the_previous_signal_action_back)
  foreach(t ${EXC_PORTS_TESTS})
    add_test(NAME exc_ports.${t} COMMAND exc_ports_e2e ${t})
    set_tests_properties(exc_ports.${t} PROPERTIES TIMEOUT 120 ENVIRONMENT "${EXC_ENV}")
  endforeach()
endif()

# Across processes: a crash reporter and a faulting task, both libmach programs, through machd.
if(TARGET machd AND TARGET exc_handler)
  add_executable(exc_machd_peer e2e/exc/exc_machd_peer.c)
  target_link_libraries(exc_machd_peer PRIVATE exc_handler mach_internal)
  set_target_properties(exc_machd_peer PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bin/tests)
  add_executable(exc_machd_e2e e2e/exc/exc_machd_test.c e2e/machd_harness.c)
  target_link_libraries(exc_machd_e2e PRIVATE machd_common cmocka)
  target_include_directories(exc_machd_e2e PRIVATE ${PROJECT_SOURCE_DIR}/runtime/include ${CMAKE_CURRENT_SOURCE_DIR}/e2e)
  target_compile_definitions(exc_machd_e2e PRIVATE MACHD_BIN="$<TARGET_FILE:machd>"
                                                   MACHD_PEER="$<TARGET_FILE:exc_machd_peer>")
  set_target_properties(exc_machd_e2e PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bin/tests)
  add_dependencies(exc_machd_e2e machd exc_machd_peer)
  foreach(t a_crash_reporter_in_another_process_gets_the_fault_and_resumes_it
            a_reporter_dying_before_it_replies_leaves_the_crasher_to_die_of_sigsegv)
    add_test(NAME exc_machd.${t} COMMAND exc_machd_e2e ${t})
    set_tests_properties(exc_machd.${t} PROPERTIES TIMEOUT 300 LABELS machd ENVIRONMENT "${EXC_ENV}")
  endforeach()
endif()
