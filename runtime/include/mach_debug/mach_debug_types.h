/* Types of the mach_debug interfaces (<mach_debug/mach_debug_types.h>): everything below,
 * the symbol-name and kernel-object-description strings, and the kernel core file header
 * layouts. */
#ifndef OPENMIG_MACH_DEBUG_MACH_DEBUG_TYPES_H
#define OPENMIG_MACH_DEBUG_MACH_DEBUG_TYPES_H

#include <stdint.h>
#include <mach_debug/ipc_info.h>
#include <mach_debug/vm_info.h>
#include <mach_debug/zone_info.h>
#include <mach_debug/page_info.h>
#include <mach_debug/hash_info.h>
#include <mach_debug/lockgroup_info.h>

typedef char symtab_name_t[32];

#define KOBJECT_DESCRIPTION_LENGTH 512
typedef char kobject_description_t[KOBJECT_DESCRIPTION_LENGTH];

/* Kernel core file header (version 1): a signature, the log, and up to 16 files. */
#define MACH_CORE_FILEHEADER_SIGNATURE 0x0063614d20646152ULL
#define MACH_CORE_FILEHEADER_V2_SIGNATURE 0x63614d2073736f42ULL
#define MACH_CORE_FILEHEADER_MAXFILES 16
#define MACH_CORE_FILEHEADER_NAMELEN 16

struct mach_core_details {
  uint64_t gzip_offset;
  uint64_t gzip_length;
  char core_name[MACH_CORE_FILEHEADER_NAMELEN];
};
struct mach_core_fileheader {
  uint64_t signature;
  uint64_t log_offset;
  uint64_t log_length;
  uint64_t num_files;
  struct mach_core_details files[MACH_CORE_FILEHEADER_MAXFILES];
};

#endif /* OPENMIG_MACH_DEBUG_MACH_DEBUG_TYPES_H */
