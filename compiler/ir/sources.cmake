# ir/: the checked IR, the target ABI, the JSON form of the IR.
list(APPEND MIGC_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/ir.c
  ${CMAKE_CURRENT_LIST_DIR}/target.c
  ${CMAKE_CURRENT_LIST_DIR}/ir_json.c
  ${CMAKE_CURRENT_LIST_DIR}/ir_json_types.c)
