# parse/: the AST. The lexer and the parser are generated from lexer.l and parser.y (see
# ../CMakeLists.txt).
list(APPEND MIGC_SOURCES ${CMAKE_CURRENT_LIST_DIR}/ast.c)
