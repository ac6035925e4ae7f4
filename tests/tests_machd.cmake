# machd tests: protocol codec (unit + fuzz replay), daemon and multi-process tests (docs/machd.md).
if(TARGET machd_common)
  openmig_add_unit_test(NAME test_machd_proto SOURCES unit/runtime/test_machd_proto.c
                        LIBS machd_common LABELS machd)
  openmig_add_fuzz_target(NAME fuzz_machd_decode SOURCES fuzz/fuzz_machd_decode.c
                          LIBS machd_common CORPUS ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus/machd_decode)
endif()

# Multi-process tests: a private machd per test, real peer processes (tests/e2e/machd_*).
if(TARGET machd)
  add_executable(machd_peer e2e/machd_peer.c)
  target_link_libraries(machd_peer PRIVATE machd_common)
  set_target_properties(machd_peer PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bin/tests)
  # One executable, one CTest per test function (each starts its own machd).
  add_executable(machd_e2e e2e/machd_test.c e2e/machd_harness.c)
  target_link_libraries(machd_e2e PRIVATE machd_common cmocka)
  set_target_properties(machd_e2e PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bin/tests)
  set(MACHD_E2E_TESTS
    machd_help_usage_and_already_running sigterm_stops_cleanly_and_removes_the_socket
    malformed_request_drops_only_that_task null_rpc_between_peer_processes
    audit_identity_comes_from_the_kernel server_killed_during_rpc_gives_send_once_notification
    client_killed_during_rpc_leaves_nothing_behind dead_name_after_peer_sigkill
    machd_killed_then_restarted_serves_new_work bootstrap_check_in_look_up_register
    rights_of_every_disposition_travel receive_right_moves_to_a_third_task
    senders_gone_when_the_last_outside_send_right_dies
    port_destroyed_notification_moves_the_receive_right
    forged_names_and_rights_not_held_are_refused replayed_request_is_refused
    names_given_back_are_reused_under_a_new_generation
    client_deaths_leave_counts_and_memory_where_they_were many_rpcs_and_killed_clients_leave_no_trace
    task_with_many_entries_leaves_counts_and_memory_at_baseline)
  if(TARGET mach_static)
    list(APPEND MACHD_E2E_TESTS mach_msg_rpc_between_processes mach_msg_receive_right_moves_with_queued_messages
                                mach_msg_client_gets_send_once_notification_when_server_dies
                                mach_msg_client_gets_send_once_notification_when_machd_dies
                                destroyed_receive_right_in_a_live_process_makes_dead_names)
  endif()
  foreach(t ${MACHD_E2E_TESTS})
    add_test(NAME machd_e2e.${t} COMMAND machd_e2e ${t})
    set_tests_properties(machd_e2e.${t} PROPERTIES TIMEOUT 300 LABELS machd)
  endforeach()
  target_include_directories(machd_e2e PRIVATE ${PROJECT_SOURCE_DIR}/runtime/include)
  target_compile_definitions(machd_e2e PRIVATE MACHD_BIN="$<TARGET_FILE:machd>"
                                               MACHD_PEER="$<TARGET_FILE:machd_peer>")
  add_dependencies(machd_e2e machd machd_peer)
  # The same through libmach's public API (mach_msg) once the core is in the tree.
  if(TARGET mach_static)
    add_executable(machd_rpc_peer e2e/machd_rpc_peer.c)
    target_link_libraries(machd_rpc_peer PRIVATE mach_static mach_internal)
    set_target_properties(machd_rpc_peer PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bin/tests)
    target_compile_definitions(machd_e2e PRIVATE MACHD_RPC_PEER="$<TARGET_FILE:machd_rpc_peer>")
    add_dependencies(machd_e2e machd_rpc_peer)
  endif()
endif()

# Benchmark (not a test): bin/bench/bench_space_memory [ports] [machd entries]: resident memory
# of one space and of machd at start, peak and after everything is destroyed (docs/runtime.md).
if(TARGET machd AND TARGET mach_static)
  add_executable(bench_space_memory bench/bench_space_memory.c)
  target_link_libraries(bench_space_memory PRIVATE mach_static mach_internal)
  target_compile_definitions(bench_space_memory PRIVATE MACHD_BIN="$<TARGET_FILE:machd>")
  set_target_properties(bench_space_memory PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bin/bench)
  add_dependencies(bench_space_memory machd)
endif()

# Benchmark (not a test): bin/bench/bench_move_floor [repetitions] [MiB]: the page-table and page
# work under a moved 64 MiB region, each step alone (docs/machd.md 9.5).
add_executable(bench_move_floor bench/bench_move_floor.c)
target_compile_definitions(bench_move_floor PRIVATE _GNU_SOURCE)
set_target_properties(bench_move_floor PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bin/bench)

# Benchmark (not a test): bin/bench/bench_machd [iterations] [runs] (docs/machd.md 8). The MIG
# rows use stubs generated from bench/bench_machd_mig.defs; the ONC RPC row needs rpcgen and
# libtirpc (scripts/deps.sh: rpcsvc-proto, libtirpc-dev) and is left out (printed as n/a) without.
if(TARGET machd AND TARGET mach_static AND TARGET mig) # mig_generate below
  set(bench_machd_gen ${CMAKE_CURRENT_BINARY_DIR}/bench/machd)
  mig_generate(DEFS ${CMAKE_CURRENT_LIST_DIR}/bench/bench_machd_mig.defs USER SERVER SERVER_HEADER
               OUTPUT_DIR ${bench_machd_gen} SOURCES_VAR bench_machd_sources HEADERS_VAR bench_machd_headers)
  add_executable(bench_machd bench/bench_machd.c bench/bench_machd_floors.c bench/bench_machd_rpc.c
                             bench/bench_machd_sdbus.c
                             ${bench_machd_sources} ${bench_machd_headers})
  target_include_directories(bench_machd PRIVATE ${CMAKE_CURRENT_LIST_DIR}/bench ${bench_machd_gen})
  target_link_libraries(bench_machd PRIVATE mach_static mach_internal Threads::Threads)
  target_compile_definitions(bench_machd PRIVATE MACHD_BIN="$<TARGET_FILE:machd>")
  set_target_properties(bench_machd PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bin/bench)
  add_dependencies(bench_machd machd)
  find_program(RPCGEN_EXECUTABLE rpcgen)
  find_path(TIRPC_INCLUDE_DIR rpc/rpc.h PATH_SUFFIXES tirpc)
  find_library(TIRPC_LIBRARY tirpc)
  if(RPCGEN_EXECUTABLE AND TIRPC_INCLUDE_DIR AND TIRPC_LIBRARY)
    # rpcgen names the header it includes after its input: run it on a copy in the output dir.
    set(onc_x ${bench_machd_gen}/bench_onc.x)
    set(onc_out ${bench_machd_gen}/bench_onc.h ${bench_machd_gen}/bench_onc_clnt.c
                ${bench_machd_gen}/bench_onc_svc.c)
    add_custom_command(OUTPUT ${onc_out}
                       COMMAND ${CMAKE_COMMAND} -E copy ${CMAKE_CURRENT_LIST_DIR}/bench/bench_onc.x ${onc_x}
                       COMMAND ${RPCGEN_EXECUTABLE} -h -o bench_onc.h bench_onc.x
                       COMMAND ${RPCGEN_EXECUTABLE} -l -o bench_onc_clnt.c bench_onc.x
                       COMMAND ${RPCGEN_EXECUTABLE} -m -o bench_onc_svc.c bench_onc.x
                       DEPENDS ${CMAKE_CURRENT_LIST_DIR}/bench/bench_onc.x
                       WORKING_DIRECTORY ${bench_machd_gen} COMMENT "rpcgen bench_onc.x" VERBATIM)
    # rpcgen's output is not ours to make warning-free.
    add_library(bench_onc_stubs STATIC ${bench_machd_gen}/bench_onc_clnt.c ${bench_machd_gen}/bench_onc_svc.c)
    target_include_directories(bench_onc_stubs PUBLIC ${TIRPC_INCLUDE_DIR} ${bench_machd_gen})
    target_compile_options(bench_onc_stubs PRIVATE -w)
    target_link_libraries(bench_onc_stubs PUBLIC ${TIRPC_LIBRARY})
    target_link_libraries(bench_machd PRIVATE bench_onc_stubs)
    target_compile_definitions(bench_machd PRIVATE BENCH_HAVE_ONC=1)
  endif()
  # sd-bus peer-to-peer, for comparison only (libsystemd-dev; the row says n/a without it).
  find_package(PkgConfig QUIET)
  if(PkgConfig_FOUND)
    pkg_check_modules(SDBUS QUIET libsystemd)
  endif()
  if(SDBUS_FOUND)
    target_include_directories(bench_machd PRIVATE ${SDBUS_INCLUDE_DIRS})
    target_link_libraries(bench_machd PRIVATE ${SDBUS_LINK_LIBRARIES})
    target_compile_definitions(bench_machd PRIVATE BENCH_HAVE_SDBUS=1)
  endif()
endif()

# The bootstrap port by default (docs/machd.md 7): two processes meet through the machd the first
# bootstrap call starts at the default path (a stale socket file there replaced); when machd cannot
# be reached the calls fail with MACH_SEND_INVALID_DEST, said once on stderr; MACH_BOOTSTRAP=private
# is the in-process name service.
if(TARGET mach_static AND TARGET machd)
  openmig_add_unit_test(NAME test_bootstrap_default SOURCES unit/runtime/test_bootstrap_default.c
                        LIBS mach_static mach_internal LABELS machd)
  target_compile_definitions(test_bootstrap_default PRIVATE MACHD_BIN="$<TARGET_FILE:machd>")
  add_dependencies(test_bootstrap_default machd)
endif()

# The handle map under machd's broker spaces: correct, and not steerable into collisions.
if(TARGET machd_common)
  openmig_add_unit_test(NAME test_handle_map SOURCES unit/runtime/test_handle_map.c
                        LIBS machd_common LABELS machd)
endif()

# The shared ring of a direct channel: round trips, wrap, FULL, every hostile word or record
# refused, doorbell, credits, and 200,000 records between two processes.
if(TARGET machd_common)
  openmig_add_unit_test(NAME test_chan_ring SOURCES unit/runtime/test_chan_ring.c
                        LIBS machd_common Threads::Threads LABELS machd TIMEOUT 60)
  openmig_add_fuzz_target(NAME fuzz_chan_ring SOURCES fuzz/fuzz_chan_ring.c
                          LIBS machd_common CORPUS ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus/chan_ring)
endif()

# The meaning of direct-channel records in libmach's consumer: routes, send-once tokens,
# tickets, DROP_ONCE, parking, against a hostile peer writing its side of a real channel
# (tests/fuzz/fuzz_chan_records.c, docs/machd.md 9.3 "Hostile ring").
if(TARGET mach_static AND TARGET mach_internal)
  openmig_add_fuzz_target(NAME fuzz_chan_records SOURCES fuzz/fuzz_chan_records.c
                          LIBS mach_static mach_internal
                          CORPUS ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus/chan_records)
endif()

# The runtime authenticates machd (directory and daemon uid) before it speaks to it.
if(TARGET machd_common)
  openmig_add_unit_test(NAME test_machd_trust SOURCES unit/runtime/test_machd_trust.c
                        LIBS machd_common LABELS machd)
endif()

# State-aware fuzzing of the broker: programs of task connects, deaths, full queues and requests
# (tests/fuzz/fuzz_machd_broker.c); replayed by CTest, fuzzed with -DOPENMIG_FUZZ=ON.
if(TARGET machd_broker)
  openmig_add_fuzz_target(NAME fuzz_machd_broker SOURCES fuzz/fuzz_machd_broker.c
                          LIBS machd_broker CORPUS ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus/machd_broker)
endif()
