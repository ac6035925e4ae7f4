# fe-driver: the mig command line, the preprocessor run, dependency files, atomic output.
list(APPEND MIGC_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/options.c
  ${CMAKE_CURRENT_LIST_DIR}/cpp.c
  ${CMAKE_CURRENT_LIST_DIR}/depfile.c
  ${CMAKE_CURRENT_LIST_DIR}/output.c)
