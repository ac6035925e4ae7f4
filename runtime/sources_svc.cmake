# rt-svc: server loops, reply ports, MIG support routines, error strings, bootstrap service.
list(APPEND LIBMACH_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/src/mach_error.c
  ${CMAKE_CURRENT_LIST_DIR}/src/mig_support.c
  ${CMAKE_CURRENT_LIST_DIR}/src/reply_port.c
  ${CMAKE_CURRENT_LIST_DIR}/src/server.c
  ${CMAKE_CURRENT_LIST_DIR}/src/server_pool.c
  ${CMAKE_CURRENT_LIST_DIR}/src/bootstrap.c
  ${CMAKE_CURRENT_LIST_DIR}/src/bootstrap_registry.c
  ${CMAKE_CURRENT_LIST_DIR}/src/bootstrap_server.c
)
