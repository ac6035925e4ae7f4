# backend (issue #4): the generated code. Golden C outputs compiled by gcc and clang as C11 and
# C++17; end-to-end tests of generated stubs over the in-process runtime; the demux fuzz target.
set(BACKEND_E2E_DIR ${CMAKE_CURRENT_LIST_DIR}/e2e)

# Every golden C output (tests/golden/<case>/*.{h,c}) must compile warning-free everywhere: one
# CTest per case (backend-golden-compile-<case>), the four compilers of a case run concurrently.
# (Not repeated in the sanitizer build: compiling with -fsyntax-only is the same there.)
file(GLOB BACKEND_GOLDEN_CASES CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/golden/*.defs)
if(NOT OPENMIG_SANITIZE)
  foreach(defs IN LISTS BACKEND_GOLDEN_CASES)
    get_filename_component(case ${defs} NAME_WE)
    if(NOT EXISTS ${CMAKE_CURRENT_LIST_DIR}/golden/${case}/${case}User.c)
      continue()
    endif()
    add_test(NAME backend-golden-compile-${case}
             COMMAND ${CMAKE_COMMAND} -DDIR=${CMAKE_CURRENT_LIST_DIR}/golden/${case}
                     -DINCLUDE=${PROJECT_SOURCE_DIR}/runtime/include
                     -DTYPES=${BACKEND_E2E_DIR}/golden_types
                     -DWORK=${CMAKE_CURRENT_BINARY_DIR}/backend-golden-compile/${case}
                     -P ${BACKEND_E2E_DIR}/compile_generated.cmake)
    set_tests_properties(backend-golden-compile-${case} PROPERTIES TIMEOUT 120 LABELS golden)
  endforeach()
endif()

# The end-to-end tests need the whole in-process runtime: wait for the core's message path.
set(BACKEND_RUNTIME_READY OFF)
if(TARGET mach_objects)
  get_target_property(backend_runtime_sources mach_objects SOURCES)
  if(backend_runtime_sources MATCHES "/msg\\.c")
    set(BACKEND_RUNTIME_READY ON)
  endif()
endif()

if(TARGET mig AND BACKEND_RUNTIME_READY)
  include(${PROJECT_SOURCE_DIR}/cmake/MigGenerate.cmake)

  # e2e-<case>: tests/e2e/<case>/<case>.defs generated with mig_generate(), linked with the
  # case's work functions and its cmocka test.
  function(backend_add_e2e name)
    set(dir ${BACKEND_E2E_DIR}/${name})
    mig_generate(DEFS ${dir}/${name}.defs USER SERVER SERVER_HEADER
                 OUTPUT_DIR ${CMAKE_CURRENT_BINARY_DIR}/e2e/${name}
                 INCLUDE_DIRECTORIES ${dir}
                 SOURCES_VAR sources HEADERS_VAR headers)
    openmig_add_unit_test(NAME e2e-${name}
                          SOURCES ${dir}/${name}_test.c ${dir}/${name}_server.c
                                  ${BACKEND_E2E_DIR}/e2e_fixture.c ${sources} ${headers}
                          LIBS mach_static LABELS e2e TIMEOUT 120)
    target_include_directories(e2e-${name} PRIVATE ${dir} ${BACKEND_E2E_DIR} ${CMAKE_CURRENT_BINARY_DIR}/e2e/${name})
    # The same generated files, compiled as C11 and C++17 by gcc and clang with -pedantic.
    add_test(NAME e2e-${name}-compile
             COMMAND ${CMAKE_COMMAND} -DDIR=${CMAKE_CURRENT_BINARY_DIR}/e2e/${name}
                     -DINCLUDE=${PROJECT_SOURCE_DIR}/runtime/include
                     -DEXTRA_INCLUDE=${dir}
                     -DWORK=${CMAKE_CURRENT_BINARY_DIR}/e2e/${name}-compile
                     -P ${BACKEND_E2E_DIR}/compile_generated.cmake)
    set_tests_properties(e2e-${name}-compile PROPERTIES TIMEOUT 300 LABELS e2e)
  endfunction()

  backend_add_e2e(constructs)
  backend_add_e2e(more)

  # The generated demux of the constructs interface under arbitrary messages.
  set(fuzz_gen ${CMAKE_CURRENT_BINARY_DIR}/fuzz/server_demux)
  mig_generate(DEFS ${BACKEND_E2E_DIR}/constructs/constructs.defs USER SERVER SERVER_HEADER
               OUTPUT_DIR ${fuzz_gen} INCLUDE_DIRECTORIES ${BACKEND_E2E_DIR}/constructs
               SOURCES_VAR fuzz_sources HEADERS_VAR fuzz_headers)
  list(FILTER fuzz_sources EXCLUDE REGEX "User\\.c$")
  openmig_add_fuzz_target(NAME fuzz_server_demux
                          SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz/fuzz_server_demux.c
                                  ${BACKEND_E2E_DIR}/constructs/constructs_server.c
                                  ${fuzz_sources} ${fuzz_headers}
                          LIBS mach_static
                          CORPUS ${CMAKE_CURRENT_LIST_DIR}/fuzz/corpus/server_demux)
  # The stubs benchmark (not a test): tests/bench/bench_stubs.c, run by hand.
  set(bench_gen ${CMAKE_CURRENT_BINARY_DIR}/bench/stubs)
  mig_generate(DEFS ${CMAKE_CURRENT_LIST_DIR}/bench/bench_stubs.defs USER SERVER SERVER_HEADER
               OUTPUT_DIR ${bench_gen} INCLUDE_DIRECTORIES ${CMAKE_CURRENT_LIST_DIR}/bench
               SOURCES_VAR bench_sources HEADERS_VAR bench_headers)
  add_executable(bench_stubs ${CMAKE_CURRENT_LIST_DIR}/bench/bench_stubs.c ${bench_sources}
                             ${bench_headers})
  target_link_libraries(bench_stubs PRIVATE mach_static)
  target_include_directories(bench_stubs PRIVATE ${CMAKE_CURRENT_LIST_DIR}/bench ${bench_gen})
  set_target_properties(bench_stubs PROPERTIES RUNTIME_OUTPUT_DIRECTORY
                                               ${PROJECT_BINARY_DIR}/bin/bench)

  foreach(t fuzz_server_demux fuzz_server_demux-replay)
    if(TARGET ${t})
      target_include_directories(${t} PRIVATE ${BACKEND_E2E_DIR}/constructs ${fuzz_gen})
    endif()
  endforeach()
endif()
