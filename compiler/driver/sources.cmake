# driver/: the mig command line, cpp, depfiles, atomic output, the pipeline and the driver.
# main.c alone is the mig executable.
list(APPEND MIGC_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/options.c
  ${CMAKE_CURRENT_LIST_DIR}/cpp.c
  ${CMAKE_CURRENT_LIST_DIR}/cpp_arch.c
  ${CMAKE_CURRENT_LIST_DIR}/depfile.c
  ${CMAKE_CURRENT_LIST_DIR}/output.c
  ${CMAKE_CURRENT_LIST_DIR}/pipeline.c
  ${CMAKE_CURRENT_LIST_DIR}/driver.c)
set(MIGC_MAIN_SOURCES ${CMAKE_CURRENT_LIST_DIR}/main.c)
