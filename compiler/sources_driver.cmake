# fe-driver: the mig command line, the preprocessor run, dependency files, atomic output, the
# driver that ties them to the compiler library, and main.c (the mig executable).
list(APPEND MIGC_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/options.c
  ${CMAKE_CURRENT_LIST_DIR}/cpp.c
  ${CMAKE_CURRENT_LIST_DIR}/cpp_arch.c
  ${CMAKE_CURRENT_LIST_DIR}/depfile.c
  ${CMAKE_CURRENT_LIST_DIR}/output.c
  ${CMAKE_CURRENT_LIST_DIR}/driver.c)
list(APPEND MIGC_MAIN_SOURCES ${CMAKE_CURRENT_LIST_DIR}/main.c)
