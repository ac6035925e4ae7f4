# The manual pages (docs/man): rendered by man -l and groff without a warning, every option of the
# program's --help documented.
foreach(page_prog "mig.1:mig" "machd.8:machd")
  string(REPLACE ":" ";" pp ${page_prog})
  list(GET pp 0 page)
  list(GET pp 1 prog)
  if(TARGET ${prog})
    add_test(NAME man.${page} COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/docs/check_man.sh
                                      ${PROJECT_SOURCE_DIR}/docs/man/${page} $<TARGET_FILE:${prog}>)
    set_tests_properties(man.${page} PROPERTIES TIMEOUT 60 LABELS docs)
  endif()
endforeach()
