/* Memory error records (<kern/ecc.h>, a private Darwin header), for
 * memory_error_notification.defs: the ECC and memory-cache error events, 40 bytes each. Only
 * the records are given; the kernel's functions are not. */
#ifndef OPENMIG_KERN_ECC_H
#define OPENMIG_KERN_ECC_H

#include <stdint.h>

#define ECC_EVENT_INFO_DATA_ENTRIES 8

/* Legacy form of an ECC event. */
struct ecc_event {
  uint8_t id;
  uint8_t count;
  uint64_t data[ECC_EVENT_INFO_DATA_ENTRIES] __attribute__((aligned(8)));
};

typedef uint32_t ecc_flags_t;
enum {
  ECC_NONE = 0x00000000,
  ECC_IS_CORRECTABLE = 0x00000001,
  ECC_DB_CORRUPTED = 0x00000002,
  ECC_IS_TEST_ERROR = 0x00000004,
  ECC_DB_ONLY = 0x00000008,
  ECC_REMOVE_ADDR = 0x00000010
};
typedef uint32_t ecc_version_t;
enum { ECC_V1, ECC_NUM_VERSIONS };

/* An ECC event. */
typedef struct {
  ecc_version_t version;
  ecc_flags_t flags;
  uint64_t physaddr;
  uint32_t ce_count;
  uint32_t vendor;
  uint32_t reserved[4];
} ecc_event_t;

typedef uint32_t mcc_flags_t;
enum {
  MCC_NONE = 0x00000000,
  MCC_IS_SINGLE_BIT = 0x00000001,
  MCC_IS_MULTI_BIT = 0x00000002,
};
typedef enum { MCC_ECC_V1, MCC_ECC_NUM_VERSIONS } mcc_ecc_version_t;

/* A memory-cache (MCC) error event. */
typedef struct {
  mcc_ecc_version_t version;
  mcc_flags_t flags;
  uint32_t status;     /* interrupt status */
  uint32_t amcc;
  uint32_t plane;
  uint32_t bank;       /* of the first one-bit error */
  uint32_t way;
  uint32_t index;
  uint32_t bit_off_cl; /* upper or lower half of the cache line */
  uint32_t bit_off_within_hcl;
} mcc_ecc_event_t;

#endif /* OPENMIG_KERN_ECC_H */
