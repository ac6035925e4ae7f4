# api: the Darwin calls built on the core (mach_port_*, mach_msg, vm_*, task_*, error strings).
set(LIBMACH_API_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/exception.c
  ${CMAKE_CURRENT_LIST_DIR}/fileport.c
  ${CMAKE_CURRENT_LIST_DIR}/mach_error.c
  ${CMAKE_CURRENT_LIST_DIR}/mach_port.c
  ${CMAKE_CURRENT_LIST_DIR}/mach_time.c
  ${CMAKE_CURRENT_LIST_DIR}/msg.c
  ${CMAKE_CURRENT_LIST_DIR}/port_fd.c
  ${CMAKE_CURRENT_LIST_DIR}/semaphore.c
  ${CMAKE_CURRENT_LIST_DIR}/task.c
  ${CMAKE_CURRENT_LIST_DIR}/task_server.c
  ${CMAKE_CURRENT_LIST_DIR}/vm.c
)
