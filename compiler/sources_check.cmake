# fe-check: the check steps, the checked IR, the LP64 layout and the JSON dump.
list(APPEND MIGC_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/ir.c
  ${CMAKE_CURRENT_LIST_DIR}/target.c
  ${CMAKE_CURRENT_LIST_DIR}/pipeline.c
  ${CMAKE_CURRENT_LIST_DIR}/check.c
  ${CMAKE_CURRENT_LIST_DIR}/check_symtab.c
  ${CMAKE_CURRENT_LIST_DIR}/check_expr.c
  ${CMAKE_CURRENT_LIST_DIR}/check_names.c
  ${CMAKE_CURRENT_LIST_DIR}/check_builtins.c
  ${CMAKE_CURRENT_LIST_DIR}/check_collect.c
  ${CMAKE_CURRENT_LIST_DIR}/check_types.c
  ${CMAKE_CURRENT_LIST_DIR}/check_routines.c
  ${CMAKE_CURRENT_LIST_DIR}/check_implicit.c
  ${CMAKE_CURRENT_LIST_DIR}/check_ids.c
  ${CMAKE_CURRENT_LIST_DIR}/layout.c
  ${CMAKE_CURRENT_LIST_DIR}/check_verify.c
  ${CMAKE_CURRENT_LIST_DIR}/json_writer.c
  ${CMAKE_CURRENT_LIST_DIR}/ir_json.c
  ${CMAKE_CURRENT_LIST_DIR}/ir_json_types.c)
