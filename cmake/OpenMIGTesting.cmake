# openmig_add_unit_test(NAME <name> SOURCES <files...> LIBS <targets...> [LABELS <labels...>]
#                       [TIMEOUT <seconds>])
# Builds one cmocka executable (bin/tests/<name>) and registers it with CTest under <name>.
function(openmig_add_unit_test)
  cmake_parse_arguments(T "" "NAME;TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${T_NAME} ${T_SOURCES})
  target_link_libraries(${T_NAME} PRIVATE ${T_LIBS} cmocka)
  set_target_properties(${T_NAME} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bin/tests)
  add_test(NAME ${T_NAME} COMMAND ${T_NAME})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 120)
  endif()
  set_tests_properties(${T_NAME} PROPERTIES TIMEOUT ${T_TIMEOUT} LABELS "${T_LABELS}")
endfunction()

# openmig_add_fuzz_target(NAME <name> SOURCES <files...> LIBS <targets...> CORPUS <dir>)
# With OPENMIG_FUZZ (clang): a libFuzzer executable bin/fuzz/<name>.
# Otherwise: bin/fuzz/<name>-replay, which runs every file of CORPUS once, registered with CTest
# as fuzz-replay-<name> (so gcc and the ASan build replay the seed corpora in CI).
function(openmig_add_fuzz_target)
  cmake_parse_arguments(F "" "NAME;CORPUS" "SOURCES;LIBS" ${ARGN})
  if(OPENMIG_FUZZ)
    add_executable(${F_NAME} ${F_SOURCES})
    target_link_libraries(${F_NAME} PRIVATE ${F_LIBS})
    target_link_options(${F_NAME} PRIVATE -fsanitize=fuzzer)
    set_target_properties(${F_NAME} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bin/fuzz)
  else()
    add_executable(${F_NAME}-replay ${F_SOURCES} ${PROJECT_SOURCE_DIR}/tests/fuzz/replay_main.c)
    target_link_libraries(${F_NAME}-replay PRIVATE ${F_LIBS})
    set_target_properties(${F_NAME}-replay PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bin/fuzz)
    add_test(NAME fuzz-replay-${F_NAME} COMMAND ${F_NAME}-replay ${F_CORPUS})
    set_tests_properties(fuzz-replay-${F_NAME} PROPERTIES TIMEOUT 300 LABELS fuzz)
  endif()
endfunction()

# openmig_add_cross_process_test(<name> <label> <command> [args...])
# A test of libmach processes talking through machd, registered twice: <name> on the default
# path (direct channels, docs/machd.md 9) and <name>.relay with MACHD_DIRECT=0 (every message
# relayed by machd, the reference), so that both paths keep Mach's guarantees.
function(openmig_add_cross_process_test name label)
  add_test(NAME ${name} COMMAND ${ARGN})
  set_tests_properties(${name} PROPERTIES TIMEOUT 300 LABELS "${label}")
  add_test(NAME ${name}.relay COMMAND ${ARGN})
  set_tests_properties(${name}.relay PROPERTIES TIMEOUT 300 LABELS "${label};relay" ENVIRONMENT "MACHD_DIRECT=0")
endfunction()
