# Golden test of one case, run with `cmake -P`:
#   -DMIG=<mig> -DCASE=<name> -DSRC=<tests/golden> -DOUT=<scratch dir> [-DUPDATE=1] [-DDIFF=<diff>]
# Runs `mig --emit-json` on <SRC>/<CASE>.defs and compares with <SRC>/<CASE>/<CASE>.json. When the
# case directory also holds <CASE>.h, <CASE>User.c, <CASE>Server.c or <CASE>Server.h, those are
# generated (-header, -user, -server, -sheader) and compared too. With UPDATE=1 the expected files
# are rewritten instead (to add a C output to a case, create an empty file of that name first).
# <SRC>/<CASE>.flags, when present, holds extra mig arguments for the case (e.g. -split),
# whitespace-separated; they come before the outputs and the .defs.
cmake_minimum_required(VERSION 3.20)
foreach(var MIG CASE SRC OUT)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_golden.cmake: -D${var}=... is required")
  endif()
endforeach()

set(defs ${SRC}/${CASE}.defs)
set(expected_dir ${SRC}/${CASE})
set(actual_dir ${OUT}/${CASE})
file(REMOVE_RECURSE ${actual_dir})
file(MAKE_DIRECTORY ${actual_dir})

set(args)
if(EXISTS ${SRC}/${CASE}.flags)
  file(READ ${SRC}/${CASE}.flags case_flags)
  string(STRIP "${case_flags}" case_flags)
  separate_arguments(case_flags UNIX_COMMAND "${case_flags}")
  list(APPEND args ${case_flags})
endif()
list(APPEND args --emit-json ${actual_dir}/${CASE}.json)
set(outputs ${CASE}.json)
foreach(pair "-header=${CASE}.h" "-user=${CASE}User.c" "-server=${CASE}Server.c"
             "-sheader=${CASE}Server.h")
  string(REPLACE "=" ";" pair "${pair}")
  list(GET pair 0 flag)
  list(GET pair 1 file)
  if(EXISTS ${expected_dir}/${file})
    list(APPEND args ${flag} ${actual_dir}/${file})
    list(APPEND outputs ${file})
  endif()
endforeach()

execute_process(COMMAND ${MIG} ${args} ${defs}
                WORKING_DIRECTORY ${actual_dir}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "golden ${CASE}: mig failed (exit ${rc}):\n${out}${err}")
endif()

if(UPDATE)
  file(MAKE_DIRECTORY ${expected_dir})
  foreach(file ${outputs})
    file(COPY_FILE ${actual_dir}/${file} ${expected_dir}/${file})
  endforeach()
  message(STATUS "golden ${CASE}: refreshed ${outputs}")
  return()
endif()

if(NOT DIFF)
  find_program(DIFF diff)
endif()
set(failed "")
foreach(file ${outputs})
  if(NOT EXISTS ${expected_dir}/${file})
    list(APPEND failed ${file})
    message("golden ${CASE}: no expected ${expected_dir}/${file}")
    continue()
  endif()
  execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files ${expected_dir}/${file}
                          ${actual_dir}/${file} RESULT_VARIABLE same)
  if(NOT same EQUAL 0)
    list(APPEND failed ${file})
    if(DIFF)
      execute_process(COMMAND ${DIFF} -u ${expected_dir}/${file} ${actual_dir}/${file}
                      OUTPUT_VARIABLE udiff)
      message("golden ${CASE}: ${file} differs:\n${udiff}")
    else()
      message("golden ${CASE}: ${file} differs (${actual_dir}/${file})")
    endif()
  endif()
endforeach()
if(failed)
  message(FATAL_ERROR "golden ${CASE}: mismatch in ${failed}. If the change is intended, refresh "
                      "all goldens with: cmake --build <build-dir> --target update-goldens")
endif()
