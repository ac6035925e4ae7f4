/* OpenMIG extension (not a Darwin header): the visibility and C++ linkage macros that every
 * public libmach header uses. libmach builds with hidden visibility; OPENMIG_API exports. */
#ifndef OPENMIG_MACH_OPENMIG_EXPORT_H
#define OPENMIG_MACH_OPENMIG_EXPORT_H

#if defined(__GNUC__) || defined(__clang__)
#define OPENMIG_API __attribute__((visibility("default")))
#else
#define OPENMIG_API
#endif

#include <sys/cdefs.h>
#ifndef __BEGIN_DECLS
#ifdef __cplusplus
#define __BEGIN_DECLS extern "C" {
#define __END_DECLS }
#else
#define __BEGIN_DECLS
#define __END_DECLS
#endif
#endif

#ifndef __has_attribute
#define __has_attribute(x) 0
#endif

#endif /* OPENMIG_MACH_OPENMIG_EXPORT_H */
