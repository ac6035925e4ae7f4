# fe-check: unit tests of the check steps, the layout and the JSON dump; golden tests (one CTest
# per tests/golden/<case>.defs) when the mig executable exists.
if(TARGET migc)
  foreach(t check layout json_writer ir_json)
    if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/unit/compiler/test_${t}.c)
      openmig_add_unit_test(NAME test_${t} SOURCES unit/compiler/test_${t}.c LIBS migc
                            LABELS compiler)
    endif()
  endforeach()
endif()
