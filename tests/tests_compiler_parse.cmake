# fe-parse: unit tests of the front end (arena, strbuf, source positions, diagnostics, lexer,
# parser) and the tests/diag cases, one per diagnostic id, run through the real mig executable.
if(TARGET migc)
  add_library(openmig_test_support STATIC ${CMAKE_CURRENT_LIST_DIR}/support/test_compile.c)
  target_include_directories(openmig_test_support PUBLIC ${CMAKE_CURRENT_LIST_DIR}/support)
  target_link_libraries(openmig_test_support PUBLIC migc)
  foreach(module arena strbuf source diag lexer parser)
    if(EXISTS ${CMAKE_CURRENT_LIST_DIR}/unit/compiler/test_${module}.c)
      openmig_add_unit_test(NAME test_${module}
                            SOURCES ${CMAKE_CURRENT_LIST_DIR}/unit/compiler/test_${module}.c
                            LIBS openmig_test_support migc LABELS parse)
    endif()
  endforeach()
  # Every live diagnostic id (all three areas) needs a tests/diag case.
  add_test(NAME diag-coverage
           COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/diag/check_coverage.sh ${PROJECT_SOURCE_DIR})
  set_tests_properties(diag-coverage PROPERTIES TIMEOUT 60 LABELS diag)
endif()
if(TARGET mig)
  file(GLOB diag_cases CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/diag/E[0-9][0-9][0-9][0-9]-*.defs)
  foreach(case ${diag_cases})
    get_filename_component(case_name ${case} NAME_WE)
    add_test(NAME diag-${case_name}
             COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/diag/run_case.sh $<TARGET_FILE:mig> ${case})
    set_tests_properties(diag-${case_name} PROPERTIES TIMEOUT 60 LABELS diag)
  endforeach()
endif()
