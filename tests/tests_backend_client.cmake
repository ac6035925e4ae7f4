# backend, client side (issue #4): end-to-end tests of `overwrite`, ConsumeOnSendError, imports
# and rcsid (e2e-client), and of KernelUser stubs compiled as kernel code over a test shim that
# implements the kernel's mach_msg_*_from_kernel with the runtime (e2e-kuser).
# (tests_backend.cmake, included before this file, sets BACKEND_RUNTIME_READY.)
set(BACKEND_CLIENT_E2E_DIR ${CMAKE_CURRENT_LIST_DIR}/e2e)

if(TARGET mig AND BACKEND_RUNTIME_READY)
  include(${PROJECT_SOURCE_DIR}/cmake/MigGenerate.cmake)

  # e2e-<name>: tests/e2e/<name>/<name>.defs, its work functions, its cmocka test and EXTRA
  # sources; USER_FLAGS compile the generated client stubs (<name>User.c) only. The generated
  # files are also compiled as C11 and C++17 with the same USER_FLAGS (e2e-<name>-compile).
  # VARIANT v makes e2e-<name>-<v> instead, with MIG_ARGS for mig and TEST_FLAGS for the test.
  function(backend_client_e2e name)
    cmake_parse_arguments(C "" "VARIANT" "EXTRA;USER_FLAGS;MIG_ARGS;TEST_FLAGS" ${ARGN})
    set(dir ${BACKEND_CLIENT_E2E_DIR}/${name})
    set(test ${name})
    if(C_VARIANT)
      set(test ${name}-${C_VARIANT})
    endif()
    set(gen ${CMAKE_CURRENT_BINARY_DIR}/e2e/${test})
    mig_generate(DEFS ${dir}/${name}.defs USER SERVER SERVER_HEADER OUTPUT_DIR ${gen}
                 INCLUDE_DIRECTORIES ${dir} MIG_ARGS ${C_MIG_ARGS}
                 SOURCES_VAR sources HEADERS_VAR headers)
    openmig_add_unit_test(NAME e2e-${test}
                          SOURCES ${dir}/${name}_test.c ${dir}/${name}_server.c ${C_EXTRA}
                                  ${BACKEND_CLIENT_E2E_DIR}/e2e_fixture.c
                                  ${sources} ${headers}
                          LIBS mach_static LABELS e2e TIMEOUT 120)
    target_include_directories(e2e-${test} PRIVATE ${dir} ${BACKEND_CLIENT_E2E_DIR} ${gen})
    if(C_TEST_FLAGS)
      target_compile_options(e2e-${test} PRIVATE ${C_TEST_FLAGS})
    endif()
    if(C_USER_FLAGS)
      set_source_files_properties(${gen}/${name}User.c TARGET_DIRECTORY e2e-${test}
                                  PROPERTIES COMPILE_OPTIONS "${C_USER_FLAGS}")
    endif()
    add_test(NAME e2e-${test}-compile
             COMMAND ${CMAKE_COMMAND} -DDIR=${gen} -DINCLUDE=${PROJECT_SOURCE_DIR}/runtime/include
                     -DEXTRA_INCLUDE=${dir} "-DEXTRA_FLAGS=${C_USER_FLAGS}"
                     -DWORK=${CMAKE_CURRENT_BINARY_DIR}/e2e/${test}-compile
                     -P ${BACKEND_CLIENT_E2E_DIR}/compile_generated.cmake)
    set_tests_properties(e2e-${test}-compile PROPERTIES TIMEOUT 300 LABELS e2e)
  endfunction()

  # clientUser.c takes the extern form of the rcsid (the test reads the string from it).
  backend_client_e2e(client USER_FLAGS -DUseExternRCSId=1)
  # The same cases over -R stubs: each routine sends, then receives, with separate mach_msg calls.
  backend_client_e2e(client VARIANT separate MIG_ARGS -R USER_FLAGS -DUseExternRCSId=1
                     TEST_FLAGS -DE2E_SEPARATE_SEND_RECEIVE=1)
  # The server stubs' static rcsid must be in the object too.
  add_test(NAME e2e-client-rcsid
           COMMAND ${CMAKE_COMMAND} -DBINARY=$<TARGET_FILE:e2e-client>
                   -P ${BACKEND_CLIENT_E2E_DIR}/client/check_rcsid.cmake)
  set_tests_properties(e2e-client-rcsid PROPERTIES TIMEOUT 60 LABELS e2e)
endif()

# KernelUser: kuserUser.c is compiled as kernel code against the shim's declarations.
if(TARGET mig AND BACKEND_RUNTIME_READY)
  backend_client_e2e(kuser EXTRA ${BACKEND_CLIENT_E2E_DIR}/kuser/kuser_shim.c
                     USER_FLAGS -D__MigKernelSpecificCode=1
                                -include ${BACKEND_CLIENT_E2E_DIR}/kuser/kuser_kernel.h)
endif()
