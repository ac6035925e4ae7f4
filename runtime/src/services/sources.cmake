# services: built from the API (reply ports, server loops, MIG support, the bootstrap service).
set(LIBMACH_SERVICES_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/bootstrap.c
  ${CMAKE_CURRENT_LIST_DIR}/bootstrap_machd.c
  ${CMAKE_CURRENT_LIST_DIR}/bootstrap_registry.c
  ${CMAKE_CURRENT_LIST_DIR}/bootstrap_server.c
  ${CMAKE_CURRENT_LIST_DIR}/exception.c
  ${CMAKE_CURRENT_LIST_DIR}/mig_support.c
  ${CMAKE_CURRENT_LIST_DIR}/port_source.c
  ${CMAKE_CURRENT_LIST_DIR}/reply_port.c
  ${CMAKE_CURRENT_LIST_DIR}/server.c
  ${CMAKE_CURRENT_LIST_DIR}/server_pool.c
  ${CMAKE_CURRENT_LIST_DIR}/spawn.c
  ${CMAKE_CURRENT_LIST_DIR}/spawn_child.c
)
