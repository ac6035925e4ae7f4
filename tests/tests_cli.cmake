# fe-driver: unit tests of the driver modules and the command-line tests of the mig executable.
if(TARGET migc)
  openmig_add_unit_test(NAME test_options SOURCES ${CMAKE_CURRENT_LIST_DIR}/cli/test_options.c
                        LIBS migc LABELS cli)
  openmig_add_unit_test(NAME test_driver_files
                        SOURCES ${CMAKE_CURRENT_LIST_DIR}/cli/test_driver_files.c
                        LIBS migc LABELS cli)
endif()
