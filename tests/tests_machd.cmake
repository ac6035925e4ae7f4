# machd tests: protocol codec (unit + fuzz replay), daemon and multi-process tests (docs/machd.md).
if(TARGET machd_proto)
  openmig_add_unit_test(NAME test_machd_proto SOURCES unit/runtime/test_machd_proto.c
                        LIBS machd_proto LABELS machd)
  openmig_add_fuzz_target(NAME fuzz_machd_decode SOURCES fuzz/fuzz_machd_decode.c
                          LIBS machd_proto CORPUS ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus/machd_decode)
endif()
