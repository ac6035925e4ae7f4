# emit/: the writer, the shared pieces, the file emitters and emit.c, which picks one.
list(APPEND MIGC_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/emitter.c
  ${CMAKE_CURRENT_LIST_DIR}/emit_prolog.c
  ${CMAKE_CURRENT_LIST_DIR}/emit_common.c
  ${CMAKE_CURRENT_LIST_DIR}/emit_check.c
  ${CMAKE_CURRENT_LIST_DIR}/emit_ndr.c
  ${CMAKE_CURRENT_LIST_DIR}/emit_kernel.c
  ${CMAKE_CURRENT_LIST_DIR}/emit_symtab.c
  ${CMAKE_CURRENT_LIST_DIR}/emit_user_overwrite.c
  ${CMAKE_CURRENT_LIST_DIR}/emit_user_kernel.c
  ${CMAKE_CURRENT_LIST_DIR}/emit_user_header.c
  ${CMAKE_CURRENT_LIST_DIR}/emit_user.c
  ${CMAKE_CURRENT_LIST_DIR}/emit_server_header.c
  ${CMAKE_CURRENT_LIST_DIR}/emit_server.c
  ${CMAKE_CURRENT_LIST_DIR}/emit_defines.c
  ${CMAKE_CURRENT_LIST_DIR}/emit.c)
