# Generated code compiles against the installed headers alone (issue 14, part 3). Installs the
# build into a scratch prefix, runs the installed mig on every tests/darwin_types/*.defs (our own
# interfaces that carry every Darwin type the xnu interfaces name) in the user, KERNEL_USER and
# KERNEL_SERVER configurations, and compiles the outputs with gcc and clang as
#   -std=c11 -Wall -Wextra -Werror -I<prefix>/include
# and nothing else; the headers also as C++17. Under KERNEL_SERVER only the client side is
# user space (the server stubs are kernel code importing kern/ headers through mach_types.defs).
# mig must write no diagnostic; the C size of every struct type must be the one its .defs
# declares (<name>_records.c). Before that, every installed header is compiled alone. Run as
#   cmake -DBUILD=<build dir> -DSRC=<tests/darwin_types> -DWORK=<scratch dir> -P compile_installed.cmake
if(NOT BUILD OR NOT SRC OR NOT WORK)
  message(FATAL_ERROR "usage: cmake -DBUILD=.. -DSRC=.. -DWORK=.. -P compile_installed.cmake")
endif()
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}")
set(prefix "${WORK}/prefix")
execute_process(COMMAND ${CMAKE_COMMAND} --install "${BUILD}" --prefix "${prefix}"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cmake --install failed:\n${out}")
endif()
set(mig "${prefix}/bin/mig")
if(NOT EXISTS "${mig}" OR NOT IS_DIRECTORY "${prefix}/include/mach")
  message(FATAL_ERROR "the install has no bin/mig or include/mach")
endif()

set(c_compilers)
foreach(cc gcc clang)
  find_program(path_${cc} ${cc})
  if(path_${cc})
    list(APPEND c_compilers ${path_${cc}})
  endif()
endforeach()
set(cxx_compilers)
foreach(cxx g++ clang++)
  find_program(path_${cxx} ${cxx})
  if(path_${cxx})
    list(APPEND cxx_compilers ${path_${cxx}})
  endif()
endforeach()
if(NOT c_compilers)
  message(FATAL_ERROR "neither gcc nor clang found")
endif()
set(flags -fsyntax-only -Wall -Wextra -Werror "-I${prefix}/include")

# Every installed header stands on its own: a translation unit that includes only it, C11 and
# C++17, with -pedantic as well.
file(GLOB_RECURSE installed_headers RELATIVE "${prefix}/include" "${prefix}/include/*.h")
list(SORT installed_headers)
set(alone_units)
file(MAKE_DIRECTORY "${WORK}/alone")
foreach(header IN LISTS installed_headers)
  string(MAKE_C_IDENTIFIER "${header}" unit_name)
  set(unit "${WORK}/alone/${unit_name}.c")
  file(WRITE "${unit}" "#include <${header}>\ntypedef int openmig_header_alone;\n")
  list(APPEND alone_units "${unit}")
endforeach()
foreach(cc IN LISTS c_compilers)
  execute_process(COMMAND "${cc}" -x c -std=c11 -pedantic ${flags} ${alone_units}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE cc_out ERROR_VARIABLE cc_out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${cc} -std=c11: an installed header does not stand alone:\n${cc_out}")
  endif()
endforeach()
foreach(cxx IN LISTS cxx_compilers)
  execute_process(COMMAND "${cxx}" -x c++ -std=c++17 -pedantic ${flags} ${alone_units}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE cc_out ERROR_VARIABLE cc_out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${cxx} -std=c++17: an installed header does not stand alone:\n${cc_out}")
  endif()
endforeach()
list(LENGTH installed_headers header_count)

file(GLOB interfaces "${SRC}/*.defs")
list(SORT interfaces)
set(count 0)
foreach(config user KERNEL_USER KERNEL_SERVER)
  set(defines)
  if(NOT config STREQUAL "user")
    set(defines "-D${config}")
  endif()
  foreach(defs IN LISTS interfaces)
    get_filename_component(name "${defs}" NAME_WE)
    set(out "${WORK}/${config}/${name}")
    file(MAKE_DIRECTORY "${out}")
    execute_process(COMMAND "${mig}" ${defines} -user "${out}/${name}User.c"
                            -header "${out}/${name}.h" -server "${out}/${name}Server.c"
                            -sheader "${out}/${name}Server.h" --emit-json "${out}/${name}.json"
                            "${defs}"
                    WORKING_DIRECTORY "${out}"
                    RESULT_VARIABLE rc OUTPUT_VARIABLE mig_out ERROR_VARIABLE mig_out)
    if(NOT rc EQUAL 0 OR NOT mig_out STREQUAL "")
      message(FATAL_ERROR "mig ${defines} ${defs} (exit ${rc}):\n${mig_out}")
    endif()
    # The .defs give every struct its Darwin (LP64 C) size. The generated layout assertions after
    # a struct member hold only when the C type has the declared size (a C type may differ, as
    # in Apple's MIG: docs/generated-code.md), so the record sizes are asserted here.
    file(READ "${out}/${name}.json" ir)
    string(REGEX MATCHALL "\"c_type\": \"[^\"]+\",[ \n]*\"offset\": [0-9]+,[ \n]*\"size\": [0-9]+,[ \n]*\"c_type_size\": true"
           records "${ir}")
    set(record_checks "#include \"${name}.h\"\n")
    foreach(record IN LISTS records)
      string(REGEX REPLACE "^\"c_type\": \"([^\"]+)\".*\"size\": ([0-9]+).*$"
             "_Static_assert(sizeof(\\1) == \\2, \"\\1: Darwin record size \\2\");\n" check "${record}")
      string(APPEND record_checks "${check}")
    endforeach()
    file(WRITE "${out}/${name}_records.c" "${record_checks}")
    set(units "${out}/${name}User.c" "${out}/${name}.h" "${out}/${name}_records.c")
    set(headers "${out}/${name}.h")
    if(NOT config STREQUAL "KERNEL_SERVER")
      list(APPEND units "${out}/${name}Server.c" "${out}/${name}Server.h")
      list(APPEND headers "${out}/${name}Server.h")
    endif()
    foreach(unit IN LISTS units)
      foreach(cc IN LISTS c_compilers)
        execute_process(COMMAND "${cc}" -x c -std=c11 ${flags} "${unit}"
                        RESULT_VARIABLE rc OUTPUT_VARIABLE cc_out ERROR_VARIABLE cc_out)
        if(NOT rc EQUAL 0)
          message(FATAL_ERROR "${cc} -std=c11 failed on ${unit} (${config}):\n${cc_out}")
        endif()
        math(EXPR count "${count} + 1")
      endforeach()
    endforeach()
    foreach(unit IN LISTS headers)
      foreach(cxx IN LISTS cxx_compilers)
        execute_process(COMMAND "${cxx}" -x c++ -std=c++17 ${flags} "${unit}"
                        RESULT_VARIABLE rc OUTPUT_VARIABLE cc_out ERROR_VARIABLE cc_out)
        if(NOT rc EQUAL 0)
          message(FATAL_ERROR "${cxx} -std=c++17 failed on ${unit} (${config}):\n${cc_out}")
        endif()
        math(EXPR count "${count} + 1")
      endforeach()
    endforeach()
  endforeach()
endforeach()
message(STATUS "${header_count} installed headers stand alone; ${count} compilations of "
               "generated code against ${prefix}/include passed")
