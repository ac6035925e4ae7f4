# Server-side back end round trips (be-server): a KernelServer interface compiled as kernel code
# against a test-only kernel shim, with its -iheader and -dheader outputs and the -s symbol table
# (e2e-kserver).
if(TARGET mig AND TARGET mach_static)
  set(kserver_dir ${CMAKE_CURRENT_LIST_DIR}/e2e/kserver)
  set(kserver_gen ${CMAKE_CURRENT_BINARY_DIR}/e2e/kserver)
  set(kserver_outputs ${kserver_gen}/kserver.h ${kserver_gen}/kserverUser.c
                      ${kserver_gen}/kserverServer.c ${kserver_gen}/kserverServer.h
                      ${kserver_gen}/kserverInternal.h ${kserver_gen}/kserverDefines.h)
  file(MAKE_DIRECTORY ${kserver_gen})
  add_custom_command(
    OUTPUT ${kserver_outputs}
    COMMAND mig -s -I${kserver_dir} -header kserver.h -user kserverUser.c -server kserverServer.c
            -sheader kserverServer.h -iheader kserverInternal.h -dheader kserverDefines.h
            ${kserver_dir}/kserver.defs
    DEPENDS mig ${kserver_dir}/kserver.defs
    WORKING_DIRECTORY ${kserver_gen}
    COMMENT "mig kserver.defs (KernelServer)"
    VERBATIM)
  openmig_add_unit_test(NAME e2e-kserver
                        SOURCES ${kserver_dir}/kserver_test.c ${kserver_dir}/kserver_server.c
                                ${kserver_dir}/kernel_shim.c ${kserver_outputs}
                                ${CMAKE_CURRENT_LIST_DIR}/e2e/e2e_fixture.c
                        LIBS mach_static LABELS e2e TIMEOUT 120)
  target_include_directories(e2e-kserver PRIVATE ${kserver_dir} ${CMAKE_CURRENT_LIST_DIR}/e2e ${kserver_gen})
  # The server stubs as kernel code: the kernel branch of every __MigKernelSpecificCode, the
  # shim's functions, and the -iheader renaming of the work functions.
  set_source_files_properties(${kserver_gen}/kserverServer.c PROPERTIES
    COMPILE_DEFINITIONS __MigKernelSpecificCode=1
    COMPILE_OPTIONS "-include;${kserver_dir}/kernel_shim.h;-include;${kserver_gen}/kserverInternal.h")
endif()

# -n round trip (e2e-ndrconv): tests/golden/ndr.defs generated with -n, its server compiled with a
# program-defined hook (tests/e2e/ndrconv/ndr_hooks.h) and fed requests in a foreign int_rep.
if(TARGET mig AND TARGET mach_static)
  set(ndr_dir ${CMAKE_CURRENT_LIST_DIR}/e2e/ndrconv)
  set(ndr_gen ${CMAKE_CURRENT_BINARY_DIR}/e2e/ndrconv)
  file(MAKE_DIRECTORY ${ndr_gen})
  add_custom_command(
    OUTPUT ${ndr_gen}/ndr.h ${ndr_gen}/ndrServer.c
    COMMAND mig -n -header ndr.h -user /dev/null -server ndrServer.c
            ${CMAKE_CURRENT_LIST_DIR}/golden/ndr.defs
    DEPENDS mig ${CMAKE_CURRENT_LIST_DIR}/golden/ndr.defs
    WORKING_DIRECTORY ${ndr_gen}
    COMMENT "mig -n ndr.defs"
    VERBATIM)
  openmig_add_unit_test(NAME e2e-ndrconv
                        SOURCES ${ndr_dir}/ndrconv_test.c ${ndr_gen}/ndrServer.c ${ndr_gen}/ndr.h
                        LIBS mach_static LABELS e2e TIMEOUT 60)
  target_include_directories(e2e-ndrconv PRIVATE ${ndr_gen})
  target_compile_options(e2e-ndrconv PRIVATE -include
                         ${CMAKE_CURRENT_LIST_DIR}/e2e/golden_types/ndr.h)
  set_source_files_properties(${ndr_gen}/ndrServer.c PROPERTIES
    COMPILE_OPTIONS "-include;${ndr_dir}/ndr_hooks.h")
endif()
