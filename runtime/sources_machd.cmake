# libmach's side of IPC between processes (docs/machd.md): the wire codec, the socket path rule and
# the connection to machd. The daemon itself is runtime/machd/.
list(APPEND LIBMACH_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/src/machd_proto.c
  ${CMAKE_CURRENT_LIST_DIR}/src/machd_spill.c
  ${CMAKE_CURRENT_LIST_DIR}/src/transport_machd_path.c
  ${CMAKE_CURRENT_LIST_DIR}/src/transport_machd_conn.c)
list(APPEND LIBMACH_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/src/transport_handle_map.c
  ${CMAKE_CURRENT_LIST_DIR}/src/transport_machd.c
  ${CMAKE_CURRENT_LIST_DIR}/src/transport_machd_reader.c
  ${CMAKE_CURRENT_LIST_DIR}/src/transport_machd_spill.c
  ${CMAKE_CURRENT_LIST_DIR}/src/transport_machd_flow.c
  ${CMAKE_CURRENT_LIST_DIR}/src/transport_machd_names.c)
