# Front end, part 1 (owner: fe-parse): context, utilities, positions, diagnostics, lexer, parser, AST.
list(APPEND MIGC_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/arena.c
  ${CMAKE_CURRENT_LIST_DIR}/strbuf.c
  ${CMAKE_CURRENT_LIST_DIR}/xalloc.c
  ${CMAKE_CURRENT_LIST_DIR}/source.c
  ${CMAKE_CURRENT_LIST_DIR}/diag.c
  ${CMAKE_CURRENT_LIST_DIR}/migc.c)
list(APPEND MIGC_SOURCES ${CMAKE_CURRENT_LIST_DIR}/ast.c)
