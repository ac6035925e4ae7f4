# fe-check: the check steps, the checked IR, the LP64 layout and the JSON dump.
list(APPEND MIGC_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/ir.c
  ${CMAKE_CURRENT_LIST_DIR}/target.c)
