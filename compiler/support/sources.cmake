# support/: memory, strings, positions, diagnostics, the JSON writer, the context.
list(APPEND MIGC_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/arena.c
  ${CMAKE_CURRENT_LIST_DIR}/strbuf.c
  ${CMAKE_CURRENT_LIST_DIR}/xalloc.c
  ${CMAKE_CURRENT_LIST_DIR}/source.c
  ${CMAKE_CURRENT_LIST_DIR}/diag.c
  ${CMAKE_CURRENT_LIST_DIR}/json_writer.c
  ${CMAKE_CURRENT_LIST_DIR}/migc.c)
