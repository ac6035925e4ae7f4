# The task-port interface that libmach compiles from runtime/src/api/task_port.defs keeps Darwin's
# mach_port ids and the layouts Apple's MIG gives (tests/wire/mach_port.facts).
if(TARGET mach_static)
  openmig_add_unit_test(NAME test_task_port_wire SOURCES unit/runtime/test_task_port_wire.c
                        LIBS mach_static LABELS "unit;wire")
  target_include_directories(test_task_port_wire PRIVATE ${PROJECT_BINARY_DIR}/runtime/task_port)
  add_dependencies(test_task_port_wire mach_static)
endif()
