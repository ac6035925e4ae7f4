# ipc: the in-process Mach core (name spaces, ports, rights, messages, queues, notifications).
set(LIBMACH_IPC_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/fdwatch.c
  ${CMAKE_CURRENT_LIST_DIR}/ipc.c
  ${CMAKE_CURRENT_LIST_DIR}/kmsg.c
  ${CMAKE_CURRENT_LIST_DIR}/mqueue.c
  ${CMAKE_CURRENT_LIST_DIR}/notify.c
  ${CMAKE_CURRENT_LIST_DIR}/ool.c
  ${CMAKE_CURRENT_LIST_DIR}/ool_stage.c
  ${CMAKE_CURRENT_LIST_DIR}/port.c
  ${CMAKE_CURRENT_LIST_DIR}/portset.c
  ${CMAKE_CURRENT_LIST_DIR}/proxy.c
  ${CMAKE_CURRENT_LIST_DIR}/right.c
  ${CMAKE_CURRENT_LIST_DIR}/scatter.c
  ${CMAKE_CURRENT_LIST_DIR}/space.c
  ${CMAKE_CURRENT_LIST_DIR}/vm.c
  ${CMAKE_CURRENT_LIST_DIR}/vm_reaper.c
)
