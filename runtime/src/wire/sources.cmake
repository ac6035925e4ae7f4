# wire: what libmach and machd share (protocol codec, spill files, socket path, client connection, handle map, direct channel rings, closing descriptors from other processes).
set(LIBMACH_WIRE_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/machd_proto.c
  ${CMAKE_CURRENT_LIST_DIR}/machd_spill.c
  ${CMAKE_CURRENT_LIST_DIR}/machd_path.c
  ${CMAKE_CURRENT_LIST_DIR}/machd_conn.c
  ${CMAKE_CURRENT_LIST_DIR}/handle_map.c
  ${CMAKE_CURRENT_LIST_DIR}/chan_ring.c
  ${CMAKE_CURRENT_LIST_DIR}/fd_closer.c
)
