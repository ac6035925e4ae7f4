# Compiles every generated C file and header found under DIR with gcc and clang as C11 and with
# g++ and clang++ as C++17, -Wall -Wextra -Werror -pedantic, against the runtime headers; the .c
# files without their headers (they must not include them). Run as
#   cmake -DDIR=<dir> -DINCLUDE=<runtime/include> -DWORK=<scratch dir> [-DTYPES=<dir>]
#         [-DEXTRA_INCLUDE=<dir>] [-DEXTRA_FLAGS=<flag;...>] -P compile_generated.cmake
# Files are grouped by directory (one golden case or one e2e interface). TYPES/<case>.h, when it
# exists, is pre-included (golden interfaces name C types they do not define), TYPES/<case>/ is
# searched for imported headers, and TYPES/<case>.c-only keeps a case out of C++ (a routine named
# after a C++ keyword, as Apple's MIG allows). The four compilers of one group run concurrently.
if(NOT DIR OR NOT INCLUDE OR NOT WORK)
  message(FATAL_ERROR "usage: cmake -DDIR=.. -DINCLUDE=.. -DWORK=.. [-DTYPES=..] -P compile_generated.cmake")
endif()
file(GLOB_RECURSE files "${DIR}/*.c" "${DIR}/*.h")
if(NOT files)
  message(FATAL_ERROR "no generated files under ${DIR}")
endif()
file(MAKE_DIRECTORY "${WORK}")
set(common -fsyntax-only -Wall -Wextra -Werror -pedantic -Wshadow -I${INCLUDE})
if(EXTRA_INCLUDE)
  list(APPEND common -I${EXTRA_INCLUDE})
endif()
if(EXTRA_FLAGS) # e.g. a pre-included header and -D for kernel-flavoured code
  list(APPEND common ${EXTRA_FLAGS})
endif()
set(c_flags -std=c11 -Wstrict-prototypes -Wmissing-prototypes)
set(cxx_flags -std=c++17)

set(groups)
foreach(file IN LISTS files)
  get_filename_component(dir "${file}" DIRECTORY)
  list(APPEND groups "${dir}")
endforeach()
list(REMOVE_DUPLICATES groups)
list(SORT groups)

set(count 0)
foreach(dir IN LISTS groups)
  get_filename_component(case "${dir}" NAME)
  file(GLOB sources "${dir}/*.c")
  file(GLOB headers "${dir}/*.h")
  list(SORT sources)
  list(SORT headers)
  # The .c files must not depend on the headers (-split is their only form): they are compiled
  # from copies next to stand-ins of the case's headers that stop the compiler if included.
  set(units)
  set(copies "${WORK}/${case}__sources")
  file(MAKE_DIRECTORY "${copies}")
  foreach(header IN LISTS headers)
    get_filename_component(name "${header}" NAME)
    file(WRITE "${copies}/${name}" "#error \"a generated .c file included ${name}\"\n")
  endforeach()
  foreach(source IN LISTS sources)
    get_filename_component(name "${source}" NAME)
    file(COPY_FILE "${source}" "${copies}/${name}")
    list(APPEND units "${copies}/${name}")
  endforeach()
  foreach(header IN LISTS headers)
    # A header must stand on its own: a translation unit that includes only it. (Not all of a
    # case's headers together: without prefixes the client's and the server's prototypes of a
    # routine differ, as with Apple's MIG.)
    get_filename_component(name "${header}" NAME)
    set(unit "${WORK}/${case}__${name}.c")
    file(WRITE "${unit}" "#include \"${header}\"\n")
    list(APPEND units "${unit}")
  endforeach()
  set(types)
  if(TYPES AND EXISTS "${TYPES}/${case}.h")
    list(APPEND types -include "${TYPES}/${case}.h")
  endif()
  if(TYPES AND IS_DIRECTORY "${TYPES}/${case}")
    list(APPEND types "-I${TYPES}/${case}")
  endif()
  set(commands COMMAND gcc -x c ${c_flags} ${common} ${types} ${units}
               COMMAND clang -x c ${c_flags} ${common} ${types} ${units})
  set(names gcc clang)
  if(NOT (TYPES AND EXISTS "${TYPES}/${case}.c-only"))
    list(APPEND commands COMMAND g++ -x c++ ${cxx_flags} ${common} ${types} ${units}
                         COMMAND clang++ -x c++ ${cxx_flags} ${common} ${types} ${units})
    list(APPEND names g++ clang++)
  endif()
  execute_process(${commands} RESULTS_VARIABLE results OUTPUT_VARIABLE out ERROR_VARIABLE out)
  foreach(rc name IN ZIP_LISTS results names)
    if(NOT rc EQUAL 0)
      message(FATAL_ERROR "${name} failed on ${dir}:\n${out}")
    endif()
    list(LENGTH units n)
    math(EXPR count "${count} + ${n}")
  endforeach()
endforeach()
message(STATUS "${count} compilations of generated code passed")
