// Apple target macros for preprocessors that ignore -arch (see cpp_arch.h). The defines are
// the identification macros clang predefines for <arch>-apple-darwin; feature macros (__SSE2__,
// __ARM_NEON) and type sizes are not emulated.
#include "driver/cpp_arch.h"

#include <string.h>

// Everything a Linux or BSD host compiler may predefine that names its architecture, data model,
// byte order or OS. Undefining a macro that is not defined is harmless.
#define HOST_MACROS_UNDEFINED                                                                    \
    "-U__x86_64__", "-U__x86_64", "-U__amd64__", "-U__amd64", "-U__i386__", "-U__i386",         \
        "-Ui386", "-U__i486__", "-U__i586__", "-U__i686__", "-U__aarch64__", "-U__AARCH64EL__", \
        "-U__AARCH64EB__", "-U__ARM_64BIT_STATE", "-U__ARM_ARCH", "-U__arm__", "-U__arm",       \
        "-U__thumb__", "-U__ARMEL__", "-U__ARMEB__", "-U__ARM_EABI__", "-U__arm64__",          \
        "-U__arm64", "-U__powerpc__", "-U__powerpc64__", "-U__powerpc", "-U__PPC__",           \
        "-U__PPC64__", "-U__ppc__", "-U__ppc64__", "-U_ARCH_PPC", "-U_ARCH_PPC64", "-U__riscv", \
        "-U__riscv_xlen", "-U__s390__", "-U__s390x__", "-U__mips__", "-U__mips", "-U__mips64", \
        "-U__loongarch__", "-U__loongarch64", "-U__sparc__", "-U__sparc", "-U__sparc64__",     \
        "-U__ia64__", "-U__alpha__", "-U__hppa__", "-U__m68k__", "-U_ILP32", "-U__ILP32__",    \
        "-U__LP64__", "-U_LP64", "-U__BIG_ENDIAN__", "-U__LITTLE_ENDIAN__", "-U__BYTE_ORDER__", \
        "-U__linux__", "-U__linux", "-Ulinux", "-U__gnu_linux__", "-U__unix__", "-U__unix",    \
        "-Uunix", "-U__ELF__", "-U__FreeBSD__", "-U__NetBSD__", "-U__OpenBSD__",               \
        "-U__DragonFly__", "-U__APPLE__", "-U__MACH__", "-U__APPLE_CC__"

// Every supported Apple target: 64-bit, little-endian, Darwin.
#define APPLE_LP64_DEFINED                                                                     \
    "-D__LP64__=1", "-D_LP64=1", "-D__LITTLE_ENDIAN__=1",                                      \
        "-D__BYTE_ORDER__=__ORDER_LITTLE_ENDIAN__", "-D__APPLE__=1", "-D__MACH__=1",           \
        "-D__APPLE_CC__=6000"

#define X86_64_DEFINED "-D__x86_64__=1", "-D__x86_64=1", "-D__amd64__=1", "-D__amd64=1"

#define ARM64_DEFINED                                                                          \
    "-D__arm64__=1", "-D__arm64=1", "-D__aarch64__=1", "-D__AARCH64EL__=1",                    \
        "-D__ARM64_ARCH_8__=1", "-D__ARM_64BIT_STATE=1", "-D__ARM_ARCH=8"

static const char *const x86_64_options[] = {HOST_MACROS_UNDEFINED, APPLE_LP64_DEFINED,
                                             X86_64_DEFINED, NULL};
static const char *const x86_64h_options[] = {HOST_MACROS_UNDEFINED, APPLE_LP64_DEFINED,
                                              X86_64_DEFINED, "-D__x86_64h__=1", "-D__x86_64h=1",
                                              NULL};
static const char *const arm64_options[] = {HOST_MACROS_UNDEFINED, APPLE_LP64_DEFINED,
                                            ARM64_DEFINED, NULL};
static const char *const arm64e_options[] = {HOST_MACROS_UNDEFINED, APPLE_LP64_DEFINED,
                                             ARM64_DEFINED, "-D__arm64e__=1", NULL};

static const struct {
    const char *arch;
    const char *const *options;
} arch_options[] = {
    {"x86_64", x86_64_options},
    {"x86_64h", x86_64h_options},
    {"arm64", arm64_options},
    {"arm64e", arm64e_options},
};

const char *cpp_arch_name(const char *arch_or_triple, size_t *len) {
    *len = strcspn(arch_or_triple, "-");
    return arch_or_triple;
}

const char *const *cpp_arch_macro_options(const char *arch, size_t len) {
    for (size_t i = 0; i < sizeof arch_options / sizeof arch_options[0]; i++)
        if (strlen(arch_options[i].arch) == len && memcmp(arch_options[i].arch, arch, len) == 0)
            return arch_options[i].options;
    return NULL;
}
