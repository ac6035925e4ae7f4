# transport: how a process reaches other processes (the machd client).
set(LIBMACH_TRANSPORT_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/transport_chan.c
  ${CMAKE_CURRENT_LIST_DIR}/transport_chan_ool.c
  ${CMAKE_CURRENT_LIST_DIR}/transport_chan_claim.c
  ${CMAKE_CURRENT_LIST_DIR}/transport_chan_recv.c
  ${CMAKE_CURRENT_LIST_DIR}/transport_chan_send.c
  ${CMAKE_CURRENT_LIST_DIR}/transport_machd.c
  ${CMAKE_CURRENT_LIST_DIR}/transport_machd_bootstrap.c
  ${CMAKE_CURRENT_LIST_DIR}/transport_machd_deliver.c
  ${CMAKE_CURRENT_LIST_DIR}/transport_machd_links.c
  ${CMAKE_CURRENT_LIST_DIR}/transport_machd_send.c
  ${CMAKE_CURRENT_LIST_DIR}/transport_machd_flow.c
  ${CMAKE_CURRENT_LIST_DIR}/transport_machd_names.c
  ${CMAKE_CURRENT_LIST_DIR}/transport_machd_reader.c
  ${CMAKE_CURRENT_LIST_DIR}/transport_machd_spill.c
)
