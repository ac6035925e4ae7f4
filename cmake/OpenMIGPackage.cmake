# A Debian package of everything `cmake --install` installs: `cpack -G DEB` in the build
# directory (or `cmake --build build --target package`) writes openmig_<version>_<arch>.deb with
# prefix /usr. README.md, "Install".
set(CPACK_PACKAGE_NAME openmig)
set(CPACK_PACKAGE_VENDOR "OpenMIG")
set(CPACK_PACKAGE_CONTACT "OpenMIG developers <openmig@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "Mach Interface Generator (mig) and Mach IPC runtime (libmach, machd) for Linux")
set(CPACK_PACKAGE_DESCRIPTION
    "mig reads .defs interface files and writes C client stubs and server demux routines with\n\
Apple MIG's command line and wire layout. libmach gives Linux Mach IPC with Darwin's <mach/...>\n\
API; machd is its broker between processes.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_GENERATOR DEB)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libc6 (>= 2.36), cpp")  # mig runs the C preprocessor
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "gcc | c-compiler")
set(CPACK_STRIP_FILES OFF)
include(CPack)
