/* dyld's image records as the kernel keeps them (<mach/dyld_kernel.h>), for
 * task_register_dyld_image_infos and friends (task.defs).
 *
 * Darwin declares the members with <sys/types.h>'s uuid_t, fsobj_id_t and fsid_t. Linux's
 * fsid_t is another type, so the file-system members are spelled here with layout-equal types of
 * our own (struct openmig_fsobj_id, struct openmig_fsid, same member names as Darwin's):
 * code that reads .fsobjid.fid_objno or .fsid.val[0] compiles unchanged. */
#ifndef OPENMIG_MACH_DYLD_KERNEL_H
#define OPENMIG_MACH_DYLD_KERNEL_H

#include <stdint.h>
#include <mach/boolean.h>

struct openmig_fsobj_id {
  uint32_t fid_objno;
  uint32_t fid_generation;
};
struct openmig_fsid {
  int32_t val[2];
};

/* 40 bytes. */
struct dyld_kernel_image_info {
  unsigned char uuid[16];
  struct openmig_fsobj_id fsobjid;
  struct openmig_fsid fsid;
  uint64_t load_addr;
};

/* 64 bytes. */
struct dyld_kernel_process_info {
  struct dyld_kernel_image_info cache_image_info;
  uint64_t timestamp;
  uint32_t imageCount;
  uint32_t initialImageCount;
  uint8_t dyldState;
  boolean_t no_cache;
  boolean_t private_cache;
};

typedef struct dyld_kernel_image_info dyld_kernel_image_info_t;
typedef struct dyld_kernel_process_info dyld_kernel_process_info_t;
typedef dyld_kernel_image_info_t *dyld_kernel_image_info_array_t;

#endif /* OPENMIG_MACH_DYLD_KERNEL_H */
