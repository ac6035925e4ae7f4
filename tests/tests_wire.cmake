# Wire identity with Apple's MIG (helper "wire"; docs/wire-identity.md). Each case runs our mig on
# a .defs, turns the facts recorded from Apple MIG output (tests/wire/<case>.facts) into checks
# against the generated headers and subsystem table, and feeds Apple-layout requests to the
# generated demux (tests/wire/<interface>_demux.c). A case fails when any fact differs.
if(TARGET mig AND TARGET mach_static)
  find_package(Threads REQUIRED)
  include(${PROJECT_SOURCE_DIR}/cmake/MigGenerate.cmake)
  set(WIRE_DIR ${CMAKE_CURRENT_LIST_DIR}/wire)

  # wire_add_case(<case> DEFS <file> DEMUX <file.c> STATE_MAX <n> [CLIENT <file.c>])
  # <case>.facts in tests/wire; mig runs with -DTHREAD_STATE_MAX=<n> so the layouts do not
  # depend on the host architecture. CLIENT: a second test, wire-<case>-client, linking the
  # generated user stubs (requests checked and replies built by a server thread).
  function(wire_add_case name)
    cmake_parse_arguments(W "" "DEFS;DEMUX;STATE_MAX;CLIENT" "" ${ARGN})
    set(out ${CMAKE_CURRENT_BINARY_DIR}/wire/${name})
    get_filename_component(base ${W_DEFS} NAME_WE)
    mig_generate(DEFS ${W_DEFS} USER SERVER SERVER_HEADER OUTPUT_DIR ${out}
                 DEFINITIONS THREAD_STATE_MAX=${W_STATE_MAX}
                 SOURCES_VAR sources HEADERS_VAR headers)
    set(facts ${WIRE_DIR}/${name}.facts)
    add_custom_command(OUTPUT ${out}/${name}_facts.c
                       COMMAND ${CMAKE_COMMAND} -DFACTS=${facts} -DBASE=${base}
                               -DOUT=${out}/${name}_facts.c -P ${WIRE_DIR}/wire_facts.cmake
                       DEPENDS ${facts} ${WIRE_DIR}/wire_facts.cmake
                       COMMENT "wire: checks from ${name}.facts" VERBATIM)
    openmig_add_unit_test(NAME wire-${name}
                          SOURCES ${WIRE_DIR}/${W_DEMUX} ${WIRE_DIR}/wire_check.c
                                  ${WIRE_DIR}/wire_msg.c ${out}/${name}_facts.c
                                  ${out}/${base}Server.c ${headers}
                          LIBS mach_static LABELS wire TIMEOUT 60)
    target_include_directories(wire-${name} PRIVATE ${WIRE_DIR} ${out})
    target_compile_definitions(wire-${name} PRIVATE WIRE_CASE="${name}"
                               WIRE_SERVER_HEADER="${base}Server.h" WIRE_STATE_MAX=${W_STATE_MAX})
    if(W_CLIENT)
      openmig_add_unit_test(NAME wire-${name}-client
                            SOURCES ${WIRE_DIR}/${W_CLIENT} ${WIRE_DIR}/wire_check.c
                                    ${WIRE_DIR}/wire_msg.c ${out}/${base}User.c ${headers}
                            LIBS mach_static Threads::Threads LABELS wire TIMEOUT 60)
      target_include_directories(wire-${name}-client PRIVATE ${WIRE_DIR} ${out})
      target_compile_definitions(wire-${name}-client PRIVATE WIRE_CASE="${name}"
                                 WIRE_USER_HEADER="${base}.h")
    endif()
  endfunction()

  # Apple bootstrap_cmds-96.20.2, x86_64 (our defs/mach/mach_exc.defs).
  wire_add_case(mach_exc DEFS ${PROJECT_SOURCE_DIR}/defs/mach/mach_exc.defs
                DEMUX mach_exc_demux.c STATE_MAX 614 CLIENT mach_exc_client.c)
  # Apple bootstrap_cmds-138, arm64, the current SDK's 6-slot mach_exc.defs (ours has them too).
  wire_add_case(mach_exc_sdk DEFS ${PROJECT_SOURCE_DIR}/defs/mach/mach_exc.defs
                DEMUX mach_exc_demux.c STATE_MAX 1296)
  wire_add_case(exc DEFS ${PROJECT_SOURCE_DIR}/defs/mach/exc.defs
                DEMUX exc_demux.c STATE_MAX 614)
  wire_add_case(sm_report DEFS ${WIRE_DIR}/sm_report.defs
                DEMUX sm_report_demux.c STATE_MAX 614 CLIENT sm_report_client.c)
  wire_add_case(mach_port DEFS ${WIRE_DIR}/mach_port_subset.defs
                DEMUX mach_port_demux.c STATE_MAX 614 CLIENT mach_port_client.c)
  wire_add_case(task DEFS ${WIRE_DIR}/task_subset.defs DEMUX task_demux.c STATE_MAX 614
                CLIENT task_client.c)
  wire_add_case(audit DEFS ${WIRE_DIR}/audit.defs DEMUX audit_demux.c STATE_MAX 614)
  # Apple's migcom (bootstrap_cmds-138) on our csize.defs: struct members larger in C than declared.
  wire_add_case(csize DEFS ${WIRE_DIR}/csize.defs DEMUX csize_demux.c STATE_MAX 614
                CLIENT csize_client.c)
  wire_add_case(notify DEFS ${PROJECT_SOURCE_DIR}/defs/mach/notify.defs
                DEMUX notify_demux.c STATE_MAX 614 CLIENT notify_client.c)
endif()
