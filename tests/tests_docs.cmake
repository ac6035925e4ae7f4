# The manual pages (docs/man): rendered by man -l and groff without a warning, every option of the
# program's --help documented.
foreach(page_prog "mig.1:mig" "machd.8:machd" "machctl.1:machctl")
  string(REPLACE ":" ";" pp ${page_prog})
  list(GET pp 0 page)
  list(GET pp 1 prog)
  if(TARGET ${prog})
    add_test(NAME man.${page} COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/docs/check_man.sh
                                      ${PROJECT_SOURCE_DIR}/docs/man/${page} $<TARGET_FILE:${prog}>)
    set_tests_properties(man.${page} PROPERTIES TIMEOUT 60 LABELS docs)
  endif()
endforeach()

# The documentation's examples (tests/docs/run_doc_blocks.sh): every ```sh block of docs/*.md runs
# against an installed copy of this build, and prints its ```output block when it has one. Not in
# sanitizer builds: the pages are checked once, with the plain build (CI runs both).
if(TARGET mig AND TARGET machd AND NOT OPENMIG_SANITIZE)
  add_test(NAME docs.shell_blocks COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/docs/run_doc_blocks.sh
                                          ${PROJECT_BINARY_DIR} ${PROJECT_SOURCE_DIR})
  set_tests_properties(docs.shell_blocks PROPERTIES TIMEOUT 900 LABELS docs)
endif()
# README.md's blocks ("Two processes": two programs meet through the machd started on demand).
if(TARGET mig AND TARGET machd AND TARGET machctl AND NOT OPENMIG_SANITIZE)
  add_test(NAME docs.readme_blocks COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/docs/run_readme_blocks.sh
                                           ${PROJECT_BINARY_DIR} ${PROJECT_SOURCE_DIR})
  set_tests_properties(docs.readme_blocks PROPERTIES TIMEOUT 300 LABELS docs)
endif()
# Every repository path the pages name exists.
add_test(NAME docs.paths COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/docs/check_doc_paths.sh ${PROJECT_SOURCE_DIR})
set_tests_properties(docs.paths PROPERTIES TIMEOUT 60 LABELS docs)
