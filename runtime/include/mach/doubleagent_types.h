/* Extended-attribute types of the doubleagent interface (<mach/doubleagent_types.h>). */
#ifndef OPENMIG_MACH_DOUBLEAGENT_TYPES_H
#define OPENMIG_MACH_DOUBLEAGENT_TYPES_H

#include <stdint.h>

#define DA_XATTR_MAXNAMELEN 127
#define DA_XATTR_FINDERINFO_NAME "com.apple.FinderInfo"
#define DA_XATTR_RESOURCEFORK_NAME "com.apple.ResourceFork"
#define MAX_NUM_OF_XATTRS 256
#define LISTXATTR_RESULT_MAX_NAMES_LEN                                                       \
  (sizeof(DA_XATTR_RESOURCEFORK_NAME) + sizeof(DA_XATTR_FINDERINFO_NAME) +                   \
   (MAX_NUM_OF_XATTRS * ((DA_XATTR_MAXNAMELEN + 1))))
#define LISTXATTR_RESULT_MAX_HINTS_LEN (MAX_NUM_OF_XATTRS * 2 * sizeof(uint32_t))
#define LISTXATTR_RESULT_MAX_SIZE (LISTXATTR_RESULT_MAX_NAMES_LEN + LISTXATTR_RESULT_MAX_HINTS_LEN)

typedef char xattrname[DA_XATTR_MAXNAMELEN + 1];

/* listxattrs's answer: offsets and lengths, then names and ranges in data. */
typedef struct list_xattrs_result {
  uint64_t finderInfoOffset;
  uint64_t resourceForkOffset;
  uint64_t resourceForkLength;
  uint64_t numOfXattrs;
  uint64_t dataLength;
  uint64_t namesLength;
  uint64_t rangesLength;
  uint8_t data[LISTXATTR_RESULT_MAX_SIZE];
} listxattrs_result_t;

#endif /* OPENMIG_MACH_DOUBLEAGENT_TYPES_H */
