# rt-core: the in-process IPC core (name spaces, ports, rights, messages, notifications).
list(APPEND LIBMACH_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/src/task.c
)
