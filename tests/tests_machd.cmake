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
  openmig_add_unit_test(NAME machd_e2e SOURCES e2e/machd_test.c e2e/machd_harness.c
                        LIBS machd_common LABELS machd TIMEOUT 300)
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

# Benchmark (not a test): bin/bench/bench_machd [iterations]. Needs libtirpc for the ONC RPC row.
find_path(TIRPC_INCLUDE_DIR rpc/rpc.h PATH_SUFFIXES tirpc)
find_library(TIRPC_LIBRARY tirpc)
if(TARGET machd AND TIRPC_INCLUDE_DIR AND TIRPC_LIBRARY)
  add_executable(bench_machd bench/bench_machd.c)
  target_include_directories(bench_machd PRIVATE ${TIRPC_INCLUDE_DIR})
  target_link_libraries(bench_machd PRIVATE machd_common ${TIRPC_LIBRARY})
  target_compile_definitions(bench_machd PRIVATE MACHD_BIN="$<TARGET_FILE:machd>")
  set_target_properties(bench_machd PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bin/bench)
  add_dependencies(bench_machd machd)
endif()
