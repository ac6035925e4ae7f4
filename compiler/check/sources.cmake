# check/: the check steps (AST to IR), in pipeline order, and the message layout.
list(APPEND MIGC_SOURCES
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
  ${CMAKE_CURRENT_LIST_DIR}/check_verify.c)
