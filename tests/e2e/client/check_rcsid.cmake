# e2e-client-rcsid: the rcsid of client.defs is in the linked program twice: the extern
# client_user_rcsid (clientUser.c, UseExternRCSId) and the static rcsid of clientServer.c.
#   cmake -DBINARY=<e2e-client> -P check_rcsid.cmake
find_program(NM nm REQUIRED)
execute_process(COMMAND ${NM} ${BINARY} OUTPUT_VARIABLE symbols RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "nm failed on ${BINARY}")
endif()
foreach(pattern " [R] client_user_rcsid\n" " [r] rcsid\n")
  if(NOT symbols MATCHES "${pattern}")
    message(FATAL_ERROR "no symbol matching '${pattern}' in ${BINARY}")
  endif()
endforeach()
file(STRINGS ${BINARY} copies REGEX "\\$Id: client\\.defs e2e \\$")
list(LENGTH copies n)
if(n LESS 1)
  message(FATAL_ERROR "the rcsid string is not in ${BINARY}")
endif()
message(STATUS "rcsid present: extern and static symbols, ${n} string match(es)")
