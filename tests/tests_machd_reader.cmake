# Tests of libmach's receive path across processes (docs/machd.md 7, "Receive path"): threads
# waiting at once, a nudge interrupting a thread reading machd, events with no thread receiving.
if(TARGET machd AND TARGET machd_rpc_peer AND TARGET mach_static)
  add_executable(machd_threads_peer e2e/machd_threads_peer.c)
  target_link_libraries(machd_threads_peer PRIVATE mach_static mach_internal Threads::Threads)
  set_target_properties(machd_threads_peer PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bin/tests)
  add_executable(machd_reader_test e2e/machd_reader_test.c e2e/machd_harness.c)
  target_link_libraries(machd_reader_test PRIVATE machd_common cmocka)
  set_target_properties(machd_reader_test PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bin/tests)
  target_compile_definitions(machd_reader_test PRIVATE MACHD_BIN="$<TARGET_FILE:machd>"
                             MACHD_PEER="$<TARGET_FILE:machd_peer>"
                             MACHD_RPC_PEER="$<TARGET_FILE:machd_rpc_peer>"
                             MACHD_THREADS_PEER="$<TARGET_FILE:machd_threads_peer>")
  add_dependencies(machd_reader_test machd machd_peer machd_rpc_peer machd_threads_peer)
  foreach(t threads_waiting_at_once_each_get_their_replies local_message_reaches_a_thread_reading_machd
            dead_name_reaches_a_process_where_no_thread_receives)
    add_test(NAME machd_reader.${t} COMMAND machd_reader_test ${t})
    set_tests_properties(machd_reader.${t} PROPERTIES TIMEOUT 300 LABELS machd)
  endforeach()
endif()
