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

# Golden tests: one CTest per tests/golden/<case>.defs; `update-goldens` refreshes them all.
if(TARGET mig)
  set(golden_src ${CMAKE_CURRENT_SOURCE_DIR}/golden)
  set(golden_out ${CMAKE_CURRENT_BINARY_DIR}/golden)
  file(GLOB golden_cases CONFIGURE_DEPENDS ${golden_src}/*.defs)
  set(golden_update_commands)
  foreach(defs ${golden_cases})
    get_filename_component(case ${defs} NAME_WE)
    set(golden_args -DMIG=$<TARGET_FILE:mig> -DCASE=${case} -DSRC=${golden_src} -DOUT=${golden_out})
    add_test(NAME golden-${case}
             COMMAND ${CMAKE_COMMAND} ${golden_args} -P ${golden_src}/run_golden.cmake)
    set_tests_properties(golden-${case} PROPERTIES LABELS golden TIMEOUT 60)
    list(APPEND golden_update_commands
         COMMAND ${CMAKE_COMMAND} ${golden_args} -DUPDATE=1 -P ${golden_src}/run_golden.cmake)
  endforeach()
  add_custom_target(update-goldens ${golden_update_commands} DEPENDS mig
                    COMMENT "Refreshing tests/golden outputs" VERBATIM)
endif()
