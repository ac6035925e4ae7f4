# rt-core: the in-process IPC core (name spaces, ports, rights, messages, notifications).
list(APPEND LIBMACH_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/src/ipc.c
  ${CMAKE_CURRENT_LIST_DIR}/src/kmsg.c
  ${CMAKE_CURRENT_LIST_DIR}/src/mach_port.c
  ${CMAKE_CURRENT_LIST_DIR}/src/mqueue.c
  ${CMAKE_CURRENT_LIST_DIR}/src/msg.c
  ${CMAKE_CURRENT_LIST_DIR}/src/notify.c
  ${CMAKE_CURRENT_LIST_DIR}/src/ool.c
  ${CMAKE_CURRENT_LIST_DIR}/src/ool_stage.c
  ${CMAKE_CURRENT_LIST_DIR}/src/scatter.c
  ${CMAKE_CURRENT_LIST_DIR}/src/port.c
  ${CMAKE_CURRENT_LIST_DIR}/src/portset.c
  ${CMAKE_CURRENT_LIST_DIR}/src/right.c
  ${CMAKE_CURRENT_LIST_DIR}/src/space.c
  ${CMAKE_CURRENT_LIST_DIR}/src/task.c
  ${CMAKE_CURRENT_LIST_DIR}/src/transport.c
  ${CMAKE_CURRENT_LIST_DIR}/src/vm.c
)
