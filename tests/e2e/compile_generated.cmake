# Compiles every generated C file and header found under DIR with each compiler, as C11 and as
# C++17, with -Wall -Wextra -Werror -pedantic against the runtime headers. Run as
#   cmake -DDIR=<dir> -DINCLUDE=<runtime/include> -DWORK=<scratch dir> -P compile_generated.cmake
# Fails (with the compiler's output) on the first file that does not compile cleanly.
if(NOT DIR OR NOT INCLUDE OR NOT WORK)
  message(FATAL_ERROR "usage: cmake -DDIR=.. -DINCLUDE=.. -DWORK=.. -P compile_generated.cmake")
endif()
file(GLOB_RECURSE sources "${DIR}/*.c" "${DIR}/*.h")
list(SORT sources)
if(NOT sources)
  message(FATAL_ERROR "no generated files under ${DIR}")
endif()
file(MAKE_DIRECTORY "${WORK}")
set(common -fsyntax-only -Wall -Wextra -Werror -pedantic -Wshadow -I${INCLUDE})
set(languages "c,gcc,-std=c11,-Wstrict-prototypes,-Wmissing-prototypes"
              "c,clang,-std=c11,-Wstrict-prototypes,-Wmissing-prototypes"
              "c++,g++,-std=c++17"
              "c++,clang++,-std=c++17")
set(count 0)
foreach(src IN LISTS sources)
  get_filename_component(name "${src}" NAME)
  get_filename_component(dir "${src}" DIRECTORY)
  if(src MATCHES "\\.h$")
    # A header must stand on its own: a translation unit that includes only it.
    set(unit "${WORK}/include_${name}.c")
    file(WRITE "${unit}" "#include \"${src}\"\n")
  else()
    set(unit "${src}")
  endif()
  foreach(lang IN LISTS languages)
    string(REPLACE "," ";" lang "${lang}")
    list(POP_FRONT lang language compiler)
    execute_process(COMMAND ${compiler} -x ${language} ${lang} ${common} -I${dir} "${unit}"
                    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
    if(NOT rc EQUAL 0)
      message(FATAL_ERROR "${compiler} (${language}) failed on ${src}:\n${out}")
    endif()
    math(EXPR count "${count} + 1")
  endforeach()
endforeach()
message(STATUS "${count} compilations of generated code passed")
