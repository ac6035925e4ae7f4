// Apple target macros for preprocessors that cannot target Apple: gcc on Linux ignores `-arch`,
// so mig undefines the host's architecture and OS macros and defines the ones Apple's clang
// predefines for the target (see docs/command-line.md, "-arch with gcc").
#ifndef MIGC_CPP_ARCH_H
#define MIGC_CPP_ARCH_H

#include <stddef.h>

// The architecture named by `-target T` (its first component: "arm64" of "arm64-apple-macos11")
// or by `-arch A` (all of it). Sets *len to its length; returns a pointer into the argument.
const char *cpp_arch_name(const char *arch_or_triple, size_t *len);

// The preprocessor options ("-UNAME", "-DNAME=VALUE"; a NULL-terminated static list) that make a
// non-Apple preprocessor see the macros of an Apple target with architecture `arch` (`len`
// bytes: x86_64, x86_64h, arm64, arm64e): every host architecture, data model, byte order and
// OS macro it may predefine is undefined, then the target's are defined. NULL for an
// architecture without such a list (the caller warns that -arch cannot be honoured).
const char *const *cpp_arch_macro_options(const char *arch, size_t len);

#endif
