# Installing and using OpenMIG from outside (README.md, "Install"): cmake --install into a
# temporary prefix, out-of-tree consumers with find_package(OpenMIG) and with pkg-config, and the
# Debian package. Sanitizer builds pass their flags on, since the installed libmach needs them.
if(TARGET mig AND TARGET mach AND TARGET machd)
  set(install_xflags "")
  if(OPENMIG_SANITIZE)
    set(install_xflags "-fsanitize=address,undefined")
  endif()
  foreach(case cmake pkgconfig deb units)
    add_test(NAME install.${case}
             COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/install/install_test.sh ${PROJECT_BINARY_DIR}
                     ${PROJECT_SOURCE_DIR} ${case} "${install_xflags}")
    set_tests_properties(install.${case} PROPERTIES TIMEOUT 300 LABELS install)
  endforeach()
endif()
