/* <TargetConditionals.h> for a platform that is not Apple's.
 *
 * Darwin code tests these with #if, often under -Wundef, so every macro Apple's SDK defines is
 * defined here, with the value that describes Linux: no Apple operating system (TARGET_OS_MAC,
 * TARGET_OS_OSX, TARGET_OS_IPHONE, ... are 0), a Unix that is not Darwin (TARGET_OS_UNIX 1, as
 * on the other non-Apple platforms that ship this header) and Linux (TARGET_OS_LINUX 1). The CPU
 * and runtime macros follow the compiler's target. Code that branches on TARGET_OS_MAC to reach
 * Darwin-only APIs (libproc, IOKit, CoreFoundation) takes its portable path. */
#ifndef OPENMIG_TARGETCONDITIONALS_H
#define OPENMIG_TARGETCONDITIONALS_H

/* Operating systems: none of Apple's. */
#define TARGET_OS_MAC 0
#define TARGET_OS_OSX 0
#define TARGET_OS_IPHONE 0
#define TARGET_OS_IOS 0
#define TARGET_OS_WATCH 0
#define TARGET_OS_TV 0
#define TARGET_OS_VISION 0
#define TARGET_OS_XR 0
#define TARGET_OS_MACCATALYST 0
#define TARGET_OS_UIKITFORMAC 0
#define TARGET_OS_BRIDGE 0
#define TARGET_OS_DRIVERKIT 0
#define TARGET_OS_EMBEDDED 0
#define TARGET_OS_NANO 0
#define TARGET_OS_SIMULATOR 0
#define TARGET_OS_EMBEDDED_OTHER 0
#define TARGET_IPHONE_SIMULATOR 0
#define TARGET_OS_ARROW 0
#define TARGET_ABI_USES_IOS_VALUES 0
#define TARGET_OS_WIN32 0
#define TARGET_OS_WINDOWS 0
#define TARGET_OS_CYGWIN 0
#define TARGET_OS_WASI 0
/* A Unix other than Darwin, namely Linux. */
#define TARGET_OS_UNIX 1
#define TARGET_OS_LINUX 1

/* Processors, from the compiler's predefined macros. */
#if defined(__x86_64__)
#define TARGET_CPU_X86_64 1
#else
#define TARGET_CPU_X86_64 0
#endif
#if defined(__i386__)
#define TARGET_CPU_X86 1
#else
#define TARGET_CPU_X86 0
#endif
#if defined(__aarch64__)
#define TARGET_CPU_ARM64 1
#else
#define TARGET_CPU_ARM64 0
#endif
#if defined(__arm__)
#define TARGET_CPU_ARM 1
#else
#define TARGET_CPU_ARM 0
#endif
#define TARGET_CPU_PPC 0
#define TARGET_CPU_PPC64 0
#define TARGET_CPU_68K 0
#define TARGET_CPU_ALPHA 0
#define TARGET_CPU_MIPS 0
#define TARGET_CPU_SPARC 0
#define TARGET_CPU_HPPA 0

/* Runtime: ELF, not Mach-O; byte order and pointer width from the compiler. */
#define TARGET_RT_MAC_CFM 0
#define TARGET_RT_MAC_MACHO 0
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define TARGET_RT_LITTLE_ENDIAN 0
#define TARGET_RT_BIG_ENDIAN 1
#else
#define TARGET_RT_LITTLE_ENDIAN 1
#define TARGET_RT_BIG_ENDIAN 0
#endif
#if defined(__LP64__)
#define TARGET_RT_64_BIT 1
#else
#define TARGET_RT_64_BIT 0
#endif

#endif /* OPENMIG_TARGETCONDITIONALS_H */
