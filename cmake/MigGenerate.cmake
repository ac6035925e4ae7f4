# mig_generate(): run OpenMIG's mig on a .defs file at build time.
#
#   mig_generate(DEFS <file.defs>
#                [TARGET <target>]        # add the generated .c files and the output dir to it
#                [NAME <base>]            # output base name (default: the .defs file name)
#                [USER] [SERVER] [SERVER_HEADER]
#                [JSON <file.json>]       # also write the checked interface as JSON
#                [OUTPUT_DIR <dir>]       # default: ${CMAKE_CURRENT_BINARY_DIR}/mig
#                [INCLUDE_DIRECTORIES <dir>...] [DEFINITIONS <NAME[=V]>...]
#                [MIG_ARGS <arg>...]      # passed to mig unchanged (e.g. -novouchers)
#                [SOURCES_VAR <var>] [HEADERS_VAR <var>])
#
# Outputs: USER writes <base>.h and <base>User.c, SERVER writes <base>Server.c, SERVER_HEADER
# writes <base>Server.h. With none of USER/SERVER/SERVER_HEADER: USER and SERVER, unless JSON
# is given, which then is the only output. Every output not requested is /dev/null. The
# generated sources and headers are returned in <base>_MIG_SOURCES / <base>_MIG_HEADERS (or the
# *_VAR names). mig writes a dependency file (-MF), so editing an included .defs file re-runs it
# with Ninja and Makefile generators. See docs/build-integration.md.
include_guard(GLOBAL)

function(_mig_generate_executable out)
  if(TARGET OpenMIG::mig)
    set(${out} "$<TARGET_FILE:OpenMIG::mig>" PARENT_SCOPE)
  elseif(TARGET mig)
    set(${out} "$<TARGET_FILE:mig>" PARENT_SCOPE)
  elseif(MIG_EXECUTABLE)
    set(${out} "${MIG_EXECUTABLE}" PARENT_SCOPE)
  else()
    find_program(MIG_EXECUTABLE mig REQUIRED)
    set(${out} "${MIG_EXECUTABLE}" PARENT_SCOPE)
  endif()
endfunction()

function(mig_generate)
  cmake_parse_arguments(MG "USER;SERVER;SERVER_HEADER"
    "DEFS;TARGET;NAME;JSON;OUTPUT_DIR;SOURCES_VAR;HEADERS_VAR"
    "INCLUDE_DIRECTORIES;DEFINITIONS;MIG_ARGS" ${ARGN})
  if(NOT MG_DEFS)
    message(FATAL_ERROR "mig_generate: DEFS <file.defs> is required")
  endif()
  if(MG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "mig_generate: unknown arguments: ${MG_UNPARSED_ARGUMENTS}")
  endif()
  get_filename_component(defs "${MG_DEFS}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
  if(NOT MG_NAME)
    get_filename_component(MG_NAME "${defs}" NAME_WE)
  endif()
  if(NOT MG_OUTPUT_DIR)
    set(MG_OUTPUT_DIR "${CMAKE_CURRENT_BINARY_DIR}/mig")
  endif()
  get_filename_component(dir "${MG_OUTPUT_DIR}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_BINARY_DIR}")
  if(NOT MG_USER AND NOT MG_SERVER AND NOT MG_SERVER_HEADER AND NOT MG_JSON)
    set(MG_USER ON)
    set(MG_SERVER ON)
  endif()

  set(sources)
  set(headers)
  set(outputs)
  set(args)
  # -header/-user/-server are always given: an absent one would default to a subsystem name.
  foreach(kind USER SERVER SERVER_HEADER)
    if(kind STREQUAL "USER")
      set(flags -header -user)
      set(files "${dir}/${MG_NAME}.h" "${dir}/${MG_NAME}User.c")
    elseif(kind STREQUAL "SERVER")
      set(flags -server)
      set(files "${dir}/${MG_NAME}Server.c")
    else()
      set(flags -sheader)
      set(files "${dir}/${MG_NAME}Server.h")
    endif()
    foreach(flag out_file IN ZIP_LISTS flags files)
      if(MG_${kind})
        list(APPEND args ${flag} "${out_file}")
        list(APPEND outputs "${out_file}")
        if(out_file MATCHES "\\.c$")
          list(APPEND sources "${out_file}")
        else()
          list(APPEND headers "${out_file}")
        endif()
      elseif(NOT kind STREQUAL "SERVER_HEADER")
        list(APPEND args ${flag} /dev/null)
      endif()
    endforeach()
  endforeach()
  if(MG_JSON)
    get_filename_component(json "${MG_JSON}" ABSOLUTE BASE_DIR "${dir}")
    list(APPEND args --emit-json "${json}")
    list(APPEND outputs "${json}")
  endif()
  foreach(inc IN LISTS MG_INCLUDE_DIRECTORIES)
    get_filename_component(inc "${inc}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    list(APPEND args "-I${inc}")
  endforeach()
  foreach(def IN LISTS MG_DEFINITIONS)
    list(APPEND args "-D${def}")
  endforeach()

  _mig_generate_executable(mig)
  set(depfile "${dir}/${MG_NAME}.mig.d")
  set(mig_target_dep)
  if(TARGET mig AND NOT TARGET OpenMIG::mig)
    set(mig_target_dep mig)
  endif()
  file(MAKE_DIRECTORY "${dir}")
  add_custom_command(
    OUTPUT ${outputs}
    COMMAND "${mig}" -MF "${depfile}" ${args} ${MG_MIG_ARGS} "${defs}"
    MAIN_DEPENDENCY "${defs}"
    DEPENDS ${mig_target_dep}
    DEPFILE "${depfile}"
    WORKING_DIRECTORY "${dir}"
    COMMENT "mig ${MG_DEFS}"
    VERBATIM)

  if(MG_TARGET)
    target_sources(${MG_TARGET} PRIVATE ${sources} ${headers})
    target_include_directories(${MG_TARGET} PRIVATE "${dir}")
    if(NOT sources AND NOT headers)
      target_sources(${MG_TARGET} PRIVATE ${outputs})
    endif()
  endif()
  if(NOT MG_SOURCES_VAR)
    set(MG_SOURCES_VAR ${MG_NAME}_MIG_SOURCES)
  endif()
  if(NOT MG_HEADERS_VAR)
    set(MG_HEADERS_VAR ${MG_NAME}_MIG_HEADERS)
  endif()
  set(${MG_SOURCES_VAR} ${sources} PARENT_SCOPE)
  set(${MG_HEADERS_VAR} ${headers} PARENT_SCOPE)
endfunction()
